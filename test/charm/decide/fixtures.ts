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
import { etcdctlEnvironment } from "../../../src/charm/credentials.js";
import type { ClusterView, HookIntent, Observed, Peer, TlsFilesView } from "../../../src/charm/observed.js";
import { bundleFile } from "../../../src/charm/tls.js";
import type { Scheme } from "../../../src/domain/address.js";
import type { Member } from "../../../src/domain/member.js";
import { etcdPaths } from "../../../src/etcd/paths.js";
import { renderEtcdConfig, renderServiceUnit, type TlsFiles } from "../../../src/etcd/render.js";
import type { CertificateFacts } from "../../../src/tls/inspect.js";

export const templates = {
  config: await readFile(path.join(repoRoot, "templates", "etcd.conf.yml"), "utf8"),
  unit: await readFile(path.join(repoRoot, "templates", "etcd.service"), "utf8"),
};
export const paths = etcdPaths("/");
/** An ordinary hook on a unit that stays. */
export const STAYING: HookIntent = {
  departing: false,
  departedPeer: undefined,
  mayInstall: true,
  dataAttached: false,
  relationBroken: false,
  machineUpgradeTo: undefined,
};
/** This unit's own departure (stop, remove, or its own cluster-relation-departed). */
export const LEAVING: HookIntent = {
  departing: true,
  departedPeer: undefined,
  mayInstall: true,
  dataAttached: false,
  relationBroken: false,
  machineUpgradeTo: undefined,
};
export const NOTHING_RENDERED: Observed["rendered"] = {
  configText: undefined,
  unitText: undefined,
  initialCluster: undefined,
  initialClusterState: undefined,
  clientPort: undefined,
  peerPort: undefined,
  running: undefined,
  servingClientUrl: undefined,
};
export const defaults = Object.fromEntries(
  Object.entries((parseYaml(await readFile(path.join(repoRoot, "config.yaml"), "utf8")) as { options: Record<string, { default: unknown }> }).options).map(
    ([k, v]) => [k, v.default],
  ),
);
export const TOKEN = "0123456789abcdef0123456789abcdef";
export const NOW = 1_800_000_000_000;
export const ip = (n: number) => `10.0.0.${10 + n}`;
export const hostname = (n: number) => `machine-${n}`;
/** Member URLs under TLS (the default, `tls: true`); `scheme` for a plaintext member. */
export const peerUrl = (n: number, scheme: Scheme = "https") => `${scheme}://${ip(n)}:2380`;
export const clientUrl = (n: number, scheme: Scheme = "https") => `${scheme}://${ip(n)}:2379`;

/** The cluster CA as leader data names it; decide never parses the bundle, it only passes it on. */
export const CA_SECRET = "secret:d0000000000000000001";
export const CA_FINGERPRINT = "0123456789abcdef";
export const CA_BUNDLE = "-----BEGIN CERTIFICATE-----\nTUlJQmNsdXN0ZXJDQQ==\n-----END CERTIFICATE-----\n";
export const WITH_CA = { caSecretId: CA_SECRET, caBundle: CA_BUNDLE, ownCa: CA_BUNDLE, clientSecrets: {} } as const;
export const NO_CA = { caSecretId: undefined, caBundle: undefined, ownCa: undefined, clientSecrets: {} } as const;
export const DAY_MS = 24 * 3600_000;

/** What a member certificate on disk says: issued 30 days ago for a year, naming the unit's address and host name. */
export const certificate = (n: number, extra: Partial<CertificateFacts> = {}): CertificateFacts => ({
  commonName: `etcd${n}`,
  organization: "etcd",
  issuer: "CN=etcd etcd CA\nO=etcd",
  notBeforeMs: NOW - 30 * DAY_MS,
  notAfterMs: NOW + 335 * DAY_MS,
  dnsNames: [hostname(n), "etcd.etcd-peer"],
  ipAddresses: [ip(n)],
  isCa: false,
  fingerprint: "ab".repeat(32),
  ...extra,
});
/** This member's TLS files as etcd is given them. */
export const memberFiles: TlsFiles = {
  caFile: bundleFile(paths, [CA_FINGERPRINT]),
  certFile: paths.certFile,
  keyFile: paths.keyFile,
  peerHostname: "etcd.etcd-peer",
};
/** Unit n's TLS files, all in place and current, its etcd started with them. */
export const tlsInPlace = (n: number, scheme: Scheme = "https"): TlsFilesView => ({
  caFingerprints: [CA_FINGERPRINT],
  ownCaFingerprint: CA_FINGERPRINT,
  ownCaExpiresMs: NOW + 3000 * DAY_MS,
  providedMember: undefined,
  providedClients: {},
  certificate: certificate(n),
  keyMatches: true,
  issuer: CA_FINGERPRINT,
  bundleWritten: true,
  runningTrust: [CA_FINGERPRINT],
  etcdctlEnv: etcdctlEnvironment(clientUrl(n, scheme), memberFiles, paths),
});
/** A unit before anything of TLS is on its disk. */
export const NO_TLS_FILES: TlsFilesView = {
  caFingerprints: [],
  ownCaFingerprint: undefined,
  ownCaExpiresMs: undefined,
  providedMember: undefined,
  providedClients: {},
  certificate: undefined,
  keyMatches: false,
  issuer: undefined,
  bundleWritten: false,
  runningTrust: [],
  etcdctlEnv: undefined,
};
export const member = (n: number, extra: Partial<Member> = {}, scheme: Scheme = "https"): Member => ({
  id: String(1000 + n),
  name: `etcd${n}`,
  peerUrls: [peerUrl(n, scheme)],
  clientUrls: [clientUrl(n, scheme)],
  isLearner: false,
  ...extra,
});
/** What unit n publishes in its peer bag once converged under TLS, with the keys that differ overridden. */
export const peerValues = (n: number, overrides: Record<string, string> = {}): Record<string, string> => ({
  "peer-url": peerUrl(n),
  "client-url": clientUrl(n),
  "member-state": "started",
  "tls-trusted-cas": CA_FINGERPRINT,
  "tls-cert-issuer": CA_FINGERPRINT,
  "tls-client-issuers": "none",
  "member-id": String(1000 + n),
  "etcd-version": "3.4.23",
  ...overrides,
});
export const peer = (n: number, started = true, scheme: Scheme = "https"): Peer => ({
  unit: `etcd/${n}`,
  memberName: `etcd${n}`,
  address: ip(n),
  peerUrl: peerUrl(n, scheme),
  clientUrl: clientUrl(n, scheme),
  started,
  trustedCas: started ? [CA_FINGERPRINT] : [],
  certIssuer: started ? CA_FINGERPRINT : undefined,
  clientIssuers: started ? [] : undefined,
});
export const cluster = (members: Member[], leader = members[0]!.id): ClusterView => ({
  members,
  raftLeaderId: leader,
  answering: members.filter((m) => m.name !== "").map((m) => m.clientUrls[0]!),
  version: "3.4.23",
  alarms: [],
  dbSizes: {},
  versions: Object.fromEntries(members.filter((m) => m.name !== "").map((m) => [m.clientUrls[0]!, "3.4.23"])),
});

/** The config this unit would have rendered for a member with the given identity. */
/**
 * The config this unit would have rendered for a member with the given identity, running it: by default under
 * TLS (https, its files in place); a plaintext member may still hold its files (it then dials https peers).
 */
export function rendered(
  n: number,
  initialCluster: string,
  state: "new" | "existing" = "existing",
  options: { scheme?: Scheme; files?: TlsFiles | undefined; config?: Record<string, unknown> } = {},
): Observed["rendered"] {
  const settings = parseCharmConfig({ ...defaults, ...options.config });
  if (!settings.ok) throw new Error("config invalid");
  const scheme = options.scheme ?? "https";
  const files = "files" in options ? options.files : memberFiles;
  const configText = renderEtcdConfig(
    {
      settings: settings.settings,
      member: { name: `etcd${n}`, address: ip(n), initialCluster, initialClusterState: state, clusterToken: TOKEN },
      paths,
      scheme,
      tls: files,
    },
    templates.config,
  );
  const unitText = renderServiceUnit({ memberName: `etcd${n}`, paths }, templates.unit);
  return {
    configText,
    unitText,
    initialCluster,
    initialClusterState: state,
    clientPort: 2379,
    peerPort: 2380,
    running: { configText, unitText },
    servingClientUrl: clientUrl(n, scheme),
  };
}

/** A converged three-unit TLS cluster seen from unit n (etcd/0 is the Juju leader and the raft leader). */
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
    localEtcdVersion: "3.4.23",
    rendered: rendered(n, `etcd0=${peerUrl(0)}`),
    serviceActive: true,
    serviceRestarts: 0,
    hasMemberData: true,
    leaderData: {
      token: TOKEN,
      bootstrapMember: "etcd0",
      grants: {},
      members: "etcd0,etcd1,etcd2",
      clientUrls: [0, 1, 2].map((i) => clientUrl(i)),
      ...WITH_CA,
    },
    clusterRelationId: "cluster:1",
    peers: [0, 1, 2].filter((i) => i !== n).map((i) => peer(i)),
    publishedPeerData: peerValues(n),
    departedUnits: [],
    unclaimedLearners: {},
    now: NOW,
    cluster: cluster(members),
    consumers: {},
    publishedCredentials: {},
    committedClientIssuers: [],
    caToRecord: undefined,
    clientSecretsToRecord: {},
    appName: "etcd",
    certificates: undefined,
    s3: undefined,
    tls: tlsInPlace(n),
    hostname: hostname(n),
    ...overrides,
  };
}

export const run = (observed: Observed): Decision => decide({ observed, templates, paths });
export const action = (observed: Observed): Action | undefined => run(observed).action;
