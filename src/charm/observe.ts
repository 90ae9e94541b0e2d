import { memberUrl } from "../domain/address.js";
import { type Member, memberNameOf } from "../domain/member.js";
import type { EtcdCluster } from "../etcd/cluster.js";
import type { Machine } from "../etcd/machine.js";
import { parseRenderedConfig } from "../etcd/render.js";
import type { Logger } from "../log.js";
import type { JujuFacts } from "./juju-state.js";
import type { ClusterView, HookIntent, Observed } from "./observed.js";
import type { Clock } from "./runtime.js";

/**
 * What the cluster says, asked of this unit's member and every peer's: the member list from the first that
 * answers, then the status of every member. A member that does not answer quickly counts as not answering.
 */
export async function readClusterView(etcd: EtcdCluster, endpoints: readonly string[], log: Logger): Promise<ClusterView | undefined> {
  let members: Member[];
  try {
    members = await etcd.members(endpoints);
  } catch (error) {
    log.warn({ endpoints, error: error instanceof Error ? error.message : String(error) }, "no member answered the member list");
    return undefined;
  }
  const urls = members.flatMap((m) => m.clientUrls.slice(0, 1));
  const statuses = urls.length > 0 ? await etcd.statuses(urls).catch(() => []) : [];
  const leaders = new Set(statuses.map((s) => s.Status.leader).filter((id) => id !== "0"));
  return {
    members,
    raftLeaderId: leaders.size === 1 ? [...leaders][0] : undefined,
    answering: statuses.map((s) => s.Endpoint),
    version: statuses[0]?.Status.version,
  };
}

export interface ObserveWorld {
  readonly machine: Machine;
  readonly etcd: EtcdCluster;
  readonly log: Logger;
  readonly clock: Clock;
}

/** Juju's facts plus this machine's files, service and the cluster as it answers now. */
export async function observe(juju: JujuFacts, world: ObserveWorld, hook: HookIntent, electionWaits: number): Promise<Observed> {
  const { files, service, packages } = world.machine;
  const [binaries, unitPathTaken, configText, unitText, running, serviceState, hasMemberData] = await Promise.all([
    packages.present(),
    files.unitPathTaken(),
    files.readConfig(),
    files.readUnit(),
    files.readRunning(),
    service.state(),
    files.hasMemberData(),
  ]);
  const { active: serviceActive, restarts: serviceRestarts } = serviceState;
  const config = parseRenderedConfig(configText);
  const localUrl = config.clientPort !== undefined ? memberUrl(juju.address, config.clientPort) : undefined;
  // This member, the peers that run one, and the voters the leader recorded: a joiner runs its first hooks
  // before Juju lists any peer to it (relation-list grows with its cluster-relation-joined hooks).
  const endpoints = [
    ...new Set([
      ...(localUrl && serviceActive ? [localUrl] : []),
      ...juju.peers.flatMap((p) => (p.started && p.clientUrl ? [p.clientUrl] : [])),
      ...juju.leaderData.clientUrls,
    ]),
  ];
  const cluster = endpoints.length > 0 ? await readClusterView(world.etcd, endpoints, world.log) : undefined;
  return {
    ...juju,
    memberName: memberNameOf(juju.unit),
    hook,
    electionWaits,
    installed: binaries && unitPathTaken,
    etcdVersion: cluster?.version ?? (binaries ? await packages.version() : undefined),
    rendered: {
      configText,
      unitText,
      initialCluster: config.initialCluster,
      initialClusterState: config.initialClusterState,
      clientPort: config.clientPort,
      peerPort: config.peerPort,
      running,
    },
    serviceActive,
    serviceRestarts,
    hasMemberData,
    now: world.clock.now(),
    cluster,
  };
}
