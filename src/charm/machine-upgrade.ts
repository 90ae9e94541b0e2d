import type { Member } from "../domain/member.js";
import { type Decision, decision } from "./actions.js";
import { votingMajority } from "./membership.js";
import type { Observed } from "./observed.js";
import { raftSuccessor } from "./topology.js";

/**
 * `juju upgrade-machine <m> prepare <base>` (interfaces §8.1): the OS upgrade that follows replaces etcd's
 * package (24.04 → 26.04 moves etcd 3.4 → 3.5) and reboots the machine, so this member stops first, in order:
 * raft leadership handed to another voter, a verified snapshot of its data taken, etcd stopped and disabled (the
 * package upgrade and the reboot start nothing). `complete` runs post-series-upgrade, which converges as every
 * hook does: etcd starts again, the new version on the same data dir and flags, and the hook waits until it is
 * healthy (etcd's own rolling upgrade, interfaces §8.3). A member whose stop would cost the cluster its majority
 * (another machine is mid-upgrade) refuses, failing the hook, so the operator completes that one first.
 * Pure: the observation in, the decision out.
 */
export function decideMachineUpgrade(o: Observed, self: Member | undefined, localUrl: string, target: string): Decision {
  const stopped = `etcd is stopped for this machine's upgrade to ${target}: upgrade the OS, then run juju upgrade-machine <machine> complete`;
  if (!o.serviceActive) return decision(undefined, "blocked", stopped);
  const cluster = o.cluster;
  // The majority as it would be once this member stops: the same count as every other majority check.
  const after = cluster ? votingMajority({ ...cluster, answering: cluster.answering.filter((url) => url !== localUrl) }) : undefined;
  const otherVoters = (after?.voters ?? 0) - (self && !self.isLearner ? 1 : 0);
  if (after && otherVoters > 0 && !after.held) {
    const reason =
      `cannot stop etcd for this machine's upgrade to ${target}: ${after.answering} of the other ${otherVoters} voting members answer, ` +
      `and the cluster needs ${after.needed} of ${after.voters} to keep its majority; complete the upgrade of the machine whose member is down first`;
    return decision({ kind: "refuse", reason }, "blocked", reason);
  }
  const leading = self !== undefined && cluster?.raftLeaderId === self.id;
  const successor = leading && cluster ? raftSuccessor(cluster, self) : undefined;
  return decision(
    {
      kind: "pause-for-machine-upgrade",
      target,
      snapshotUrl: localUrl,
      memberName: o.memberName,
      handOver: successor ? { toMemberId: successor.id, endpoints: [localUrl] } : undefined,
    },
    "maintenance",
    `stopping etcd for this machine's upgrade to ${target}`,
  );
}
