import { describe, expect, it } from "vitest";
import type { Observed, ProvidedCertificate } from "../../../src/charm/observed.js";
import { CERTIFICATE_VALIDITY_MS } from "../../../src/charm/tls.js";
import { bundleFile } from "../../../src/charm/tls.js";
import {
  action,
  CA_BUNDLE,
  CA_FINGERPRINT,
  CA_SECRET,
  certificate,
  clientUrl,
  converged,
  DAY_MS,
  memberFiles,
  NOW,
  paths,
  peer,
  peerUrl,
  rendered,
  run,
  tlsInPlace,
} from "./fixtures.js";

/**
 * A change of the CA the cluster uses (src/charm/trust.ts, credentials.ts), plain objects in, one decision out:
 * rotate-ca has put a new CA first in the trust bundle (or a provider's CA became the target), and the cluster
 * moves in three rolling steps that never leave a certificate untrusted.
 */

const NEW_CA = "1111111111111111";
const NEW_PEM = "-----BEGIN CERTIFICATE-----\nTkVXQ0E=\n-----END CERTIFICATE-----\n";
const BOTH = `${NEW_PEM}${CA_BUNDLE}`;
const CLIENT_SECRET = "secret:d0000000000000000002";
/** A db relation whose bag already holds what the unit publishes (the trust bundle as client_ca). */
const db = (clientCa: string) => ({
  "db:7": {
    endpoint: "db" as const,
    bag: { connection_string: [0, 1, 2].map((i) => clientUrl(i)).join(","), version: "3.4.23", client_ca: clientCa },
  },
});

/** What unit n has published in its peer bag, as a converged unit does. */
const peerData = (n: number, trusted: string, issuer: string, clientIssuers = "none") => ({
  ...converged(n).publishedPeerData,
  "tls-trusted-cas": trusted,
  "tls-cert-issuer": issuer,
  "tls-client-issuers": clientIssuers,
});

/** Unit n just after rotate-ca: the bundle names the new CA first; everyone still runs on and trusts the old one. */
const rotated = (n: number, overrides: Partial<Observed> = {}): Observed => {
  const base = converged(n);
  return converged(n, {
    leaderData: { ...base.leaderData, ownCa: NEW_PEM, caBundle: BOTH },
    tls: { ...tlsInPlace(n), caFingerprints: [NEW_CA, CA_FINGERPRINT], ownCaFingerprint: NEW_CA },
    ...overrides,
  });
};
/** The same unit once every member trusts both CAs (each restarted with the new bundle). */
const trusting = (n: number, overrides: Partial<Observed> = {}): Observed =>
  rotated(n, {
    rendered: rendered(n, `etcd0=${peerUrl(0)}`, "existing", { files: { ...memberFiles, caFile: bundleFile(paths, [NEW_CA, CA_FINGERPRINT]) } }),
    peers: [0, 1, 2].filter((i) => i !== n).map((i) => ({ ...peer(i), trustedCas: [NEW_CA, CA_FINGERPRINT] })),
    tls: { ...tlsInPlace(n), caFingerprints: [NEW_CA, CA_FINGERPRINT], ownCaFingerprint: NEW_CA, runningTrust: [NEW_CA, CA_FINGERPRINT] },
    publishedPeerData: peerData(n, `${NEW_CA},${CA_FINGERPRINT}`, CA_FINGERPRINT),
    ...overrides,
  });
/** Unit n once every member's certificate comes from the new CA. */
const moved = (n: number, overrides: Partial<Observed> = {}): Observed => {
  const base = trusting(n);
  return trusting(n, {
    peers: base.peers.map((p) => ({ ...p, certIssuer: NEW_CA })),
    tls: { ...base.tls, issuer: NEW_CA },
    publishedPeerData: peerData(n, `${NEW_CA},${CA_FINGERPRINT}`, NEW_CA),
    ...overrides,
  });
};

describe("rotate-ca, step 1: every member trusts both CAs", () => {
  it("a member restarts with the bundle of both (its trust file is named after both), keeping its certificate", () => {
    const decided = action(rotated(1));
    expect(decided).toMatchObject({ kind: "write-files", restart: { selfUrl: "https://10.0.0.11:2379" } });
    expect((decided as { configText: string }).configText).toContain(`ca-${NEW_CA}-${CA_FINGERPRINT}.pem`);
  });

  it("no member moves to the new CA while a running member does not trust it yet", () => {
    const notYet = trusting(1, { peers: [{ ...peer(0), trustedCas: [NEW_CA, CA_FINGERPRINT] }, peer(2)] });
    expect(action(notYet)).toBeUndefined();
  });

  it("the status line says a change of CA is under way", () => {
    expect(run(trusting(1, { peers: [{ ...peer(0), trustedCas: [NEW_CA, CA_FINGERPRINT] }, peer(2)] })).status.message).toContain(
      `moving to CA ${NEW_CA} (2 CAs trusted)`,
    );
  });
});

describe("rotate-ca, step 2: members and consumers' identities move to the new CA", () => {
  it("once every member trusts it, a member issues its certificate from it", () => {
    expect(action(trusting(1))).toEqual({
      kind: "issue-member-certificate",
      caSecretId: CA_SECRET,
      expectedCa: NEW_CA,
      subject: { commonName: "etcd1", organization: "etcd" },
      sans: { dnsNames: ["machine-1", "etcd.etcd-peer"], ipAddresses: ["10.0.0.11"] },
      validityMs: CERTIFICATE_VALIDITY_MS,
      reason: "the cluster is moving to another CA",
    });
  });

  it("the leader issues a consumer's identity again from the new CA, only once every member trusts it", () => {
    const identity = { 7: `${CLIENT_SECRET},${CA_FINGERPRINT},${(NOW + 200 * DAY_MS) / 1000}` };
    const leader = (o: Observed): Observed => ({
      ...o,
      consumers: db(BOTH),
      leaderData: { ...o.leaderData, clientSecrets: identity },
      publishedCredentials: { "db:7": identity[7] },
      publishedPeerData: peerData(0, `${NEW_CA},${CA_FINGERPRINT}`, NEW_CA, CA_FINGERPRINT),
    });
    expect(action(leader(moved(0)))).toEqual({
      kind: "reissue-client-credentials",
      relationNumber: "7",
      secretId: CLIENT_SECRET,
      caSecretId: CA_SECRET,
      expectedCa: NEW_CA,
      validityMs: CERTIFICATE_VALIDITY_MS,
    });
    const untrusting = moved(0, { peers: moved(0).peers.map((p, i) => (i === 0 ? { ...p, trustedCas: [CA_FINGERPRINT] } : p)) });
    expect(action(leader(untrusting))?.kind).not.toBe("reissue-client-credentials");
  });

  it("an identity from the current CA is issued again when its renewal time has come", () => {
    const renewAt = NOW - 1000;
    const identity = { 7: `${CLIENT_SECRET},${CA_FINGERPRINT},${renewAt / 1000}` };
    const o = converged(0, {
      consumers: db(CA_BUNDLE),
      publishedCredentials: { "db:7": identity[7] },
      publishedPeerData: peerData(0, CA_FINGERPRINT, CA_FINGERPRINT, CA_FINGERPRINT),
    });
    expect(action({ ...o, leaderData: { ...o.leaderData, clientSecrets: identity } })).toMatchObject({
      kind: "reissue-client-credentials",
      expectedCa: CA_FINGERPRINT,
    });
  });
});

describe("rotate-ca, step 3: the old CA is dropped once nothing uses it", () => {
  it("the leader keeps the old CA while a member's certificate, or an identity a unit gave consumers, comes from it", () => {
    expect(action(trusting(0))?.kind).toBe("issue-member-certificate");
    const peerOnOld = moved(0, { peers: moved(0).peers.map((p, i) => (i === 0 ? { ...p, certIssuer: CA_FINGERPRINT } : p)) });
    expect(action(peerOnOld)).toBeUndefined();
    const consumersOnOld = moved(0, { peers: moved(0).peers.map((p, i) => (i === 1 ? { ...p, clientIssuers: [CA_FINGERPRINT] } : p)) });
    expect(action(consumersOnOld)).toBeUndefined();
    const notTold = moved(0, { peers: moved(0).peers.map((p, i) => (i === 1 ? { ...p, clientIssuers: undefined } : p)) });
    expect(action(notTold)).toBeUndefined();
    expect(action(moved(0, { committedClientIssuers: [CA_FINGERPRINT] }))).toBeUndefined();
  });

  it("and drops it when nothing does: the bundle is the new CA alone", () => {
    expect(action(moved(0))).toEqual({ kind: "publish-trust", bundle: NEW_PEM });
    // Only the Juju leader publishes trust.
    expect(action(moved(1))).toBeUndefined();
  });
});

describe("a tls-certificates provider", () => {
  const PROVIDER_CA = "2222222222222222";
  const PROVIDER_PEM = "-----BEGIN CERTIFICATE-----\nUFJPVklERVI=\n-----END CERTIFICATE-----\n";
  const relation = { relationId: "certificates:9", memberRequest: undefined, clientRequests: {}, provided: [] };

  it("every unit asks it for a member certificate as soon as the relation exists", () => {
    expect(action(converged(1, { certificates: relation }))).toEqual({
      kind: "request-member-certificate",
      relationId: "certificates:9",
      subject: { commonName: "etcd1", organization: "etcd" },
      sans: { dnsNames: ["machine-1", "etcd.etcd-peer"], ipAddresses: ["10.0.0.11"] },
      wants: JSON.stringify({
        subject: { commonName: "etcd1", organization: "etcd" },
        sans: { dnsNames: ["machine-1", "etcd.etcd-peer"], ipAddresses: ["10.0.0.11"] },
      }),
    });
  });

  it("once it answers the leader, its CA goes first in the bundle and the charm's own stays while in use", () => {
    const asked = action(converged(0, { certificates: relation })) as { wants: string };
    const answer: ProvidedCertificate = { certificatePem: "leaf", caPem: PROVIDER_PEM, caFingerprint: PROVIDER_CA, facts: certificate(0) };
    const answered = converged(0, {
      certificates: { ...relation, memberRequest: { csr: "request", wants: asked.wants } },
      tls: { ...tlsInPlace(0), providedMember: answer },
    });
    expect(action(answered)).toEqual({ kind: "publish-trust", bundle: `${PROVIDER_PEM}${CA_BUNDLE}` });
    expect(run(answered).status.message).toBe("changing which certificate authorities the cluster trusts");
  });

  it("a unit waiting for its answer says so in its status", () => {
    const asked = action(converged(1, { certificates: relation })) as { wants: string };
    const waiting = converged(1, { certificates: { ...relation, memberRequest: { csr: "request", wants: asked.wants } } });
    expect(run(waiting)).toEqual({
      action: undefined,
      status: { kind: "active", message: "3 members, healthy, raft leader etcd/0; waiting for the certificates provider" },
    });
  });
});

describe("expiries the charm cannot fix by itself", () => {
  it("the cluster's own CA within 90 days of its end: the status names rotate-ca", () => {
    const expiring = converged(1, { tls: { ...tlsInPlace(1), ownCaExpiresMs: NOW + 30 * DAY_MS } });
    expect(run(expiring).status.message).toBe(
      `3 members, healthy, raft leader etcd/0; the cluster CA expires on ${new Date(NOW + 30 * DAY_MS).toISOString().slice(0, 10)}: run rotate-ca`,
    );
  });
});
