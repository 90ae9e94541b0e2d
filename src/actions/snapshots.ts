import path from "node:path";
import { z } from "zod";
import { LEADER_KEYS, latestSnapshotValue } from "../charm/cluster-data.js";
import type { CharmRuntime } from "../charm/runtime.js";
import { clientUrlOf } from "../domain/member.js";
import { EtcdctlError, errorReason } from "../etcd/etcdctl.js";
import { localClientUrls } from "./action-input.js";
import { type SnapshotFacts, SnapshotStore } from "../etcd/snapshots.js";
import type { OffsiteCopies } from "../charm/offsite.js";
import type { ActionResults } from "../juju/client.js";
import { resultKey } from "./health.js";

/**
 * The snapshot and list-snapshots actions. A snapshot is taken from a healthy member (this unit's own when it
 * answers, else a voter that does), verified before it is reported, and kept on this unit under
 * /var/lib/etcd-snapshots with a name that sorts by time.
 */

const NoParams = z.object({}).strict();

/**
 * A snapshot as results; for one on this machine, its path as seen there (the local model roots each machine in
 * a directory), given `root`.
 */
function describe(facts: Omit<SnapshotFacts, "path"> & { readonly path?: string }, root?: string): ActionResults {
  return {
    name: facts.name,
    ...(facts.path !== undefined && root !== undefined ? { path: path.join("/", path.relative(root, facts.path)) } : {}),
    revision: facts.revision,
    keys: facts.keys,
    "size-bytes": facts.sizeBytes,
    sha256: facts.sha256,
    "taken-at": facts.takenAt,
    member: facts.member,
    scheduled: facts.scheduled,
  };
}

export async function snapshotAction({ event, tools, machine, etcd, paths, clock, offsite }: CharmRuntime): Promise<void> {
  if (!NoParams.safeParse(await tools.actionGet()).success) {
    await tools.actionFail("invalid parameters: snapshot takes none");
    return;
  }
  const local = await localClientUrls({ event, tools, machine });
  if (!local) return;
  let source: { url: string; member: string } | undefined;
  try {
    const members = await etcd.members(local, "report");
    const voters = members.filter((m) => m.name !== "" && !m.isLearner);
    const answering = new Set((await etcd.statuses(voters.map(clientUrlOf), "report").catch(() => [])).map((s) => s.Endpoint));
    // This unit's own member first: the snapshot is written on this machine, and its own member is the nearest.
    const chosen = voters.find((m) => local.includes(clientUrlOf(m)) && answering.has(clientUrlOf(m))) ?? voters.find((m) => answering.has(clientUrlOf(m)));
    if (chosen) source = { url: clientUrlOf(chosen), member: chosen.name };
  } catch (error) {
    if (!(error instanceof EtcdctlError)) throw error;
  }
  if (!source) {
    await tools.actionFail("no voting member answered: a snapshot needs a healthy member (run the health action)");
    return;
  }
  const { url, member } = source;
  let taken: SnapshotFacts;
  try {
    const facts = await new SnapshotStore(paths.snapshotsDir, paths.tools).take((file) => etcd.snapshotSave(url, file), member, new Date(clock.now()));
    // On the leader, the newest snapshot the cluster has: what scheduled snapshots count their interval from.
    if (await tools.isLeader()) await tools.leaderSet({ [LEADER_KEYS.latestSnapshot]: latestSnapshotValue(facts.name, clock.now()) });
    await tools.actionSet(describe(facts, paths.root));
    await tools.jujuLog(`took and verified snapshot ${facts.name} of ${member} at revision ${facts.revision}`);
    taken = facts;
  } catch (error) {
    await tools.actionFail(`the snapshot of ${member} failed or did not verify, and nothing was kept: ${errorReason(error)}`);
    return;
  }
  // A copy off the machine when the s3-credentials relation gives a bucket; the snapshot is kept here either way.
  if (!(await offsite.connection())) return;
  try {
    const where = await offsite.upload(taken);
    await tools.actionSet({ s3: where });
    await tools.jujuLog(`copied snapshot ${taken.name} to ${where}`);
  } catch (error) {
    await tools.actionFail(`snapshot ${taken.name} is kept on this unit, but its copy to S3 failed: ${errorReason(error)}`);
  }
}

export async function listSnapshotsAction({ tools, paths, offsite }: CharmRuntime): Promise<void> {
  if (!NoParams.safeParse(await tools.actionGet()).success) {
    await tools.actionFail("invalid parameters: list-snapshots takes none");
    return;
  }
  const snapshots = await new SnapshotStore(paths.snapshotsDir, paths.tools).list();
  await tools.actionSet(
    snapshots.length === 0
      ? { count: 0, snapshots: "none" }
      : { count: snapshots.length, snapshots: Object.fromEntries(snapshots.map((s) => [resultKey(s.name), describe(s, paths.root)])) },
  );
  if (await offsite.connection()) await tools.actionSet({ s3: await listOffsite(offsite) });
}

/** The bucket's snapshots as results, or why they cannot be listed (the local ones are listed all the same). */
async function listOffsite(offsite: OffsiteCopies): Promise<ActionResults> {
  try {
    const remote = await offsite.list();
    const entries = remote.map((s) => [resultKey(s.name), describe(s)]);
    return { count: remote.length, snapshots: remote.length === 0 ? "none" : Object.fromEntries(entries) };
  } catch (error) {
    return { error: errorReason(error) };
  }
}
