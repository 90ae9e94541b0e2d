/**
 * `npx tsx bench/charm-copy.ts [charm]`: what giving a unit its charm dir costs, per unit: hard links to the
 * deployed charm (the local model before private copies), a full copy, and the private copy the model makes
 * now (small files copied, files over 1 MB hard-linked from the model's snapshot). Interleaved, medians.
 */
import { link, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { extractCharmArchive } from "../local-model/charm-archive.js";
import { makeUnitCharm, placeCharm } from "../local-model/charm-store.js";
import { repoRoot } from "../scripts/build.js";

const charm = process.argv[2] ?? path.join(repoRoot, "build", "test-charms", "etcd_ubuntu-24.04-amd64.charm");
const ROUNDS = 10;

/** The old way: every file hard-linked. */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await linkTree(source, target);
    else await link(source, target);
  }
}

const work = await mkdtemp(path.join(tmpdir(), "charm-copy-"));
try {
  const snapshot = path.join(work, "snapshot");
  await extractCharmArchive(charm, snapshot);
  const ways: Record<string, (unitDir: string) => Promise<unknown>> = {
    "hard links (before)": (unitDir) => linkTree(snapshot, path.join(unitDir, "charm")),
    "full copy": (unitDir) => placeCharm(unitDir, snapshot, "", "charm", 0),
    "private copy, large files linked (now)": (unitDir) => makeUnitCharm(unitDir, snapshot),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const names = Object.keys(ways);
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      const unitDir = path.join(work, `unit-${round}-${i}`);
      const began = performance.now();
      await ways[name]!(unitDir);
      samples[name]!.push(performance.now() - began);
      await rm(unitDir, { recursive: true, force: true });
    }
  }
  console.log(`${charm}: per unit, median (min–max) of ${ROUNDS}`);
  for (const [name, times] of Object.entries(samples)) {
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(`  ${name.padEnd(42)} ${median.toFixed(1)} ms (${sorted[0]!.toFixed(1)}–${sorted.at(-1)!.toFixed(1)})`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
