import { cp, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DebugLogEntry } from "../local-model/controller.js";
import { nextRandom } from "../local-model/state.js";
import { LocalModelFixture, type StatusJson } from "../test/local-model/harness.js";
import { clientUrl, clusterView, etcdPid, memberDirInode, memberName, readPrefix, runningSettings, type SoakUnit } from "./cluster.js";
import { longestGap, unavailabilities, Writer, type Unavailability } from "./writer.js";

export type StepKind = "add-unit" | "remove-unit" | "config" | "invalid-config" | "kill-etcd" | "elect";

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
const MIN_UNITS = 3;
const MAX_UNITS = 5;
/** A unit still in error after this long (the automatic retry has had 4 tries by then) gets `resolved`. */
const RESOLVE_AFTER_MS = 90_000;
const POLL_MS = 2000;

export interface StepReport {
  readonly index: number;
  readonly kind: StepKind | "deploy";
  readonly detail: string;
  readonly started: number;
  readonly ended: number;
  /** From the end of the step's verb until the model was idle and converged. */
  readonly convergeMs: number;
}

/** A hook run that exited non-zero or was killed without the model injecting it. */
export interface GenuineHookError {
  readonly time: string;
  readonly unit: string;
  readonly hook: string;
  readonly exit: string;
  readonly stderrTail: string;
}

export interface RunReport {
  readonly seed: number;
  readonly subnet: string;
  readonly steps: StepReport[];
  readonly attempted: number;
  readonly acknowledged: number;
  /** Acknowledged keys that some member did not return with their value. */
  readonly lostKeys: string[];
  readonly quorumLosses: Array<Unavailability & { step: string }>;
  readonly longestGap: { ms: number; step: string };
  readonly hookErrors: { genuine: GenuineHookError[]; injectedFailures: number; injectedKills: number; hookRuns: number };
  /** `resolved` calls for units in error past the automatic retry horizon. */
  readonly resolved: number;
  readonly converged: boolean;
  /** Broken invariants and anything that stopped the run. */
  readonly problems: string[];
  /** Charm behaviour worth a look that breaks no invariant (reported, not failing the run). */
  readonly anomalies: string[];
  readonly durationMs: number;
  readonly evidence?: string;
}

export const runFailed = (report: RunReport): boolean =>
  !report.converged || report.lostKeys.length > 0 || report.quorumLosses.length > 0 || report.problems.length > 0;

/** Models of runs in progress, for destroyActiveModels. */
const activeModels = new Set<LocalModelFixture>();

/** Destroys the models of runs still in progress (their controllers and etcd processes): for SIGINT. */
export async function destroyActiveModels(): Promise<void> {
  await Promise.all([...activeModels].map((model) => model.destroy()));
  activeModels.clear();
}

class NotConverged extends Error {
  override readonly name = "NotConverged";
}

const VALID_CONFIGS: ReadonlyArray<Readonly<Record<string, number>>> = [
  { "heartbeat-interval": 100, "election-timeout": 1000 },
  { "heartbeat-interval": 150, "election-timeout": 1000 },
  { "heartbeat-interval": 200, "election-timeout": 1000 },
  { "heartbeat-interval": 100, "election-timeout": 800 },
  { "snapshot-count": 1000 },
  { "snapshot-count": 5000 },
  { "snapshot-count": 20000 },
  { "snapshot-count": 100000 },
];
/** Invalid values (each blocks every unit naming its option) and the option to --reset afterwards. */
const INVALID_CONFIGS: ReadonlyArray<readonly [string, string]> = [
  ["election-timeout=5", "election-timeout"],
  ["heartbeat-interval=5", "heartbeat-interval"],
  ["snapshot-count=10", "snapshot-count"],
  ["log-level=chatty", "log-level"],
  ["auto-compaction-mode=never", "auto-compaction-mode"],
];
const DEFAULTS: Readonly<Record<string, number>> = { "heartbeat-interval": 100, "election-timeout": 1000, "snapshot-count": 100000 };

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
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const convergeTimeoutMs = options.convergeTimeoutMs ?? 600_000;

  const model = await LocalModelFixture.create(options.subnet, options.seed, ["--timeout", "600"]);
  activeModels.add(model);
  const writer = new Writer({ prefix: `soak/${options.seed}/`, maxWrites: options.maxWrites ?? 50_000, maxMs: options.maxWriteMs ?? 3 * 3600_000 }, []);
  const steps: StepReport[] = [];
  const problems: string[] = [];
  const lost = new Set<string>();
  const identities = new Map<string, { id: string; inode: number }>();
  const errorSince = new Map<string, number>();
  const staleReported = new Set<string>();
  let resolved = 0;
  let converged = true;
  let writerStarted = 0;
  const effective: Record<string, number> = { ...DEFAULTS };

  const etcdUnits = (status: StatusJson): SoakUnit[] =>
    Object.entries(status.applications.etcd?.units ?? {}).map(([name, unit]) => ({ name, address: unit["public-address"] }));
  const jujuLeaderOf = (status: StatusJson) => Object.entries(status.applications.etcd?.units ?? {}).find(([, unit]) => unit.leader)?.[0];

  /** Polls until every etcd unit is active and idle, the members are the units, all voting and healthy. */
  const converge = async (what: string): Promise<{ status: StatusJson; units: SoakUnit[] }> => {
    const deadline = Date.now() + convergeTimeoutMs;
    let last = "nothing observed yet";
    for (;;) {
      const remaining = Math.ceil((deadline - Date.now()) / 1000);
      if (remaining <= 0) throw new NotConverged(`${what}: not converged after ${Math.round(convergeTimeoutMs / 1000)}s; last seen: ${last}`);
      const waited = await model.run("--timeout", String(Math.min(remaining, 300)), "wait");
      if (waited.exitCode !== 0) {
        last = waited.stderr.trim();
        continue;
      }
      const status = await model.status();
      const units = Object.entries(status.applications.etcd?.units ?? {});
      const now = Date.now();
      for (const [name, unit] of units) {
        if (unit["juju-status"].current !== "error") {
          errorSince.delete(name);
          continue;
        }
        const since = errorSince.get(name) ?? now;
        errorSince.set(name, since);
        if (now - since > RESOLVE_AFTER_MS) {
          log(`    ${name} in error for ${Math.round((now - since) / 1000)}s (${unit["juju-status"].message ?? ""}): resolved`);
          await model.run("resolved", name);
          resolved++;
          errorSince.delete(name);
        }
      }
      const size = units.length;
      const unready = units.filter(
        ([, unit]) =>
          unit["juju-status"].current !== "idle" ||
          unit["workload-status"].current !== "active" ||
          !new RegExp(`^${size} members?, healthy`).test(unit["workload-status"].message ?? ""),
      );
      if (size === 0 || unready.length > 0) {
        last = unready
          .map(([name, unit]) => `${name} ${unit["juju-status"].current}/${unit["workload-status"].current} "${unit["workload-status"].message ?? ""}"`)
          .join("; ");
        await sleep(POLL_MS);
        continue;
      }
      const soakUnits = etcdUnits(status);
      try {
        const view = await clusterView(soakUnits);
        const names = view.members.map((m) => m.name).sort();
        const expected = soakUnits.map((u) => memberName(u.name)).sort();
        if (JSON.stringify(names) === JSON.stringify(expected) && view.members.every((m) => !m.isLearner) && view.unhealthy.length === 0) {
          return { status, units: soakUnits };
        }
        last = `members [${names.join(", ")}] (learners: ${
          view.members
            .filter((m) => m.isLearner)
            .map((m) => m.name)
            .join(", ") || "none"
        }), unhealthy: ${view.unhealthy.map((u) => `${u.unit} (${u.error})`).join(", ") || "none"}`;
      } catch (error) {
        last = `cluster: ${error instanceof Error ? error.message : String(error)}`;
      }
      await sleep(POLL_MS);
    }
  };

  /** After convergence: every acknowledged write on every member, members = units, data dirs kept. */
  const check = async (units: readonly SoakUnit[], label: string): Promise<void> => {
    const expected = [...writer.acknowledged];
    const view = await clusterView(units);
    const names = view.members.map((m) => m.name).sort();
    const want = units.map((u) => memberName(u.name)).sort();
    if (JSON.stringify(names) !== JSON.stringify(want)) problems.push(`${label}: members [${names.join(", ")}] are not the units [${want.join(", ")}]`);
    const learners = view.members.filter((m) => m.isLearner).map((m) => m.name);
    if (learners.length > 0) problems.push(`${label}: learners left: ${learners.join(", ")}`);
    for (const unit of units) {
      const member = view.members.find((m) => m.name === memberName(unit.name));
      const inode = await memberDirInode(model.dir, unit.name);
      if (!member || inode === undefined) {
        problems.push(`${label}: ${unit.name} has ${member ? "no member/ data dir" : "no member"}`);
        continue;
      }
      const running = await runningSettings(model.dir, unit.name);
      // etcd counts the election timeout in whole heartbeats: 1000 ms at 150 ms heartbeats runs as 900 ms.
      const heartbeat = effective["heartbeat-interval"]!;
      const wanted = { ...effective, "election-timeout": Math.floor(effective["election-timeout"]! / heartbeat) * heartbeat };
      const stale = Object.entries(wanted).filter(([option, value]) => running?.[option as keyof typeof running] !== value);
      if (stale.length > 0) {
        const shown = stale.map(([option, value]) => `${option} ${running?.[option as keyof typeof running] ?? "?"} (expected ${value})`).join(", ");
        // Reported once: a restart that never came stays missing at every later check.
        if (!staleReported.has(`${unit.name} ${shown}`)) problems.push(`${label}: ${unit.name}'s etcd runs with stale settings: ${shown}`);
        staleReported.add(`${unit.name} ${shown}`);
      }
      const known = identities.get(unit.name);
      if (!known) identities.set(unit.name, { id: member.id, inode });
      else if (known.id !== member.id || known.inode !== inode) {
        problems.push(`${label}: ${unit.name} was recreated: member id ${known.id} → ${member.id}, member/ inode ${known.inode} → ${inode}`);
        identities.set(unit.name, { id: member.id, inode });
      }
      let values: Map<string, string> | undefined;
      for (let attempt = 1; attempt <= 3 && !values; attempt++) {
        values = await readPrefix(clientUrl(unit), `soak/${options.seed}/`).catch((error: unknown) => {
          if (attempt === 3) problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
          return undefined;
        });
        if (!values) await sleep(1000);
      }
      if (!values) continue;
      const missing = expected.filter(([key, value]) => values.get(key) !== value).map(([key]) => key);
      const fresh = missing.filter((key) => !lost.has(key));
      for (const key of missing) lost.add(key);
      if (fresh.length > 0)
        problems.push(`${label}: ${fresh.length} acknowledged writes missing or different on ${unit.name}, e.g. ${fresh.slice(0, 3).join(", ")}`);
    }
  };

  const runStep = async (index: number, kind: StepKind | "deploy", act: () => Promise<string>): Promise<SoakUnit[]> => {
    const started = Date.now();
    const detail = await act();
    const acted = Date.now();
    const label = `step ${index} ${kind}`;
    const { units } = await converge(`${label} (${detail})`);
    const ended = Date.now();
    steps.push({ index, kind, detail, started, ended, convergeMs: ended - acted });
    const before = problems.length;
    await check(units, label);
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
      return "etcd -n 3";
    });
    writer.setEndpoints(units.map(clientUrl));
    writer.start();
    writerStarted = Date.now();

    for (let index = 1; index <= options.steps; index++) {
      const size = units.length;
      const kinds: Array<[StepKind, number]> = [
        ["add-unit", size < MAX_UNITS ? (size % 2 === 0 ? 3 : 1) : 0],
        ["remove-unit", size > MIN_UNITS ? (size % 2 === 0 ? 3 : 1) : 0],
        ["config", 1],
        ["invalid-config", 1],
        ["kill-etcd", 1],
        ["elect", 1],
      ];
      let draw = random() * kinds.reduce((sum, [, weight]) => sum + weight, 0);
      const kind = kinds.find(([, weight]) => (draw -= weight) < 0)?.[0] ?? "config";
      units = await runStep(index, kind, async () => {
        const status = await model.status();
        const names = etcdUnits(status).map((u) => u.name);
        switch (kind) {
          case "add-unit": {
            await model.ok("add-unit", "etcd");
            const added = etcdUnits(await model.status())
              .map((u) => u.name)
              .filter((name) => !names.includes(name));
            return `added ${added.join(", ")}`;
          }
          case "remove-unit": {
            const raftLeader = (await clusterView(units)).raftLeader;
            const jujuLeader = jujuLeaderOf(status);
            const role = pick(["juju leader", "raft leader", "any unit"] as const);
            const victim = (role === "juju leader" ? jujuLeader : role === "raft leader" ? raftLeader : undefined) ?? pick(names);
            const roles = [victim === jujuLeader ? "juju leader" : "", victim === raftLeader ? "raft leader" : ""].filter(Boolean).join(", ");
            writer.setEndpoints(units.filter((u) => u.name !== victim).map(clientUrl));
            await model.ok("remove-unit", victim);
            return `removed ${victim}${roles ? ` (${roles})` : ""}`;
          }
          case "config": {
            const choices = VALID_CONFIGS.filter((change) => Object.entries(change).some(([key, value]) => effective[key] !== value));
            const change = pick(choices);
            Object.assign(effective, change);
            const assignments = Object.entries(change).map(([key, value]) => `${key}=${value}`);
            await model.ok("config", "etcd", ...assignments);
            return assignments.join(" ");
          }
          case "invalid-config": {
            const [assignment, option] = pick(INVALID_CONFIGS);
            await model.ok("config", "etcd", assignment);
            const blocked = await waitBlocked(model, option);
            if (!blocked.ok) problems.push(`step ${index} invalid-config ${assignment}: units not blocked: ${blocked.last}`);
            if (option in DEFAULTS) effective[option] = DEFAULTS[option]!;
            await model.ok("config", "etcd", "--reset", option);
            return `${assignment} (${blocked.ok ? "every unit blocked" : "NOT blocked"}), then --reset ${option}`;
          }
          case "kill-etcd": {
            const raftLeader = (await clusterView(units)).raftLeader;
            const victim = random() < 0.5 && raftLeader ? raftLeader : pick(names);
            const pid = await etcdPid(model.dir, victim);
            if (pid === undefined) throw new Error(`no etcd process found for ${victim}`);
            process.kill(pid, "SIGKILL");
            return `SIGKILL etcd of ${victim}${victim === raftLeader ? " (raft leader)" : ""} (pid ${pid})`;
          }
          case "elect": {
            const leader = jujuLeaderOf(status);
            const next = pick(names.filter((name) => name !== leader));
            await model.ok("elect", next);
            return `juju leadership ${leader ?? "none"} → ${next}`;
          }
        }
      });
    }
  } catch (error) {
    converged = !(error instanceof NotConverged);
    problems.push(error instanceof Error ? error.message : String(error));
    log(`  STOPPED: ${error instanceof Error ? error.message : String(error)}`);
  }

  await writer.stop();
  // Every write acknowledged up to the end, through every unit that is still there.
  const finalStatus = await model.status().catch(() => undefined);
  if (finalStatus && converged) await check(etcdUnits(finalStatus), "final").catch((error: unknown) => problems.push(`final check: ${String(error)}`));

  const entries = await model.debugLog().catch(() => [] as DebugLogEntry[]);
  const hooks = entries.filter((entry) => entry.kind === "hook");
  const failed = hooks.filter((entry) => entry.exitCode !== 0 || entry.signal !== null);
  const genuine = failed
    .filter((entry) => !entry.injected)
    .map((entry) => ({
      time: entry.time,
      unit: entry.unit,
      hook: entry.name,
      exit: entry.signal ? `killed by ${entry.signal}` : `exit ${entry.exitCode}`,
      stderrTail: entry.stderr.trim().split("\n").slice(-3).join(" | "),
    }));
  const stepOf = (time: number) => {
    const step = steps.find((s) => time >= s.started && time <= s.ended) ?? steps.find((s) => time < s.started);
    return step ? `step ${step.index} ${step.kind} (${step.detail})` : "after the last step";
  };
  const gap = longestGap(writer.attempts, writerStarted || Date.now());
  // A unit being removed must not be (re-)added as a member: look for "added etcdN (…) as a learner" after its removal began.
  const anomalies = steps.flatMap((step) => {
    const victim = /^removed (\S+)/.exec(step.detail)?.[1];
    if (step.kind !== "remove-unit" || !victim) return [];
    return entries
      .filter((entry) => Date.parse(entry.time) >= step.started && entry.logs.some((line) => line.message.includes(`added ${memberName(victim)} (`)))
      .map(
        (entry) => `${entry.time} ${entry.unit} ${entry.name}: added ${memberName(victim)} as a learner while ${victim} was being removed (step ${step.index})`,
      );
  });
  const report: RunReport = {
    seed: options.seed,
    subnet: options.subnet,
    steps,
    attempted: writer.attempts.length,
    acknowledged: writer.acknowledged.size,
    lostKeys: [...lost],
    quorumLosses: unavailabilities(writer.attempts).map((u) => ({ ...u, step: stepOf(u.from) })),
    longestGap: { ms: gap.ms, step: stepOf(gap.from) },
    hookErrors: {
      genuine,
      injectedFailures: failed.filter((entry) => entry.injected === "hook-failure").length,
      injectedKills: failed.filter((entry) => entry.injected === "hook-kill").length,
      hookRuns: hooks.length,
    },
    resolved,
    converged,
    problems,
    anomalies,
    durationMs: Date.now() - began,
  };
  let evidence: string | undefined;
  if ((runFailed(report) || genuine.length > 0 || anomalies.length > 0) && options.evidenceDir) {
    evidence = path.join(options.evidenceDir, `seed-${options.seed}`);
    await saveEvidence(model.dir, evidence, report, writer).catch((error: unknown) => log(`  could not save evidence: ${String(error)}`));
  }
  await model.destroy();
  activeModels.delete(model);
  return evidence ? { ...report, evidence } : report;
}

/** Polls until every etcd unit is blocked naming the option (units in error wait for their retry). */
async function waitBlocked(model: LocalModelFixture, option: string): Promise<{ ok: boolean; last: string }> {
  let last = "";
  for (let i = 0; i < 60; i++) {
    const units = Object.entries((await model.status()).applications.etcd?.units ?? {});
    const notBlocked = units.filter(([, unit]) => unit["workload-status"].current !== "blocked" || !(unit["workload-status"].message ?? "").startsWith(option));
    if (notBlocked.length === 0) return { ok: true, last };
    last = notBlocked.map(([name, unit]) => `${name} ${unit["workload-status"].current} "${unit["workload-status"].message ?? ""}"`).join("; ");
    await sleep(POLL_MS);
  }
  return { ok: false, last };
}

/** Copies what explains a failed run out of the model before it is destroyed. */
async function saveEvidence(modelDir: string, target: string, report: RunReport, writer: Writer): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const name of ["debug-log.jsonl", "controller.log", "state.json"]) await cp(path.join(modelDir, name), path.join(target, name)).catch(() => undefined);
  await cp(path.join(modelDir, "services", "logs"), path.join(target, "service-logs"), { recursive: true }).catch(() => undefined);
  await writeFile(path.join(target, "report.json"), `${JSON.stringify(report, null, 1)}\n`);
  await writeFile(path.join(target, "writes.jsonl"), `${writer.attempts.map((a) => JSON.stringify(a)).join("\n")}\n`);
}
