import { hasEndpoint, memberUrl, schemeOf } from "../domain/address.js";
import { clientUrlOf, type Member } from "../domain/member.js";
import type { ClusterView, Observed } from "./observed.js";

/** Pure questions about the cluster's shape, asked by several decisions: each answered in one place. */

/** The member with this unit's name or its peer URL (over http or https: a member keeps its listener through a TLS switch). */
export function findMember(members: readonly Member[] | undefined, name: string, peerUrl: string): Member | undefined {
  return members?.find((m) => m.name === name || hasEndpoint(m.peerUrls, peerUrl));
}

/**
 * Who takes over raft leadership from `leaving`: the first named voter, other than it, that answers. The one
 * rule for every hand-over (a departing unit, a member the leader removes, a member about to restart).
 */
export function raftSuccessor(cluster: ClusterView, leaving: Member): Member | undefined {
  return cluster.members.find((m) => m.id !== leaving.id && !m.isLearner && m.name !== "" && cluster.answering.includes(clientUrlOf(m)));
}

/** Client URLs of members that answer, `selfUrl` last (the others first: a change is best asked of a peer). */
export function answering(cluster: ClusterView | undefined, selfUrl: string): string[] {
  const urls = cluster?.answering ?? [];
  const others = urls.filter((url) => url !== selfUrl);
  return urls.includes(selfUrl) ? [...others, selfUrl] : others;
}

/** Client URLs of members that answer, without this unit's own. */
export function answeringOthers(cluster: ClusterView | undefined, selfUrl: string): string[] {
  return (cluster?.answering ?? []).filter((url) => url !== selfUrl);
}

/** Client URLs of answering voters: membership changes are asked of them (a learner serves no such request). */
export function answeringVoters(cluster: ClusterView | undefined, selfUrl: string): string[] {
  const learnerUrls = new Set((cluster?.members ?? []).filter((m) => m.isLearner).flatMap((m) => m.clientUrls));
  return answering(cluster, selfUrl).filter((url) => !learnerUrls.has(url));
}

/** The raft leader's client URL, where a leadership transfer must be asked. */
export function leaderEndpoints(cluster: ClusterView, selfUrl: string): string[] {
  const leader = cluster.members.find((m) => m.id === cluster.raftLeaderId);
  return leader ? leader.clientUrls.slice(0, 1) : answering(cluster, selfUrl);
}

/** initial-cluster for a member that was added but has not started: every named member plus it. */
export function initialClusterWith(members: readonly Member[], added: Member, name: string): string {
  return members
    .filter((m) => m.name !== "" || m.id === added.id)
    .map((m) => `${m.id === added.id ? name : m.name}=${m.peerUrls[0] ?? ""}`)
    .join(",");
}

/**
 * Where this unit's own etcd answers: its address, the client port of its files and the scheme it was
 * started with (files may already name the scheme it restarts into); "" before anything is rendered.
 */
export function localClientUrl(o: Pick<Observed, "address" | "rendered">, fallbackPort: number | undefined): string {
  const port = o.rendered.clientPort ?? fallbackPort;
  return port === undefined ? "" : memberUrl(o.address, port, schemeOf(o.rendered.servingClientUrl) ?? "http");
}
