import { setTimeout as sleep } from "node:timers/promises";
import type { ClientTls } from "../src/etcd/etcdctl.js";
import type { LocalModelFixture } from "../test/local-model/harness.js";
import { clientUrl, clusterView, etcdPid, type SoakUnit } from "./cluster.js";
import { etcdUnits, jujuLeaderOf, POLL_MS } from "./converge.js";
import type { Writer } from "./writer.js";

/**
 * The random operator actions and faults of a soak run (see soak/README.md, "Steps"): which one is drawn,
 * and what each does to the model. Each returns a line describing what it did.
 */

export type StepKind = "add-unit" | "remove-unit" | "config" | "invalid-config" | "kill-etcd" | "elect" | "tls";

const MIN_UNITS = 3;
const MAX_UNITS = 5;

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
/** The charm's defaults for the settings the steps change. */
export const DEFAULT_SETTINGS: Readonly<Record<string, number>> = { "heartbeat-interval": 100, "election-timeout": 1000, "snapshot-count": 100000 };

/** Draws the next step: adding and removing units keep the cluster between 3 and 5 units and favour odd sizes. */
export function drawStepKind(size: number, random: () => number): StepKind {
  const kinds: Array<[StepKind, number]> = [
    ["add-unit", size < MAX_UNITS ? (size % 2 === 0 ? 3 : 1) : 0],
    ["remove-unit", size > MIN_UNITS ? (size % 2 === 0 ? 3 : 1) : 0],
    ["config", 1],
    ["invalid-config", 1],
    ["kill-etcd", 1],
    ["elect", 1],
    ["tls", 1],
  ];
  let draw = random() * kinds.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [kind, weight] of kinds) {
    draw -= weight;
    if (draw < 0) return kind;
  }
  return "config";
}

/** What a step acts on. */
export interface StepContext {
  readonly model: LocalModelFixture;
  readonly index: number;
  /** The units as the previous step left them. */
  readonly units: readonly SoakUnit[];
  readonly writer: Writer;
  readonly random: () => number;
  /** The settings etcd should run with; config steps change them. */
  readonly effective: Record<string, number>;
  /** The `tls` option as configured and how many times the run switched it; tls steps change them. */
  readonly tls: { enabled: boolean; switches: number };
  /** The client credentials for https endpoints. */
  readonly credentials: ClientTls;
  /** The run's problems, for a unit that did not block on an invalid value. */
  readonly problems: string[];
}

/** Takes the step; returns what it did. */
export async function takeStep(kind: StepKind, step: StepContext): Promise<string> {
  const { model, units, writer, random, effective, credentials } = step;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
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
      const raftLeader = (await clusterView(units, credentials)).raftLeader;
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
      if (!blocked.ok) step.problems.push(`step ${step.index} invalid-config ${assignment}: units not blocked: ${blocked.last}`);
      if (option in DEFAULT_SETTINGS) effective[option] = DEFAULT_SETTINGS[option]!;
      await model.ok("config", "etcd", "--reset", option);
      return `${assignment} (${blocked.ok ? "every unit blocked" : "NOT blocked"}), then --reset ${option}`;
    }
    case "kill-etcd": {
      const raftLeader = (await clusterView(units, credentials)).raftLeader;
      const victim = random() < 0.5 && raftLeader ? raftLeader : pick(names);
      const pid = await etcdPid(model.dir, victim);
      if (pid === undefined) throw new Error(`no etcd process found for ${victim}`);
      process.kill(pid, "SIGKILL");
      return `SIGKILL etcd of ${victim}${victim === raftLeader ? " (raft leader)" : ""} (pid ${pid})`;
    }
    case "tls": {
      // A rolling switch of every member's peer and client URLs between http and https, under the writer's load.
      const enabled = !step.tls.enabled;
      await model.ok("config", "etcd", `tls=${enabled}`);
      step.tls.enabled = enabled;
      step.tls.switches++;
      return `tls=${enabled}`;
    }
    case "elect": {
      const leader = jujuLeaderOf(status);
      const next = pick(names.filter((name) => name !== leader));
      await model.ok("elect", next);
      return `juju leadership ${leader ?? "none"} → ${next}`;
    }
  }
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
