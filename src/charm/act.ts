import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Etcdctl, EtcdctlError, withEtcdLock } from "../etcd/etcdctl.js";
import type { EtcdFiles } from "../etcd/files.js";
import { accepting } from "../etcd/listening.js";
import { etcdVersion, installEtcd } from "../etcd/install.js";
import type { SystemdService } from "../etcd/service.js";
import type { HookTools } from "../juju/client.js";
import type { Logger } from "../log.js";
import { LEADER_KEYS, LEFT_STATE_KEY, UNCLAIMED_STATE_KEY } from "./cluster-data.js";
import type { Action } from "./decide.js";
import type { Observed } from "./observed.js";
import type { JujuView } from "./observe.js";

export interface ActDeps {
  readonly tools: HookTools;
  readonly files: EtcdFiles;
  readonly service: SystemdService;
  readonly log: Logger;
}

/** How long a membership change waits out etcd's "unhealthy cluster" before the hook fails. */
const RECONFIGURATION_WAIT_MS = 120_000;

const etcdctl = (endpoints: readonly string[]) => new Etcdctl({ endpoints, dialTimeoutMs: 2000, commandTimeoutMs: 10_000 });

/** Retries `attempt` until it succeeds or `timeoutMs` passes; the last error is rethrown. */
async function retry<T>(timeoutMs: number, intervalMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() + intervalMs > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

function localUrl(o: Observed): string {
  return `http://${o.address}:${o.rendered.clientPort ?? 2379}`;
}

/** Client URLs of members that answer, this unit's own last. */
function answering(o: Observed, withoutSelf = false): string[] {
  const self = localUrl(o);
  const urls = (o.cluster?.answering ?? []).filter((url) => url !== self);
  return withoutSelf ? urls : [...urls, ...(o.cluster?.answering.includes(self) ? [self] : [])];
}

/** Waits until etcd listens on its client URL (a quick TCP probe), then until `ready` says it is ready. */
async function waitServing(url: string, timeoutMs: number, ready: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepting(url)) && Date.now() < deadline) await sleep(50);
  await retry(Math.max(deadline - Date.now(), 0), 100, ready);
}

/** Client URLs of answering voting members: membership changes are asked of them. */
function voters(o: Observed): string[] {
  const learnerUrls = new Set((o.cluster?.members ?? []).filter((m) => m.isLearner).flatMap((m) => m.clientURLs));
  return answering(o).filter((url) => !learnerUrls.has(url));
}

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  await waitServing(url, timeoutMs, async () => {
    const [health] = await new Etcdctl({ endpoints: [url], dialTimeoutMs: 1000, commandTimeoutMs: 2000 }).endpointHealth();
    if (!health?.health) throw new Error(`etcd at ${url} is not healthy yet${health?.error ? `: ${health.error}` : ""}`);
  });
}

/** Restarts this member, one member of the cluster at a time (an etcd lock), moving raft leadership away first. */
async function rollingRestart(o: Observed, deps: ActDeps): Promise<void> {
  const self = localUrl(o);
  const others = answering(o, true);
  const restart = async () => {
    const me = o.cluster?.members.find((m) => m.clientURLs.includes(self));
    const successor = o.cluster?.members.find((m) => m !== me && !m.isLearner && m.name !== "" && others.includes(m.clientURLs[0] ?? ""));
    if (me && successor && o.cluster?.raftLeaderId === me.ID) {
      // A transfer can time out on a busy machine; restarting a leader costs an election, not data or
      // quorum, so a transfer that fails twice is logged and the restart goes ahead.
      await retry(3000, 500, () => etcdctl([self]).moveLeader(successor.ID)).catch((error: unknown) =>
        deps.log.warn({ error: error instanceof Error ? error.message : String(error) }, "could not hand over raft leadership before restarting"),
      );
    }
    await deps.service.restart();
    await waitHealthy(self, 120_000);
  };
  if (others.length === 0) await restart();
  else await withEtcdLock(others, "etcd-charm/restart", 600_000, restart);
}

/** Runs one decided action; returns what it changed in Juju's view so the next observation sees it. */
export async function act(action: Action, o: Observed, juju: JujuView, deps: ActDeps): Promise<void> {
  const { tools, files, service, log } = deps;
  switch (action.kind) {
    case "install": {
      await installEtcd(files, service, log);
      const version = await etcdVersion();
      if (version) await tools.applicationVersionSet(version);
      await tools.jujuLog(`installed etcd ${version ?? "(unknown version)"}`);
      return;
    }
    case "claim-bootstrap": {
      const token = juju.leaderData.token ?? randomBytes(16).toString("hex");
      // Leader settings apply at once: the claim survives a hook that fails later, so no second bootstrap.
      await tools.leaderSet({ [LEADER_KEYS.token]: token, [LEADER_KEYS.bootstrapMember]: o.memberName });
      juju.leaderData = { ...juju.leaderData, token, bootstrapMember: o.memberName };
      await tools.jujuLog(`bootstrapping a new etcd cluster with member ${o.memberName}`);
      return;
    }
    case "write-files": {
      await files.ensureDataDir();
      await files.writeConfig(action.configText);
      await files.writeUnit(action.unitText);
      await service.daemonReload();
      if (action.restart) {
        await tools.jujuLog("restarting etcd to apply new settings");
        await rollingRestart(o, deps);
        await files.writeRunning({ configText: action.configText, unitText: action.unitText });
      }
      return;
    }
    case "start": {
      await files.ensureDataDir();
      await service.enableAndStart();
      // The files this observation read are the ones etcd starts with.
      const { configText, unitText } = o.rendered;
      if (configText !== undefined && unitText !== undefined) await files.writeRunning({ configText, unitText });
      const url = localUrl(o);
      if (action.waitHealthy) await waitHealthy(url, 120_000);
      else {
        // A joining learner is not healthy until promoted; it has joined once the voters list it by name
        // (etcd publishes the name through raft when the member starts), which is when it can be promoted.
        const endpoints = voters(o);
        const cluster = new Etcdctl({ endpoints: endpoints.length > 0 ? endpoints : [url], dialTimeoutMs: 1000, commandTimeoutMs: 2000 });
        await waitServing(url, 60_000, async () => {
          const members = await cluster.memberList();
          if (!members.some((m) => m.name === o.memberName)) throw new Error(`${o.memberName} has not joined the cluster yet`);
        });
      }
      return;
    }
    case "stop":
      await service.stopAndDisable();
      return;
    case "publish-peer":
      if (!juju.clusterRelationId) return;
      await tools.relationSet(juju.clusterRelationId, action.values);
      juju.publishedPeerData = { ...juju.publishedPeerData, ...action.values };
      return;
    case "add-learner": {
      // etcd refuses a reconfiguration until its leader has been connected to every voter for 5 s
      // ("unhealthy cluster" right after the previous change): wait for it rather than fail the hook. Units
      // joining at once (deploy -n 7) each wait for the promotions before theirs, 5 s apiece.
      const client = etcdctl(voters(o));
      const added = await retry(RECONFIGURATION_WAIT_MS, 500, () =>
        client.addLearner(action.memberName, action.peerUrl).catch((error: unknown) => {
          // Added by an earlier attempt whose answer was lost: the next observation finds the learner.
          if (error instanceof EtcdctlError && /Peer URLs already exists/.test(error.stderr)) return undefined;
          throw error;
        }),
      );
      if (added) await tools.jujuLog(`added ${action.memberName} (${action.peerUrl}) as a learner`);
      return;
    }
    case "note-unclaimed-learners":
      await tools.stateSet({ [UNCLAIMED_STATE_KEY]: JSON.stringify(action.since) });
      juju.unclaimedLearners = { ...action.since };
      return;
    case "promote": {
      // A learner can be promoted only once it has caught up with the leader's log; it is asked of voters,
      // since a learner serves no such request. The unit itself and the leader may both try: either is done.
      const client = etcdctl(voters(o));
      if ((await retry(60_000, 100, () => client.promote(action.memberId))) === "promoted") {
        await tools.jujuLog(`promoted ${action.memberName} to a voting member`);
      }
      return;
    }
    case "move-leader": {
      const leader = o.cluster?.members.find((m) => m.ID === o.cluster?.raftLeaderId);
      await etcdctl(leader?.clientURLs.slice(0, 1) ?? answering(o)).moveLeader(action.toMemberId);
      await tools.jujuLog(`moved raft leadership to member ${action.toMemberId}: ${action.reason}`);
      return;
    }
    case "remove-member": {
      const client = etcdctl(action.self ? answering(o, true) : answering(o));
      await retry(RECONFIGURATION_WAIT_MS, 500, () =>
        client.remove(action.memberId).catch((error: unknown) => {
          // Already gone (a concurrent removal by the leader or by the unit itself) is the goal reached;
          // "unhealthy cluster" (right after another change) is retried.
          if (!(error instanceof EtcdctlError && /member not found/.test(error.stderr))) throw error;
        }),
      );
      await tools.jujuLog(`removed ${action.memberName} from the cluster`);
      if (action.self) {
        await tools.stateSet({ [LEFT_STATE_KEY]: "true" });
        juju.leftCluster = true;
        // A removed member exits and would be restarted by systemd into a member that no longer exists.
        await service.stopAndDisable();
      }
      return;
    }
    case "record-members": {
      const values: Record<string, string> = { [LEADER_KEYS.members]: action.members, [LEADER_KEYS.clientUrls]: action.clientUrls.join(",") };
      for (const name of action.dropGrants) values[`${LEADER_KEYS.grantPrefix}${name}`] = "";
      await tools.leaderSet(values);
      const grants = { ...juju.leaderData.grants };
      for (const name of action.dropGrants) delete grants[name];
      juju.leaderData = { ...juju.leaderData, members: action.members, clientUrls: action.clientUrls, grants };
      return;
    }
    case "publish-consumers":
      for (const [id, values] of Object.entries(action.bags)) {
        await tools.relationSet(id, values);
        const consumer = juju.consumers[id];
        if (consumer) consumer.bag = { ...consumer.bag, ...values };
      }
      return;
  }
}
