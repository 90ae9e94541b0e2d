import type { EtcdSettings } from "./config.js";
import { type Decision, decision } from "./actions.js";
import type { Observed } from "./observed.js";
import { clientIdentityRef } from "./cluster-data.js";
import { CA_VALIDITY_MS, CERTIFICATE_VALIDITY_MS, renewalDue, wantedSans } from "./tls.js";

/**
 * Which CA the cluster trusts and which one it is moving to, pure. The leader publishes the trust bundle:
 * the target CA first (a tls-certificates provider's while the certificates relation gives one, else the charm's
 * own), then every CA a member's or a consumer's certificate still comes from. A change of CA (rotate-ca, a
 * provider related or removed) is therefore three rolling steps that never leave a certificate untrusted:
 * every member trusts the new CA as well; each member, then each consumer identity, is issued from it; the old
 * CA is dropped once nothing uses it.
 */

/** PEM certificate blocks of a bundle, in order, as text (decide does not parse certificates). */
export function certificateBlocks(bundle: string | undefined): string[] {
  return [...(bundle ?? "").matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map(([block]) => `${block}\n`);
}

/** The CA members and consumers are to be issued from, as the leader sees it. */
export function targetCa(o: Observed): { pem: string; fingerprint: string } | undefined {
  const provided = o.certificates ? o.tls.providedMember : undefined;
  if (provided) return { pem: provided.caPem, fingerprint: provided.caFingerprint };
  const { ownCa } = o.leaderData;
  return ownCa && o.tls.ownCaFingerprint ? { pem: ownCa, fingerprint: o.tls.ownCaFingerprint } : undefined;
}

/** Every member that runs trusts this CA: certificates from it are accepted on every peer connection. */
export function everyoneTrusts(o: Observed, fingerprint: string | undefined): boolean {
  if (fingerprint === undefined) return false;
  const self = !o.serviceActive || o.tls.runningTrust.includes(fingerprint);
  return self && o.peers.filter((p) => p.started).every((p) => p.trustedCas.includes(fingerprint));
}

/** The trust bundle the leader should publish; undefined when it has nothing to say yet. */
export function wantedTrustBundle(o: Observed): string | undefined {
  const target = targetCa(o);
  if (!target) return undefined;
  const blocks = certificateBlocks(o.leaderData.caBundle);
  const clientIssuers = Object.values(o.leaderData.clientSecrets).map((value) => clientIdentityRef(value).issuer);
  const started = o.peers.filter((p) => p.started);
  const peerIssuers = started.map((p) => p.certIssuer);
  // What consumers may hold: the identities each unit had published as of its last committed hook (a consumer
  // sees a bag only once its hook is committed), this leader's own included.
  const consumerIssuers = [...started.flatMap((p) => p.clientIssuers ?? []), ...o.committedClientIssuers];
  // Until every member and identity has said which CA it comes from, no CA is known to be unused.
  const unknown = [...clientIssuers, ...peerIssuers, o.tls.issuer].some((issuer) => issuer === undefined) || started.some((p) => p.clientIssuers === undefined);
  const inUse = new Set([...clientIssuers, ...peerIssuers, ...consumerIssuers, o.tls.issuer]);
  const kept = blocks.filter((_, i) => {
    const fingerprint = o.tls.caFingerprints[i];
    return fingerprint !== undefined && fingerprint !== target.fingerprint && (unknown || inUse.has(fingerprint));
  });
  return [target.pem, ...kept].join("");
}

/** The CA, the trust files and this member's certificate, in that order; undefined when all are in place. */
export function decideTlsMaterial(o: Observed, settings: EtcdSettings | undefined): Decision | undefined {
  const { caSecretId, caBundle, ownCa } = o.leaderData;
  if (o.isLeader && o.caToRecord) {
    return decision({ kind: "record-ca", secretId: o.caToRecord.id, bundle: o.caToRecord.bundle }, "maintenance", "publishing the cluster's CA to every unit");
  }
  if (o.isLeader && (!caSecretId || !caBundle || !ownCa)) {
    return decision({ kind: "create-ca", appName: o.appName, validityMs: CA_VALIDITY_MS }, "maintenance", "creating the cluster's certificate authority");
  }
  if (!caSecretId || !caBundle) return undefined;
  if (o.isLeader) {
    const bundle = wantedTrustBundle(o);
    if (bundle !== undefined && bundle !== caBundle) {
      return decision({ kind: "publish-trust", bundle }, "maintenance", "changing which certificate authorities the cluster trusts");
    }
  }
  if (!o.tls.bundleWritten) {
    return decision({ kind: "write-trust", bundle: caBundle, fingerprints: o.tls.caFingerprints }, "maintenance", "writing the cluster's CA certificates");
  }
  return settings ? decideMemberCertificate(o, settings) : undefined;
}

/** What a member request asks for, as kept beside it: a new request whenever it changes. */
function memberRequestWants(o: Observed, settings: Pick<EtcdSettings, "tlsExtraSans">) {
  const subject = { commonName: o.memberName, organization: o.appName };
  const sans = wantedSans(o, settings);
  return { subject, sans, wants: JSON.stringify({ subject, sans }) };
}

/**
 * This member's certificate: from the target CA (the first in the trust bundle), issued here from the charm's
 * own CA or asked of the provider. A member on a CA that is still trusted moves to the target only once every
 * running member trusts the target; one without a usable certificate gets one at once.
 */
function decideMemberCertificate(o: Observed, settings: EtcdSettings): Decision | undefined {
  const target = o.tls.caFingerprints[0];
  const { certificate, keyMatches, issuer } = o.tls;
  const { subject, sans, wants } = memberRequestWants(o, settings);
  const fromProvider = o.certificates !== undefined && target !== o.tls.ownCaFingerprint;
  // With a provider related, every unit asks it for a certificate at once: the leader moves the cluster to the
  // provider's CA only once it has an answer, and each member then has its own ready.
  const request = o.certificates?.memberRequest;
  if (o.certificates && (!request || request.wants !== wants)) {
    return decision(
      { kind: "request-member-certificate", relationId: o.certificates.relationId, subject, sans, wants },
      "maintenance",
      "asking the certificates provider for this member's certificate",
    );
  }
  const problem = memberCertificateProblem(o, settings, target);
  if (problem === undefined) return undefined;
  if (!fromProvider) {
    if (target === undefined || target !== o.tls.ownCaFingerprint) return undefined;
    return decision(
      {
        kind: "issue-member-certificate",
        caSecretId: o.leaderData.caSecretId ?? "",
        expectedCa: target,
        subject,
        sans,
        validityMs: CERTIFICATE_VALIDITY_MS,
        reason: problem,
      },
      "maintenance",
      certificate ? "renewing this member's certificate" : "issuing this member's certificate",
    );
  }
  const answer = o.tls.providedMember;
  if (answer && answer.caFingerprint === target && answer.facts.fingerprint !== certificate?.fingerprint && !renewalDue(answer.facts, o.now)) {
    return decision(
      { kind: "install-member-certificate", certificatePem: answer.certificatePem, reason: problem },
      "maintenance",
      "installing this member's certificate from the provider",
    );
  }
  // The provider's certificate is installed and due for renewal: a new request (v4 renews so, interfaces §1.4).
  if (o.certificates && answer && answer.facts.fingerprint === certificate?.fingerprint && keyMatches && issuer === target && renewalDue(answer.facts, o.now)) {
    return decision(
      { kind: "request-member-certificate", relationId: o.certificates.relationId, subject, sans, wants },
      "maintenance",
      "asking the certificates provider to renew this member's certificate",
    );
  }
  return undefined;
}

/**
 * Why the member certificate on disk must be replaced now, or undefined when it is good (or when replacing it
 * must wait for every member to trust the target CA).
 */
export function memberCertificateProblem(o: Observed, settings: Pick<EtcdSettings, "tlsExtraSans">, target: string | undefined): string | undefined {
  const { certificate, keyMatches, issuer } = o.tls;
  if (!certificate) return "no member certificate yet";
  if (!keyMatches) return "the member certificate does not match its key";
  if (issuer === undefined) return "the member certificate is not from a CA the cluster trusts";
  if (issuer !== target) return everyoneTrusts(o, target) ? "the cluster is moving to another CA" : undefined;
  const wanted = wantedSans(o, settings);
  const missing = [
    ...wanted.ipAddresses.filter((ip) => !certificate.ipAddresses.includes(ip)),
    ...wanted.dnsNames.filter((n) => !certificate.dnsNames.includes(n)),
  ];
  if (missing.length > 0) return `the member certificate does not name ${missing.join(", ")}`;
  if (renewalDue(certificate, o.now)) return `the member certificate expires on ${new Date(certificate.notAfterMs).toISOString().slice(0, 10)}`;
  return undefined;
}
