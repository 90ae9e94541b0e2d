/**
 * Plain-object fixtures for the decide tests: a converged three-unit cluster seen from any unit, and the
 * pieces to vary it. No I/O beyond reading the charm's templates and config.yaml once.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { repoRoot } from "../../../scripts/build.js";
import { parseCharmConfig } from "../../../src/charm/config.js";
import { decide, type Action, type Decision } from "../../../src/charm/decide.js";
import type { ClusterView, HookIntent, Observed, Peer } from "../../../src/charm/observed.js";
import type { Member } from "../../../src/domain/member.js";
import { etcdPaths } from "../../../src/etcd/paths.js";
import { renderEtcdConfig, renderServiceUnit } from "../../../src/etcd/render.js";

export const templates = {
  config: await readFile(path.join(repoRoot, "templates", "etcd.conf.yml"), "utf8"),
  unit: await readFile(path.join(repoRoot, "templates", "etcd.service"), "utf8"),
};
export const paths = etcdPaths("/");
/** An ordinary hook on a unit that stays. */
export const STAYING: HookIntent = { departing: false, departedPeer: undefined, mayInstall: true };
/** This unit's own departure (stop, remove, or its own cluster-relation-departed). */
export const LEAVING: HookIntent = { departing: true, departedPeer: undefined, mayInstall: true };
export const NOTHING_RENDERED: Observed["rendered"] = {
  configText: undefined,
  unitText: undefined,
  initialCluster: undefined,
  initialClusterState: undefined,
  clientPort: undefined,
  peerPort: undefined,
  running: undefined,
};
export const defaults = Object.fromEntries(
  Object.entries((parseYaml(await readFile(path.join(repoRoot, "config.yaml"), "utf8")) as { options: Record<string, { default: unknown }> }).options).map(
    ([k, v]) => [k, v.default],
  ),
);
export const TOKEN = "0123456789abcdef0123456789abcdef";
export const NOW = 1_800_000_000_000;
export const ip = (n: number) => `10.0.0.${10 + n}`;
export const peerUrl = (n: number) => `http://${ip(n)}:2380`;
export const clientUrl = (n: number) => `http://${ip(n)}:2379`;
export const member = (n: number, extra: Partial<Member> = {}): Member => ({
  id: String(1000 + n),
  name: `etcd${n}`,
  peerUrls: [peerUrl(n)],
  clientUrls: [clientUrl(n)],
  isLearner: false,
  ...extra,
});
export const peer = (n: number, started = true): Peer => ({
  unit: `etcd/${n}`,
  memberName: `etcd${n}`,
  address: ip(n),
  peerUrl: peerUrl(n),
  clientUrl: clientUrl(n),
  started,
});
export const cluster = (members: Member[], leader = members[0]!.id): ClusterView => ({
  members,
  raftLeaderId: leader,
  answering: members.filter((m) => m.name !== "").map((m) => m.clientUrls[0]!),
  version: "3.4.23",
});

/** The config this unit would have rendered for a member with the given identity. */
export function rendered(n: number, initialCluster: string, state: "new" | "existing" = "existing") {
  const settings = parseCharmConfig(defaults);
  if (!settings.ok) throw new Error("defaults invalid");
  const configText = renderEtcdConfig(
    { settings: settings.settings, member: { name: `etcd${n}`, address: ip(n), initialCluster, initialClusterState: state, clusterToken: TOKEN }, paths },
    templates.config,
  );
  const unitText = renderServiceUnit({ memberName: `etcd${n}`, paths }, templates.unit);
  return { configText, unitText, initialCluster, initialClusterState: state, clientPort: 2379, peerPort: 2380, running: { configText, unitText } };
}

/** A converged three-unit cluster seen from unit n (etcd/0 is the Juju leader and the raft leader). */
export function converged(n = 0, overrides: Partial<Observed> = {}): Observed {
  const members = [0, 1, 2].map((i) => member(i));
  return {
    unit: `etcd/${n}`,
    memberName: `etcd${n}`,
    address: ip(n),
    isLeader: n === 0,
    hook: STAYING,
    electionWaits: 0,
    leftCluster: false,
    config: parseCharmConfig(defaults),
    installed: true,
    etcdVersion: "3.4.23",
    rendered: rendered(n, `etcd0=${peerUrl(0)}`),
    serviceActive: true,
    serviceRestarts: 0,
    hasMemberData: true,
    leaderData: { token: TOKEN, bootstrapMember: "etcd0", grants: {}, members: "etcd0,etcd1,etcd2", clientUrls: [0, 1, 2].map(clientUrl) },
    clusterRelationId: "cluster:1",
    peers: [0, 1, 2].filter((i) => i !== n).map((i) => peer(i)),
    publishedPeerData: { "peer-url": peerUrl(n), "client-url": clientUrl(n), "member-state": "started" },
    departedUnits: [],
    unclaimedLearners: {},
    now: NOW,
    cluster: cluster(members),
    consumers: {},
    ...overrides,
  };
}

export const run = (observed: Observed): Decision => decide({ observed, templates, paths });
export const action = (observed: Observed): Action | undefined => run(observed).action;
