import { isIpAddress, type Scheme, schemeOf } from "../domain/address.js";
import type { EtcdSettings } from "../domain/settings.js";
import type { Member } from "../domain/member.js";
import type { EtcdPaths } from "../etcd/paths.js";
import type { TlsFiles } from "../etcd/render.js";
import type { CertificateFacts } from "../tls/inspect.js";
import type { Observed } from "./observed.js";

/**
 * The charm's TLS decisions, pure: the cluster CA (the Juju leader makes it once), this member's certificate
 * (each unit issues its own from the CA, with a key that never leaves the unit), the trust files etcd reads,
 * and which scheme this member runs (a live cluster moves between http and https one member at a time).
 */

/** The CA's life: long, because replacing it is an operator's decision (rotate-ca), not routine. */
export const CA_VALIDITY_MS = 10 * 365 * 24 * 3600_000;
/** A member or client certificate's life; renewed with a third of it left. */
export const CERTIFICATE_VALIDITY_MS = 365 * 24 * 3600_000;

/** The file etcd trusts: named after the bundle's fingerprints, so a new bundle is a new config and a restart. */
export function bundleFile(paths: Pick<EtcdPaths, "tlsDir">, fingerprints: readonly string[]): string {
  return `${paths.tlsDir}/ca-${fingerprints.join("-").slice(0, 67)}.pem`;
}

/**
 * The DNS name that admits a certificate to the peer port (etcd's AllowedHostname): members carry it, and so do
 * the proxy relation's client certificates, because etcd's v2 proxy reads the member list from the peer port.
 * The db relation's client certificates do not: the peer port refuses them.
 */
export function peerHostname(appName: string): string {
  return `${appName}.etcd-peer`;
}

/** What the member certificate must name: every address the unit serves on, its host name, the operator's extras, the peer name. */
export function wantedSans(
  o: Pick<Observed, "address" | "hostname" | "appName">,
  settings: Pick<EtcdSettings, "tlsExtraSans">,
): { dnsNames: string[]; ipAddresses: string[] } {
  // A host name that is not a DNS name (an underscore, say) cannot be a SAN: it is left out rather than refused.
  const host = o.hostname.toLowerCase();
  const hostEntry = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/.test(host) ? [host] : [];
  const entries = [o.address, ...hostEntry, ...settings.tlsExtraSans, peerHostname(o.appName)].filter(Boolean);
  const ipAddresses = [...new Set(entries.filter(isIpAddress))];
  const dnsNames = [...new Set(entries.filter((entry) => !isIpAddress(entry)))];
  return { dnsNames, ipAddresses };
}

/** A certificate is renewed once two thirds of its life have passed. */
export function renewalDue(certificate: Pick<CertificateFacts, "notBeforeMs" | "notAfterMs">, now: number): boolean {
  const life = certificate.notAfterMs - certificate.notBeforeMs;
  return now >= certificate.notAfterMs - life / 3;
}

/** The member's TLS files, once its certificate is from the current CA and the trust files are written. */
export function tlsFiles(o: Observed, paths: EtcdPaths): TlsFiles | undefined {
  const { certificate, keyMatches, issuer, caFingerprints, bundleWritten } = o.tls;
  if (!certificate || !keyMatches || !bundleWritten || issuer === undefined || !caFingerprints.includes(issuer)) return undefined;
  return { caFile: bundleFile(paths, caFingerprints), certFile: paths.certFile, keyFile: paths.keyFile, peerHostname: peerHostname(o.appName) };
}

/**
 * The scheme this member runs: http when `tls` is off; https when it is on and every started member can dial
 * https peers with this CA (its running config trusts it, as its peer data says), else what it runs now.
 * A member that is in the cluster but not running starts with the peer URL the cluster has for it, and a
 * learner moves only once it votes: a scheme change is a rolling restart of voters.
 */
export function memberScheme(o: Observed, settings: EtcdSettings, self: Member | undefined, files: TlsFiles | undefined): Scheme {
  const registered = schemeOf(self?.peerUrls[0]);
  if (registered && (!o.serviceActive || self?.isLearner || self?.name === "")) return registered;
  if (!settings.tls) return "http";
  const currentCa = o.tls.caFingerprints[0];
  const selfReady = files !== undefined;
  const peersReady = currentCa !== undefined && o.peers.filter((p) => p.started).every((p) => p.trustedCas.includes(currentCa));
  if (selfReady && peersReady) return "https";
  return registered ?? "http";
}

/** Warn this long before the cluster's own CA expires: replacing it (rotate-ca) is an operator's decision. */
export const CA_EXPIRY_WARNING_MS = 90 * 24 * 3600_000;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * What the status line says about TLS on a running member: a change of CA under way, and expiries the charm
 * cannot fix by itself (the own CA's; a member certificate the provider has not renewed, or that renewal failed
 * for, by the time a sixth of its life is left).
 */
export function tlsNotes(o: Observed): string[] {
  const notes: string[] = [];
  const { caFingerprints, certificate, ownCaExpiresMs } = o.tls;
  if (caFingerprints.length > 1) notes.push(`moving to CA ${caFingerprints[0]} (${caFingerprints.length} CAs trusted)`);
  if (o.certificates && !o.tls.providedMember) notes.push("waiting for the certificates provider");
  if (certificate) {
    const life = certificate.notAfterMs - certificate.notBeforeMs;
    if (o.now >= certificate.notAfterMs - life / 6) {
      const fix = o.certificates ? "the certificates provider has not renewed it" : "renewing it failed, see juju debug-log";
      notes.push(`this member's certificate expires on ${day(certificate.notAfterMs)}: ${fix}`);
    }
  }
  const ownInUse = o.tls.ownCaFingerprint !== undefined && caFingerprints.includes(o.tls.ownCaFingerprint);
  if (ownInUse && ownCaExpiresMs !== undefined && o.now >= ownCaExpiresMs - CA_EXPIRY_WARNING_MS) {
    notes.push(`the cluster CA expires on ${day(ownCaExpiresMs)}: run rotate-ca`);
  }
  return notes;
}
