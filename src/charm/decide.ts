import { endpointOf, hasEndpoint, memberUrl, schemeOf } from "../domain/address.js";
import { clientUrlOf, type Member, memberNameOf } from "../domain/member.js";
import type { EtcdPaths } from "../etcd/paths.js";
import { type MemberIdentity, renderEtcdConfig, renderServiceUnit, restartNeeded } from "../etcd/render.js";
import type { Templates } from "../etcd/templates.js";
import { type Action, type Decision, decision, type RestartPlan } from "./actions.js";
import { clientIssuersValue, PEER_KEYS } from "./cluster-data.js";
import { blockedMessage, type EtcdSettings } from "./config.js";
import { decideDeparture, memberDataOfNoMember, nextMembershipChange, recordedMembers, votingMajority } from "./membership.js";
import type { Observed } from "./observed.js";
import { consumerBags, reportedStatus } from "./report.js";
import { requestedBucket } from "./s3-data.js";
import { scheduledSnapshotDue } from "./schedule.js";
import { decideClientCredentials, etcdctlEnvironment } from "./credentials.js";
import { firstOfNewerVersion, joinRefusal, unsupportedEtcd } from "./etcd-version.js";
import { decideMachineUpgrade } from "./machine-upgrade.js";
import { memberScheme, tlsFiles } from "./tls.js";
import { decideTlsMaterial } from "./trust.js";
import { answeringOthers, answeringVoters, findMember, initialClusterWith, localClientUrl, raftSuccessor } from "./topology.js";

export type { Action, Decision } from "./actions.js";
export { STRANDED_LEARNER_MS } from "./membership.js";

/**
 * The charm's decisions, pure: from what a hook observes, the one next thing to do (or nothing: converged)
 * and the status to report. The shell runs the action, observes again and asks again, so every hook
 * converges from whatever state it finds, and a hook run twice does nothing the second time. This module's
 * imports hold no I/O (a test walks them).
 */

export interface DecideInput {
  readonly observed: Observed;
  readonly templates: Templates;
  readonly paths: EtcdPaths;
}

/** How many times (a second apart) a hook looks again at a cluster that names no raft leader before it reports. */
export const ELECTION_WAITS = 8;
export const ELECTION_WAIT_MS = 1000;
/** How many times a hook looks again at a cluster whose majority does not answer. */
export const NO_MAJORITY_WAITS = 3;

export function decide(input: DecideInput): Decision {
  const o = input.observed;
  // A peer that left: remembered first (unit state), so its member is removed even if this hook fails later.
  if (o.hook.departedPeer && !o.departedUnits.includes(o.hook.departedPeer)) {
    return decision({ kind: "record-departed", units: [...o.departedUnits, o.hook.departedPeer] }, "maintenance", `noting that ${o.hook.departedPeer} left`);
  }
  // Data storage attached to a unit that left when its storage was detached: it joins again (its data, of a
  // member the cluster no longer has, is moved aside first).
  if (o.leftCluster && o.hook.dataAttached && !o.hook.departing) {
    return decision({ kind: "rejoin" }, "maintenance", "data storage attached: joining the cluster again");
  }
  if (o.hook.departing || o.leftCluster) return o.installed ? decideDeparture(o) : decision(undefined, "maintenance", "left the cluster");
  if (!o.installed) {
    return o.hook.mayInstall
      ? decision({ kind: "install" }, "maintenance", "installing etcd")
      : decision(undefined, "waiting", "waiting for etcd to be installed");
  }
  // An etcd this charm cannot run (3.3 on 22.04): nothing is configured or started (interfaces §8.2).
  const unsupported = unsupportedEtcd(o.localEtcdVersion);
  if (unsupported) return decision(undefined, "blocked", unsupported);
  // A restore action on the leader replaces the cluster: no unit joins, moves its data or restarts meanwhile.
  const restoring = o.leaderData.restoring;
  if (restoring && o.isLeader) {
    return decision({ kind: "end-restore", snapshot: restoring }, "maintenance", `ending the restore from ${restoring}, which was cut short`);
  }
  if (restoring) return decision(undefined, "waiting", `the leader is restoring the cluster from snapshot ${restoring}; this unit rejoins afterwards`);
  const next = decideMember(input);
  // Members that answer but name no raft leader are usually mid-election (e.g. right after a restart), and a
  // member that does not answer is usually restarting (a rolling restart, whose unit holds the lock): look again
  // shortly rather than end the hook on a status that is about to be wrong, with no hook left to correct it.
  // Without a majority answering no leader can be elected, and a majority lost for good must not make every hook
  // slow: it is looked at again only briefly (members slow to answer on a busy machine look gone for a moment,
  // and a status that said so would stay until the next hook), and not at all when every silent member's unit
  // has left the model (machines lost and removed): nothing can bring those back.
  const majorityHeld = o.cluster !== undefined && votingMajority(o.cluster).held;
  const unsettled =
    o.cluster !== undefined &&
    (majorityHeld ? !o.cluster.raftLeaderId || (next.status.kind === "active" && someMemberSilent(o.cluster)) : someSilentMemberMayAnswer(o, o.cluster));
  if (!next.action && unsettled && o.electionWaits < (majorityHeld ? ELECTION_WAITS : NO_MAJORITY_WAITS)) {
    return { action: { kind: "await-election", delayMs: ELECTION_WAIT_MS }, status: next.status, quiet: true };
  }
  return next;
}

function decideMember({ observed: o, templates, paths }: DecideInput): Decision {
  const settings = o.config.ok ? o.config.settings : undefined;
  const blocked = o.config.ok ? undefined : blockedMessage(o.config.problems);
  const ports = settings ?? renderedPorts(o);
  if (!ports) return decision(undefined, "blocked", blocked ?? "no valid config");

  // 0. The cluster CA, the CAs this member trusts and its own certificate: before it runs or joins.
  const material = decideTlsMaterial(o, settings);
  if (material) return material;
  const files = tlsFiles(o, paths);
  // etcd runs with the ports and the scheme it was started with until the new files are in place.
  const localUrl = localClientUrl(o, ports.clientPort);
  const selfMember = findMember(o.cluster?.members, o.memberName, memberUrl(o.address, ports.peerPort, "http"));
  const scheme = settings ? memberScheme(o, settings, selfMember, files) : (schemeOf(localUrl) ?? "http");
  const selfPeerUrl = memberUrl(o.address, ports.peerPort, scheme);
  const selfClientUrl = memberUrl(o.address, ports.clientPort, scheme);
  if (o.hook.machineUpgradeTo) return decideMachineUpgrade(o, selfMember, localUrl, o.hook.machineUpgradeTo);
  if (settings?.tls && !files && !selfMember && !o.hasMemberData) {
    return decision(undefined, "waiting", "waiting for the leader to create the cluster's certificate authority");
  }

  // Consumers learn a new trust bundle before this member restarts into it, and so well before any member presents
  // a certificate from a new CA (that waits until every member trusts it).
  const liveSelf = o.cluster !== undefined && selfMember !== undefined && selfMember.name !== "" && o.serviceActive;
  const caBundle = o.leaderData.caBundle ?? "";
  if (liveSelf && Object.values(o.consumers).some(({ bag }) => (bag.client_ca ?? "") !== caBundle)) {
    const bags = consumerBags(o);
    if (bags) return decision({ kind: "publish-consumers", ...bags }, "maintenance", "publishing connection details");
  }

  // 1. This unit's own member: bootstrap, start its own learner, or keep running what it has; data of a member
  //    the cluster no longer has goes aside first (never deleted), and the unit then joins afresh.
  if (memberDataOfNoMember(o, selfMember)) {
    return decision(
      { kind: "set-aside-member-data", memberName: o.memberName },
      "maintenance",
      `moving aside the data of member ${o.memberName}, which the cluster no longer has`,
    );
  }
  const identity = memberIdentity(o, selfPeerUrl);
  if (identity === "claim") {
    return decision({ kind: "claim-bootstrap", memberName: o.memberName, existingToken: o.leaderData.token }, "maintenance", "bootstrapping the cluster");
  }
  if (identity) {
    if (settings) {
      const configText = renderEtcdConfig({ settings, member: identity, paths, scheme, tls: files }, templates.config);
      const unitText = renderServiceUnit({ memberName: o.memberName, paths }, templates.unit);
      // Compared with what etcd runs, not only with the files: a restart that failed after the files were
      // written (a hook killed, a leader transfer that timed out) is retried by the next hook.
      const running = o.rendered.running ?? { configText: o.rendered.configText, unitText: o.rendered.unitText };
      const registered = selfMember?.peerUrls[0];
      const peerUrlMoves = o.serviceActive && selfMember !== undefined && registered !== undefined && registered !== selfPeerUrl;
      const restart = o.serviceActive && (restartNeeded(running.configText, configText) || unitText !== running.unitText || peerUrlMoves);
      if (configText !== o.rendered.configText || unitText !== o.rendered.unitText || restart) {
        const plan = restart ? restartPlan(o, selfMember, localUrl, selfClientUrl, peerUrlMoves && selfMember ? selfPeerUrl : undefined) : undefined;
        const message = peerUrlMoves ? `moving this member to ${scheme}` : restart ? "restarting etcd with new settings" : "configuring etcd";
        return decision({ kind: "write-files", configText, unitText, restart: plan }, "maintenance", message);
      }
    }
    if (!o.serviceActive && o.rendered.configText) {
      const bootstrapping = identity.initialClusterState === "new";
      const startUrl = memberUrl(o.address, ports.clientPort, scheme);
      const voters = answeringVoters(o.cluster, localUrl);
      const start: Action = {
        kind: "start",
        wait:
          bootstrapping || o.hasMemberData
            ? { kind: "healthy", url: startUrl }
            : { kind: "listed", url: startUrl, memberName: o.memberName, endpoints: voters.length > 0 ? voters : [startUrl] },
        running:
          o.rendered.configText !== undefined && o.rendered.unitText !== undefined
            ? { configText: o.rendered.configText, unitText: o.rendered.unitText }
            : undefined,
      };
      return decision(start, "maintenance", bootstrapping ? "bootstrapping the cluster" : "starting etcd");
    }
    // A learner is promoted as soon as it runs and has caught up (the leader promotes it too if this fails).
    if (o.serviceActive && selfMember?.isLearner && selfMember.name !== "") {
      return decision(
        { kind: "promote", memberId: selfMember.id, memberName: selfMember.name, endpoints: answeringVoters(o.cluster, localUrl) },
        "maintenance",
        `promoting ${selfMember.name} to a voting member`,
      );
    }
  } else if (settings && o.cluster?.raftLeaderId && o.leaderData.token && !o.hasMemberData && !selfMember) {
    // A unit without a member joins by itself as soon as it sees a bootstrapped cluster with a raft leader
    // (through its peers or the client URLs the leader recorded): as a learner, a non-voter that changes no
    // quorum. etcd refuses a reconfiguration that would endanger quorum, so concurrent joiners are safe.
    const refusal = joinRefusal(o.localEtcdVersion, o.cluster);
    if (refusal) return decision(undefined, "blocked", refusal);
    const voters = answeringVoters(o.cluster, localUrl);
    const snapshotFirst = firstOfNewerVersion(o.localEtcdVersion, o.cluster) ? voters[0] : undefined;
    return decision(
      { kind: "add-learner", memberName: o.memberName, peerUrl: selfPeerUrl, endpoints: voters, ...(snapshotFirst ? { snapshotFrom: snapshotFirst } : {}) },
      "maintenance",
      snapshotFirst ? `taking a snapshot, then joining as the cluster's first etcd ${o.localEtcdVersion} member` : "joining the cluster as a learner",
    );
  }

  // 2. Tell the other units where this member is, whether it runs, and which CAs it can dial peers with.
  const peerValues = {
    [PEER_KEYS.peerUrl]: selfPeerUrl,
    [PEER_KEYS.clientUrl]: selfClientUrl,
    [PEER_KEYS.state]: o.serviceActive && identity ? "started" : "waiting",
    [PEER_KEYS.trustedCas]: o.serviceActive ? o.tls.runningTrust.join(",") : "",
    [PEER_KEYS.certIssuer]: o.tls.issuer ?? "",
    [PEER_KEYS.clientIssuers]: clientIssuersValue(o.publishedCredentials),
    [PEER_KEYS.memberId]: identity && selfMember ? selfMember.id : "",
    [PEER_KEYS.etcdVersion]: o.serviceActive && identity ? (o.localEtcdVersion ?? "") : "",
  };
  if (o.clusterRelationId && Object.entries(peerValues).some(([key, value]) => (o.publishedPeerData[key] ?? "") !== value)) {
    const version = peerValues[PEER_KEYS.etcdVersion];
    const versionChanged = version !== "" && version !== o.publishedPeerData[PEER_KEYS.etcdVersion];
    return decision(
      { kind: "publish-peer", relationId: o.clusterRelationId, values: peerValues, ...(versionChanged ? { applicationVersion: version } : {}) },
      "maintenance",
      "publishing this unit's member details",
    );
  }

  // 3. The Juju leader manages membership, one change at a time, and the consumers' client identities.
  if (o.isLeader && o.cluster?.raftLeaderId) {
    const change = nextMembershipChange(o, ports.peerPort, localUrl) ?? recordedMembers(o);
    if (change) return change;
  }
  if (o.isLeader) {
    const credentials = decideClientCredentials(o);
    if (credentials) return credentials;
  }

  // 4. Consumers get the live cluster; operators an etcdctl that works on this unit.
  if (liveSelf) {
    const bags = consumerBags(o);
    if (bags) return decision({ kind: "publish-consumers", ...bags }, "maintenance", "publishing connection details");
    const env = etcdctlEnvironment(localUrl, files, paths);
    if (env !== o.tls.etcdctlEnv) return decision({ kind: "write-etcdctl-env", text: env }, "maintenance", "writing etcdctl's environment for operators");
  }

  // 5. The bucket this application asks the s3-credentials provider for (interfaces §3.1): it answers with its
  //    settings. Then the leader's scheduled snapshot, from its own voting member while the cluster has a majority
  //    and a leader.
  if (o.isLeader && o.s3 && o.s3.askedBucket !== requestedBucket(o.s3.id)) {
    const bucket = requestedBucket(o.s3.id);
    return decision({ kind: "request-s3-bucket", relationId: o.s3.id, bucket }, "maintenance", "asking the s3-credentials provider for a bucket");
  }
  const clusterServes = o.cluster !== undefined && o.cluster.raftLeaderId !== undefined && votingMajority(o.cluster).held;
  if (o.isLeader && liveSelf && !selfMember?.isLearner && clusterServes && settings && scheduledSnapshotDue(o, settings)) {
    const upload = o.s3 !== undefined && o.s3.problems === undefined;
    return decision(
      { kind: "take-scheduled-snapshot", url: localUrl, memberName: o.memberName, retention: settings.snapshotRetention, upload },
      "maintenance",
      "taking a scheduled snapshot",
    );
  }

  if (blocked) return decision(undefined, "blocked", blocked);
  return decision(undefined, ...reportedStatus(o, selfMember, identity !== undefined));
}

/** A started member (it has a name) whose client URL did not answer the status request. */
function someMemberSilent(cluster: NonNullable<Observed["cluster"]>): boolean {
  return cluster.members.some((m) => m.name !== "" && !cluster.answering.includes(clientUrlOf(m)));
}

/** A silent member whose unit is still here (this one, or a peer that has not departed): it may be only slow. */
function someSilentMemberMayAnswer(o: Observed, cluster: NonNullable<Observed["cluster"]>): boolean {
  const present = new Set([o.memberName, ...o.peers.map((peer) => peer.memberName)]);
  for (const unit of o.departedUnits) present.delete(memberNameOf(unit));
  return cluster.members.some((m) => m.name !== "" && present.has(m.name) && !cluster.answering.includes(clientUrlOf(m)));
}

/** Ports etcd currently runs with, when the config is invalid: the last good config stays in force. */
function renderedPorts(o: Observed): Pick<EtcdSettings, "clientPort" | "peerPort"> | undefined {
  const { clientPort, peerPort } = o.rendered;
  return clientPort !== undefined && peerPort !== undefined ? { clientPort, peerPort } : undefined;
}

/**
 * A restart takes the cluster's restart lock (held through the others) and hands raft leadership over first;
 * a scheme change also tells the cluster the member's new peer URL. The member is then checked at the client
 * URL of the config it restarts with (a new scheme or port; also when an earlier hook already moved its peer URL).
 */
function restartPlan(o: Observed, self: Member | undefined, localUrl: string, restartedUrl: string, newPeerUrl: string | undefined): RestartPlan {
  const leading = self !== undefined && o.cluster !== undefined && o.cluster.raftLeaderId === self.id;
  const others = answeringOthers(o.cluster, localUrl);
  return {
    selfUrl: localUrl,
    restartedUrl,
    lockEndpoints: others,
    handOverTo: leading && o.cluster ? raftSuccessor(o.cluster, self)?.id : undefined,
    ...(newPeerUrl && self ? { peerUrlUpdate: { memberId: self.id, peerUrl: newPeerUrl, endpoints: others.length > 0 ? others : [localUrl] } } : {}),
  };
}

/**
 * Who this unit's member is. A unit with member data keeps the identity it was rendered with (its
 * initial-* values, now "existing"); a unit whose unstarted learner is in the cluster starts it (an earlier
 * revision's leader granted joins in leader data: such a grant still counts); otherwise the leader
 * bootstraps, only when no cluster exists anywhere and it has claimed the bootstrap in leader data first.
 */
function memberIdentity(o: Observed, selfPeerUrl: string): MemberIdentity | "claim" | undefined {
  const token = o.leaderData.token;
  const self = `${o.memberName}=${selfPeerUrl}`;
  const identity = (initialCluster: string, initialClusterState: "new" | "existing", clusterToken: string): MemberIdentity => ({
    name: o.memberName,
    address: o.address,
    initialCluster,
    initialClusterState,
    clusterToken,
  });
  if (o.hasMemberData) return token ? identity(o.rendered.initialCluster ?? self, "existing", token) : undefined;
  const grant = o.leaderData.grants[o.memberName];
  const grantNamesSelf = grant
    ?.split(",")
    .some((entry) => entry.startsWith(`${o.memberName}=`) && endpointOf(entry.slice(o.memberName.length + 1)) === endpointOf(selfPeerUrl));
  if (grant && token && grantNamesSelf) return identity(grant, "existing", token);
  // This unit's learner, which it added itself in an earlier step or hook: start it into the cluster as it is.
  const ownLearner: Member | undefined = o.cluster?.members.find((m) => m.isLearner && m.name === "" && hasEndpoint(m.peerUrls, selfPeerUrl));
  if (ownLearner && token && o.cluster) return identity(initialClusterWith(o.cluster.members, ownLearner, o.memberName), "existing", token);
  const clusterExists = o.cluster !== undefined || o.peers.some((peer) => peer.started);
  if (!o.isLeader || clusterExists) return undefined;
  if (o.leaderData.bootstrapMember === undefined) return "claim";
  if (o.leaderData.bootstrapMember !== o.memberName || !token) return undefined;
  return identity(self, "new", token);
}
