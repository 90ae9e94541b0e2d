import { clientUrlOf, type Member } from "../domain/member.js";
import { votingMajority } from "./membership.js";
import type { ClusterView } from "./observed.js";

/**
 * Whether the rebuild-cluster action may make this unit's member the only member of the cluster, pure. etcd's
 * `--force-new-cluster` keeps the member's data and drops every other member from the member list: after it
 * the cluster serves again, from one member, and the other units join it afresh as learners. It is the way
 * back when most members are gone for good (their machines lost); run on a cluster whose majority answers it
 * would throw away healthy members, so it is refused then. Among the survivors, the one whose log reaches
 * furthest is the one to rebuild from: a write acknowledged by the old majority may be on it alone.
 */
export type RebuildVerdict =
  | { readonly kind: "refuse"; readonly reason: string }
  | { readonly kind: "rebuild"; readonly self: Member; readonly dropped: readonly Member[]; readonly raftIndex: number };

/** `raftIndexes`: client URL → raft index, of each member that answered a status request. */
export function rebuildVerdict(view: ClusterView | undefined, localUrls: readonly string[], raftIndexes: Readonly<Record<string, number>>): RebuildVerdict {
  const self = view?.members.find((m) => m.clientUrls.some((url) => localUrls.includes(url)));
  if (!view || !self || !view.answering.includes(clientUrlOf(self))) {
    return { kind: "refuse", reason: "etcd on this unit does not answer: the cluster is rebuilt from this unit's running member, so start it first" };
  }
  if (self.isLearner) {
    return { kind: "refuse", reason: `${self.name} is a learner, whose data may lag behind: run rebuild-cluster on a unit whose member votes` };
  }
  const majority = votingMajority(view);
  if (majority.held) {
    return {
      kind: "refuse",
      reason:
        `a majority of the voting members answers (${majority.answering} of ${majority.voters}): the cluster is not lost. ` +
        "Remove units that are gone with juju remove-unit instead",
    };
  }
  const own = raftIndexes[clientUrlOf(self)] ?? 0;
  const further = view.members
    .filter((m) => m.id !== self.id && !m.isLearner && (raftIndexes[clientUrlOf(m)] ?? -1) > own)
    .sort((a, b) => (raftIndexes[clientUrlOf(b)] ?? 0) - (raftIndexes[clientUrlOf(a)] ?? 0))[0];
  if (further) {
    return {
      kind: "refuse",
      reason: `${further.name} also survives and its log reaches further (raft index ${raftIndexes[clientUrlOf(further)]}, here ${own}): run rebuild-cluster on its unit`,
    };
  }
  return { kind: "rebuild", self, dropped: view.members.filter((m) => m.id !== self.id), raftIndex: own };
}
