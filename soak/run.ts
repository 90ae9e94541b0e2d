/**
 * `npm run soak -- --runs N --seed S [--steps K]`: packs the charm once, then runs N soak runs (seeds S … S+N-1,
 * each on its own 127.0.(100 + r % 50).0/24) and prints one line per run and the totals; the last line is
 * `soak: R runs, W acknowledged writes, L lost, Q quorum losses, E hook errors`. Exits non-zero when a write
 * was lost, a quorum was lost, a run did not converge or broke an invariant. See soak/README.md.
 */
import path from "node:path";
import { Command } from "commander";
import { repoRoot } from "../scripts/build.js";
import { charmFileName, packCharms } from "../scripts/pack.js";
import { type RunReport, runFailed } from "./report.js";
import { DEFAULT_FAULT_INJECTION, destroyActiveModels, soakRun } from "./soak.js";

delete process.env.NODE_EXTRA_CA_CERTS;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: destroying the models in progress`);
    void destroyActiveModels().finally(() => process.exit(130));
  });
}

const integer = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`expected a whole number, got "${value}"`);
  return parsed;
};

const options = new Command()
  .name("soak")
  .option("--runs <n>", "how many runs", integer, 1)
  .option("--seed <s>", "seed of the first run (run r uses S + r)", integer, Math.floor(Date.now() / 1000) % 100_000)
  .option("--steps <k>", "random steps per run", integer, 8)
  .option("--faults <setting>", "model-config fault-injection for every run", DEFAULT_FAULT_INJECTION)
  .parse(process.argv)
  .opts<{ runs: number; seed: number; steps: number; faults: string }>();

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const evidenceDir = path.join(repoRoot, "build", "soak");

console.log(`soak: ${options.runs} runs from seed ${options.seed}, ${options.steps} steps each, fault-injection=${options.faults}`);
console.log(`packing the charm into ${path.relative(repoRoot, evidenceDir)} …`);
await packCharms(evidenceDir, path.join(evidenceDir, "stage"));
const charm = path.join(evidenceDir, charmFileName("24.04/amd64"));

const reports: RunReport[] = [];
for (let r = 0; r < options.runs; r++) {
  const seed = options.seed + r;
  const report = await soakRun({ charm, seed, subnet: `127.0.${100 + (r % 50)}`, steps: options.steps, faultInjection: options.faults, evidenceDir });
  reports.push(report);
  const { hookErrors: errors } = report;
  console.log(
    `run ${r} seed ${seed}: ${report.converged ? "converged" : "DID NOT CONVERGE"} after ${report.steps.length - 1} steps in ${seconds(report.durationMs)}; ` +
      `${report.acknowledged}/${report.attempted} writes acknowledged, ${report.lostKeys.length} lost, ${report.quorumLosses.length} quorum losses, ` +
      `longest write gap ${seconds(report.longestGap.ms)} (${report.longestGap.step}); ${errors.hookRuns} hook runs: ` +
      `${errors.genuine.length} genuine errors, ${errors.injectedFailures} injected failures, ${errors.injectedKills} injected kills; ${report.resolved} resolved; ` +
      `${report.tlsSwitches} TLS switches`,
  );
  for (const loss of report.quorumLosses)
    console.log(`  quorum loss: writes failed for ${seconds(loss.ms)} (${loss.failedAttempts} attempts) in ${loss.step}: ${loss.lastError}`);
  for (const error of errors.genuine) console.log(`  genuine hook error: ${error.time} ${error.unit} ${error.hook} ${error.exit}: ${error.stderrTail}`);
  for (const problem of report.problems) console.log(`  problem: ${problem}`);
  for (const anomaly of report.anomalies) console.log(`  anomaly: ${anomaly}`);
  if (report.evidence) console.log(`  evidence: ${path.relative(repoRoot, report.evidence)}`);
  if (runFailed(report)) console.log(`  FAILED run ${r}, seed ${seed}; replay: npm run soak -- --runs 1 --seed ${seed} --steps ${options.steps}`);
}

const total = (count: (report: RunReport) => number) => reports.reduce((sum, report) => sum + count(report), 0);
const failedRuns = reports.filter(runFailed);
console.log(
  `soak: injected faults: ${total((r) => r.hookErrors.injectedFailures)} hook failures, ${total((r) => r.hookErrors.injectedKills)} hook kills; ` +
    `genuine hook errors (exited non-zero or killed, not injected): ${total((r) => r.hookErrors.genuine.length)}; ` +
    `${total((r) => r.resolved)} resolved; ${total((r) => r.tlsSwitches)} TLS switches; ${total((r) => r.anomalies.length)} anomalies; ${failedRuns.length} failed runs${failedRuns.length > 0 ? ` (seeds ${failedRuns.map((r) => r.seed).join(", ")})` : ""}`,
);
console.log(
  `soak: ${reports.length} runs, ${total((r) => r.acknowledged)} acknowledged writes, ${total((r) => r.lostKeys.length)} lost, ` +
    `${total((r) => r.quorumLosses.length)} quorum losses, ${total((r) => r.hookErrors.genuine.length)} hook errors`,
);
process.exitCode = failedRuns.length > 0 ? 1 : 0;
