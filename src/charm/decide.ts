import { hexId, type Member } from "../etcd/etcdctl.js";
import { renderEtcdConfig, renderServiceUnit, restartNeeded, type MemberIdentity } from "../etcd/render.js";
import type { EtcdPaths } from "../etcd/paths.js";
import { memberNameOf, memberUrl, PEER_KEYS } from "./cluster-data.js";
import { blockedMessage, type EtcdSettings } from "./config.js";
import type { Observed, Peer } from "./observed.js";

/**
 * The charm's decisions, pure: from what a hook observes, the one next thing to do (or nothing: converged)
 * and the status to report. The shell runs the action, observes again and asks again, so every hook
 * converges from whatever state it finds, and a hook run twice does nothing the second time.
 */

export type Action =
  | { readonly kind: "install" }
  | { readonly kind: "claim-bootstrap" }
  | { readonly kind: "write-files"; readonly configText: string; readonly unitText: string; readonly restart: boolean }
  | { readonly kind: "start"; readonly waitHealthy: boolean }
  | { readonly kind: "stop" }
  | { readonly kind: "publish-peer"; readonly values: Readonly<Record<string, string>> }
  | { readonly kind: "add-learner"; readonly memberName: string; readonly peerUrl: string }
  | { readonly kind: "note-unclaimed-learners"; readonly since: Readonly<Record<string, number>> }
  | { readonly kind: "promote"; readonly memberId: string; readonly memberName: string }
  | { readonly kind: "move-leader"; readonly toMemberId: string; readonly reason: string }
  | { readonly kind: "remove-member"; readonly memberId: string; readonly memberName: string; readonly self: boolean }
  | { readonly kind: "record-members"; readonly members: string; readonly clientUrls: readonly string[]; readonly dropGrants: readonly string[] }
  | { readonly kind: "publish-consumers"; readonly bags: Readonly<Record<string, Readonly<Record<string, string>>>> };

export type StatusKind = "maintenance" | "blocked" | "waiting" | "active";

export interface Decision {
  readonly action: Action | undefined;
  readonly status: { readonly kind: StatusKind; readonly message: string };
}

export interface Templates {
  readonly config: string;
  readonly unit: string;
}

export interface DecideInput {
  readonly observed: Observed;
  readonly templates: Templates;
  readonly paths: EtcdPaths;
}

/** How long a learner no unit claims stays before the leader removes it (a live joiner names it in seconds). */
export const STRANDED_LEARNER_MS = 300_000;

const decision = (action: Action | undefined, kind: StatusKind, message: string): Decision => ({ action, status: { kind, message } });

export function decide({ observed: o, templates, paths }: DecideInput): Decision {
  if (!o.installed) return decision({ kind: "install" }, "maintenance", "installing etcd");
  if (o.departing) return decideDeparture(o);

  const settings = o.config.ok ? o.config.settings : undefined;
  const blocked = o.config.ok ? undefined : blockedMessage(o.config.problems);
  const ports = settings ?? renderedPorts(o);
  if (!ports) return decision(undefined, "blocked", blocked!);
  const selfPeerUrl = memberUrl(o.address, ports.peerPort);
  const selfClientUrl = memberUrl(o.address, ports.clientPort);
  const selfMember = findMember(o.cluster?.members, o.memberName, selfPeerUrl);

  // 1. This unit's own member: bootstrap, start its own learner, or keep running what it has.
  const identity = memberIdentity(o, selfPeerUrl);
  if (identity === "claim") return decision({ kind: "claim-bootstrap" }, "maintenance", "bootstrapping the cluster");
  if (identity) {
    if (settings) {
      const configText = renderEtcdConfig({ settings, member: identity, paths }, templates.config);
      const unitText = renderServiceUnit({ memberName: o.memberName, paths }, templates.unit);
      // Compared with what etcd runs, not only with the files: a restart that failed after the files were
      // written (a hook killed, a leader transfer that timed out) is retried by the next hook.
      const running = o.rendered.running ?? { configText: o.rendered.configText, unitText: o.rendered.unitText };
      const restart = o.serviceActive && (restartNeeded(running.configText, configText) || unitText !== running.unitText);
      if (configText !== o.rendered.configText || unitText !== o.rendered.unitText || restart) {
        return decision(
          { kind: "write-files", configText, unitText, restart },
          "maintenance",
          restart ? "restarting etcd with new settings" : "configuring etcd",
        );
      }
    }
    if (!o.serviceActive && o.rendered.configText) {
      const bootstrapping = identity.initialClusterState === "new";
      return decision(
        { kind: "start", waitHealthy: bootstrapping || o.hasMemberData },
        "maintenance",
        bootstrapping ? "bootstrapping the cluster" : "starting etcd",
      );
    }
    // A learner is promoted as soon as it runs and has caught up (the leader promotes it too if this fails).
    if (o.serviceActive && selfMember?.isLearner && selfMember.name !== "") {
      return decision(
        { kind: "promote", memberId: selfMember.ID, memberName: selfMember.name },
        "maintenance",
        `promoting ${selfMember.name} to a voting member`,
      );
    }
  } else if (settings) {
    const join = selfJoin(o, selfPeerUrl, selfMember);
    if (join) return join;
  }

  // 2. Tell the other units where this member is and whether it runs.
  const peerValues = {
    [PEER_KEYS.peerUrl]: selfPeerUrl,
    [PEER_KEYS.clientUrl]: selfClientUrl,
    [PEER_KEYS.state]: o.serviceActive && identity ? "started" : "waiting",
  };
  if (Object.entries(peerValues).some(([key, value]) => o.publishedPeerData[key] !== value)) {
    return decision({ kind: "publish-peer", values: peerValues }, "maintenance", "publishing this unit's member details");
  }

  // 3. The Juju leader manages membership, one change at a time.
  if (o.isLeader && o.cluster?.raftLeaderId) {
    const change = nextMembershipChange(o, ports.peerPort);
    if (change) return change;
    // Recording the voters in leader data wakes every other unit (leader-settings-changed) to report them.
    const voters = o.cluster.members.filter((m) => m.name !== "" && !m.isLearner).sort((a, b) => (a.name < b.name ? -1 : 1));
    const members = voters.map((m) => m.name).join(",");
    const clientUrls = voters.flatMap((m) => m.clientURLs.slice(0, 1));
    const dropGrants = Object.keys(o.leaderData.grants).filter((name) => voters.some((m) => m.name === name));
    if (members !== o.leaderData.members || clientUrls.join(",") !== o.leaderData.clientUrls.join(",") || dropGrants.length > 0) {
      return decision({ kind: "record-members", members, clientUrls, dropGrants }, "maintenance", "recording the cluster's members");
    }
  }

  // 4. Consumers get the live cluster.
  if (o.cluster && selfMember && selfMember.name !== "" && o.serviceActive) {
    const bags = consumerBags(o);
    if (bags) return decision({ kind: "publish-consumers", bags }, "maintenance", "publishing connection details");
  }

  if (blocked) return decision(undefined, "blocked", blocked);
  return decision(undefined, ...reportedStatus(o, selfMember, identity !== undefined));
}

/** Ports etcd currently runs with, when the config is invalid: the last good config stays in force. */
function renderedPorts(o: Observed): Pick<EtcdSettings, "clientPort" | "peerPort"> | undefined {
  const { clientPort, peerPort } = o.rendered;
  return clientPort !== undefined && peerPort !== undefined ? { clientPort, peerPort } : undefined;
}

function findMember(members: readonly Member[] | undefined, name: string, peerUrl: string): Member | undefined {
  return members?.find((m) => m.name === name || m.peerURLs.includes(peerUrl));
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
  if (o.hasMemberData) {
    if (!token) return undefined;
    return { name: o.memberName, address: o.address, initialCluster: o.rendered.initialCluster ?? self, initialClusterState: "existing", clusterToken: token };
  }
  const grant = o.leaderData.grants[o.memberName];
  if (grant && token && grant.split(",").includes(self)) {
    return { name: o.memberName, address: o.address, initialCluster: grant, initialClusterState: "existing", clusterToken: token };
  }
  // This unit's learner, which it added itself in an earlier step or hook: start it into the cluster as it is.
  const ownLearner = o.cluster?.members.find((m) => m.isLearner && m.name === "" && m.peerURLs.includes(selfPeerUrl));
  if (ownLearner && token) {
    return {
      name: o.memberName,
      address: o.address,
      initialCluster: initialClusterWith(o.cluster!.members, ownLearner, o.memberName),
      initialClusterState: "existing",
      clusterToken: token,
    };
  }
  const clusterExists = o.cluster !== undefined || o.peers.some((peer) => peer.started);
  if (!o.isLeader || clusterExists) return undefined;
  if (o.leaderData.bootstrapMember === undefined) return "claim";
  if (o.leaderData.bootstrapMember !== o.memberName || !token) return undefined;
  return { name: o.memberName, address: o.address, initialCluster: self, initialClusterState: "new", clusterToken: token };
}

/**
 * A unit without a member joins by itself, as soon as it can see a bootstrapped cluster with a raft leader
 * (through its peers or the client URLs the leader recorded): it adds itself as a learner (a non-voter that
 * changes no quorum), then starts and promotes it. etcd refuses a reconfiguration that would endanger
 * quorum, so concurrent joiners are safe; the charm retries what etcd refuses for now.
 */
function selfJoin(o: Observed, selfPeerUrl: string, selfMember: Member | undefined): Decision | undefined {
  if (!o.cluster?.raftLeaderId || !o.leaderData.token || o.hasMemberData || selfMember) return undefined;
  return decision({ kind: "add-learner", memberName: o.memberName, peerUrl: selfPeerUrl }, "maintenance", "joining the cluster as a learner");
}

/** Leaving: hand raft leadership over, leave the member list, then stop (contract: never strand a member). */
function decideDeparture(o: Observed): Decision {
  const peerPort = o.config.ok ? o.config.settings.peerPort : o.rendered.peerPort;
  const self = peerPort === undefined ? undefined : findMember(o.cluster?.members, o.memberName, memberUrl(o.address, peerPort));
  const others = (o.cluster?.members ?? []).filter((m) => m !== self);
  if (self && others.length > 0) {
    if (o.cluster?.raftLeaderId === self.ID) {
      const successor = others.find((m) => !m.isLearner && m.name !== "" && o.cluster!.answering.includes(m.clientURLs[0] ?? ""));
      if (successor)
        return decision({ kind: "move-leader", toMemberId: successor.ID, reason: "this unit is leaving" }, "maintenance", "handing over raft leadership");
    }
    return decision({ kind: "remove-member", memberId: self.ID, memberName: self.name || o.memberName, self: true }, "maintenance", "leaving the cluster");
  }
  if (o.serviceActive) return decision({ kind: "stop" }, "maintenance", "stopping etcd");
  return decision(undefined, "maintenance", "left the cluster");
}

/**
 * The leader's next membership change: drop members whose units are gone (departed, a learner no unit
 * claims for long, a stale member on a live unit's peer URL), and promote a started learner that did not
 * promote itself. Joining is each unit's own doing (selfJoin).
 */
function nextMembershipChange(o: Observed, peerPort: number): Decision | undefined {
  const cluster = o.cluster!;
  const self: Peer = { unit: o.unit, memberName: o.memberName, address: o.address, peerUrl: undefined, clientUrl: undefined, started: o.serviceActive };
  const units = [self, ...o.peers];
  const peerUrlOf = (peer: Pick<Peer, "address">) => (peer.address ? memberUrl(peer.address, peerPort) : undefined);
  const knownUrls = new Set(units.map(peerUrlOf).filter((url): url is string => url !== undefined));
  const unitNames = new Set(units.map((u) => u.memberName));
  const departedNames = new Set(o.departedUnits.map(memberNameOf));

  const unclaimed = cluster.members.filter((m) => m.isLearner && m.name === "" && !m.peerURLs.some((url) => knownUrls.has(url)));
  for (const member of cluster.members) {
    const departed = departedNames.has(member.name);
    // A joiner adds its learner before this leader sees it join the relation: only a learner unclaimed for
    // long is stranded (its unit went away before starting it).
    const since = o.unclaimedLearners[member.ID];
    const stranded = unclaimed.includes(member) && since !== undefined && o.now - since >= STRANDED_LEARNER_MS;
    // A member on a live unit's peer URL under a name no unit has: that machine's address was reused.
    const stale = member.name !== "" && !unitNames.has(member.name) && member.peerURLs.some((url) => knownUrls.has(url));
    if (departed || stranded || stale) {
      const name = member.name || `unstarted member ${member.peerURLs[0] ?? member.ID}`;
      if (cluster.raftLeaderId === member.ID) {
        const successor = cluster.members.find((m) => m !== member && !m.isLearner && m.name !== "" && cluster.answering.includes(m.clientURLs[0] ?? ""));
        if (successor)
          return decision(
            { kind: "move-leader", toMemberId: successor.ID, reason: `${name} is leaving` },
            "maintenance",
            `moving raft leadership away from ${name}`,
          );
      }
      const why = departed ? "whose unit is gone" : stranded ? "that no unit started" : "that holds a unit's peer URL under another name";
      return decision({ kind: "remove-member", memberId: member.ID, memberName: name, self: false }, "maintenance", `removing ${name}, ${why}`);
    }
  }
  const noted = Object.keys(o.unclaimedLearners).sort().join(",");
  const current = unclaimed.map((m) => m.ID).sort();
  if (current.join(",") !== noted) {
    const since = Object.fromEntries(current.map((id) => [id, o.unclaimedLearners[id] ?? o.now]));
    return decision({ kind: "note-unclaimed-learners", since }, "maintenance", "noting learners no unit claims yet");
  }

  for (const learner of cluster.members.filter((m) => m.isLearner && m.name !== "")) {
    const unit = units.find((u) => peerUrlOf(u) !== undefined && learner.peerURLs.includes(peerUrlOf(u)!));
    if (unit?.started) {
      return decision({ kind: "promote", memberId: learner.ID, memberName: learner.name }, "maintenance", `promoting ${learner.name} to a voting member`);
    }
  }
  return undefined;
}

/** initial-cluster for a member that was added but has not started: every named member plus it. */
export function initialClusterWith(members: readonly Member[], added: Member, name: string): string {
  return members
    .filter((m) => m.name !== "" || m.ID === added.ID)
    .map((m) => `${m.ID === added.ID ? name : m.name}=${m.peerURLs[0] ?? ""}`)
    .join(",");
}

/** db gets every member's client URL and the version; proxy gets `name=peerURL,…` (keys of the existing charms). */
function consumerBags(o: Observed): Record<string, Record<string, string>> | undefined {
  const started = [...o.cluster!.members].filter((m) => m.name !== "" && !m.isLearner).sort((a, b) => (a.name < b.name ? -1 : 1));
  const values = {
    db: {
      connection_string: started
        .map((m) => m.clientURLs[0] ?? "")
        .filter(Boolean)
        .join(","),
      version: o.cluster!.version ?? o.etcdVersion ?? "",
    },
    proxy: { cluster: started.map((m) => `${m.name}=${m.peerURLs[0] ?? ""}`).join(",") },
  };
  const changed: Record<string, Record<string, string>> = {};
  for (const [id, { endpoint, bag }] of Object.entries(o.consumers)) {
    const want = values[endpoint];
    if (Object.entries(want).some(([key, value]) => bag[key] !== value)) changed[id] = want;
  }
  return Object.keys(changed).length > 0 ? changed : undefined;
}

function unitOfMember(o: Observed, name: string): string {
  if (name === o.memberName) return o.unit;
  return o.peers.find((peer) => peer.memberName === name)?.unit ?? name;
}

function reportedStatus(o: Observed, self: Member | undefined, hasIdentity: boolean): [StatusKind, string] {
  if (!hasIdentity || !self) {
    if (o.cluster === undefined && !o.peers.some((p) => p.started) && !o.isLeader) return ["waiting", "waiting for the leader to bootstrap the cluster"];
    // `self` is whichever member has this unit's name or peer URL.
    if (self?.name === o.memberName && !o.hasMemberData) {
      // Never re-created silently: this member's data is gone from this unit, and an operator must decide.
      return [
        "blocked",
        `member ${o.memberName} is in the cluster but its data is not on this unit: remove the member (etcdctl member remove ${hexId(self.ID)}) to let the unit join afresh`,
      ];
    }
    if (self && self.name !== "") return ["waiting", `member ${self.name} holds this unit's peer URL; waiting for the leader to remove it`];
    return ["waiting", "waiting to join the cluster"];
  }
  if (!o.serviceActive) return ["blocked", `etcd member ${o.memberName} is not running`];
  if (self.isLearner || self.name === "") return ["waiting", "joining as learner"];
  const cluster = o.cluster!;
  const count = `${cluster.members.length} member${cluster.members.length === 1 ? "" : "s"}`;
  const silent = cluster.members.filter((m) => !cluster.answering.includes(m.clientURLs[0] ?? ""));
  const leader = cluster.members.find((m) => m.ID === cluster.raftLeaderId);
  const leaderText = leader ? `raft leader ${unitOfMember(o, leader.name)}` : "no raft leader";
  // A crash or kill that systemd recovered from is still worth an operator's attention.
  const restarted = o.serviceRestarts > 0 ? `; etcd here was restarted by systemd ${o.serviceRestarts} time${o.serviceRestarts === 1 ? "" : "s"}` : "";
  if (silent.length > 0) {
    const names = silent.map((m) => (m.name ? unitOfMember(o, m.name) : "an unstarted learner")).join(", ");
    return ["active", `${count}, degraded: ${names} not answering, ${leaderText}${restarted}`];
  }
  return ["active", `${count}, healthy, ${leaderText}${restarted}`];
}
