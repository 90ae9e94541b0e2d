import type { Dirent } from "node:fs";
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { repoRoot } from "../scripts/build.js";
import { charmFileName, PLATFORMS, type Platform, packCharms } from "../scripts/pack.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The .charm files packed once for the whole run, by platform ("24.04/amd64", …, "26.04/arm64"). */
    packedCharms: Record<Platform, string>;
  }
}

const INPUTS = [
  "src",
  "scripts",
  "templates",
  "hooks",
  "actions",
  "dispatch",
  "metadata.yaml",
  "config.yaml",
  "actions.yaml",
  "package-lock.json",
  "runtime/package-lock.json",
];

async function inputsDigest(): Promise<string> {
  const hash = createHash("sha256");
  const visit = async (rel: string): Promise<void> => {
    const full = path.join(repoRoot, rel);
    let entries: Dirent[];
    try {
      entries = await readdir(full, { withFileTypes: true });
    } catch {
      hash.update(rel).update(await readFile(full));
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) await visit(path.join(rel, entry.name));
  };
  for (const input of INPUTS) await visit(input);
  return hash.digest("hex");
}

/**
 * Packs the charm once per test run, exactly as `npm run pack` does, into build/test-charms; skipped when
 * nothing the charm is made of changed since the last pack.
 */
export default async function setup(project: TestProject): Promise<void> {
  const outDir = path.join(repoRoot, "build", "test-charms");
  const stamp = path.join(outDir, "inputs.sha256");
  const digest = await inputsDigest();
  const previous = await readFile(stamp, "utf8").catch(() => "");
  if (previous !== digest) {
    await packCharms(outDir, path.join(outDir, "stage"));
    await writeFile(stamp, digest);
  }
  project.provide(
    "packedCharms",
    Object.fromEntries(PLATFORMS.map((platform) => [platform, path.join(outDir, charmFileName(platform))])) as Record<Platform, string>,
  );
}
