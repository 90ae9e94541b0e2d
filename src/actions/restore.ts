import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { LEADER_KEYS, parseLeaderData } from "../charm/cluster-data.js";
import { votingMajority } from "../charm/membership.js";
import { readClusterView } from "../charm/observe.js";
import type { CharmRuntime } from "../charm/runtime.js";
import { leaderEndpoints } from "../charm/topology.js";
import { CLUSTER_LOCK, RECONFIGURATION_WAIT_MS, retry, waitHealthy } from "../charm/waits.js";
import type { Member } from "../domain/member.js";
import { errorReason } from "../etcd/etcdctl.js";
import { restoreSnapshot } from "../etcd/snapshot-restore.js";
import { SNAPSHOT_NAME } from "../domain/snapshot-name.js";
import { type SnapshotFacts, SnapshotStore } from "../etcd/snapshots.js";
import { actionParams, localClientUrls } from "./action-input.js";

/**
 * The restore action, on the leader: the whole cluster goes back to a verified snapshot. Every other member is
 * removed (one at a time, under the cluster's lock, keeping quorum), this unit's data dir is moved aside and
 * replaced by the snapshot's, restored as the one member of a new cluster (a new token: no member of the old
 * one can talk to it), and etcd starts on it. The other units find that the cluster no longer has their members,
 * move their data aside and join afresh as learners (charm/membership.ts, memberDataOfNoMember), taking the
 * restored data from this member. Leader data names the restore while it runs, so that no unit joins the
 * cluster it is about to replace. Nothing is deleted: every member's old data stays beside its data dir.
 */

/** `restore snapshot=resource`: the file attached as the charm's `snapshot` resource (juju attach-resource). */
const FROM_RESOURCE = "resource";

const Params = z
  .object({
    snapshot: z.union([z.literal(FROM_RESOURCE), z.string().regex(SNAPSHOT_NAME)], {
      error: `must be the name of a snapshot, as list-snapshots gives it, or "${FROM_RESOURCE}" for the attached snapshot resource`,
    }),
    force: z.boolean().default(false),
  })
  .strict();

export async function restoreAction(runtime: CharmRuntime): Promise<void> {
  const { tools, etcd, machine, paths, log, clock } = runtime;
  const params = await actionParams(runtime, Params);
  if (!params) return;
  if (!(await tools.isLeader())) {
    await tools.actionFail("run restore on the leader unit (juju status marks it with *)");
    return;
  }
  const store = new SnapshotStore(paths.snapshotsDir, paths.tools);
  const snapshot = params.snapshot === FROM_RESOURCE ? await fromResource(runtime, store) : await byName(runtime, store, params.snapshot);
  if (snapshot === null) return;
  if (!snapshot) {
    await tools.actionFail(`no snapshot named ${params.snapshot} on this unit or in S3 (list-snapshots lists them); nothing was changed`);
    return;
  }
  const problem = await store.verify(snapshot);
  if (problem) {
    await tools.actionFail(`snapshot ${snapshot.name} does not verify (${problem}); nothing was changed`);
    return;
  }
  if (!params.force) {
    await tools.actionFail(
      `restore replaces all of the cluster's data with snapshot ${snapshot.name} (revision ${snapshot.revision}, taken ${snapshot.takenAt}): ` +
        "every key written since is lost. Run it again with force=true to go ahead",
    );
    return;
  }
  const local = await localClientUrls(runtime);
  if (!local) return;
  const leader = parseLeaderData(await tools.leaderGet()).data;
  const endpoints = [...new Set([...local, ...leader.clientUrls])];
  const view = await readClusterView(etcd, endpoints, log);
  const self = view?.members.find((m) => m.clientUrls.some((url) => local.includes(url)));
  const majority = view ? votingMajority(view) : undefined;
  if (!majority?.held || !self || self.isLearner) {
    await tools.actionFail(
      `restore needs a majority of the cluster's voting members answering, this unit's member among them ` +
        `(${majority ? `${majority.answering} of ${majority.voters} answer` : "no member answers"}); ` +
        "when most members are gone for good, run rebuild-cluster on a survivor first. Nothing was changed",
    );
    return;
  }

  await tools.leaderSet({ [LEADER_KEYS.restoring]: snapshot.name });
  try {
    const removed = await removeOthers(runtime, self, local);
    await machine.service.stopAndDisable();
    const clusterToken = randomBytes(16).toString("hex");
    const peerUrl = self.peerUrls[0] ?? "";
    let aside: string;
    try {
      aside = await machine.files.replaceMemberData(
        (dir) => restoreSnapshot(snapshot.path, { name: self.name, peerUrl, clusterToken }, dir, paths.tools),
        new Date(clock.now()),
      );
    } catch (error) {
      // The snapshot's data was never put in place: this member runs on as it was, and the others rejoin it.
      await machine.service.enableAndStart();
      throw new Error(`the snapshot could not be restored (${errorReason(error)}): ${self.name} kept its data and runs again; the other units rejoin it`);
    }
    await tools.leaderSet({ [LEADER_KEYS.token]: clusterToken, [LEADER_KEYS.members]: self.name, [LEADER_KEYS.clientUrls]: local.join(",") });
    await machine.service.enableAndStart();
    await waitHealthy(runtime, local[0] ?? "", 120_000);
    const [status] = await etcd.statuses(local, "report").catch(() => []);
    await tools.actionSet(results(snapshot, status?.Status.header.revision, removed, path.join("/", path.relative(paths.root, aside))));
    await tools.jujuLog(`restored the cluster from snapshot ${snapshot.name} (revision ${snapshot.revision}); the other units rejoin it`);
  } catch (error) {
    await tools.actionFail(`restore from ${snapshot.name} failed: ${errorReason(error)}`);
  } finally {
    await tools.leaderSet({ [LEADER_KEYS.restoring]: "" });
  }
}

/**
 * The attached `snapshot` resource, verified by etcd and kept among this unit's snapshots (so that it is listed,
 * and verified again like any other before the restore); null after failing the action.
 */
async function fromResource({ tools, clock }: CharmRuntime, store: SnapshotStore): Promise<SnapshotFacts | null> {
  const file = await tools.resourceGet("snapshot");
  const size = file
    ? await stat(file).then(
        (s) => s.size,
        () => 0,
      )
    : 0;
  // Charm stores used zero-byte placeholders for resources nobody uploaded (interfaces §9).
  if (!file || size === 0) {
    await tools.actionFail("no snapshot resource is attached (juju attach-resource etcd snapshot=./file.db); nothing was changed");
    return null;
  }
  try {
    const kept = await store.importFile(file, "attached resource", new Date(clock.now()));
    await tools.jujuLog(`kept the attached snapshot resource as ${kept.name} (revision ${kept.revision})`);
    return kept;
  } catch (error) {
    await tools.actionFail(`the attached snapshot resource does not verify (${errorReason(error)}); nothing was changed`);
    return null;
  }
}

/**
 * A snapshot of this unit's by name, else the bucket's (s3-credentials), fetched and verified into this unit's
 * snapshots first; undefined when neither has it, null after failing the action.
 */
async function byName({ tools, offsite, log }: CharmRuntime, store: SnapshotStore, name: string): Promise<SnapshotFacts | null | undefined> {
  const local = (await store.list()).find((s) => s.name === name);
  if (local || !(await offsite.connection())) return local;
  let remote: Awaited<ReturnType<typeof offsite.list>>;
  try {
    remote = await offsite.list();
  } catch (error) {
    log.warn({ error: errorReason(error) }, "could not list the snapshots in S3");
    await tools.actionFail(`no snapshot named ${name} on this unit, and the ones in S3 could not be listed (${errorReason(error)}); nothing was changed`);
    return null;
  }
  const described = remote.find((s) => s.name === name);
  if (!described) return undefined;
  try {
    const { objectBytes: _bytes, ...facts } = described;
    const kept = await store.adopt((file) => offsite.download(name, file).then(() => undefined), facts);
    await tools.jujuLog(`fetched snapshot ${name} from S3 and verified it`);
    return kept;
  } catch (error) {
    await tools.actionFail(`snapshot ${name} could not be fetched from S3 (${errorReason(error)}); nothing was changed`);
    return null;
  }
}

/** Removes every member but this unit's, one at a time under the cluster's lock, raft leadership moved here first. */
async function removeOthers({ etcd, log, clock }: CharmRuntime, self: Member, local: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (;;) {
    const done = await etcd.withLock(local, CLUSTER_LOCK, RECONFIGURATION_WAIT_MS, async () => {
      const view = await readClusterView(etcd, local, log);
      const other = view?.members.find((m) => m.id !== self.id);
      if (!view || !other) return true;
      if (view.raftLeaderId !== self.id) await retry(clock, 10_000, 500, () => etcd.moveLeader(leaderEndpoints(view, local[0] ?? ""), self.id));
      await retry(clock, RECONFIGURATION_WAIT_MS, 500, () => etcd.remove(local, other.id));
      removed.push(other.name || other.id);
      return false;
    });
    if (done) return removed;
  }
}

function results(snapshot: SnapshotFacts, revision: number | undefined, removed: readonly string[], aside: string) {
  return {
    snapshot: snapshot.name,
    revision: revision ?? snapshot.revision,
    keys: snapshot.keys,
    "removed-members": removed.length > 0 ? removed.join(",") : "none",
    "previous-data": aside,
    message: "the cluster now holds the snapshot's data; the other units move their data aside and rejoin as learners (juju status shows each)",
  };
}
