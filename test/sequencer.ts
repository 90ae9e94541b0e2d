import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { isClusterFile } from "./cluster-files.js";

/**
 * Vitest's order (slowest first, from the last run's times), with the cluster files spread evenly among the
 * others: two workers take files in this order, and cluster files take turns (test/helpers/cluster-slot.ts), so
 * a worker that picks one while the other runs one waits. Spread out, the other files fill that time instead.
 */
export default class ClusterFilesSpread extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const cluster = sorted.filter((file) => isClusterFile(path.relative(this.ctx.config.root, file.moduleId)));
    const others = sorted.filter((file) => !cluster.includes(file));
    const perClusterFile = Math.ceil(others.length / Math.max(cluster.length, 1));
    const ordered: TestSpecification[] = [];
    for (const file of cluster) ordered.push(file, ...others.splice(0, perClusterFile));
    return [...ordered, ...others];
  }
}
