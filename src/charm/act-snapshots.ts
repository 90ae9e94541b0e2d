import { errorReason } from "../etcd/etcdctl.js";
import type { SnapshotFacts } from "../etcd/snapshots.js";
import type { ActWorld } from "./act.js";
import type { Action } from "./actions.js";
import { LEADER_KEYS, latestSnapshotValue, snapshotFailureValue } from "./cluster-data.js";

type TakeScheduledSnapshot = Extract<Action, { kind: "take-scheduled-snapshot" }>;

/**
 * Copies a kept snapshot to the bucket; a failure becomes the leader-data failure value (the status names it),
 * never an exception: the snapshot is kept on this machine all the same.
 */
async function copyOffsite(facts: SnapshotFacts, { offsite, clock, log, juju }: ActWorld): Promise<{ where?: string; failure: string }> {
  try {
    return { where: await offsite.upload(facts), failure: "" };
  } catch (error) {
    const reason = `${facts.name} is kept on this unit, but its copy to S3 failed: ${errorReason(error)}`;
    log.warn({ error: errorReason(error) }, "copying the scheduled snapshot to S3 failed");
    await juju.tools.jujuLog(reason, "WARNING");
    return { failure: snapshotFailureValue(clock.now(), reason) };
  }
}

/**
 * The leader's scheduled snapshot: taken from its own member and verified (etcd/snapshots.ts keeps nothing that
 * does not verify), older scheduled ones pruned only once the new one is kept. A failure is recorded in leader
 * data (the status says so, and the schedule waits before trying again) and logged, never thrown: a full disk
 * must not fail every hook of the leader.
 */
export async function takeScheduledSnapshot(action: TakeScheduledSnapshot, world: ActWorld): Promise<void> {
  const { etcd, machine, juju, clock, log } = world;
  const now = clock.now();
  try {
    const facts = await machine.snapshots.take((file) => etcd.snapshotSave(action.url, file), action.memberName, new Date(now), true);
    const pruned = await machine.snapshots.prune(action.retention);
    // Kept here whatever the copy does: the newest snapshot is this one, and a failed copy is reported as such.
    const copied = action.upload ? await copyOffsite(facts, world) : { failure: "" };
    await juju.leaderSet({ [LEADER_KEYS.latestSnapshot]: latestSnapshotValue(facts.name, now), [LEADER_KEYS.snapshotFailure]: copied.failure });
    await juju.tools.jujuLog(
      `took and verified scheduled snapshot ${facts.name} (revision ${facts.revision}, ${facts.sizeBytes} bytes)` +
        (copied.where ? `; copied to ${copied.where}` : "") +
        (pruned.length > 0 ? `; pruned ${pruned.join(", ")}` : ""),
    );
  } catch (error) {
    const reason = errorReason(error);
    log.warn({ error: reason }, "scheduled snapshot failed");
    await juju.leaderSet({ [LEADER_KEYS.snapshotFailure]: snapshotFailureValue(now, reason) });
    await juju.tools.jujuLog(`scheduled snapshot failed, nothing was kept: ${reason}`, "WARNING");
  }
}

/**
 * A verified snapshot before a change of etcd version (a machine's upgrade, the first member of a newer minor
 * version joining): kept among this unit's snapshots, with the action's (never pruned by the schedule). A
 * snapshot that fails or does not verify fails the step, so the change does not go ahead without one.
 */
export async function takeSnapshotBefore(url: string, memberName: string, why: string, world: ActWorld): Promise<void> {
  const { etcd, machine, juju, clock } = world;
  const facts = await machine.snapshots.take((file) => etcd.snapshotSave(url, file), memberName, new Date(clock.now()));
  await juju.tools.jujuLog(`took and verified snapshot ${facts.name} (revision ${facts.revision}, ${facts.keys} keys) ${why}`);
}
