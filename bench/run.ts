/**
 * `npm run bench`: packs the charm, runs the benchmarks one after another (each on its own 127.0.x.0/24),
 * prints a table per benchmark and writes everything to bench/latest.json. `tsx bench/run.ts hooks join`
 * runs only the named ones. Benchmarks measure and report; they never pass or fail on a time.
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../scripts/build.js";
import { charmFileName, packCharms } from "../scripts/pack.js";
import { convergeBenchmark } from "./converge.js";
import { hookBenchmark } from "./hooks.js";
import { joinBenchmark } from "./join.js";
import { cleanupAll, ENV_NOTE, must } from "./lib/proc.js";
import { renderTable, type BenchResult } from "./lib/table.js";
import { scaleBenchmark } from "./scale.js";

delete process.env.NODE_EXTRA_CA_CERTS;

// hooks and join also measure a plaintext model (tls=false) beside the TLS one; those borrow converge's first
// subnets (127.0.63, 127.0.64): benchmarks run one after another and each destroys its models.
const BENCHMARKS: Record<string, (charm: string) => Promise<BenchResult>> = {
  hooks: (charm) => hookBenchmark({ charm, subnet: "127.0.60", plainSubnet: "127.0.63", runs: 15, warmups: 3, updateStatusRuns: 9, tracedRuns: 4, blocks: 3 }),
  join: (charm) => joinBenchmark({ charm, subnet: "127.0.61", plainSubnet: "127.0.64", rawSubnet: "127.0.71", joins: 3 }),
  scale: (charm) => scaleBenchmark({ charm, subnet: "127.0.62", peak: 7, final: 3 }),
  converge: (charm) => convergeBenchmark({ charm, subnets: ["127.0.63", "127.0.64", "127.0.65", "127.0.66"], sizes: [1, 3, 5, 7] }),
};

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping everything the bench started`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const unknown = wanted.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(", ")}; choose from ${Object.keys(BENCHMARKS).join(", ")}`);
const names = wanted.length > 0 ? wanted : Object.keys(BENCHMARKS);

const started = new Date();
const outDir = path.join(repoRoot, "build", "bench");
console.log(`packing the charm into ${path.relative(repoRoot, outDir)} …`);
await packCharms(outDir, path.join(outDir, "stage"));
const charm = path.join(outDir, charmFileName("24.04/amd64"));

const host = {
  node: process.version,
  cpus: os.cpus().length,
  loadAverageAtStart: os.loadavg(),
  etcd: (await must("etcd", ["--version"])).split("\n")[0],
};
console.log(`${host.cpus} CPUs, load ${host.loadAverageAtStart.map((l) => l.toFixed(2)).join(" ")}, ${host.etcd}, host Node ${host.node}`);
console.log(`${ENV_NOTE}.\n`);

const results: Record<string, BenchResult | { error: string }> = {};
for (const name of names) {
  const t0 = performance.now();
  console.log(`running ${name} …`);
  try {
    const result = await BENCHMARKS[name]!(charm);
    results[name] = result;
    console.log(`\n${result.tables.map(renderTable).join("\n")}`);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    results[name] = { error: message };
    console.log(`\n## ${name}: FAILED\n${message}\n`);
  } finally {
    await cleanupAll();
  }
  console.log(`(${name} took ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
}

const finished = new Date();
const report = {
  startedAt: started.toISOString(),
  finishedAt: finished.toISOString(),
  seconds: Math.round((finished.getTime() - started.getTime()) / 1000),
  host: { ...host, loadAverageAtEnd: os.loadavg() },
  notes: [ENV_NOTE],
  benchmarks: results,
};
await writeFile(path.join(repoRoot, "bench", "latest.json"), `${JSON.stringify(report, null, 1)}\n`);
console.log(`wrote bench/latest.json (${report.seconds} s in all)`);
if (Object.values(results).some((r) => "error" in r)) process.exitCode = 1;
