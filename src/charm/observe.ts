import { type Member, memberNameOf } from "../domain/member.js";
import type { EtcdCluster } from "../etcd/cluster.js";
import type { Machine } from "../etcd/machine.js";
import { parseRenderedConfig } from "../etcd/render.js";
import { bundleFingerprints, certificateFingerprint } from "../etcd/tls-files.js";
import { isIssuedBy, readCertificate } from "../tls/inspect.js";
import { answerTo } from "./certificates-data.js";
import type { Logger } from "../log.js";
import type { JujuFacts } from "./juju-state.js";
import type { ClusterView, HookIntent, Observed, ProvidedCertificate, ProviderCertificate, TlsFilesView } from "./observed.js";
import { bundleFile } from "./tls.js";
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
    // etcd reports an active alarm in every member's status errors: "memberID:… alarm:NOSPACE".
    alarms: [...new Set(statuses.flatMap((s) => s.Status.errors.flatMap((error) => /alarm:([A-Z]+)/.exec(error)?.[1] ?? [])))],
    dbSizes: Object.fromEntries(statuses.map((s) => [s.Endpoint, s.Status.dbSize])),
    versions: Object.fromEntries(statuses.map((s) => [s.Endpoint, s.Status.version])),
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
  const [binaries, unitPathTaken, configText, unitText, running, serviceState, hasMemberData, tls] = await Promise.all([
    packages.present(),
    files.unitPathTaken(),
    files.readConfig(),
    files.readUnit(),
    files.readRunning(),
    service.state(),
    files.hasMemberData(),
    observeTls(juju, world),
  ]);
  const { active: serviceActive, restarts: serviceRestarts } = serviceState;
  const config = parseRenderedConfig(configText);
  const runningConfig = running ? parseRenderedConfig(running.configText) : undefined;
  // What etcd serves now is what it was started with; the files may already hold what it restarts into.
  const servingClientUrl = runningConfig?.clientUrls[0] ?? config.clientUrls[0];
  // This member, the peers that run one, and the voters the leader recorded: a joiner runs its first hooks
  // before Juju lists any peer to it (relation-list grows with its cluster-relation-joined hooks).
  const endpoints = [
    ...new Set([
      ...(servingClientUrl && serviceActive ? [servingClientUrl] : []),
      ...juju.peers.flatMap((p) => (p.started && p.clientUrl ? [p.clientUrl] : [])),
      ...juju.leaderData.clientUrls,
    ]),
  ];
  const [cluster, runningTrust] = await Promise.all([
    endpoints.length > 0 ? readClusterView(world.etcd, endpoints, world.log) : undefined,
    world.machine.tls.fingerprintsOf(runningConfig?.trustedCaFile),
  ]);
  // The running member's version is in its status; `etcd --version` is asked only when it runs none.
  const runningVersion = servingClientUrl ? cluster?.versions[servingClientUrl] : undefined;
  const localEtcdVersion = runningVersion ?? (binaries ? await packages.version() : undefined);
  return {
    ...juju,
    memberName: memberNameOf(juju.unit),
    hook,
    electionWaits,
    installed: binaries && unitPathTaken,
    etcdVersion: cluster?.version ?? localEtcdVersion,
    localEtcdVersion,
    rendered: {
      configText,
      unitText,
      initialCluster: config.initialCluster,
      initialClusterState: config.initialClusterState,
      clientPort: config.clientPort,
      peerPort: config.peerPort,
      running,
      servingClientUrl,
    },
    serviceActive,
    serviceRestarts,
    hasMemberData,
    now: world.clock.now(),
    cluster,
    tls: { ...tls, runningTrust },
    hostname: world.machine.hostname(),
  };
}

/** The TLS files against the leader's CA bundle: facts only (the key is read to match it, never kept). */
async function observeTls(juju: JujuFacts, world: ObserveWorld): Promise<Omit<TlsFilesView, "runningTrust">> {
  const store = world.machine.tls;
  const bundle = juju.leaderData.caBundle;
  const caFingerprints = bundleFingerprints(bundle);
  const [member, bundleWritten, etcdctlEnv] = await Promise.all([
    store.readMemberCertificate(bundle),
    bundle ? store.bundleWritten(bundle, bundleFile(store.paths, caFingerprints)) : Promise.resolve(false),
    store.readEtcdctlEnv(),
  ]);
  const ownCa = juju.leaderData.ownCa;
  const certificates = juju.certificates;
  const providedClients: Record<string, ProvidedCertificate> = {};
  for (const [number, csr] of Object.entries(certificates?.clientRequests ?? {})) {
    const read = readProvided(answerTo(certificates?.provided ?? [], csr));
    if (read) providedClients[number] = read;
  }
  return {
    caFingerprints,
    ownCaFingerprint: ownCa ? certificateFingerprint(ownCa) : undefined,
    ownCaExpiresMs: ownCa ? readCertificate(ownCa)?.notAfterMs : undefined,
    providedMember: readProvided(answerTo(certificates?.provided ?? [], certificates?.memberRequest?.csr)),
    providedClients,
    ...member,
    bundleWritten,
    etcdctlEnv,
  };
}

/** A provider's answer, read; undefined when its certificate or CA does not parse, or it is a CA certificate. */
function readProvided(entry: ProviderCertificate | undefined): ProvidedCertificate | undefined {
  if (!entry) return undefined;
  const facts = readCertificate(entry.certificate);
  const caFingerprint = certificateFingerprint(entry.ca);
  if (!facts || facts.isCa || !caFingerprint || !isIssuedBy(entry.certificate, entry.ca)) return undefined;
  return { certificatePem: `${entry.certificate}\n`, caPem: `${entry.ca}\n`, caFingerprint, facts };
}
