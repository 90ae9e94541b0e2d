import { hasEndpoint, schemeOf } from "../../../src/domain/address.js";
import type { Member } from "../../../src/domain/member.js";
import type { EtcdCluster } from "../../../src/etcd/cluster.js";
import { type Alarm, type EndpointHealth, type EndpointStatus, EtcdctlError } from "../../../src/etcd/etcdctl.js";

type Operation = "add-learner" | "promote" | "remove" | "move-leader" | "update-peer-url";

interface MutableMember {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

/**
 * An etcd cluster in memory with etcd's rules for what the charm asks: only running members answer, a
 * learner serves no membership change, member ids are uint64 decimal strings, a removed leader hands
 * leadership to another running voter. Every change is recorded; `failNext` queues etcd's refusals.
 *
 * Schemes, as far as this fake models them: a member serves the scheme it was started with, and one whose
 * peers dial it under another scheme (its registered peer URL says http while it serves https, or the
 * reverse) is cut off from raft and does not answer, unless it is the only member. Certificates and trust
 * are not modelled here: the charm's decisions about them are tested on their own and on real etcd.
 */
export class FakeCluster implements EtcdCluster {
  readonly list: MutableMember[] = [];
  leaderId: string | undefined;
  /** Client URLs of members whose etcd runs. */
  readonly running = new Set<string>();
  /** Changes in order, e.g. "add-learner etcd3", "promote 1003", "lock etcd-charm/restart". */
  readonly operations: string[] = [];
  private readonly failures = new Map<Operation, string[]>();
  private nextId = 1000;

  /** The next `times` calls of `operation` fail with etcdctl's stderr `reason` (e.g. "etcdserver: unhealthy cluster"). */
  failNext(operation: Operation, reason: string, times = 1): void {
    this.failures.set(operation, [...(this.failures.get(operation) ?? []), ...Array<string>(times).fill(reason)]);
  }

  clearFailures(): void {
    this.failures.clear();
  }

  private refuse(operation: Operation): void {
    const reason = this.failures.get(operation)?.shift();
    if (reason !== undefined) throw new EtcdctlError([operation], 1, `Error: ${reason}`);
  }

  /** A running member answers at its client URL while its peers can reach it (see the class comment). */
  answers(url: string): boolean {
    const member = this.byUrl(url);
    if (!this.running.has(url) || !member) return false;
    return this.list.length === 1 || schemeOf(member.peerUrls[0]) === schemeOf(url);
  }

  private answer(endpoints: readonly string[], votersOnly = false): void {
    const ok = endpoints.some((url) => this.answers(url) && !(votersOnly && this.byUrl(url)?.isLearner));
    if (!ok) throw new EtcdctlError(["endpoints", ...endpoints], 1, "Error: context deadline exceeded");
  }

  private byUrl(url: string): MutableMember | undefined {
    return this.list.find((m) => m.clientUrls.includes(url));
  }

  snapshot(): Member[] {
    return this.list.map((m) => ({ ...m, peerUrls: [...m.peerUrls], clientUrls: [...m.clientUrls] }));
  }

  // --- what the charm's shell calls ---------------------------------------------------------------------

  async members(endpoints: readonly string[]): Promise<Member[]> {
    this.answer(endpoints);
    return this.snapshot();
  }

  async answering(endpoints: readonly string[]): Promise<string[]> {
    return (await this.statuses(endpoints)).map((status) => status.Endpoint);
  }

  async statuses(endpoints: readonly string[]): Promise<EndpointStatus[]> {
    return endpoints
      .filter((url) => this.answers(url))
      .map((url) => ({
        Endpoint: url,
        Status: {
          header: { cluster_id: "1", member_id: this.byUrl(url)?.id ?? "0" },
          version: "3.4.23",
          dbSize: 20480,
          leader: this.leaderId ?? "0",
          raftIndex: 10,
          raftTerm: 2,
          isLearner: this.byUrl(url)?.isLearner ?? false,
          errors: [],
        },
      }));
  }

  async healths(endpoints: readonly string[]): Promise<EndpointHealth[]> {
    return endpoints.map((url) => {
      const up = this.answers(url) && this.leaderId !== undefined && !this.byUrl(url)?.isLearner;
      return up ? { endpoint: url, health: true, took: "1.2ms" } : { endpoint: url, health: false, took: "", error: "context deadline exceeded" };
    });
  }

  async addLearner(endpoints: readonly string[], name: string, peerUrl: string): Promise<"added" | "exists"> {
    this.answer(endpoints, true);
    this.refuse("add-learner");
    if (this.list.some((m) => m.peerUrls.includes(peerUrl))) return "exists";
    this.list.push({ id: String(this.nextId++), name: "", peerUrls: [peerUrl], clientUrls: [], isLearner: true });
    this.operations.push(`add-learner ${name}`);
    return "added";
  }

  async promote(endpoints: readonly string[], memberId: string): Promise<"promoted" | "already-voting"> {
    this.answer(endpoints, true);
    this.refuse("promote");
    const member = this.list.find((m) => m.id === memberId);
    if (!member) throw new EtcdctlError(["promote"], 1, "Error: etcdserver: member not found");
    if (!member.isLearner) return "already-voting";
    member.isLearner = false;
    this.operations.push(`promote ${memberId}`);
    return "promoted";
  }

  async remove(endpoints: readonly string[], memberId: string): Promise<"removed" | "not-found"> {
    this.answer(endpoints, true);
    this.refuse("remove");
    const at = this.list.findIndex((m) => m.id === memberId);
    if (at < 0) return "not-found";
    const [gone] = this.list.splice(at, 1);
    for (const url of gone?.clientUrls ?? []) this.running.delete(url);
    if (this.leaderId === memberId) this.elect();
    this.operations.push(`remove ${memberId}`);
    return "removed";
  }

  async moveLeader(endpoints: readonly string[], toMemberId: string): Promise<void> {
    this.answer(endpoints, true);
    this.refuse("move-leader");
    const leader = this.list.find((m) => m.id === this.leaderId);
    if (!leader || !endpoints.some((url) => leader.clientUrls.includes(url))) throw new EtcdctlError(["move-leader"], 1, "Error: etcdserver: not leader");
    this.leaderId = toMemberId;
    this.operations.push(`move-leader ${toMemberId}`);
  }

  async updatePeerUrl(endpoints: readonly string[], memberId: string, peerUrl: string): Promise<void> {
    this.answer(endpoints, true);
    this.refuse("update-peer-url");
    const member = this.list.find((m) => m.id === memberId);
    if (!member) throw new EtcdctlError(["member", "update"], 1, "Error: etcdserver: member not found");
    member.peerUrls = [peerUrl];
    this.operations.push(`update-peer-url ${memberId} ${peerUrl}`);
    // A leader its peers can no longer reach loses its leadership.
    if (this.leaderId === memberId && !member.clientUrls.some((url) => this.answers(url))) this.elect();
  }

  async accepting(url: string): Promise<boolean> {
    return this.running.has(url);
  }

  /** Alarms raised (a test sets them, as a full backend would). */
  readonly raisedAlarms: Alarm[] = [];

  async defrag(url: string): Promise<void> {
    this.answer([url]);
    this.operations.push(`defrag ${url}`);
  }

  async snapshotSave(url: string, file: string): Promise<void> {
    this.answer([url]);
    this.operations.push(`snapshot ${url} ${file}`);
  }

  async compact(endpoints: readonly string[], revision: number, physical: boolean): Promise<void> {
    this.answer(endpoints);
    this.operations.push(`compact ${revision}${physical ? " physical" : ""}`);
  }

  async alarms(endpoints: readonly string[], disarm = false): Promise<Alarm[]> {
    this.answer(endpoints);
    const raised = [...this.raisedAlarms];
    if (disarm) {
      this.raisedAlarms.length = 0;
      this.operations.push("alarm disarm");
    }
    return raised;
  }

  /** What other units do while the next lock taker waits its turn (run once, before it holds the lock). */
  whileWaitingForLock: (() => void) | undefined;

  async withLock<T>(endpoints: readonly string[], name: string, _acquireTimeoutMs: number, work: () => Promise<T>): Promise<T> {
    this.answer(endpoints);
    const meanwhile = this.whileWaitingForLock;
    this.whileWaitingForLock = undefined;
    meanwhile?.();
    this.operations.push(`lock ${name}`);
    return work();
  }

  // --- what the fake machines call when their etcd starts or stops -----------------------------------------

  /** A member's etcd started: the first one bootstraps the cluster; a learner's name becomes known. */
  started(name: string, peerUrl: string, clientUrl: string): void {
    // Found by address and port: a member may start under a scheme its peers do not dial yet.
    let member = this.list.find((m) => hasEndpoint(m.peerUrls, peerUrl));
    if (!member && this.list.length === 0) {
      member = { id: String(this.nextId++), name, peerUrls: [peerUrl], clientUrls: [], isLearner: false };
      this.list.push(member);
    }
    if (!member) throw new Error(`etcd ${name} started with no member for ${peerUrl}: it would exit`);
    member.name = name;
    member.clientUrls = [clientUrl];
    this.running.add(clientUrl);
    if (this.leaderId === undefined && !member.isLearner && this.answers(clientUrl)) this.leaderId = member.id;
  }

  stopped(clientUrl: string): void {
    this.running.delete(clientUrl);
    if (this.byUrl(clientUrl)?.id === this.leaderId) this.elect();
  }

  /** Raft elects another running voter (in this fake: the first one). */
  elect(): void {
    this.leaderId = this.list.find((m) => !m.isLearner && m.clientUrls.some((url) => this.answers(url)))?.id;
  }
}
