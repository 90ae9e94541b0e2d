import { versionMoveStatus } from "./etcd-version.js";
import { votingMajority } from "./membership.js";
import { offsiteNotes, snapshotNotes } from "./schedule.js";
import { tlsNotes } from "./tls.js";
import { clientUrlOf, hexId, type Member, namedVoters } from "../domain/member.js";
import type { StatusKind } from "./actions.js";
import type { Observed } from "./observed.js";

/** What the unit tells consumers and the operator, from the observed cluster: pure. */

/** Consumer relation ids look like `db:12`; client identities are kept per relation number. */
export function relationNumber(relationId: string): string {
  return relationId.slice(relationId.lastIndexOf(":") + 1);
}

/**
 * db gets every member's client URL and the version; proxy gets `name=peerURL,…` (keys of the existing charms);
 * both get the CA that signed the members' certificates and, once the leader made it, the relation's client
 * certificate and key (`client_cert`, `client_key`: the shell copies them from the relation's secret).
 */
export function consumerBags(o: Observed): { bags: Record<string, Record<string, string>>; credentials: Record<string, string> } | undefined {
  const voters = namedVoters(o.cluster?.members ?? []);
  const clientCa = o.leaderData.caBundle ?? "";
  const values = {
    db: {
      connection_string: voters.map(clientUrlOf).filter(Boolean).join(","),
      version: o.cluster?.version ?? o.etcdVersion ?? "",
      client_ca: clientCa,
    },
    proxy: { cluster: voters.map((m) => `${m.name}=${m.peerUrls[0] ?? ""}`).join(","), client_ca: clientCa },
  };
  const bags: Record<string, Record<string, string>> = {};
  const credentials: Record<string, string> = {};
  for (const [id, { endpoint, bag }] of Object.entries(o.consumers)) {
    const want = values[endpoint];
    const secret = o.leaderData.clientSecrets[relationNumber(id)];
    const credentialsStale = secret !== undefined && o.publishedCredentials[id] !== secret;
    if (credentialsStale || Object.entries(want).some(([key, value]) => (bag[key] ?? "") !== value)) bags[id] = want;
    if (credentialsStale) credentials[id] = secret;
  }
  return Object.keys(bags).length > 0 ? { bags, credentials } : undefined;
}

function unitOfMember(o: Observed, name: string): string {
  if (name === o.memberName) return o.unit;
  return o.peers.find((peer) => peer.memberName === name)?.unit ?? name;
}

/** The converged unit's status line: members, health, the raft leader's unit, restarts systemd made. */
export function reportedStatus(o: Observed, self: Member | undefined, hasIdentity: boolean): [StatusKind, string] {
  if (!hasIdentity || !self) {
    if (o.cluster === undefined && !o.peers.some((p) => p.started) && !o.isLeader) return ["waiting", "waiting for the leader to bootstrap the cluster"];
    // `self` is whichever member has this unit's name or peer URL.
    if (self?.name === o.memberName && !o.hasMemberData) {
      // Never re-created silently: this member's data is gone from this unit, and an operator must decide.
      return [
        "blocked",
        `member ${o.memberName} is in the cluster but its data is not on this unit: remove the member (etcdctl member remove ${hexId(self.id)}) to let the unit join afresh`,
      ];
    }
    if (self && self.name !== "") return ["waiting", `member ${self.name} holds this unit's peer URL; waiting for the leader to remove it`];
    return ["waiting", "waiting to join the cluster"];
  }
  if (!o.serviceActive) return ["blocked", `etcd member ${o.memberName} is not running`];
  if (self.isLearner || self.name === "") return ["waiting", "joining as learner"];
  const cluster = o.cluster;
  if (!cluster) return ["waiting", "waiting for the cluster to answer"];
  const count = `${cluster.members.length} member${cluster.members.length === 1 ? "" : "s"}`;
  const silent = cluster.members.filter((m) => !cluster.answering.includes(clientUrlOf(m)));
  const leader = cluster.members.find((m) => m.id === cluster.raftLeaderId);
  const leaderText = leader ? `raft leader ${unitOfMember(o, leader.name)}` : "no raft leader";
  // A crash or kill that systemd recovered from is still worth an operator's attention.
  const restarted = o.serviceRestarts > 0 ? `; etcd here was restarted by systemd ${o.serviceRestarts} time${o.serviceRestarts === 1 ? "" : "s"}` : "";
  const majority = votingMajority(cluster);
  if (!majority.held) {
    return [
      "blocked",
      `the cluster has lost its majority: ${majority.answering} of ${majority.voters} voting members answer, and etcd serves nothing until a majority is back; ` +
        `if the others are gone for good, run rebuild-cluster force=true on ${o.unit}`,
    ];
  }
  // An alarm refuses writes until an operator acts: it outranks everything else the line could say.
  if (cluster.alarms.includes("NOSPACE")) {
    return [
      "blocked",
      "etcd raised a NOSPACE alarm: the database reached quota-backend-bytes and writes are refused; free space (delete keys, or the compact action), then run defrag, then alarm-disarm",
    ];
  }
  if (cluster.alarms.length > 0)
    return ["blocked", `etcd raised a ${cluster.alarms.join(" and ")} alarm: see etcd's log on the member that raised it (alarm-list names it)`];
  const move = versionMoveStatus(cluster);
  const tls = [...(move ? [move] : []), ...quotaNotes(o, self), ...tlsNotes(o), ...snapshotNotes(o), ...offsiteNotes(o)].map((note) => `; ${note}`).join("");
  if (silent.length > 0) {
    const names = silent.map((m) => (m.name ? unitOfMember(o, m.name) : "an unstarted learner")).join(", ");
    return ["active", `${count}, degraded: ${names} not answering, ${leaderText}${restarted}${tls}`];
  }
  return ["active", `${count}, healthy, ${leaderText}${restarted}${tls}`];
}

/** The share of quota-backend-bytes above which the status line says how full this member's database is. */
export const QUOTA_WARNING_SHARE = 0.8;

/** This member's database size against the quota, once it is above QUOTA_WARNING_SHARE of it. */
function quotaNotes(o: Observed, self: Member): string[] {
  const quota = o.config.ok ? o.config.settings.quotaBackendBytes : undefined;
  const size = o.cluster?.dbSizes[clientUrlOf(self)];
  if (quota === undefined || size === undefined || size < quota * QUOTA_WARNING_SHARE) return [];
  const mib = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`;
  return [`database ${Math.round((size / quota) * 100)}% of quota-backend-bytes (${mib(size)} of ${mib(quota)}): run compact, then defrag`];
}
