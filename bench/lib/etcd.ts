import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type ClientTls, tlsFlags } from "../../src/etcd/etcdctl.js";
import { childEnv, onCleanup, run, stopChild, until, type RunResult } from "./proc.js";

// --- etcdctl (API v3) against a list of endpoints: its client fails over between them --------------------
// Every client call here, for the model and the raw cluster alike, is one etcdctl process, as the charm's
// own calls are (the bench measured them that way before the members served the v3 HTTP gateway). Against
// a TLS model (the charm's default) the calls use https endpoints and a client certificate.

export interface Member {
  readonly id: string;
  readonly name: string;
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** etcdctl against the endpoints; `tls` (--cacert/--cert/--key) for https ones. */
export function etcdctl(endpoints: readonly string[], args: readonly string[], timeoutMs = 2000, tls?: ClientTls): Promise<RunResult> {
  // Without endpoints etcdctl would talk to 127.0.0.1:2379, which is not ours.
  if (endpoints.length === 0) throw new Error("etcdctl without endpoints");
  const dial = Math.min(1000, timeoutMs);
  const flags = [`--endpoints=${endpoints.join(",")}`, `--dial-timeout=${dial}ms`, `--command-timeout=${timeoutMs}ms`, ...tlsFlags(tls)];
  return run("etcdctl", [...flags, ...args], {
    env: childEnv({ ETCDCTL_API: "3" }),
    timeoutMs: dial + timeoutMs + 2000,
  });
}

/** `member list -w simple`: "id, started|unstarted, name, peer-urls, client-urls, is-learner" a line. */
export async function memberList(endpoints: readonly string[], timeoutMs = 1000, tls?: ClientTls): Promise<Member[] | undefined> {
  if (endpoints.length === 0) return undefined;
  const result = await etcdctl(endpoints, ["member", "list", "-w", "simple"], timeoutMs, tls);
  if (result.code !== 0) return undefined;
  return result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", , name = "", , clientUrls = "", learner = ""] = line.split(", ");
      return { id, name, clientUrls: clientUrls.split(",").filter(Boolean), isLearner: learner.trim() === "true" };
    });
}

/** Every key under the prefix with its value (one linearizable range read). */
export async function getPrefix(endpoints: readonly string[], prefix: string, tls?: ClientTls): Promise<Map<string, string>> {
  const result = await etcdctl(endpoints, ["get", "--prefix", prefix], 10_000, tls);
  if (result.code !== 0) throw new Error(`etcdctl get --prefix ${prefix} failed: ${result.stderr.trim()}`);
  const lines = result.stdout.split("\n");
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) values.set(lines[i]!, lines[i + 1]!);
  return values;
}

// --- watching a membership change ------------------------------------------------------------------------

/** When (ms after the watch began) the member list first reached each stage of growing to `target` members. */
export interface MemberStages {
  /** target members listed (a new one may still be an unstarted learner) */
  listed?: number;
  /** every member started (has a name) */
  started?: number;
  /** every member started and voting */
  voting?: number;
}

/**
 * Polls the member list every 100 ms (etcdctl against the given endpoints, with the client identity `tls`
 * gives, if any yet) until all `target` members vote, finish()'s grace runs out or timeoutMs passes. Stages
 * are first-seen times.
 */
export interface MemberWatch {
  readonly done: Promise<MemberStages>;
  /** The stages, after waiting at most graceMs more for the rest (the change's command has returned). */
  finish(graceMs: number): Promise<MemberStages>;
}

export function watchMembers(
  endpoints: () => Promise<readonly string[]>,
  target: number,
  timeoutMs: number,
  tls: () => Promise<ClientTls | undefined> = async () => undefined,
): MemberWatch {
  const began = performance.now();
  const stages: MemberStages = {};
  let stopped = false;
  const done = (async () => {
    while (!stopped && performance.now() - began < timeoutMs) {
      const members = await memberList(await endpoints(), 1000, await tls());
      const at = performance.now() - began;
      if (members && members.length >= target) {
        stages.listed ??= at;
        if (members.length === target && members.every((m) => m.name !== "")) {
          stages.started ??= at;
          if (members.every((m) => !m.isLearner)) {
            stages.voting ??= at;
            break;
          }
        }
      }
      await sleep(100);
    }
    return stages;
  })();
  return {
    done,
    finish: async (graceMs) => {
      const timer = setTimeout(() => (stopped = true), graceMs);
      const result = await done;
      clearTimeout(timer);
      return result;
    },
  };
}

// --- a cluster started by hand, for the raw join ------------------------------------------------------------

export interface RawJoin {
  /** `etcdctl member add --learner` returned */
  readonly addedMs: number;
  /** `etcdctl member promote` first succeeded */
  readonly promotedMs: number;
  readonly promoteAttempts: number;
  readonly stages: MemberStages;
}

/**
 * etcd members started directly (no charm, no model) on <subnet>.11, .12, …, with the charm's default raft
 * timings, so a join can be timed against the charm's on the same machine in the same run.
 */
export class RawCluster {
  private readonly children: ChildProcess[] = [];
  /** Stops every member and removes their data. */
  readonly stop: () => Promise<void>;

  private constructor(
    readonly subnet: string,
    private readonly dir: string,
  ) {
    this.stop = onCleanup(async () => {
      await Promise.all(this.children.map((child) => stopChild(child)));
      await rm(dir, { recursive: true, force: true });
    });
  }

  static async start(subnet: string, size: number): Promise<RawCluster> {
    const cluster = new RawCluster(subnet, await mkdtemp(path.join(tmpdir(), "bench-raw-etcd-")));
    try {
      const initial = Array.from({ length: size }, (_, i) => `${cluster.name(i)}=${cluster.peerUrl(i)}`).join(",");
      for (let i = 0; i < size; i++) await cluster.spawnMember(i, initial, "new");
      const stages = await watchMembers(async () => cluster.clientUrls(size), size, 30_000).done;
      if (stages.voting === undefined) throw new Error(`the raw ${size}-member cluster on ${subnet}.0/24 did not form within 30 s`);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  name(i: number): string {
    return `raw${i}`;
  }

  peerUrl(i: number): string {
    return `http://${this.subnet}.${11 + i}:2380`;
  }

  clientUrl(i: number): string {
    return `http://${this.subnet}.${11 + i}:2379`;
  }

  clientUrls(count: number): string[] {
    return Array.from({ length: count }, (_, i) => this.clientUrl(i));
  }

  private async spawnMember(i: number, initialCluster: string, state: "new" | "existing"): Promise<void> {
    const log = await open(path.join(this.dir, `${this.name(i)}.log`), "a");
    const args = [
      `--name=${this.name(i)}`,
      `--data-dir=${path.join(this.dir, this.name(i))}`,
      `--listen-peer-urls=${this.peerUrl(i)}`,
      `--initial-advertise-peer-urls=${this.peerUrl(i)}`,
      `--listen-client-urls=${this.clientUrl(i)}`,
      `--advertise-client-urls=${this.clientUrl(i)}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-state=${state}`,
      "--initial-cluster-token=bench-raw",
      "--heartbeat-interval=100",
      "--election-timeout=1000",
      "--logger=zap",
    ];
    this.children.push(spawn("etcd", args, { env: childEnv(), stdio: ["ignore", log.fd, log.fd] }));
    await log.close();
  }

  /** Member `i` joins the first `i` members: member add --learner, start it, promote (retried every 100 ms). */
  async join(i: number): Promise<RawJoin> {
    const existing = this.clientUrls(i);
    const began = performance.now();
    const watch = watchMembers(async () => existing, i + 1, 60_000);
    const added = await etcdctl(existing, ["member", "add", this.name(i), `--peer-urls=${this.peerUrl(i)}`, "--learner"], 5000);
    const addedMs = performance.now() - began;
    const id = /Member +([0-9a-f]+) added/.exec(added.stdout)?.[1];
    const initial = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added.stdout)?.[1];
    if (added.code !== 0 || !id || !initial) throw new Error(`member add failed: ${added.stdout}${added.stderr}`);
    await this.spawnMember(i, initial, "existing");
    let attempts = 0;
    await until(`raw member ${this.name(i)} to be promoted`, 60_000, 100, async () => {
      attempts++;
      return (await etcdctl(existing, ["member", "promote", id])).code === 0 ? true : undefined;
    });
    const promotedMs = performance.now() - began;
    const stages = await watch.done;
    return { addedMs, promotedMs, promoteAttempts: attempts, stages };
  }
}
