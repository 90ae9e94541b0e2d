import { randomBytes } from "node:crypto";
import { underBothSchemes } from "../domain/address.js";
import type { EtcdCluster } from "../etcd/cluster.js";
import type { Machine } from "../etcd/machine.js";
import type { Logger } from "../log.js";
import type { Action, RestartPlan } from "./actions.js";
import { DEPARTED_STATE_KEY, LEADER_KEYS, LEFT_STATE_KEY, UNCLAIMED_STATE_KEY } from "./cluster-data.js";
import type { JujuState } from "./juju-state.js";
import type { Clock } from "./runtime.js";
import { actTls } from "./act-tls.js";
import { actCredentials, publishConsumers } from "./act-credentials.js";
import { removeMember } from "./act-membership.js";
import { takeScheduledSnapshot, takeSnapshotBefore } from "./act-snapshots.js";
import type { OffsiteCopies } from "./offsite.js";
import { S3_BUCKET_KEY } from "./s3-relation.js";
import { CLUSTER_LOCK, RECONFIGURATION_WAIT_MS, retry, startingService, waitHealthy, waitServing } from "./waits.js";

/** What act reaches the world through: Juju (written through), the cluster, the machine, a log and a clock. */
export interface ActWorld {
  readonly juju: JujuState;
  readonly etcd: EtcdCluster;
  readonly machine: Machine;
  readonly log: Logger;
  readonly clock: Clock;
  readonly offsite: OffsiteCopies;
}

/** How long a (re)started member may take to serve again. */
const START_WAIT_MS = 120_000;
/** How long a joining learner may take until the voters list it by name. */
const LISTED_WAIT_MS = 60_000;
/** How long a restart waits for the cluster's restart lock (other members restarting first). */
const RESTART_LOCK_WAIT_MS = 600_000;

/** Restarts this member, one member of the cluster at a time (an etcd lock), handing raft leadership over first. */
async function rollingRestart(plan: RestartPlan, world: ActWorld): Promise<void> {
  const { etcd, machine, log, clock } = world;
  const asked = clock.now();
  const restart = async () => {
    // Where a slow rolling restart spends its time: waiting for the lock, handing over, the restart itself.
    const locked = clock.now();
    log.info({ lockWaitMs: locked - asked }, "holding the restart lock");
    if (plan.handOverTo) {
      const successor = plan.handOverTo;
      // A transfer can time out on a busy machine; restarting a leader costs an election, not data or
      // quorum, so a transfer that fails twice is logged and the restart goes ahead.
      await retry(clock, 3000, 500, () => etcd.moveLeader([plan.selfUrl], successor)).catch((error: unknown) =>
        log.warn({ error: error instanceof Error ? error.message : String(error) }, "could not hand over raft leadership before restarting"),
      );
    }
    const update = plan.peerUrlUpdate;
    if (update) {
      // Asked after the lock was taken: members may have changed scheme while this one waited. Those that answer
      // a status (under whichever scheme answers first) are asked first: a call that tries a member under the scheme
      // it left waits out etcdctl's whole command timeout (10 s) before it fails over.
      const answering = await etcd.answering(underBothSchemes(update.endpoints));
      const endpoints =
        answering.length > 0
          ? [...answering, ...underBothSchemes(update.endpoints).filter((url) => !answering.includes(url))]
          : underBothSchemes(update.endpoints);
      await retry(clock, RECONFIGURATION_WAIT_MS, 500, () => etcd.updatePeerUrl(endpoints, update.memberId, update.peerUrl));
      await world.juju.tools.jujuLog(`moved this member's peer URL to ${update.peerUrl}`);
    }
    const restarting = clock.now();
    await startingService(world, () => machine.service.restart());
    await waitHealthy(world, plan.restartedUrl, START_WAIT_MS);
    log.info({ beforeRestartMs: restarting - locked, restartMs: clock.now() - restarting }, "restarted and healthy");
  };
  if (plan.lockEndpoints.length === 0) await restart();
  else await etcd.withLock(underBothSchemes(plan.lockEndpoints), CLUSTER_LOCK, RESTART_LOCK_WAIT_MS, restart);
}

/** Runs one decided action. Juju's view changes with each write (JujuState writes through); the machine and cluster are observed again. */
export async function act(action: Action, world: ActWorld): Promise<void> {
  const { juju, etcd, machine, clock } = world;
  const { files, service } = machine;
  const tools = juju.tools;
  switch (action.kind) {
    case "record-departed":
      await juju.stateSet({ [DEPARTED_STATE_KEY]: JSON.stringify(action.units) });
      return;
    case "install": {
      await machine.packages.install();
      // Juju's application version is what the member runs, set when it publishes it (publish-peer).
      const version = await machine.packages.version();
      await tools.jujuLog(`installed etcd ${version ?? "(unknown version)"}`);
      return;
    }
    case "claim-bootstrap": {
      const token = action.existingToken ?? randomBytes(16).toString("hex");
      // Leader settings apply at once: the claim survives a hook that fails later, so no second bootstrap.
      await juju.leaderSet({ [LEADER_KEYS.token]: token, [LEADER_KEYS.bootstrapMember]: action.memberName });
      await tools.jujuLog(`bootstrapping a new etcd cluster with member ${action.memberName}`);
      return;
    }
    case "write-files":
      await files.ensureDataDir();
      await files.writeConfig(action.configText);
      await files.writeUnit(action.unitText);
      await service.daemonReload();
      if (action.restart) {
        await tools.jujuLog("restarting etcd to apply new settings");
        await rollingRestart(action.restart, world);
        await files.writeRunning({ configText: action.configText, unitText: action.unitText });
      }
      return;
    case "start": {
      await files.ensureDataDir();
      await startingService(world, () => service.enableAndStart());
      if (action.running) await files.writeRunning(action.running);
      const { wait } = action;
      if (wait.kind === "healthy") await waitHealthy(world, wait.url, START_WAIT_MS);
      else {
        // etcd publishes a member's name through raft when it starts: then it can be promoted.
        await waitServing(world, wait.url, LISTED_WAIT_MS, async () => {
          const members = await etcd.members(wait.endpoints);
          if (!members.some((m) => m.name === wait.memberName)) throw new Error(`${wait.memberName} has not joined the cluster yet`);
        });
      }
      return;
    }
    case "stop":
      await service.stopAndDisable();
      return;
    case "rejoin":
      await juju.stateSet({ [LEFT_STATE_KEY]: "" });
      await tools.jujuLog("data storage attached again: this unit joins the cluster afresh");
      return;
    case "end-restore":
      // The cluster runs as the action left it; units whose members it removed rejoin (set-aside-member-data).
      await juju.leaderSet({ [LEADER_KEYS.restoring]: "" });
      await tools.jujuLog(`the restore from ${action.snapshot} was cut short (its action ended without finishing): the cluster runs as it was left`);
      return;
    case "set-aside-member-data": {
      await service.stopAndDisable();
      const aside = await files.setAsideMemberData(new Date(clock.now()));
      await tools.jujuLog(`moved aside the data of member ${action.memberName}, which the cluster no longer has, to ${aside}; this unit joins afresh`);
      return;
    }
    case "publish-peer":
      await juju.relationSet(action.relationId, action.values);
      if (action.applicationVersion) await tools.applicationVersionSet(action.applicationVersion);
      return;
    case "add-learner": {
      // etcd refuses a reconfiguration until its leader has been connected to every voter for 5 s
      // ("unhealthy cluster" right after the previous change): wait for it rather than fail the hook. Units
      // joining at once (deploy -n 7) each wait for the promotions before theirs, 5 s apiece.
      if (action.snapshotFrom)
        await takeSnapshotBefore(action.snapshotFrom, action.memberName, "before the cluster's first member of a newer etcd joins", world);
      const added = await retry(clock, RECONFIGURATION_WAIT_MS, 500, () => etcd.addLearner(action.endpoints, action.memberName, action.peerUrl));
      if (added === "added") await tools.jujuLog(`added ${action.memberName} (${action.peerUrl}) as a learner`);
      return;
    }
    case "note-unclaimed-learners":
      await juju.stateSet({ [UNCLAIMED_STATE_KEY]: JSON.stringify(action.since) });
      return;
    case "promote": {
      // A learner can be promoted only once it has caught up with the leader's log. The unit itself and
      // the leader may both try: either is done.
      if ((await retry(clock, 60_000, 100, () => etcd.promote(action.endpoints, action.memberId))) === "promoted") {
        await tools.jujuLog(`promoted ${action.memberName} to a voting member`);
      }
      return;
    }
    case "move-leader":
      await etcd.moveLeader(action.endpoints, action.toMemberId);
      await tools.jujuLog(`moved raft leadership to member ${action.toMemberId}: ${action.reason}`);
      return;
    case "remove-member":
      await removeMember(action, world);
      return;
    case "record-members": {
      const values: Record<string, string> = { [LEADER_KEYS.members]: action.members, [LEADER_KEYS.clientUrls]: action.clientUrls.join(",") };
      for (const name of action.dropGrants) values[`${LEADER_KEYS.grantPrefix}${name}`] = "";
      await juju.leaderSet(values);
      return;
    }
    case "publish-consumers":
      await publishConsumers(action.bags, action.credentials, world);
      return;
    case "create-ca":
    case "record-ca":
    case "publish-trust":
    case "write-trust":
    case "issue-member-certificate":
    case "request-member-certificate":
    case "install-member-certificate":
    case "write-etcdctl-env":
      await actTls(action, world);
      return;
    case "issue-client-credentials":
    case "reissue-client-credentials":
    case "request-client-certificates":
    case "install-client-certificate":
    case "record-client-secrets":
    case "drop-client-credentials":
      await actCredentials(action, world);
      return;
    case "take-scheduled-snapshot":
      await takeScheduledSnapshot(action, world);
      return;
    case "request-s3-bucket":
      await juju.relationSet(action.relationId, { [S3_BUCKET_KEY]: action.bucket }, { app: true });
      return;
    case "await-election":
      await clock.sleep(action.delayMs);
      return;
    case "pause-for-machine-upgrade": {
      if (action.handOver) {
        await etcd.moveLeader(action.handOver.endpoints, action.handOver.toMemberId);
        await tools.jujuLog(`moved raft leadership to member ${action.handOver.toMemberId} before this machine's upgrade`);
      }
      await takeSnapshotBefore(action.snapshotUrl, action.memberName, `before this machine's upgrade to ${action.target}`, world);
      await service.stopAndDisable();
      await tools.jujuLog(`stopped etcd for this machine's upgrade to ${action.target}; post-series-upgrade starts it again`);
      return;
    }
    case "refuse":
      throw new Error(action.reason);
  }
}
