import { defineConfig } from "vitest/config";
import ClusterFilesSpread from "./test/sequencer.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default", "./test/summary-reporter.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Two files at a time (vitest's default on two cores is one); files that run etcd clusters take turns
    // (test/helpers/cluster-slot.ts) and are spread among the others (test/sequencer.ts).
    maxWorkers: 2,
    sequence: { sequencer: ClusterFilesSpread },
  },
});
