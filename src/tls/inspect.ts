import { createPrivateKey, X509Certificate } from "node:crypto";

/**
 * Reading certificates and keys the charm holds: cheap enough for every hook (update-status included), so
 * only node:crypto here. Issuing lives in pki.ts, which is loaded only by the hooks that issue.
 */

export interface CertificateFacts {
  /** Subject CN. */
  readonly commonName: string | undefined;
  /** Subject O. */
  readonly organization: string | undefined;
  /** Issuer DN as node prints it. */
  readonly issuer: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** SAN DNS entries. */
  readonly dnsNames: readonly string[];
  /** SAN IP entries (IPv6 as node prints them, e.g. "2001:DB8:0:0:0:0:0:1"). */
  readonly ipAddresses: readonly string[];
  readonly isCa: boolean;
  /** sha256, hex lowercase without colons. */
  readonly fingerprint: string;
}

/**
 * The PEM blocks of one kind in a text ("CERTIFICATE", "PRIVATE KEY", "CERTIFICATE REQUEST", ...), each
 * normalised (trimmed, "\n" line ends, trailing newline).
 */
export function pemBlocks(text: string, kind: string): string[] {
  const label = kind.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, "g");
  return [...text.matchAll(pattern)].map(([block]) => {
    const lines = block
      .split(/\r?\n|\r/)
      .map((line) => line.trim())
      .filter((line) => line !== "");
    return `${lines.join("\n")}\n`;
  });
}

/** undefined when the text holds no parseable certificate; the first certificate of a bundle. */
export function readCertificate(pem: string): CertificateFacts | undefined {
  const certificate = parseFirstCertificate(pem);
  if (certificate === undefined) return undefined;
  const subject = parseDistinguishedName(certificate.subject);
  const altNames = parseSubjectAltName(certificate.subjectAltName ?? "");
  return {
    commonName: subject.get("CN"),
    organization: subject.get("O"),
    issuer: certificate.issuer,
    notBeforeMs: Date.parse(certificate.validFrom),
    notAfterMs: Date.parse(certificate.validTo),
    dnsNames: altNames.filter((name) => name.type === "DNS").map((name) => name.value),
    ipAddresses: altNames.filter((name) => name.type === "IP Address").map((name) => name.value),
    isCa: certificate.ca,
    fingerprint: certificate.fingerprint256.replaceAll(":", "").toLowerCase(),
  };
}

/** false on any parse error. */
export function certificateMatchesKey(certificatePem: string, privateKeyPem: string): boolean {
  try {
    const certificate = parseFirstCertificate(certificatePem);
    return certificate?.checkPrivateKey(createPrivateKey(privateKeyPem)) === true;
  } catch {
    return false;
  }
}

/** The certificate's signature verifies with the CA certificate's public key and its issuer is that CA's subject. */
export function isIssuedBy(certificatePem: string, caPem: string): boolean {
  const certificate = parseFirstCertificate(certificatePem);
  const ca = parseFirstCertificate(caPem);
  if (certificate === undefined || ca === undefined) return false;
  try {
    // checkIssued compares the issuer name with the CA's subject (and AKI with SKI when both are present).
    return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
  } catch {
    return false;
  }
}

function parseFirstCertificate(pem: string): X509Certificate | undefined {
  const [first] = pemBlocks(pem, "CERTIFICATE");
  if (first === undefined) return undefined;
  try {
    return new X509Certificate(first);
  } catch {
    return undefined;
  }
}

/**
 * Node prints a DN one attribute a line ("CN=a\, b\nO=Org"), RFC 2253 escapes as "\," and control bytes as
 * "\0A". The first value of each attribute wins; a multi-valued RDN ("CN=a + O=b") is not split.
 */
function parseDistinguishedName(printed: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const line of printed.split("\n")) {
    const separator = line.indexOf("=");
    if (separator <= 0) continue;
    const key = line.slice(0, separator);
    if (!attributes.has(key)) attributes.set(key, unescapeDnValue(line.slice(separator + 1)));
  }
  return attributes;
}

function unescapeDnValue(value: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < value.length; i++) {
    const char = value[i] ?? "";
    if (char === "\\" && i + 1 < value.length) {
      const hex = value.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...encoder.encode(value[i + 1]));
        i += 1;
      }
    } else {
      bytes.push(...encoder.encode(char));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

interface AltName {
  readonly type: string;
  readonly value: string;
}

/**
 * Node's subjectAltName text: "DNS:a, IP Address:127.0.0.1, …"; since the fix for CVE-2021-44532 a value that
 * would be ambiguous (a comma, a quote, …) is printed as a JSON string: DNS:"a, b".
 */
function parseSubjectAltName(printed: string): AltName[] {
  const names: AltName[] = [];
  let rest = printed;
  while (rest.length > 0) {
    const colon = rest.indexOf(":");
    if (colon < 0) break;
    const type = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
    let value: string;
    if (rest.startsWith('"')) {
      const end = closingQuote(rest);
      value = JSON.parse(rest.slice(0, end + 1)) as string;
      rest = rest.slice(end + 1);
    } else {
      const comma = rest.indexOf(", ");
      value = comma < 0 ? rest : rest.slice(0, comma);
      rest = comma < 0 ? "" : rest.slice(comma);
    }
    names.push({ type, value });
    rest = rest.startsWith(", ") ? rest.slice(2) : "";
  }
  return names;
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}
