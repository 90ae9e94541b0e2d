import { parse as parseYaml } from "yaml";
import { Etcdctl, type Member } from "../etcd/etcdctl.js";
import type { EtcdFiles } from "../etcd/files.js";
import type { SystemdService } from "../etcd/service.js";
import type { HookTools } from "../juju/client.js";
import type { Logger } from "../log.js";
import {
  DEPARTED_STATE_KEY,
  LEFT_STATE_KEY,
  memberNameOf,
  parseDepartedUnits,
  parseLeaderData,
  parsePeerUnitData,
  parseUnclaimedLearners,
  UNCLAIMED_STATE_KEY,
  type LeaderData,
  type Rejected,
} from "./cluster-data.js";
import { parseCharmConfig, type ConfigResult } from "./config.js";
import type { ClusterView, Observed, Peer, RenderedState } from "./observed.js";

/** What Juju tells this hook. Read once per hook; the shell patches it after its own writes. */
export interface JujuView {
  unit: string;
  address: string;
  isLeader: boolean;
  config: ConfigResult;
  leaderData: LeaderData;
  clusterRelationId: string | undefined;
  peers: Peer[];
  publishedPeerData: Record<string, string>;
  departedUnits: string[];
  /** This unit left the cluster in an earlier hook. */
  leftCluster: boolean;
  unclaimedLearners: Record<string, number>;
  consumers: Record<string, { endpoint: "db" | "proxy"; bag: Record<string, string> }>;
}

function warnRejected(log: Logger, source: string, rejected: readonly Rejected[]): void {
  for (const { key, reason } of rejected) log.warn({ source, key, reason }, "ignoring malformed data");
}

export async function readJujuView(tools: HookTools, unit: string, log: Logger): Promise<JujuView> {
  const [configRaw, isLeader, leaderRaw, address, clusterIds, dbIds, proxyIds, unitState] = await Promise.all([
    tools.configGet(),
    tools.isLeader(),
    tools.leaderGet(),
    tools.unitGet("private-address"),
    tools.relationIds("cluster"),
    tools.relationIds("db"),
    tools.relationIds("proxy"),
    tools.stateGetAll(),
  ]);
  const leader = parseLeaderData(leaderRaw);
  warnRejected(log, "leader settings", leader.rejected);
  const clusterRelationId = clusterIds[0];
  const peers: Peer[] = [];
  let publishedPeerData: Record<string, string> = {};
  if (clusterRelationId) {
    const names = await tools.relationList(clusterRelationId);
    const bags = await Promise.all([unit, ...names].map((name) => tools.relationGet(clusterRelationId, name)));
    publishedPeerData = bags[0] ?? {};
    names.forEach((name, i) => {
      const parsed = parsePeerUnitData(bags[i + 1] ?? {});
      warnRejected(log, `cluster relation data of ${name}`, parsed.rejected);
      peers.push({ unit: name, memberName: memberNameOf(name), ...parsed.data });
    });
    peers.sort((a, b) => Number(a.unit.split("/")[1]) - Number(b.unit.split("/")[1]));
  }
  const consumers: JujuView["consumers"] = {};
  const consumerIds = [...dbIds.map((id) => ["db", id] as const), ...proxyIds.map((id) => ["proxy", id] as const)];
  const consumerBags = await Promise.all(consumerIds.map(([, id]) => tools.relationGet(id, unit)));
  consumerIds.forEach(([endpoint, id], i) => {
    consumers[id] = { endpoint, bag: consumerBags[i] ?? {} };
  });
  return {
    unit,
    address,
    isLeader,
    config: parseCharmConfig(configRaw),
    leaderData: leader.data,
    clusterRelationId,
    peers,
    publishedPeerData,
    departedUnits: parseDepartedUnits(unitState[DEPARTED_STATE_KEY]),
    leftCluster: unitState[LEFT_STATE_KEY] === "true",
    unclaimedLearners: parseUnclaimedLearners(unitState[UNCLAIMED_STATE_KEY]),
    consumers,
  };
}

/** Reads back the initial-* values and ports of the rendered config. */
function renderedState(configText: string | undefined, unitText: string | undefined, running: RenderedState["running"]): RenderedState {
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = configText ? parseYaml(configText) : {};
    if (value && typeof value === "object") parsed = value as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  const port = (key: string) => {
    const match = typeof parsed[key] === "string" ? /:(\d+)$/.exec(parsed[key] as string) : null;
    return match ? Number(match[1]) : undefined;
  };
  const state = parsed["initial-cluster-state"];
  return {
    configText,
    unitText,
    initialCluster: typeof parsed["initial-cluster"] === "string" ? (parsed["initial-cluster"] as string) : undefined,
    initialClusterState: state === "new" || state === "existing" ? state : undefined,
    clientPort: port("advertise-client-urls"),
    peerPort: port("initial-advertise-peer-urls"),
    running,
  };
}

/**
 * What the cluster says, asked of this unit's member and every peer's: the member list from the first that
 * answers, then the status of every member. Short timeouts: a member that does not answer quickly counts as
 * not answering.
 */
export async function readClusterView(endpoints: readonly string[], log: Logger): Promise<ClusterView | undefined> {
  // One call with every endpoint: the client fails over by itself, and a learner alone (which refuses
  // member list until it is promoted) would spend the whole command timeout.
  let members: Member[];
  try {
    members = await new Etcdctl({ endpoints, dialTimeoutMs: 1000, commandTimeoutMs: 2000 }).memberList();
  } catch (error) {
    log.warn({ endpoints, error: error instanceof Error ? error.message : String(error) }, "no member answered the member list");
    return undefined;
  }
  const urls = members.flatMap((m) => m.clientURLs.slice(0, 1));
  const statuses = urls.length > 0 ? await new Etcdctl({ endpoints: urls, dialTimeoutMs: 1000, commandTimeoutMs: 2000 }).endpointStatus().catch(() => []) : [];
  const leaders = new Set(statuses.map((s) => s.Status.leader).filter((id) => id !== "0"));
  return {
    members,
    raftLeaderId: leaders.size === 1 ? [...leaders][0] : undefined,
    answering: statuses.map((s) => s.Endpoint),
    version: statuses[0]?.Status.version,
  };
}

export interface MachineDeps {
  readonly files: EtcdFiles;
  readonly service: SystemdService;
  readonly installed: () => Promise<boolean>;
  readonly etcdVersion: () => Promise<string | undefined>;
}

/** Juju's view plus this machine's files, service and the cluster as it answers now. */
export async function observe(juju: JujuView, machine: MachineDeps, departing: boolean, log: Logger): Promise<Observed> {
  const [binaries, unitPathTaken, configText, unitText, running, service, hasMemberData] = await Promise.all([
    machine.installed(),
    machine.files.unitPathTaken(),
    machine.files.readConfig(),
    machine.files.readUnit(),
    machine.files.readRunning(),
    machine.service.state(),
    machine.files.hasMemberData(),
  ]);
  const { active: serviceActive, restarts: serviceRestarts } = service;
  const rendered = renderedState(configText, unitText, running);
  const localUrl = rendered.clientPort !== undefined ? `http://${juju.address}:${rendered.clientPort}` : undefined;
  // This member, the peers that run one, and the voters the leader recorded: a joiner runs its first hooks
  // before Juju lists any peer to it (relation-list grows with its cluster-relation-joined hooks).
  const endpoints = [
    ...new Set([
      ...(localUrl && serviceActive ? [localUrl] : []),
      ...juju.peers.flatMap((p) => (p.started && p.clientUrl ? [p.clientUrl] : [])),
      ...juju.leaderData.clientUrls,
    ]),
  ];
  const cluster = endpoints.length > 0 ? await readClusterView(endpoints, log) : undefined;
  return {
    unit: juju.unit,
    memberName: memberNameOf(juju.unit),
    address: juju.address,
    isLeader: juju.isLeader,
    departing: departing || juju.leftCluster,
    config: juju.config,
    installed: binaries && unitPathTaken,
    etcdVersion: cluster?.version ?? (binaries ? await machine.etcdVersion() : undefined),
    rendered,
    serviceActive,
    serviceRestarts,
    hasMemberData,
    leaderData: juju.leaderData,
    peers: juju.peers,
    publishedPeerData: juju.publishedPeerData,
    departedUnits: juju.departedUnits,
    unclaimedLearners: juju.unclaimedLearners,
    now: Date.now(),
    cluster,
    consumers: juju.consumers,
  };
}
