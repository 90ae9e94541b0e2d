import "reflect-metadata";
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate as NodeX509Certificate } from "node:crypto";
import { isIP } from "node:net";
import * as x509 from "@peculiar/x509";
import { generatePrivateKey } from "./keys.js";

/**
 * Issuing certificates in-process with @peculiar/x509 over node's webcrypto. Heavy (the library and its
 * polyfill): loaded only by dynamic import() in the hooks that issue. Every key EC P-256, every signature
 * ECDSA-SHA256, every serial a random positive 16-byte integer.
 */

x509.cryptoProvider.set(webcrypto);

export interface CaMaterial {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}
export interface Subject {
  readonly commonName?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
}
export interface SubjectAltNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}
export type CertificateProfile = "member" | "client";

const EC_KEY: webcrypto.EcKeyImportParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
/** id-ce-subjectAltName (RFC 5280 §4.2.1.6). */
const SUBJECT_ALT_NAME_OID = "2.5.29.17";
/** Backdating of notBefore, for members whose clocks run a little behind the issuer's. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Self-signed CA: BasicConstraints CA critical (pathLen 0), KeyUsage keyCertSign|cRLSign critical, SKI; notBefore = now - 5 minutes. */
export async function createCa(options: { readonly subject: Subject; readonly now: number; readonly validityMs: number }): Promise<CaMaterial> {
  const privateKeyPem = generatePrivateKey();
  const keys = await importKeyPair(privateKeyPem, "CA");
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subjectName(options.subject),
    // Backdated like the leaves: a leaf valid on a member whose clock lags is no use under a CA that is not yet.
    notBefore: new Date(checkedTime("now", options.now) - CLOCK_SKEW_MS),
    notAfter: new Date(options.now + checkedDuration(options.validityMs)),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: toPem(certificate.rawData, "CERTIFICATE"), privateKeyPem };
}

/** A PKCS#10 request (what a tls-certificates provider signs), SAN extension included when any SAN is given. */
export async function createCsr(options: { readonly privateKeyPem: string; readonly subject: Subject; readonly sans: SubjectAltNames }): Promise<string> {
  const { subject, sans } = options;
  const altNames = generalNames(sans);
  // An O-only subject is allowed: etcd's grpc-proxy refuses a client certificate with a CN (etcd-on-this-machine.md,
  // "TLS between units on one machine"). A tls-certificates v4 provider wants a CN or a SAN (juju-interfaces-and-features.md §1.6).
  if (subject.commonName === undefined && subject.organization === undefined && subject.organizationalUnit === undefined && altNames.length === 0) {
    throw new Error("a certificate request needs a subject attribute or at least one subject alternative name");
  }
  const keys = await importKeyPair(options.privateKeyPem, "request");
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectName(subject),
    keys,
    signingAlgorithm: SIGNING,
    extensions: altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(altNames)] : [],
  });
  return toPem(request.rawData, "CERTIFICATE REQUEST");
}

/**
 * Signs a request with the CA: copies its subject and SANs (nothing else it asks for); AKI/SKI;
 * BasicConstraints CA:false; notBefore = now - 5 minutes (clock skew), notAfter = now + validityMs;
 * "member" = KeyUsage digitalSignature|keyEncipherment, EKU serverAuth+clientAuth (one certificate serves
 * clients and peers and dials peers); "client" = KeyUsage digitalSignature, EKU clientAuth only.
 */
export async function signCsr(options: {
  readonly csrPem: string;
  readonly ca: CaMaterial;
  readonly now: number;
  readonly validityMs: number;
  readonly profile: CertificateProfile;
}): Promise<string> {
  const now = checkedTime("now", options.now);
  const validityMs = checkedDuration(options.validityMs);
  const request = parseRequest(options.csrPem);
  if (!(await request.verify().catch(() => false))) throw new Error("the certificate request's signature does not verify with its own public key");
  const ca = await loadCa(options.ca);
  const requestedSans = request.getExtension(SUBJECT_ALT_NAME_OID);
  const usages =
    options.profile === "member"
      ? {
          flags: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          eku: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        }
      : { flags: x509.KeyUsageFlags.digitalSignature, eku: [x509.ExtendedKeyUsage.clientAuth] };
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: request.subjectName,
    issuer: ca.certificate.subjectName,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + validityMs),
    publicKey: request.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usages.flags, true),
      new x509.ExtendedKeyUsageExtension(usages.eku, false),
      await x509.SubjectKeyIdentifierExtension.create(request.publicKey),
      new x509.AuthorityKeyIdentifierExtension(ca.keyId, false),
      ...(requestedSans === null ? [] : [new x509.Extension(requestedSans.type, requestedSans.critical, requestedSans.value)]),
    ],
  });
  return toPem(certificate.rawData, "CERTIFICATE");
}

/** Key + request + signature in one: the charm's own CA issuing for a unit or a client. */
export async function issueCertificate(options: {
  readonly privateKeyPem: string;
  readonly subject: Subject;
  readonly sans: SubjectAltNames;
  readonly ca: CaMaterial;
  readonly now: number;
  readonly validityMs: number;
  readonly profile: CertificateProfile;
}): Promise<string> {
  const csrPem = await createCsr(options);
  return signCsr({ csrPem, ca: options.ca, now: options.now, validityMs: options.validityMs, profile: options.profile });
}

interface LoadedCa {
  readonly certificate: x509.X509Certificate;
  readonly privateKey: webcrypto.CryptoKey;
  readonly keyId: string;
}

async function loadCa(material: CaMaterial): Promise<LoadedCa> {
  let nodeCertificate: NodeX509Certificate;
  let certificate: x509.X509Certificate;
  try {
    nodeCertificate = new NodeX509Certificate(material.certificatePem);
    certificate = new x509.X509Certificate(material.certificatePem);
  } catch {
    throw new Error("the CA certificate is not a PEM certificate");
  }
  if (!nodeCertificate.ca) throw new Error(`the CA certificate (${nodeCertificate.subject.replaceAll("\n", ", ")}) is not a CA`);
  const keys = await importKeyPair(material.privateKeyPem, "CA");
  if (!nodeCertificate.checkPrivateKey(createPrivateKey(material.privateKeyPem))) throw new Error("the CA private key does not belong to the CA certificate");
  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski?.keyId ?? (await x509.SubjectKeyIdentifierExtension.create(certificate.publicKey)).keyId;
  return { certificate, privateKey: keys.privateKey, keyId };
}

function parseRequest(csrPem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new Error("the certificate request is not a PEM PKCS#10 request");
  }
}

/** A webcrypto key pair from a PKCS#8 PEM EC P-256 key; `what` names the key in errors (never its content). */
async function importKeyPair(privateKeyPem: string, what: string): Promise<webcrypto.CryptoKeyPair> {
  let keyObject: ReturnType<typeof createPrivateKey>;
  try {
    keyObject = createPrivateKey(privateKeyPem);
  } catch {
    throw new Error(`the ${what} private key is not a PEM private key`);
  }
  const type = keyObject.asymmetricKeyType ?? "of an unknown type";
  const curve = keyObject.asymmetricKeyDetails?.namedCurve;
  if (type !== "ec" || curve !== "prime256v1") {
    throw new Error(`the ${what} private key is ${curve === undefined ? type : `${type} ${curve}`}, not EC P-256`);
  }
  const pkcs8 = keyObject.export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(keyObject).export({ type: "spki", format: "der" });
  const subtle = webcrypto.subtle;
  return {
    privateKey: await subtle.importKey("pkcs8", pkcs8, EC_KEY, false, ["sign"]),
    publicKey: await subtle.importKey("spki", spki, EC_KEY, true, ["verify"]),
  };
}

function subjectName(subject: Subject): x509.JsonName {
  const name: x509.JsonName = [];
  for (const [key, value] of [
    ["CN", subject.commonName],
    ["O", subject.organization],
    ["OU", subject.organizationalUnit],
  ] as const) {
    if (value === undefined) continue;
    if (value === "" || value.length > 64 || /[\p{Cc}]/u.test(value))
      throw new Error(`subject ${key} ${JSON.stringify(value.slice(0, 80))} is empty, too long or has control characters`);
    name.push({ [key]: [value] });
  }
  return name;
}

function generalNames(sans: SubjectAltNames): x509.JsonGeneralName[] {
  const names: x509.JsonGeneralName[] = [];
  for (const dns of sans.dnsNames) {
    if (!/^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/.test(dns) || dns.length > 253) {
      throw new Error(`${JSON.stringify(dns.slice(0, 80))} is not a DNS name`);
    }
    names.push({ type: "dns", value: dns });
  }
  for (const ip of sans.ipAddresses) {
    if (isIP(ip) === 0) throw new Error(`${JSON.stringify(ip.slice(0, 80))} is not an IP address`);
    names.push({ type: "ip", value: ip });
  }
  return names;
}

/** 16 random bytes, the first in 0x01–0x7f: positive, and exactly 16 bytes in DER (no leading zero to strip or add). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) % 0x7f) + 1;
  return bytes.toString("hex");
}

function checkedTime(what: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`${what} must be a time in milliseconds since the epoch, not ${ms}`);
  return ms;
}

function checkedDuration(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`validityMs must be a positive number of milliseconds, not ${ms}`);
  return ms;
}

/** Standard PEM: 64 columns, "\n" line ends, a trailing newline. */
function toPem(der: ArrayBuffer, label: string): string {
  const base64 = Buffer.from(der).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
