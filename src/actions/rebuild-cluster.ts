import path from "node:path";
import { z } from "zod";
import { LEADER_KEYS, parseLeaderData } from "../charm/cluster-data.js";
import { readClusterView } from "../charm/observe.js";
import { rebuildVerdict } from "../charm/rebuild.js";
import type { CharmRuntime } from "../charm/runtime.js";
import { waitHealthy } from "../charm/waits.js";
import { errorReason } from "../etcd/etcdctl.js";
import { actionParams, localClientUrls } from "./action-input.js";

/**
 * The rebuild-cluster action, on a survivor of a lost majority (most members gone for good, their machines
 * lost): this unit's member restarts once with etcd's `force-new-cluster`, which keeps its data and makes it
 * the only member; etcd serves again, and the other units join it afresh as learners (their members are gone
 * from the member list: charm/membership.ts, memberDataOfNoMember). Before anything changes, the data dir is
 * copied beside itself, as the lost cluster left it. Refused while a majority answers (charm/rebuild.ts).
 */

const Params = z.object({ force: z.boolean().default(false) }).strict();

/** How long the rebuilt member may take to answer healthy (it replays its WAL first). */
const REBUILT_WAIT_MS = 120_000;

export async function rebuildClusterAction(runtime: CharmRuntime): Promise<void> {
  const { tools, etcd, machine, paths, log, clock } = runtime;
  const params = await actionParams(runtime, Params);
  if (!params) return;
  const local = await localClientUrls(runtime);
  if (!local) return;
  const leader = parseLeaderData(await tools.leaderGet()).data;
  const view = await readClusterView(etcd, [...new Set([...local, ...leader.clientUrls])], log);
  const voterUrls = (view?.members ?? []).filter((m) => !m.isLearner).flatMap((m) => m.clientUrls.slice(0, 1));
  const statuses = voterUrls.length > 0 ? await etcd.statuses(voterUrls, "report").catch(() => []) : [];
  const verdict = rebuildVerdict(view, local, Object.fromEntries(statuses.map((s) => [s.Endpoint, s.Status.raftIndex])));
  if (verdict.kind === "refuse") {
    await tools.actionFail(`${verdict.reason}. Nothing was changed`);
    return;
  }
  const { self, dropped, raftIndex } = verdict;
  const droppedNames = dropped.map((m) => m.name || `unstarted learner ${m.peerUrls[0] ?? m.id}`).sort();
  if (!params.force) {
    await tools.actionFail(
      `rebuild-cluster makes ${self.name} the only member, from its own data (raft index ${raftIndex}), and drops ${droppedNames.join(", ")}: ` +
        "a write that only they hold is lost, and they must never come back as they are. Run it only if their machines are gone for good, " +
        "with force=true",
    );
    return;
  }

  const configText = await machine.files.readConfig();
  if (configText === undefined) {
    await tools.actionFail("this unit's etcd config is missing; nothing was changed");
    return;
  }
  let copy: string;
  try {
    copy = await machine.files.copyMemberData(new Date(clock.now()));
  } catch (error) {
    await tools.actionFail(`could not copy this member's data before the rebuild (${errorReason(error)}); nothing was changed`);
    return;
  }
  await tools.jujuLog(`rebuilding the cluster from ${self.name}, dropping ${droppedNames.join(", ")}; its data as it was is copied to ${copy}`);
  try {
    // etcd 3.4 ignores command-line flags when it reads a config file: the flag goes into the file for one start.
    await machine.service.stopAndDisable();
    await machine.files.writeConfig(`${configText.trimEnd()}\n# rebuild-cluster: for one start only\nforce-new-cluster: true\n`);
    try {
      await machine.service.enableAndStart();
      await waitHealthy(runtime, local[0] ?? "", REBUILT_WAIT_MS);
    } finally {
      // The rebuilt member runs on without the flag: a later start with it would rewrite the member list again.
      await machine.files.writeConfig(configText);
    }
    await machine.service.restart();
    await waitHealthy(runtime, local[0] ?? "", REBUILT_WAIT_MS);
  } catch (error) {
    await tools.actionFail(
      `the rebuild of ${self.name} failed: ${errorReason(error)}. Its data as it was before is in ${relative(paths.root, copy)}; ` +
        "etcd's log on this unit (journalctl -u etcd) says more",
    );
    return;
  }
  if (await tools.isLeader()) await tools.leaderSet({ [LEADER_KEYS.members]: self.name, [LEADER_KEYS.clientUrls]: local.join(",") });
  const [status] = await etcd.statuses(local, "report").catch(() => []);
  await tools.statusSet("active", `1 member, rebuilt from this unit's data: add units (juju add-unit) to have a majority to spare again`);
  await tools.actionSet({
    member: self.name,
    "dropped-members": droppedNames.join(","),
    revision: status?.Status.header.revision ?? 0,
    "raft-index": status?.Status.raftIndex ?? raftIndex,
    "previous-data": relative(paths.root, copy),
    message: "the cluster serves again from this member; other units of the application rejoin as learners, and new units join as usual",
  });
  await tools.jujuLog(`rebuilt the cluster from ${self.name}: it is the only member now`);
}

/** A path as the machine sees it (the local model roots each machine in a directory). */
function relative(root: string, file: string): string {
  return path.join("/", path.relative(root, file));
}
