import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DebugLogEntry } from "../local-model/debug-log.js";
import { nextRandom } from "../local-model/random.js";
import { schemeFor } from "../src/domain/address.js";
import type { ClientTls } from "../src/etcd/etcdctl.js";
import { LocalModelFixture } from "../test/local-model/harness.js";
import { type Access, clientUrl, type SoakUnit } from "./cluster.js";
import { Convergence, etcdUnits, NotConverged } from "./converge.js";
import { InvariantChecker } from "./invariants.js";
import { hookErrors, removalAnomalies, type RunReport, runFailed, type StepReport, saveEvidence, stepAt } from "./report.js";
import { DEFAULT_SETTINGS, drawStepKind, type StepKind, takeStep } from "./steps.js";
import { longestGap, unavailabilities, Writer } from "./writer.js";

export interface SoakOptions {
  /** The packed .charm to deploy. */
  readonly charm: string;
  readonly seed: number;
  /** The model's /24 of 127.0.0.0/8, e.g. "127.0.100". */
  readonly subnet: string;
  readonly steps: number;
  /** model-config fault-injection for the whole run. */
  readonly faultInjection?: string;
  readonly updateStatusInterval?: string;
  /** How long one step may take to converge. */
  readonly convergeTimeoutMs?: number;
  /** Bounds of the client's writes for the whole run. */
  readonly maxWrites?: number;
  readonly maxWriteMs?: number;
  /** Where a failed run leaves its evidence (debug log, controller and service logs, report). */
  readonly evidenceDir?: string;
  readonly log?: (line: string) => void;
}

export const DEFAULT_FAULT_INJECTION = "hook-failure:0.03,hook-kill:0.03";

/** Models of runs in progress, for destroyActiveModels. */
const activeModels = new Set<LocalModelFixture>();

/** Destroys the models of runs still in progress (their controllers and etcd processes): for SIGINT. */
export async function destroyActiveModels(): Promise<void> {
  await Promise.all([...activeModels].map((model) => model.destroy()));
  activeModels.clear();
}

/**
 * One soak run: a fresh model, the charm deployed with three units, `steps` seeded random operator actions
 * and faults with fault injection on, all while a client writes; after every step the model must converge
 * and the cluster keep every acknowledged write, its membership and its data dirs.
 */
export async function soakRun(options: SoakOptions): Promise<RunReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const began = Date.now();
  const generator = { rng: options.seed >>> 0 };
  const random = () => nextRandom(generator);

  // Seeded rounds (--scheduling rounds) so that the seed also fixes the model's hook interleaving.
  const model = await LocalModelFixture.create(options.subnet, options.seed, ["--timeout", "600", "--scheduling", "rounds"]);
  activeModels.add(model);
  const keyPrefix = `soak/${options.seed}/`;
  const writer = new Writer({ prefix: keyPrefix, maxWrites: options.maxWrites ?? 50_000, maxMs: options.maxWriteMs ?? 3 * 3600_000 }, []);
  const steps: StepReport[] = [];
  const problems: string[] = [];
  const convergence = new Convergence(model, options.convergeTimeoutMs ?? 600_000, log);
  const invariants = new InvariantChecker(model.dir, keyPrefix, problems);
  let converged = true;
  let writerStarted = 0;
  const effective: Record<string, number> = { ...DEFAULT_SETTINGS };
  // The charm serves mutual TLS unless told otherwise; the credentials come once the deploy has made its CA.
  const tls = { enabled: true, switches: 0 };
  let credentials: ClientTls | undefined;
  const access = (): Access => {
    if (!credentials) throw new Error("no client credentials yet");
    return { credentials, scheme: schemeFor(tls.enabled) };
  };

  /** Acts, waits for convergence, checks the invariants and logs the step; returns the units it left. */
  const runStep = async (index: number, kind: StepKind | "deploy", act: () => Promise<string>): Promise<SoakUnit[]> => {
    const started = Date.now();
    const detail = await act();
    const acted = Date.now();
    const label = `step ${index} ${kind}`;
    const { units } = await convergence.converge(`${label} (${detail})`, access());
    const ended = Date.now();
    steps.push({ index, kind, detail, started, ended, convergeMs: ended - acted });
    const before = problems.length;
    await invariants.check(units, label, writer.acknowledged, effective, access());
    const problemText = problems.length > before ? `; PROBLEMS: ${problems.slice(before).join(" | ")}` : "";
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
    log(
      `  ${label}: ${detail}; verb ${seconds(acted - started)}, converged ${seconds(ended - acted)} later; ${units.length} units, ${writer.acknowledged.size} writes acknowledged${problemText}`,
    );
    if (writerStarted) writer.setEndpoints(units.map(clientUrl));
    return units;
  };

  log(`run seed ${options.seed} on ${options.subnet}.0/24 (model ${model.dir})`);
  try {
    await model.ok(
      "model-config",
      `update-status-hook-interval=${options.updateStatusInterval ?? "10s"}`,
      "automatically-retry-hooks=true",
      `fault-injection=${options.faultInjection ?? DEFAULT_FAULT_INJECTION}`,
    );
    let units = await runStep(0, "deploy", async () => {
      await model.ok("deploy", options.charm, "-n", "3");
      credentials = await clientCredentials(model);
      return "etcd -n 3";
    });
    writer.setEndpoints(units.map(clientUrl));
    writer.start(access().credentials);
    writerStarted = Date.now();

    for (let index = 1; index <= options.steps; index++) {
      const kind = drawStepKind(units.length, random);
      const previous = units;
      units = await runStep(index, kind, () =>
        takeStep(kind, { model, index, units: previous, writer, random, effective, tls, credentials: access().credentials, problems }),
      );
    }
  } catch (error) {
    converged = !(error instanceof NotConverged);
    problems.push(error instanceof Error ? error.message : String(error));
    log(`  STOPPED: ${error instanceof Error ? error.message : String(error)}`);
  }

  await writer.stop();
  // Every write acknowledged up to the end, through every unit that is still there.
  const finalStatus = await model.status().catch(() => undefined);
  if (finalStatus && converged && credentials) {
    await invariants
      .check(etcdUnits(finalStatus), "final", writer.acknowledged, effective, access())
      .catch((error: unknown) => problems.push(`final check: ${String(error)}`));
  }

  const entries = await model.debugLog().catch(() => [] as DebugLogEntry[]);
  const errors = hookErrors(entries);
  const gap = longestGap(writer.attempts, writerStarted || Date.now());
  const anomalies = removalAnomalies(steps, entries);
  const report: RunReport = {
    seed: options.seed,
    subnet: options.subnet,
    steps,
    attempted: writer.attempts.length,
    acknowledged: writer.acknowledged.size,
    lostKeys: [...invariants.lost],
    quorumLosses: unavailabilities(writer.attempts).map((u) => ({ ...u, step: stepAt(steps, u.from) })),
    longestGap: { ms: gap.ms, step: stepAt(steps, gap.from) },
    hookErrors: errors,
    resolved: convergence.resolved,
    tlsSwitches: tls.switches,
    converged,
    problems,
    anomalies,
    durationMs: Date.now() - began,
  };
  let evidence: string | undefined;
  if ((runFailed(report) || errors.genuine.length > 0 || anomalies.length > 0) && options.evidenceDir) {
    evidence = path.join(options.evidenceDir, `seed-${options.seed}`);
    await saveEvidence(model.dir, evidence, report, writer).catch((error: unknown) => log(`  could not save evidence: ${String(error)}`));
  }
  await model.destroy();
  activeModels.delete(model);
  return evidence ? { ...report, evidence } : report;
}

/**
 * Client credentials from the charm's client-credentials action, as an operator gets them. The deploy returns
 * once no hook can run; a unit waiting for a retry (fault injection) may not have the CA yet, so ask again.
 */
async function clientCredentials(model: LocalModelFixture): Promise<ClientTls> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await model.etcdClientCredentials();
    } catch (error) {
      if (attempt >= 30) throw error;
      await sleep(2000);
    }
  }
}
