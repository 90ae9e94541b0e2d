import { defineConfig } from "vitest/config";
import ClusterFilesSpread from "./test/sequencer.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // A cluster file's beforeAll deploys three units, a consumer and its relations: measured 130 s and over
    // while the other worker's files load the two cores (tls-security's did not finish within 120 s).
    hookTimeout: 300_000,
    reporters: ["default", "./test/summary-reporter.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Two files at a time (vitest's default on two cores is one); files that run etcd clusters take turns
    // (test/helpers/cluster-slot.ts) and are spread among the others (test/sequencer.ts).
    maxWorkers: 2,
    sequence: { sequencer: ClusterFilesSpread },
  },
});
