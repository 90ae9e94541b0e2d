import path from "node:path";
import type { TestProject } from "vitest/node";
import { packCharms } from "../scripts/pack.js";
import { repoRoot } from "../scripts/build.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The .charm files packed once for the whole run, by base ("22.04", "24.04"). */
    packedCharms: Record<string, string>;
  }
}

/** Packs the charm once per test run, exactly as `npm run pack` does, into build/test-charms. */
export default async function setup(project: TestProject): Promise<void> {
  const outDir = path.join(repoRoot, "build", "test-charms");
  const files = await packCharms(outDir, path.join(outDir, "stage"));
  const byBase: Record<string, string> = {};
  for (const file of files) byBase[/ubuntu-([0-9.]+)-/.exec(file)![1]!] = file;
  project.provide("packedCharms", byBase);
}
