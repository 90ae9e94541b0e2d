import type { Member } from "../domain/member.js";
import { ETCDCTL_TIMEOUTS, type EndpointHealth, type EndpointStatus, Etcdctl, EtcdctlError, type EtcdctlTimeouts, withEtcdLock } from "./etcdctl.js";
import { accepting } from "./listening.js";

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
  /** Health of each endpoint; one that does not answer is `health: false` with etcdctl's reason. */
  healths(endpoints: readonly string[], purpose?: Purpose): Promise<EndpointHealth[]>;
  /** Adds a learner; "exists" when a member already has that peer URL (an earlier attempt's answer was lost). */
  addLearner(endpoints: readonly string[], name: string, peerUrl: string): Promise<"added" | "exists">;
  promote(endpoints: readonly string[], memberId: string): Promise<"promoted" | "already-voting">;
  /** "not-found" when the member is already gone (removed concurrently): the goal is reached either way. */
  remove(endpoints: readonly string[], memberId: string): Promise<"removed" | "not-found">;
  /** Must be asked of the current raft leader's endpoint. */
  moveLeader(endpoints: readonly string[], toMemberId: string): Promise<void>;
  /** Something accepts TCP connections on the URL's port: much cheaper than etcdctl while etcd starts. */
  accepting(url: string): Promise<boolean>;
  /** Runs `work` holding a lock in the cluster itself, so that units take turns (rolling restarts). */
  withLock<T>(endpoints: readonly string[], name: string, acquireTimeoutMs: number, work: () => Promise<T>): Promise<T>;
}

/** The real cluster, through etcdctl. */
export function etcdctlCluster(binary?: string): EtcdCluster {
  const client = (endpoints: readonly string[], timeouts: EtcdctlTimeouts) => new Etcdctl({ endpoints, timeouts, ...(binary ? { binary } : {}) });
  return {
    // One call with every endpoint: the client fails over by itself, and a learner alone (which refuses
    // member list until it is promoted) would spend the whole command timeout.
    members: (endpoints, purpose = "observe") => client(endpoints, ETCDCTL_TIMEOUTS[purpose]).memberList(),
    statuses: (endpoints, purpose = "observe") => client(endpoints, ETCDCTL_TIMEOUTS[purpose]).endpointStatus(),
    healths: (endpoints, purpose = "observe") => client(endpoints, ETCDCTL_TIMEOUTS[purpose]).endpointHealth(),
    addLearner: (endpoints, name, peerUrl) =>
      client(endpoints, ETCDCTL_TIMEOUTS.change)
        .addLearner(name, peerUrl)
        .then(
          () => "added" as const,
          (error: unknown) => {
            if (error instanceof EtcdctlError && /Peer URLs already exists/.test(error.stderr)) return "exists" as const;
            throw error;
          },
        ),
    promote: (endpoints, memberId) => client(endpoints, ETCDCTL_TIMEOUTS.change).promote(memberId),
    remove: (endpoints, memberId) =>
      client(endpoints, ETCDCTL_TIMEOUTS.change)
        .remove(memberId)
        .then(
          () => "removed" as const,
          (error: unknown) => {
            if (error instanceof EtcdctlError && /member not found/.test(error.stderr)) return "not-found" as const;
            throw error;
          },
        ),
    moveLeader: (endpoints, toMemberId) => client(endpoints, ETCDCTL_TIMEOUTS.change).moveLeader(toMemberId),
    accepting: (url) => accepting(url),
    withLock: (endpoints, name, acquireTimeoutMs, work) => withEtcdLock(endpoints, name, acquireTimeoutMs, work),
  };
}
