import { existsSync } from "node:fs";
import { schemeOf } from "../domain/address.js";
import type { Member } from "../domain/member.js";
import {
  type Alarm,
  type ClientTls,
  ETCDCTL_TIMEOUTS,
  type EndpointHealth,
  type EndpointStatus,
  Etcdctl,
  EtcdctlError,
  type EtcdctlTimeouts,
} from "./etcdctl.js";
import { EtcdGatewayError, EtcdGateway } from "./gateway.js";
import { accepting } from "./listening.js";

/** Defragmenting or compacting a large backend takes as long as copying it: minutes, not seconds. */
const MAINTENANCE_TIMEOUTS = { dialTimeoutMs: 2000, commandTimeoutMs: 600_000 } as const;
import { withRestartLock } from "./restart-lock.js";

/** Why the cluster is asked: a hook's quick look (the default) or an operator's report. */
export type Purpose = "observe" | "report";

/**
 * The etcd cluster as the charm's shell uses it: one operation per method, each against the endpoints the
 * decision named, with the timeouts of ETCDCTL_TIMEOUTS. Tests substitute an in-memory cluster; the real
 * one runs etcdctl.
 */
export interface EtcdCluster {
  /** The member list from whichever endpoint answers first; throws EtcdctlError when none does. */
  members(endpoints: readonly string[], purpose?: Purpose): Promise<Member[]>;
  /** Status of each endpoint that answers; the others are absent. */
  statuses(endpoints: readonly string[], purpose?: Purpose): Promise<EndpointStatus[]>;
  /**
   * The endpoints that answer a status, from whichever scheme answers first (each scheme asked at once; the
   * other is not waited for): [] when none does. For a quick choice of whom to ask, mid-TLS-switch included.
   */
  answering(endpoints: readonly string[]): Promise<string[]>;
  /** Health of each endpoint; one that does not answer is `health: false` with etcdctl's reason. */
  healths(endpoints: readonly string[], purpose?: Purpose): Promise<EndpointHealth[]>;
  /** Adds a learner; "exists" when a member already has that peer URL (an earlier attempt's answer was lost). */
  addLearner(endpoints: readonly string[], name: string, peerUrl: string): Promise<"added" | "exists">;
  promote(endpoints: readonly string[], memberId: string): Promise<"promoted" | "already-voting">;
  /** "not-found" when the member is already gone (removed concurrently): the goal is reached either way. */
  remove(endpoints: readonly string[], memberId: string): Promise<"removed" | "not-found">;
  /** Must be asked of the current raft leader's endpoint. */
  moveLeader(endpoints: readonly string[], toMemberId: string): Promise<void>;
  /** A member's new peer URL (http ⇄ https); asked of members that answer. */
  updatePeerUrl(endpoints: readonly string[], memberId: string, peerUrl: string): Promise<void>;
  /** Something accepts TCP connections on the URL's port: much cheaper than etcdctl while etcd starts. */
  accepting(url: string): Promise<boolean>;
  /** Defragments one member's backend, asked of that member alone (it blocks the member while it runs). */
  defrag(url: string): Promise<void>;
  /** Drops the key-value history before `revision`, asked of whichever member answers. */
  compact(endpoints: readonly string[], revision: number, physical: boolean): Promise<void>;
  /** Saves a snapshot of one member's backend to a file on this machine. */
  snapshotSave(url: string, file: string): Promise<void>;
  /** The cluster's active alarms; with `disarm`, clears them and returns what it cleared. */
  alarms(endpoints: readonly string[], disarm?: boolean): Promise<Alarm[]>;
  /** Runs `work` holding a lock in the cluster itself, so that units take turns (rolling restarts). */
  withLock<T>(endpoints: readonly string[], name: string, acquireTimeoutMs: number, work: () => Promise<T>): Promise<T>;
}

/**
 * Endpoints split by scheme, the first endpoint's scheme first (https for none): etcdctl dials every endpoint
 * of one call with the transport of the first, so a cluster half-way through a TLS switch is asked one scheme
 * at a time.
 */
export function bySchemes(endpoints: readonly string[]): string[][] {
  const https = endpoints.filter((url) => schemeOf(url) === "https");
  const other = endpoints.filter((url) => schemeOf(url) !== "https");
  // The scheme of the first endpoint first: callers list first what answered last.
  const groups = schemeOf(endpoints[0]) === "https" || endpoints.length === 0 ? [https, other] : [other, https];
  return groups.filter((group) => group.length > 0);
}

/** etcdctl's ways of saying that no endpoint of a call answered. */
const UNREACHABLE = /context deadline exceeded|connection refused|handshake|transport|no route|timed out|i\/o timeout/i;

/**
 * The first group's answer; the next group is asked only when no endpoint of the previous one answered. An
 * answer from the cluster that is an error (e.g. "member not found") is the answer.
 */
async function firstAnswer<T>(groups: readonly string[][], ask: (group: string[]) => Promise<T>): Promise<T> {
  let lastError: unknown = new EtcdctlError([], undefined, "no endpoints this unit can ask (https members before it has a certificate)");
  for (const group of groups) {
    try {
      return await ask(group);
    } catch (error) {
      if (error instanceof EtcdctlError && error.exitCode !== undefined && !UNREACHABLE.test(error.stderr)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * The real cluster: questions (members, statuses, health) through each member's JSON gateway (gateway.ts),
 * changes through etcdctl; `tls` names this member's files, used for https endpoints once they exist.
 */
export function etcdctlCluster(tls: ClientTls | undefined, etcdctl: string): EtcdCluster {
  const tlsFor = (group: readonly string[]): ClientTls | undefined =>
    tls && schemeOf(group[0]) === "https" && existsSync(tls.caFile) && existsSync(tls.certFile) && existsSync(tls.keyFile) ? tls : undefined;
  const client = (endpoints: readonly string[], timeouts: EtcdctlTimeouts) => {
    const clientTls = tlsFor(endpoints);
    return new Etcdctl({ endpoints, timeouts, binary: etcdctl, ...(clientTls ? { tls: clientTls } : {}) });
  };
  const gateway = new EtcdGateway(tls);
  // https members cannot be asked before this unit has its certificate: a TLS handshake without one fails only
  // after the dial timeout, which every observation of a joining unit would wait out.
  const askable = (endpoints: readonly string[]) => bySchemes(endpoints).filter((group) => schemeOf(group[0]) !== "https" || tlsFor(group) !== undefined);
  const perGroup = async <T>(endpoints: readonly string[], ask: (group: string[]) => Promise<T[]>): Promise<T[]> =>
    (await Promise.all(askable(endpoints).map(ask))).flat();
  /** The status of each endpoint of a group that answers within the timeouts; the others are left out. */
  const groupStatuses = async (group: readonly string[], purpose: Purpose, signal?: AbortSignal) =>
    (
      await Promise.all(group.map((url) => gateway.status(url, { timeouts: ETCDCTL_TIMEOUTS[purpose], ...(signal ? { signal } : {}) }).catch(() => undefined)))
    ).filter((status) => status !== undefined);
  /**
   * Every endpoint of a group at once, the first member list wins and the others are ended: a learner (which
   * refuses member list until it is promoted) or a stopped member answers an error or nothing, never waited for.
   */
  const groupMembers = async (group: readonly string[], purpose: Purpose): Promise<Member[]> => {
    const moot = new AbortController();
    try {
      return await Promise.any(group.map((url) => gateway.memberList(url, { timeouts: ETCDCTL_TIMEOUTS[purpose], signal: moot.signal })));
    } catch (error) {
      const reasons = error instanceof AggregateError ? error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))) : [String(error)];
      // Unreachable as a group, so that the other scheme's members are asked next (firstAnswer).
      throw new EtcdGatewayError(group.join(","), `no member answered the member list: ${reasons.join("; ")}`, false);
    } finally {
      moot.abort();
    }
  };
  const cluster: EtcdCluster = {
    members: (endpoints, purpose = "observe") => firstAnswer(askable(endpoints), (group) => groupMembers(group, purpose)),
    statuses: (endpoints, purpose = "observe") => perGroup(endpoints, (group) => groupStatuses(group, purpose)),
    answering: (endpoints) => {
      // The scheme that did not answer first is not waited for, and its requests are ended: left open, they kept
      // the hook's process alive for their whole timeout after the hook was done.
      const moot = new AbortController();
      return Promise.any(
        askable(endpoints).map(async (group) => {
          const answered = (await groupStatuses(group, "observe", moot.signal)).map((s) => s.Endpoint);
          if (answered.length === 0) throw new Error("none answered");
          return answered;
        }),
      )
        .catch(() => [])
        .finally(() => moot.abort());
    },
    healths: (endpoints, purpose = "observe") =>
      perGroup(endpoints, (group) => Promise.all(group.map((url) => gateway.health(url, { timeouts: ETCDCTL_TIMEOUTS[purpose] })))),
    addLearner: (endpoints, name, peerUrl) =>
      firstAnswer(askable(endpoints), (group) => client(group, ETCDCTL_TIMEOUTS.change).addLearner(name, peerUrl)).then(
        () => "added" as const,
        (error: unknown) => {
          if (error instanceof EtcdctlError && /Peer URLs already exists/.test(error.stderr)) return "exists" as const;
          throw error;
        },
      ),
    promote: (endpoints, memberId) => firstAnswer(askable(endpoints), (group) => client(group, ETCDCTL_TIMEOUTS.change).promote(memberId)),
    remove: (endpoints, memberId) =>
      firstAnswer(askable(endpoints), (group) => client(group, ETCDCTL_TIMEOUTS.change).remove(memberId)).then(
        () => "removed" as const,
        (error: unknown) => {
          if (error instanceof EtcdctlError && /member not found/.test(error.stderr)) return "not-found" as const;
          throw error;
        },
      ),
    moveLeader: (endpoints, toMemberId) => firstAnswer(askable(endpoints), (group) => client(group, ETCDCTL_TIMEOUTS.change).moveLeader(toMemberId)),
    updatePeerUrl: (endpoints, memberId, peerUrl) =>
      firstAnswer(askable(endpoints), (group) => client(group, ETCDCTL_TIMEOUTS.change).updatePeerUrls(memberId, [peerUrl])),
    accepting: (url) => accepting(url),
    defrag: (url) => client([url], MAINTENANCE_TIMEOUTS).defrag(),
    snapshotSave: (url, file) => client([url], MAINTENANCE_TIMEOUTS).snapshotSave(file),
    compact: (endpoints, revision, physical) => firstAnswer(askable(endpoints), (group) => client(group, MAINTENANCE_TIMEOUTS).compact(revision, physical)),
    alarms: (endpoints, disarm = false) => firstAnswer(askable(endpoints), (group) => client(group, ETCDCTL_TIMEOUTS.report).alarms(disarm)),
    withLock: (endpoints, name, acquireTimeoutMs, work) =>
      // The lock lives in the cluster, reached through whichever members answer. They may move between http
      // and https while this unit waits its turn (their own rolling restarts): each try asks again.
      withRestartLock(
        async () => {
          const answering = await cluster.answering(endpoints);
          const group = bySchemes(answering)[0] ?? bySchemes(endpoints)[0] ?? [];
          return { endpoints: group, tls: tlsFor(group), etcdctl };
        },
        name,
        acquireTimeoutMs,
        work,
      ),
  };
  return cluster;
}
