import { goDurationMs } from "../domain/go-duration.js";
import { clientUrlOf, hexId, type Member } from "../domain/member.js";
import type { EndpointHealth, EndpointStatus } from "../etcd/etcdctl.js";

export interface MemberHealth {
  readonly name: string;
  readonly id: string;
  readonly clientUrl: string;
  readonly healthy: boolean;
  readonly learner: boolean;
  readonly raftLeader: boolean;
  readonly raftTerm: number | undefined;
  readonly raftIndex: number | undefined;
  readonly dbSizeBytes: number | undefined;
  readonly roundTripMs: number | undefined;
  readonly error: string | undefined;
}

export type Verdict = "healthy" | "degraded" | "unhealthy";

export interface ClusterHealth {
  readonly verdict: Verdict;
  /** One line a person can act on. */
  readonly summary: string;
  readonly leader: string | undefined;
  readonly members: readonly MemberHealth[];
}

/**
 * Judges a cluster from what its members report: healthy when every member answers and one leader is
 * agreed; degraded when some member is down but the voters keep a quorum; unhealthy without quorum or leader.
 */
export function assessCluster(members: readonly Member[], statuses: readonly EndpointStatus[], healths: readonly EndpointHealth[]): ClusterHealth {
  const byUrl = <T>(items: readonly T[], url: (item: T) => string) => new Map(items.map((item) => [url(item), item]));
  const statusByUrl = byUrl(statuses, (s) => s.Endpoint);
  const healthByUrl = byUrl(healths, (h) => h.endpoint);
  const leaderIds = new Set(statuses.map((s) => s.Status.leader).filter((id) => id !== "0"));
  const leaderId = leaderIds.size === 1 ? [...leaderIds][0] : undefined;

  const report = members.map((member): MemberHealth => {
    const clientUrl = clientUrlOf(member);
    const status = statusByUrl.get(clientUrl);
    const health = healthByUrl.get(clientUrl);
    const started = member.name !== "" && clientUrl !== "";
    const healthy = started && status !== undefined && health?.health === true && status.Status.errors.length === 0;
    return {
      name: member.name || `unstarted-${hexId(member.id)}`,
      id: hexId(member.id),
      clientUrl,
      healthy,
      learner: member.isLearner,
      raftLeader: member.id === leaderId,
      raftTerm: status?.Status.raftTerm,
      raftIndex: status?.Status.raftIndex,
      dbSizeBytes: status?.Status.dbSize,
      roundTripMs: health?.took ? goDurationMs(health.took) : undefined,
      error: healthy ? undefined : !started ? "member was added but has not started" : (health?.error ?? status?.Status.errors.join("; ") ?? "did not answer"),
    };
  });

  const voters = report.filter((m) => !m.learner);
  const healthyVoters = voters.filter((m) => m.healthy).length;
  const quorum = Math.floor(voters.length / 2) + 1;
  const leader = report.find((m) => m.raftLeader)?.name;
  const down = report.filter((m) => !m.healthy);
  const count = `${report.length} member${report.length === 1 ? "" : "s"}`;

  if (voters.length === 0 || healthyVoters < quorum || leader === undefined) {
    const why =
      leaderIds.size > 1
        ? "members disagree about the raft leader"
        : healthyVoters < quorum
          ? `only ${healthyVoters} of ${voters.length} voting members answer (quorum is ${quorum})`
          : "no raft leader";
    return { verdict: "unhealthy", summary: `unhealthy: ${count}, ${why}`, leader, members: report };
  }
  if (down.length > 0) {
    const names = down.map((m) => `${m.name} (${m.error})`).join(", ");
    return { verdict: "degraded", summary: `degraded: ${count}, not healthy: ${names}; raft leader ${leader}`, leader, members: report };
  }
  return { verdict: "healthy", summary: `healthy: ${count}, raft leader ${leader}`, leader, members: report };
}
