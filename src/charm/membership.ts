import { endpointOf, hasEndpoint, memberUrl } from "../domain/address.js";
import { clientUrlOf, type Member, memberNameOf, namedVoters } from "../domain/member.js";
import { type Decision, decision } from "./actions.js";
import type { ClusterView, Observed, Peer } from "./observed.js";
import { answering, answeringOthers, answeringVoters, findMember, leaderEndpoints, localClientUrl, raftSuccessor } from "./topology.js";

/** How long a learner no unit claims stays before the leader removes it (a live joiner names it in seconds). */
export const STRANDED_LEARNER_MS = 300_000;

/** Leaving: hand raft leadership over, leave the member list, then stop (contract: never strand a member). */
export function decideDeparture(o: Observed): Decision {
  const peerPort = o.config.ok ? o.config.settings.peerPort : o.rendered.peerPort;
  const clientPort = o.config.ok ? o.config.settings.clientPort : undefined;
  const localUrl = localClientUrl(o, clientPort);
  const self = peerPort === undefined ? undefined : findMember(o.cluster?.members, o.memberName, memberUrl(o.address, peerPort, "http"));
  const others = (o.cluster?.members ?? []).filter((m) => m !== self);
  // Without a majority etcd can change nothing: waiting for one (a member remove retries for 2 minutes) would
  // fail the hook of a unit whose peers are gone for good. It leaves as it is; whichever leader has a quorum
  // again removes its member as a departed unit's.
  const majority = o.cluster ? votingMajority(o.cluster) : undefined;
  if (self && o.cluster && others.length > 0 && majority && !majority.held) {
    return decision(
      o.serviceActive ? { kind: "stop" } : undefined,
      "maintenance",
      `leaving without removing member ${self.name || o.memberName}: the cluster has lost its majority (${majority.answering} of ${majority.voters} voting members answer)`,
    );
  }
  if (self && o.cluster && others.length > 0) {
    // Raft leadership is handed over under the cluster's lock, as part of the removal (removalStep): handed over
    // before it, two units leaving at once passed it to each other.
    return decision(
      {
        kind: "remove-member",
        memberId: self.id,
        memberName: self.name || o.memberName,
        endpoints: answeringOthers(o.cluster, localUrl),
        selfUrl: localUrl,
        self: true,
      },
      "maintenance",
      "leaving the cluster",
    );
  }
  if (o.serviceActive) return decision({ kind: "stop" }, "maintenance", "stopping etcd");
  return decision(undefined, "maintenance", "left the cluster");
}

/**
 * What removing a member comes to once this unit holds the cluster's lock, from the cluster as it answers then.
 * Units leave at once (remove-application, remove-unit of several): decided apart, two of the last members
 * each handed raft leadership to the other and removed themselves together, and the survivor was left with a
 * two-member cluster whose other half had gone (every call "context deadline exceeded", the hook waiting out
 * its 2 minutes). Under the lock, and asked again, removals happen one after another:
 * - the member is already gone (another unit removed it): nothing to do;
 * - no member answers, or a majority of voters does not: etcd can change nothing;
 * - it is the only voter left: the last member is never removed, it stays as it is;
 * - it leads raft: leadership goes to another voter first (a removed leader can leave the others without a
 *   commit they need), then it is removed.
 */
export type RemovalStep =
  | { readonly kind: "gone" }
  | { readonly kind: "no-majority"; readonly answering: number; readonly voters: number }
  | { readonly kind: "last-voter" }
  | { readonly kind: "hand-over"; readonly toMemberId: string; readonly endpoints: readonly string[] }
  | { readonly kind: "remove" };

export function removalStep(cluster: ClusterView | undefined, memberId: string, selfUrl: string): RemovalStep {
  if (!cluster) return { kind: "no-majority", answering: 0, voters: 0 };
  const member = cluster.members.find((m) => m.id === memberId);
  if (!member) return { kind: "gone" };
  const majority = votingMajority(cluster);
  if (!majority.held) return { kind: "no-majority", answering: majority.answering, voters: majority.voters };
  if (!member.isLearner && !cluster.members.some((m) => m.id !== memberId && !m.isLearner)) return { kind: "last-voter" };
  if (cluster.raftLeaderId === memberId) {
    const successor = raftSuccessor(cluster, member);
    if (successor) return { kind: "hand-over", toMemberId: successor.id, endpoints: leaderEndpoints(cluster, selfUrl) };
  }
  return { kind: "remove" };
}

/**
 * This unit holds a member's data (a WAL and snapshots) while the cluster, answering with a majority, has no
 * member of this unit, by name or by peer URL: its member was removed (by the leader, as a departed unit's or a
 * stale one; by a restore or a rebuild, which start a new cluster) or the data came from another cluster on
 * storage the unit was given. etcd cannot start on it; the data is moved aside and the unit joins afresh.
 * A cluster that cannot answer with a majority proves nothing, and a member that answers (this unit's own,
 * partitioned) lists itself.
 */
export function memberDataOfNoMember(o: Observed, selfMember: Member | undefined): boolean {
  return o.hasMemberData && selfMember === undefined && o.cluster !== undefined && o.leaderData.token !== undefined && votingMajority(o.cluster).held;
}

/** Whether a majority of the voting members answers: etcd changes nothing without one. */
export function votingMajority(cluster: ClusterView): { held: boolean; answering: number; voters: number; needed: number } {
  const voters = cluster.members.filter((m) => !m.isLearner);
  const heard = voters.filter((m) => cluster.answering.includes(clientUrlOf(m))).length;
  const needed = Math.floor(voters.length / 2) + 1;
  return { held: heard >= needed, answering: heard, voters: voters.length, needed };
}

/**
 * The leader's next membership change: drop members whose units are gone (departed, a learner no unit
 * claims for long, a stale member on a live unit's peer URL), and promote a started learner that did not
 * promote itself. Joining is each unit's own doing.
 */
export function nextMembershipChange(o: Observed, peerPort: number, localUrl: string): Decision | undefined {
  const cluster = o.cluster;
  if (!cluster) return undefined;
  const self: Peer = {
    unit: o.unit,
    memberName: o.memberName,
    address: o.address,
    peerUrl: undefined,
    clientUrl: undefined,
    started: o.serviceActive,
    trustedCas: [],
    certIssuer: undefined,
    clientIssuers: undefined,
  };
  const units = [self, ...o.peers];
  // Compared as host:port: a member keeps its listener when its scheme moves between http and https.
  const peerUrlOf = (peer: Pick<Peer, "address">) => (peer.address ? memberUrl(peer.address, peerPort, "http") : undefined);
  const knownUrls = new Set(units.flatMap((u) => peerUrlOf(u) ?? []).map(endpointOf));
  const unitNames = new Set(units.map((u) => u.memberName));
  const departedNames = new Set(o.departedUnits.map(memberNameOf));

  const unclaimed = cluster.members.filter((m) => m.isLearner && m.name === "" && !m.peerUrls.some((url) => knownUrls.has(endpointOf(url))));
  for (const member of cluster.members) {
    const departed = departedNames.has(member.name);
    // A joiner adds its learner before this leader sees it join the relation: only a learner unclaimed for
    // long is stranded (its unit went away before starting it).
    const since = o.unclaimedLearners[member.id];
    const stranded = unclaimed.includes(member) && since !== undefined && o.now - since >= STRANDED_LEARNER_MS;
    // A member on a live unit's peer URL under a name no unit has: that machine's address was reused.
    const stale = member.name !== "" && !unitNames.has(member.name) && member.peerUrls.some((url) => knownUrls.has(endpointOf(url)));
    if (!departed && !stranded && !stale) continue;
    const name = member.name || `unstarted member ${member.peerUrls[0] ?? member.id}`;
    if (cluster.raftLeaderId === member.id) {
      const successor = raftSuccessor(cluster, member);
      if (successor) {
        const move = { kind: "move-leader", toMemberId: successor.id, endpoints: leaderEndpoints(cluster, localUrl), reason: `${name} is leaving` } as const;
        return decision(move, "maintenance", `moving raft leadership away from ${name}`);
      }
    }
    const why = departed ? "whose unit is gone" : stranded ? "that no unit started" : "that holds a unit's peer URL under another name";
    return decision(
      { kind: "remove-member", memberId: member.id, memberName: name, endpoints: answering(cluster, localUrl), selfUrl: localUrl, self: false },
      "maintenance",
      `removing ${name}, ${why}`,
    );
  }
  const noted = Object.keys(o.unclaimedLearners).sort().join(",");
  const current = unclaimed.map((m) => m.id).sort();
  if (current.join(",") !== noted) {
    const since = Object.fromEntries(current.map((id) => [id, o.unclaimedLearners[id] ?? o.now]));
    return decision({ kind: "note-unclaimed-learners", since }, "maintenance", "noting learners no unit claims yet");
  }

  for (const learner of cluster.members.filter((m) => m.isLearner && m.name !== "")) {
    const unit = units.find((u) => {
      const url = peerUrlOf(u);
      return url !== undefined && hasEndpoint(learner.peerUrls, url);
    });
    if (unit?.started) {
      return decision(
        { kind: "promote", memberId: learner.id, memberName: learner.name, endpoints: answeringVoters(cluster, localUrl) },
        "maintenance",
        `promoting ${learner.name} to a voting member`,
      );
    }
  }
  return undefined;
}

/** Recording the voters in leader data wakes every other unit (leader-settings-changed) to report them. */
export function recordedMembers(o: Observed): Decision | undefined {
  if (!o.cluster) return undefined;
  const voters = namedVoters(o.cluster.members);
  const members = voters.map((m) => m.name).join(",");
  const clientUrls = voters.flatMap((m) => m.clientUrls.slice(0, 1));
  const dropGrants = Object.keys(o.leaderData.grants).filter((name) => voters.some((m) => m.name === name));
  if (members === o.leaderData.members && clientUrls.join(",") === o.leaderData.clientUrls.join(",") && dropGrants.length === 0) return undefined;
  return decision({ kind: "record-members", members, clientUrls, dropGrants }, "maintenance", "recording the cluster's members");
}
