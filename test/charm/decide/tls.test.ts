import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { parseCharmConfig } from "../../../src/charm/config.js";
import { etcdctlEnvironment } from "../../../src/charm/credentials.js";
import type { Observed } from "../../../src/charm/observed.js";
import { CA_VALIDITY_MS, CERTIFICATE_VALIDITY_MS } from "../../../src/charm/tls.js";
import type { Scheme } from "../../../src/domain/address.js";
import {
  action,
  CA_BUNDLE,
  CA_FINGERPRINT,
  CA_SECRET,
  certificate,
  clientUrl,
  cluster,
  converged,
  DAY_MS,
  defaults,
  member,
  memberFiles,
  NO_CA,
  NO_TLS_FILES,
  NOTHING_RENDERED,
  NOW,
  paths,
  peer,
  peerUrl,
  peerValues,
  rendered,
  run,
  tlsInPlace,
  TOKEN,
  WITH_CA,
} from "./fixtures.js";

/**
 * The charm's TLS decisions (src/charm/tls.ts, credentials.ts, decide.ts steps 0–4): plain objects in, one
 * decision out. The fixtures' converged cluster runs https with every unit's files in place.
 */

const config = (options: Record<string, unknown>) => parseCharmConfig({ ...defaults, ...options });
const OTHER_CA = "fedcba9876543210";

/** A converged cluster still on http (tls was off, or an earlier revision): every member holds its certificate and trusts the CA. */
const onHttp = (n: number, overrides: Partial<Observed> = {}): Observed =>
  converged(n, {
    rendered: rendered(n, `etcd0=${peerUrl(0, "http")}`, "existing", { scheme: "http" }),
    peers: [0, 1, 2].filter((i) => i !== n).map((i) => peer(i, true, "http")),
    publishedPeerData: {
      "peer-url": peerUrl(n, "http"),
      "client-url": clientUrl(n, "http"),
      "member-state": "started",
      "tls-trusted-cas": CA_FINGERPRINT,
      "tls-cert-issuer": CA_FINGERPRINT,
      "tls-client-issuers": "none",
      "member-id": String(1000 + n),
      "etcd-version": "3.4.23",
    },
    cluster: cluster([0, 1, 2].map((i) => member(i, {}, "http"))),
    leaderData: { ...converged().leaderData, clientUrls: [0, 1, 2].map((i) => clientUrl(i, "http")) },
    tls: tlsInPlace(n, "http"),
    ...overrides,
  });

/** The leader's bundle is known but nothing of it is on this unit's disk yet. */
const NOTHING_ON_DISK = { ...NO_TLS_FILES, caFingerprints: [CA_FINGERPRINT], ownCaFingerprint: CA_FINGERPRINT };

/** A plaintext cluster an earlier revision deployed: no CA, no TLS files, nobody trusting anything. */
const earlierRevision = (n: number, overrides: Partial<Observed> = {}): Observed =>
  onHttp(n, {
    rendered: rendered(n, `etcd0=${peerUrl(0, "http")}`, "existing", { scheme: "http", files: undefined }),
    peers: [0, 1, 2].filter((i) => i !== n).map((i) => ({ ...peer(i, true, "http"), trustedCas: [] })),
    publishedPeerData: {
      "peer-url": peerUrl(n, "http"),
      "client-url": clientUrl(n, "http"),
      "member-state": "started",
      "tls-client-issuers": "none",
      "member-id": String(1000 + n),
      "etcd-version": "3.4.23",
    },
    leaderData: { ...onHttp(n).leaderData, ...NO_CA },
    tls: { ...NO_TLS_FILES, etcdctlEnv: etcdctlEnvironment(clientUrl(n, "http"), undefined, paths) },
    ...overrides,
  });

/** etcd/3, installed, no member yet, seeing the cluster through the leader's recorded client URLs. */
const joiner = (overrides: Partial<Observed> = {}): Observed =>
  converged(3, { rendered: NOTHING_RENDERED, serviceActive: false, hasMemberData: false, peers: [], publishedPeerData: {}, ...overrides });

const listenUrls = (configText: string) => {
  const parsed = parseYaml(configText) as Record<string, unknown>;
  return [parsed["listen-peer-urls"], parsed["listen-client-urls"]];
};

describe("the cluster's certificate authority", () => {
  it("the Juju leader without one creates it before anything else, even before it bootstraps", () => {
    const fresh = converged(0, {
      rendered: NOTHING_RENDERED,
      serviceActive: false,
      hasMemberData: false,
      leaderData: { token: undefined, bootstrapMember: undefined, grants: {}, members: undefined, clientUrls: [], ...NO_CA },
      peers: [],
      publishedPeerData: {},
      cluster: undefined,
      tls: NO_TLS_FILES,
    });
    expect(run(fresh)).toEqual({
      action: { kind: "create-ca", appName: "etcd", validityMs: CA_VALIDITY_MS },
      status: { kind: "maintenance", message: "creating the cluster's certificate authority" },
    });
  });

  it("the leader of a running cluster that has none (deployed by an earlier revision) creates it too", () => {
    expect(action(earlierRevision(0))).toEqual({ kind: "create-ca", appName: "etcd", validityMs: CA_VALIDITY_MS });
  });

  it("a unit that is not the leader waits for it, and never joins in plaintext while tls is on", () => {
    const waiting = joiner({ isLeader: false, leaderData: { ...converged().leaderData, ...NO_CA }, tls: NO_TLS_FILES });
    expect(run(waiting)).toEqual({
      action: undefined,
      status: { kind: "waiting", message: "waiting for the leader to create the cluster's certificate authority" },
    });
    // With tls off it joins at once, over http.
    expect(action({ ...waiting, config: config({ tls: false }) })).toEqual({
      kind: "add-learner",
      memberName: "etcd3",
      peerUrl: peerUrl(3, "http"),
      endpoints: [0, 1, 2].map((i) => clientUrl(i)),
    });
  });

  it("a running member of a cluster without a CA keeps running as it is while it waits: nothing to do", () => {
    expect(run(earlierRevision(1))).toEqual({ action: undefined, status: { kind: "active", message: "3 members, healthy, raft leader etcd/0" } });
  });

  it("once the CA exists, a running plaintext member takes its certificate on http first (to dial https peers), not https", () => {
    const withCa = earlierRevision(1, { leaderData: onHttp(1).leaderData });
    expect(action({ ...withCa, tls: NOTHING_ON_DISK })?.kind).toBe("write-trust");
    const trusting = { ...NOTHING_ON_DISK, bundleWritten: true };
    expect(action({ ...withCa, tls: trusting })?.kind).toBe("issue-member-certificate");
    const restart = action({ ...withCa, tls: { ...tlsInPlace(1, "http"), runningTrust: [] } });
    expect(restart).toMatchObject({ kind: "write-files", restart: { selfUrl: clientUrl(1, "http"), restartedUrl: clientUrl(1, "http") } });
    expect(restart).not.toHaveProperty("restart.peerUrlUpdate");
    const configText = (restart as { configText: string }).configText;
    expect(listenUrls(configText)).toEqual([peerUrl(1, "http"), clientUrl(1, "http")]);
    expect(parseYaml(configText)).toMatchObject({ "peer-transport-security": { "cert-file": memberFiles.certFile } });
  });
});

describe("this member's trust files and certificate", () => {
  it("the CA bundle is written before any certificate is issued", () => {
    expect(run(joiner({ tls: NOTHING_ON_DISK }))).toEqual({
      action: { kind: "write-trust", bundle: CA_BUNDLE, fingerprints: [CA_FINGERPRINT] },
      status: { kind: "maintenance", message: "writing the cluster's CA certificates" },
    });
  });

  // Members name the peer host so that the peer port admits them (etcd's AllowedHostname, src/charm/tls.ts).
  const PEER_HOST = "etcd.etcd-peer";
  const issue = (reason: string) => ({
    kind: "issue-member-certificate",
    caSecretId: CA_SECRET,
    expectedCa: CA_FINGERPRINT,
    subject: { commonName: "etcd1", organization: "etcd" },
    sans: { dnsNames: ["machine-1", PEER_HOST], ipAddresses: ["10.0.0.11"] },
    validityMs: CERTIFICATE_VALIDITY_MS,
    reason,
  });
  // Renewal is due once two thirds of the certificate's 365 days have passed: NOW + 335 d - 365 d / 3.
  const renewalAt = NOW + 335 * DAY_MS - (365 * DAY_MS) / 3;

  it.each<[string, Partial<Observed>, string]>([
    ["there is none", { tls: { ...tlsInPlace(1), certificate: undefined, keyMatches: false, issuer: undefined } }, "no member certificate yet"],
    [
      "it is from a CA the cluster does not trust",
      { tls: { ...tlsInPlace(1), issuer: undefined } },
      "the member certificate is not from a CA the cluster trusts",
    ],
    ["it does not match its key", { tls: { ...tlsInPlace(1), keyMatches: false } }, "the member certificate does not match its key"],
    [
      "it misses the unit's address",
      { tls: { ...tlsInPlace(1), certificate: certificate(1, { ipAddresses: ["10.0.0.99"] }) } },
      "the member certificate does not name 10.0.0.11",
    ],
    [
      "it misses the host name",
      { tls: { ...tlsInPlace(1), certificate: certificate(1, { dnsNames: [PEER_HOST] }) } },
      "the member certificate does not name machine-1",
    ],
    [
      "it misses the peer host name (a certificate from before AllowedHostname: the peer port would refuse it)",
      { tls: { ...tlsInPlace(1), certificate: certificate(1, { dnsNames: ["machine-1"] }) } },
      `the member certificate does not name ${PEER_HOST}`,
    ],
    ["a third of its life or less is left", { now: renewalAt }, `the member certificate expires on ${new Date(NOW + 335 * DAY_MS).toISOString().slice(0, 10)}`],
  ])("a certificate is issued when %s", (_when, overrides, reason) => {
    expect(action(converged(1, overrides))).toEqual(issue(reason));
  });

  it("an operator's tls-extra-sans entries are named too, addresses and names apart", () => {
    const decision = run(converged(1, { config: config({ "tls-extra-sans": "etcd.example.com 10.9.9.9" }) }));
    expect(decision).toEqual({
      action: {
        ...issue("the member certificate does not name 10.9.9.9, etcd.example.com"),
        sans: { dnsNames: ["machine-1", "etcd.example.com", PEER_HOST], ipAddresses: ["10.0.0.11", "10.9.9.9"] },
      },
      status: { kind: "maintenance", message: "renewing this member's certificate" },
    });
    const named = certificate(1, { dnsNames: ["machine-1", "etcd.example.com", PEER_HOST], ipAddresses: ["10.0.0.11", "10.9.9.9"] });
    expect(
      action(converged(1, { config: config({ "tls-extra-sans": "etcd.example.com 10.9.9.9" }), tls: { ...tlsInPlace(1), certificate: named } }))?.kind,
    ).not.toBe("issue-member-certificate");
  });

  it("the first certificate says 'issuing', a later one 'renewing'", () => {
    expect(run(converged(1, { tls: { ...tlsInPlace(1), certificate: undefined, keyMatches: false, issuer: undefined } })).status.message).toBe(
      "issuing this member's certificate",
    );
    expect(run(converged(1, { now: renewalAt })).status.message).toBe("renewing this member's certificate");
  });

  it("a good certificate is left alone: a day before renewal is due, with extra names, on every unit", () => {
    expect(action(converged(1, { now: renewalAt - DAY_MS }))).toBeUndefined();
    const extra = certificate(1, { dnsNames: ["machine-1", PEER_HOST, "old-name"], ipAddresses: ["10.0.0.11", "10.0.0.200"] });
    expect(action(converged(1, { tls: { ...tlsInPlace(1), certificate: extra } }))).toBeUndefined();
    for (const n of [0, 1, 2]) expect(action(converged(n))).toBeUndefined();
  });
});

describe("the scheme each member runs", () => {
  it("bootstrap under tls: true renders https URLs and the member's TLS files", () => {
    const claimed = converged(0, {
      rendered: NOTHING_RENDERED,
      serviceActive: false,
      hasMemberData: false,
      leaderData: { token: TOKEN, bootstrapMember: "etcd0", grants: {}, members: undefined, clientUrls: [], ...WITH_CA },
      peers: [],
      publishedPeerData: {},
      cluster: undefined,
    });
    const write = action(claimed);
    expect(write).toMatchObject({ kind: "write-files", restart: undefined });
    const configText = (write as { configText: string }).configText;
    expect(listenUrls(configText)).toEqual([peerUrl(0), clientUrl(0)]);
    expect(parseYaml(configText)).toMatchObject({
      "initial-cluster": `etcd0=${peerUrl(0)}`,
      "peer-transport-security": { "cert-file": memberFiles.certFile, "key-file": memberFiles.keyFile, "trusted-ca-file": memberFiles.caFile },
    });
  });

  it("a joiner under tls: true adds itself with an https peer URL", () => {
    expect(action(joiner())).toEqual({ kind: "add-learner", memberName: "etcd3", peerUrl: peerUrl(3), endpoints: [0, 1, 2].map((i) => clientUrl(i)) });
  });

  it("an http cluster with tls: false is converged, certificates and all", () => {
    for (const n of [0, 1, 2]) expect(action(onHttp(n, { config: config({ tls: false }) }))).toBeUndefined();
  });

  /** The decision that moves unit 1 of a converged cluster from one scheme to the other. */
  const move = (from: Scheme, to: Scheme) => ({
    kind: "write-files",
    restart: {
      selfUrl: clientUrl(1, from),
      restartedUrl: clientUrl(1, to),
      lockEndpoints: [clientUrl(0, from), clientUrl(2, from)],
      handOverTo: undefined,
      peerUrlUpdate: { memberId: "1001", peerUrl: peerUrl(1, to), endpoints: [clientUrl(0, from), clientUrl(2, from)] },
    },
  });

  it("a running http member moves to https once every started peer's running member trusts the current CA", () => {
    const decision = run(onHttp(1));
    expect(decision.action).toMatchObject(move("http", "https"));
    expect(decision.status).toEqual({ kind: "maintenance", message: "moving this member to https" });
    expect(listenUrls((decision.action as { configText: string }).configText)).toEqual([peerUrl(1), clientUrl(1)]);
    // The raft leader hands its leadership over first, as in every restart.
    expect(action(onHttp(0))).toMatchObject({ kind: "write-files", restart: { handOverTo: "1001", peerUrlUpdate: { memberId: "1000", peerUrl: peerUrl(0) } } });
  });

  it.each<[string, Partial<Observed>]>([
    ["a started peer trusts no CA yet (it runs without TLS files)", { peers: [peer(0, true, "http"), { ...peer(2, true, "http"), trustedCas: [] }] }],
    ["a started peer trusts only another CA", { peers: [peer(0, true, "http"), { ...peer(2, true, "http"), trustedCas: [OTHER_CA] }] }],
  ])("it stays on http while %s: that peer could not dial it", (_why, overrides) => {
    expect(action(onHttp(1, overrides))).toBeUndefined();
  });

  it("a peer that runs no member does not hold the move back", () => {
    expect(action(onHttp(1, { peers: [peer(0, true, "http"), { ...peer(2, false, "http"), trustedCas: [] }] }))).toMatchObject(move("http", "https"));
  });

  it("a learner keeps the scheme the cluster has for it until it votes", () => {
    const learner = onHttp(2, { cluster: cluster([member(0, {}, "http"), member(1, {}, "http"), member(2, { isLearner: true }, "http")]) });
    const next = action(learner);
    expect(next).toMatchObject({ kind: "promote", memberId: "1002" });
  });

  it("a member that is not running starts with the scheme the cluster has for it", () => {
    const files = onHttp(1).rendered;
    expect(action(onHttp(1, { serviceActive: false }))).toEqual({
      kind: "start",
      wait: { kind: "healthy", url: clientUrl(1, "http") },
      running: { configText: files.configText, unitText: files.unitText },
    });
  });

  it("tls: false moves a running https member back to http the same way, keeping its certificate", () => {
    const decision = run(converged(1, { config: config({ tls: false }) }));
    expect(decision.action).toMatchObject(move("https", "http"));
    expect(decision.status.message).toBe("moving this member to http");
    const configText = (decision.action as { configText: string }).configText;
    expect(listenUrls(configText)).toEqual([peerUrl(1, "http"), clientUrl(1, "http")]);
    // Still able to dial peers that serve https while the others move.
    expect(parseYaml(configText)).toMatchObject({ "peer-transport-security": { "trusted-ca-file": memberFiles.caFile } });
  });

  it("a member whose peer URL already moved (its restart failed in an earlier hook) restarts into the new scheme and is checked there", () => {
    const moved = cluster([member(0), member(1, { peerUrls: [peerUrl(1, "http")] }), member(2)]);
    const next = action(converged(1, { config: config({ tls: false }), cluster: moved }));
    expect(next).toMatchObject({ kind: "write-files", restart: { selfUrl: clientUrl(1), restartedUrl: clientUrl(1, "http") } });
    expect(next).not.toHaveProperty("restart.peerUrlUpdate");
  });

  it("a client-port change is checked at the new port", () => {
    expect(action(converged(1, { config: config({ "client-port": 4001 }) }))).toMatchObject({
      kind: "write-files",
      restart: { selfUrl: clientUrl(1), restartedUrl: "https://10.0.0.11:4001" },
    });
  });

  it("once moved, the member publishes its new URLs and the CAs its running etcd trusts", () => {
    const moved = onHttp(1, {
      rendered: rendered(1, `etcd0=${peerUrl(0, "http")}`),
      cluster: cluster([member(0, {}, "http"), member(1), member(2, {}, "http")]),
      tls: tlsInPlace(1),
    });
    expect(action(moved)).toEqual({
      kind: "publish-peer",
      relationId: "cluster:1",
      values: peerValues(1),
    });
  });
});

describe("consumers' client identities", () => {
  const SECRET_4 = "secret:d0000000000000000004";
  const SECRET_7 = "secret:d0000000000000000007";
  const dbBag = { connection_string: [0, 1, 2].map((i) => clientUrl(i)).join(","), version: "3.4.23", client_ca: CA_BUNDLE };
  const withSecrets = (clientSecrets: Record<string, string>) => ({ ...converged().leaderData, clientSecrets });

  it("the leader issues one for a consumer relation that has none", () => {
    expect(run(converged(0, { consumers: { "db:4": { endpoint: "db", bag: dbBag } } }))).toEqual({
      action: { kind: "issue-client-credentials", relationId: "db:4", caSecretId: CA_SECRET, validityMs: CERTIFICATE_VALIDITY_MS },
      status: { kind: "maintenance", message: "issuing client credentials for relation db:4" },
    });
  });

  it("the leader drops those of relations that are gone, secrets and leader keys", () => {
    const view = converged(0, { consumers: { "db:4": { endpoint: "db", bag: dbBag } }, leaderData: withSecrets({ "4": SECRET_4, "7": SECRET_7 }) });
    expect(action(view)).toEqual({ kind: "drop-client-credentials", relationNumbers: ["7"], secretIds: [SECRET_7] });
  });

  it("a unit that is not the leader never issues: it publishes the CA and waits for the leader's identity", () => {
    expect(action(converged(1, { consumers: { "db:4": { endpoint: "db", bag: {} } } }))).toEqual({
      kind: "publish-consumers",
      bags: { "db:4": dbBag },
      credentials: {},
    });
  });

  it.each<[string, Record<string, string>]>([
    ["it never published one", {}],
    ["it published an earlier one", { "db:4": SECRET_7 }],
  ])("every unit publishes the relation's credentials when %s", (_when, publishedCredentials) => {
    const view = converged(1, { consumers: { "db:4": { endpoint: "db", bag: dbBag } }, leaderData: withSecrets({ "4": SECRET_4 }), publishedCredentials });
    expect(action(view)).toEqual({ kind: "publish-consumers", bags: { "db:4": dbBag }, credentials: { "db:4": SECRET_4 } });
  });

  it("a converged unit publishes nothing", () => {
    const view = converged(1, {
      consumers: { "db:4": { endpoint: "db", bag: { ...dbBag, client_cert: "…", client_key: "…" } } },
      leaderData: withSecrets({ "4": SECRET_4 }),
      publishedCredentials: { "db:4": SECRET_4 },
    });
    expect(run(view)).toEqual({ action: undefined, status: { kind: "active", message: "3 members, healthy, raft leader etcd/0" } });
  });
});

describe("the operators' etcdctl environment", () => {
  it("names the member's serving URL and, with TLS files, the CA, certificate and key", () => {
    expect(etcdctlEnvironment(clientUrl(1), memberFiles, paths)).toBe(
      [
        "# Written by the etcd charm: etcdctl on this unit talks to its member with the member's own certificate.",
        "export ETCDCTL_API=3",
        "export ETCDCTL_ENDPOINTS=https://10.0.0.11:2379",
        "export ETCDCTL_CACERT=/etc/etcd/tls/ca.pem",
        "export ETCDCTL_CERT=/etc/etcd/tls/member.pem",
        "export ETCDCTL_KEY=/etc/etcd/tls/member.key",
        "",
      ].join("\n"),
    );
    expect(etcdctlEnvironment(clientUrl(1, "http"), undefined, paths)).toBe(
      [
        "# Written by the etcd charm: etcdctl on this unit talks to its member with the member's own certificate.",
        "export ETCDCTL_API=3",
        "export ETCDCTL_ENDPOINTS=http://10.0.0.11:2379",
        "",
      ].join("\n"),
    );
  });

  it("is written once the member serves, and again when its URL changes", () => {
    expect(run(converged(1, { tls: { ...tlsInPlace(1), etcdctlEnv: undefined } }))).toEqual({
      action: { kind: "write-etcdctl-env", text: etcdctlEnvironment(clientUrl(1), memberFiles, paths) },
      status: { kind: "maintenance", message: "writing etcdctl's environment for operators" },
    });
    // Moved to https by another hook: the file still names http.
    const stale = etcdctlEnvironment(clientUrl(1, "http"), memberFiles, paths);
    expect(action(converged(1, { tls: { ...tlsInPlace(1), etcdctlEnv: stale } }))).toEqual({
      kind: "write-etcdctl-env",
      text: etcdctlEnvironment(clientUrl(1), memberFiles, paths),
    });
    // Not before the member runs.
    expect(action(converged(1, { serviceActive: false, tls: { ...tlsInPlace(1), etcdctlEnv: undefined } }))?.kind).toBe("start");
  });
});
