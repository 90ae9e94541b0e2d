/**
 * 3. Scale under load: 1 → peak → final units while a client writes and reads back continuously through
 * whichever members are current; what it saw (failures, the longest gap between acknowledged writes) and
 * whether every acknowledged write survived.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { hookCost, hookRuns } from "./lib/hooklog.js";
import type { ClientTls } from "../src/etcd/etcdctl.js";
import { BenchModel } from "./lib/model.js";
import { etcdctl, getPrefix, memberList } from "./lib/etcd.js";
import { summarize } from "./lib/stats.js";
import { fmt, seconds, type BenchResult, type Row } from "./lib/table.js";

export interface ScaleOptions {
  readonly charm: string;
  readonly subnet: string;
  readonly peak: number;
  readonly final: number;
}

const PREFIX = "bench/scale/";
/** A quiet stretch before, between and after the changes, so each phase has writes of its own. */
const SETTLE_MS = 4000;
const MAX_RUN_MS = 12 * 60_000;

interface Phase {
  readonly name: string;
  readonly start: number;
  /** For a change: how long the command took (it returns once the model is idle) and the hooks it ran. */
  changeMs?: number;
  hookRuns?: number;
  hookStretches?: number;
}

interface Op {
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
}

/** The writer: put a new key, read it back, again; every call through the endpoints current at the time. */
class Client {
  readonly writes: Op[] = [];
  readonly reads: Array<Op & { stale: boolean }> = [];
  readonly acked = new Map<string, string>();
  /** Why writes failed: etcdctl's last stderr line, counted. */
  readonly failures = new Map<string, number>();
  endpoints: string[];
  private stopped = false;

  constructor(
    endpoints: string[],
    private readonly deadline: number,
    /** The client identity for the members' https endpoints. */
    private readonly tls: ClientTls | undefined,
  ) {
    this.endpoints = endpoints;
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Keeps `endpoints` to the client URLs of the started voting members, as the member list gives them
   * (learners refuse client requests: etcd 3.5's client leaves them out of its endpoints too).
   */
  async followMembers(): Promise<void> {
    while (!this.stopped && Date.now() < this.deadline) {
      const members = await memberList(this.endpoints, 1000, this.tls);
      const urls = members?.filter((m) => m.name !== "" && !m.isLearner).flatMap((m) => m.clientUrls);
      if (urls && urls.length > 0) this.endpoints = urls;
      await sleep(1000);
    }
  }

  async write(): Promise<void> {
    for (let i = 0; !this.stopped && Date.now() < this.deadline; i++) {
      const key = `${PREFIX}${String(i).padStart(7, "0")}`;
      const value = `value-${i}`;
      const t0 = performance.now();
      const written = await etcdctl(this.endpoints, ["put", key, value], 2000, this.tls);
      this.writes.push({ at: t0, ms: performance.now() - t0, ok: written.code === 0 });
      if (written.code !== 0) {
        const reason = (written.stderr.trim().split("\n").pop() ?? "").replace(/^\{.*"error":"([^"]*)".*$/, "$1").slice(0, 120);
        this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
        continue;
      }
      this.acked.set(key, value);
      const t1 = performance.now();
      const read = await etcdctl(this.endpoints, ["get", key, "--print-value-only"], 2000, this.tls);
      const ok = read.code === 0;
      this.reads.push({ at: t1, ms: performance.now() - t1, ok, stale: ok && read.stdout.trim() !== value });
    }
  }
}

export async function scaleBenchmark(options: ScaleOptions): Promise<BenchResult> {
  const model = await BenchModel.create(options.subnet);
  try {
    await model.deploy(options.charm, 1);
    const phases: Phase[] = [];
    const client = new Client(Object.values(await model.clientUrls()), Date.now() + MAX_RUN_MS, model.credentials);
    phases.push({ name: "1 unit, steady", start: performance.now() });
    const following = client.followMembers();
    const writing = client.write();
    const change = async (name: string, ...args: string[]) => {
      const logged = (await model.debugLog()).length;
      const phase: Phase = { name, start: performance.now() };
      phases.push(phase);
      await model.ok(...args);
      phase.changeMs = performance.now() - phase.start;
      const cost = hookCost(hookRuns((await model.debugLog()).slice(logged)));
      phase.hookRuns = cost.runs;
      phase.hookStretches = cost.stretches;
    };
    try {
      await sleep(SETTLE_MS);
      await change(`1 → ${options.peak}: add-unit -n ${options.peak - 1}`, "add-unit", "etcd", "-n", String(options.peak - 1));
      phases.push({ name: `${options.peak} units, steady`, start: performance.now() });
      await sleep(SETTLE_MS);
      // The oldest units leave, the Juju leader (etcd/0) among them.
      const leaving = Array.from({ length: options.peak - options.final }, (_, i) => `etcd/${i}`);
      await change(`${options.peak} → ${options.final}: remove-unit ${leaving.join(" ")}`, "remove-unit", ...leaving);
      phases.push({ name: `${options.final} units, steady`, start: performance.now() });
      await sleep(SETTLE_MS);
    } finally {
      client.stop();
      await Promise.all([writing, following]);
    }
    const end = performance.now();
    const stored = await getPrefix(Object.values(await model.clientUrls()), PREFIX, model.credentials);
    const lost = [...client.acked].filter(([key, value]) => stored.get(key) !== value).length;
    return report(client, phases, end, lost);
  } finally {
    await model.destroy();
  }
}

function report(client: Client, phases: readonly Phase[], end: number, lost: number): BenchResult {
  // The longest wait between acknowledged writes, charged to the phase in which it ended.
  const acks = client.writes.filter((w) => w.ok).map((w) => w.at + w.ms);
  const gaps = acks.slice(1).map((at, i) => ({ at, ms: at - acks[i]! }));
  const row = (name: string, from: number, to: number, extra: Partial<Phase>): Row => {
    const inside = <T extends Op>(ops: readonly T[]) => ops.filter((op) => op.at >= from && op.at < to);
    const writes = inside(client.writes);
    const reads = inside(client.reads);
    const latency = summarize(writes.filter((w) => w.ok).map((w) => w.ms));
    const gap = Math.max(0, ...gaps.filter((g) => g.at >= from && g.at < to).map((g) => g.ms));
    return [
      name,
      seconds(to - from),
      extra.changeMs === undefined ? "–" : `${seconds(extra.changeMs)} s, ${extra.hookRuns} hooks / ${extra.hookStretches} stretches`,
      writes.length,
      writes.filter((w) => w.ok).length,
      writes.filter((w) => !w.ok).length,
      fmt(gap),
      `${fmt(latency.median)} / ${fmt(latency.p90)} / ${fmt(latency.max)}`,
      `${reads.filter((r) => r.ok && !r.stale).length} / ${reads.filter((r) => !r.ok).length} / ${reads.filter((r) => r.stale).length}`,
    ];
  };
  const rows = phases.map((phase, i) => row(phase.name, phase.start, phases[i + 1]?.start ?? end, phase));
  rows.push(row("whole run", phases[0]!.start, end, {}));
  return {
    tables: [
      {
        title: "3. Scale under load: writes and read-backs through the current members while the model scales",
        columns: [
          "phase",
          "s",
          "change took (model idle)",
          "writes",
          "acked",
          "failed",
          "longest gap ms",
          "put ms p50 / p90 / max",
          "reads ok / failed / stale",
        ],
        rows,
        notes: [
          `acknowledged writes lost at the end: ${lost} of ${client.acked.size} (every acknowledged key read back with one etcdctl get --prefix; must be 0)`,
          "One etcdctl process per put and per get (the charm's members serve no v3 HTTP gateway), with --endpoints = the started voting members' client URLs from the member list, refreshed every second.",
          "longest gap: the longest time between two acknowledged writes, charged to the phase in which it ended.",
          ...[...client.failures].map(([reason, n]) => `failed write ×${n}: ${reason}`),
        ],
      },
    ],
    data: {
      phases,
      failures: Object.fromEntries(client.failures),
      writes: client.writes.length,
      acked: client.acked.size,
      lost,
      gaps: gaps.sort((a, b) => b.ms - a.ms).slice(0, 10),
    },
  };
}
