/**
 * The main job: packs the charm for both bases and shows what an operator deploys.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "./build.js";
import { packCharms } from "./pack.js";

for (const file of await packCharms()) {
  const { size } = await stat(file);
  console.log(`packed ${path.relative(repoRoot, file)} (${(size / 1024 / 1024).toFixed(1)} MiB)`);
}
