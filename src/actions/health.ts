import { assessCluster, type ClusterHealth } from "../charm/health.js";
import type { CharmRuntime } from "../charm/runtime.js";
import type { Member } from "../domain/member.js";
import { EtcdctlError, firstErrorLine } from "../etcd/etcdctl.js";
import { localClientUrls } from "./action-input.js";
import type { ActionResults } from "../juju/client.js";

/**
 * The health action: asks the local member for the member list, then every member for its status and
 * health, and reports each with an overall verdict. Fails the action, with the reason, unless all is healthy.
 */
export async function healthAction({ event, tools, machine, etcd }: CharmRuntime): Promise<void> {
  const localUrls = await localClientUrls({ event, tools, machine });
  if (!localUrls) return;
  let members: Member[];
  try {
    members = await etcd.members(localUrls, "report");
  } catch (error) {
    if (!(error instanceof EtcdctlError)) throw error;
    const reason = error.notInstalled ? "etcdctl is not installed on this unit" : `no answer from ${localUrls.join(", ")} (${firstErrorLine(error.stderr)})`;
    await tools.actionFail(`etcd is not running on ${event.unit}: ${reason}`);
    return;
  }
  const urls = members.flatMap((m) => m.clientUrls.slice(0, 1));
  const everyone = urls.length > 0 ? urls : localUrls;
  const [statuses, healths] = await Promise.all([etcd.statuses(everyone, "report").catch(() => []), etcd.healths(everyone, "report").catch(() => [])]);
  const report = assessCluster(members, statuses, healths);
  await tools.actionSet(healthResults(report));
  if (report.verdict !== "healthy") await tools.actionFail(report.summary);
}

/** Action results keyed as action-set requires (lowercase, digits, hyphens), shown by `juju run` as YAML. */
export function healthResults(report: ClusterHealth): ActionResults {
  const members: Record<string, ActionResults> = {};
  for (const member of report.members) {
    const entry: Record<string, string | number | boolean> = {
      "client-url": member.clientUrl || "none",
      healthy: member.healthy,
      learner: member.learner,
      "raft-leader": member.raftLeader,
    };
    if (member.raftTerm !== undefined) entry["raft-term"] = member.raftTerm;
    if (member.raftIndex !== undefined) entry["raft-index"] = member.raftIndex;
    if (member.dbSizeBytes !== undefined) entry["db-size-bytes"] = member.dbSizeBytes;
    if (member.roundTripMs !== undefined) entry["round-trip-ms"] = member.roundTripMs;
    if (member.error !== undefined) entry.error = member.error;
    members[resultKey(member.name)] = entry;
  }
  return { verdict: report.verdict, summary: report.summary, "raft-leader": report.leader ?? "none", members };
}

/** A member name as an action-set key segment: `^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$` (contract §3.13). */
export function resultKey(name: string): string {
  const key = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return key || "unnamed";
}
