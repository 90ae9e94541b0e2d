import { z } from "zod";
import type { CharmRuntime } from "../charm/runtime.js";
import { clientUrlOf, hexId, type Member } from "../domain/member.js";
import { type EndpointStatus, EtcdctlError, firstErrorLine } from "../etcd/etcdctl.js";
import type { ActionResults } from "../juju/client.js";
import { actionParams, localClientUrls } from "./action-input.js";
import { resultKey } from "./health.js";

/**
 * Maintenance actions an operator runs against the whole cluster from any unit: defrag (one member at a time,
 * the raft leader last), compact (history before a revision), alarm-list and alarm-disarm. Bad or unknown
 * parameters fail the action and change nothing; compacting history newer than the default margin needs
 * force=true, because it takes revisions watchers and readers of history may still want.
 */

/** Revisions compact keeps by default: history a watcher that fell behind can still resume from. */
export const COMPACTION_MARGIN = 1000;

/** The member list and every member's status, asked through this unit's member; undefined after failing the action. */
async function cluster(runtime: CharmRuntime): Promise<{ members: Member[]; statuses: EndpointStatus[]; local: readonly string[] } | undefined> {
  const { event, tools, etcd } = runtime;
  const local = await localClientUrls(runtime);
  if (!local) return undefined;
  try {
    const members = await etcd.members(local, "report");
    const urls = members.filter((m) => m.name !== "").map(clientUrlOf);
    return { members, statuses: await etcd.statuses(urls, "report").catch(() => []), local };
  } catch (error) {
    if (!(error instanceof EtcdctlError)) throw error;
    await tools.actionFail(`no etcd member answered on ${event.unit} (${firstErrorLine(error.stderr)})`);
    return undefined;
  }
}

export async function defragAction(runtime: CharmRuntime): Promise<void> {
  if ((await actionParams(runtime, z.object({}).strict())) === undefined) return;
  const seen = await cluster(runtime);
  if (!seen) return;
  const leaderId = seen.statuses.find((s) => s.Status.leader !== "0")?.Status.leader;
  // The raft leader last: defragmenting blocks a member, and a blocked leader stalls every write.
  const order = seen.members.filter((m) => m.name !== "").sort((a, b) => Number(a.id === leaderId) - Number(b.id === leaderId));
  const members: Record<string, ActionResults> = {};
  for (const member of order) {
    const url = clientUrlOf(member);
    const before = seen.statuses.find((s) => s.Endpoint === url)?.Status.dbSize;
    try {
      await runtime.etcd.defrag(url);
    } catch (error) {
      const reason = error instanceof EtcdctlError ? firstErrorLine(error.stderr) : String(error);
      await runtime.tools.actionSet({ members });
      await runtime.tools.actionFail(`defragmenting ${member.name} failed (${reason}); members after it were left as they were`);
      return;
    }
    const after = (await runtime.etcd.statuses([url], "report").catch(() => []))[0]?.Status.dbSize;
    members[resultKey(member.name)] = {
      "size-before-bytes": before ?? "unknown",
      "size-after-bytes": after ?? "unknown",
      "raft-leader": member.id === leaderId,
    };
    await runtime.tools.actionLog(`defragmented ${member.name}: ${before ?? "?"} → ${after ?? "?"} bytes`);
  }
  await runtime.tools.actionSet({ members, order: order.map((m) => m.name).join(",") });
}

const CompactParams = z
  .object({
    revision: z.number().int().positive().optional(),
    physical: z.boolean().default(false),
    force: z.boolean().default(false),
  })
  .strict();

export async function compactAction(runtime: CharmRuntime): Promise<void> {
  const wanted = await actionParams(runtime, CompactParams);
  if (!wanted) return;
  const seen = await cluster(runtime);
  if (!seen) return;
  const current = Math.max(0, ...seen.statuses.map((s) => s.Status.header.revision ?? 0));
  const safe = current - COMPACTION_MARGIN;
  const revision = wanted.revision ?? safe;
  if (revision > current) {
    await runtime.tools.actionFail(`revision ${revision} is in the future: the cluster is at revision ${current}`);
    return;
  }
  if (revision < 1) {
    await runtime.tools.actionSet({
      "current-revision": current,
      message: `nothing to compact: the cluster is at revision ${current}, within the ${COMPACTION_MARGIN} revisions kept`,
    });
    return;
  }
  if (revision > safe && !wanted.force) {
    await runtime.tools.actionFail(
      `compacting to ${revision} drops history newer than the ${COMPACTION_MARGIN} revisions kept by default (the cluster is at ${current}); watchers and readers of older revisions lose it: run again with force=true to do it anyway`,
    );
    return;
  }
  try {
    await runtime.etcd.compact(seen.local, revision, wanted.physical);
  } catch (error) {
    if (!(error instanceof EtcdctlError)) throw error;
    await runtime.tools.actionFail(`compaction to ${revision} failed: ${firstErrorLine(error.stderr)}`);
    return;
  }
  await runtime.tools.actionSet({
    revision,
    "current-revision": current,
    physical: wanted.physical,
    next: "run defrag to return the freed space to the file system",
  });
}

/** The alarms as results: "none", or one entry per alarm naming the member. */
function alarmResults(alarms: readonly { memberId: string; alarm: string }[], members: readonly Member[]): ActionResults {
  if (alarms.length === 0) return { alarms: "none" };
  const named = alarms.map(({ memberId, alarm }) => `${alarm} on ${members.find((m) => m.id === memberId)?.name || hexId(memberId)}`);
  return { alarms: named.join(", ") };
}

export async function alarmListAction(runtime: CharmRuntime): Promise<void> {
  if ((await actionParams(runtime, z.object({}).strict())) === undefined) return;
  const seen = await cluster(runtime);
  if (!seen) return;
  const alarms = await runtime.etcd.alarms(seen.local);
  await runtime.tools.actionSet(alarmResults(alarms, seen.members));
}

export async function alarmDisarmAction(runtime: CharmRuntime): Promise<void> {
  if ((await actionParams(runtime, z.object({}).strict())) === undefined) return;
  const seen = await cluster(runtime);
  if (!seen) return;
  const disarmed = await runtime.etcd.alarms(seen.local, true);
  await runtime.tools.actionSet({ ...alarmResults(disarmed, seen.members), disarmed: disarmed.length });
  if (disarmed.length > 0) await runtime.tools.jujuLog(`disarmed ${alarmResults(disarmed, seen.members).alarms}`);
}
