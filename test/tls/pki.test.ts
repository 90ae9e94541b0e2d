import { createPrivateKey } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificateMatchesKey, isIssuedBy, pemBlocks, readCertificate } from "../../src/tls/inspect.js";
import { generatePrivateKey } from "../../src/tls/keys.js";
import { type CaMaterial, createCa, createCsr, issueCertificate, signCsr } from "../../src/tls/pki.js";

/**
 * The charm's certificate code, cross-checked with the real openssl CLI (OpenSSL 3.0 here). Keys are written
 * to 0600 files for openssl and never printed: assertions compare key-free outputs only.
 */

const HOUR = 3600_000;
const DAY = 24 * HOUR;
// Whole seconds: X.509 times have no milliseconds.
const now = Math.floor(Date.now() / 1000) * 1000;

let dir: string;
let ca: CaMaterial;
let otherCa: CaMaterial;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pki-test-"));
  ca = await createCa({ subject: { commonName: "etcd CA", organization: "etcd charm" }, now, validityMs: 10 * 365 * DAY });
  otherCa = await createCa({ subject: { commonName: "etcd CA", organization: "etcd charm" }, now, validityMs: 10 * 365 * DAY });
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const full = path.join(dir, name);
  await writeFile(full, content, { mode: 0o600 });
  return full;
}

async function openssl(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa("openssl", args, { reject: false });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** `openssl x509 -noout -ext …` of a certificate, e.g. "X509v3 Extended Key Usage: \n    TLS Web Client Authentication". */
async function extensions(certificatePem: string, names: string): Promise<string> {
  const result = await openssl("x509", "-noout", "-ext", names, "-in", await file(`ext-${Math.random()}.pem`, certificatePem));
  expect(result.exitCode).toBe(0);
  return result.stdout;
}

async function verify(certificatePem: string, caPem: string, ...options: string[]): Promise<string> {
  const result = await openssl("verify", ...options, "-CAfile", await file(`ca-${Math.random()}.pem`, caPem), await file("leaf.pem", certificatePem));
  return `${result.stdout}${result.stderr}`.trim();
}

const memberSans = { dnsNames: ["etcd-0.example", "localhost"], ipAddresses: ["127.0.0.231", "::1"] };

describe("generatePrivateKey", () => {
  it("is a PKCS#8 EC P-256 key, one normalised PEM block, new every time", async () => {
    const key = generatePrivateKey();
    expect(pemBlocks(key, "PRIVATE KEY")).toEqual([key]);
    const keyObject = createPrivateKey(key);
    expect(keyObject.asymmetricKeyType).toBe("ec");
    expect(keyObject.asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
    expect((await openssl("pkey", "-noout", "-in", await file("key.pem", key))).exitCode).toBe(0);
    expect(generatePrivateKey()).not.toBe(key);
  });
});

describe("createCa", () => {
  it("is a self-signed P-256 CA with pathlen 0, certificate and CRL signing only, and an SKI", async () => {
    expect(await extensions(ca.certificatePem, "basicConstraints,keyUsage")).toBe(
      "X509v3 Basic Constraints: critical\n    CA:TRUE, pathlen:0\nX509v3 Key Usage: critical\n    Certificate Sign, CRL Sign",
    );
    expect(await extensions(ca.certificatePem, "subjectKeyIdentifier")).toMatch(/^X509v3 Subject Key Identifier: \n {4}([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(await verify(ca.certificatePem, ca.certificatePem)).toMatch(/: OK$/);
    const facts = readCertificate(ca.certificatePem);
    expect(facts).toMatchObject({
      commonName: "etcd CA",
      organization: "etcd charm",
      issuer: "CN=etcd CA\nO=etcd charm",
      isCa: true,
      dnsNames: [],
      ipAddresses: [],
    });
    expect(facts?.notBeforeMs).toBe(now - 5 * 60_000);
    expect(facts?.notAfterMs).toBe(now + 10 * 365 * DAY);
    expect(certificateMatchesKey(ca.certificatePem, ca.privateKeyPem)).toBe(true);
    expect(createPrivateKey(ca.privateKeyPem).asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
  });

  it("writes standard PEM (64 columns, trailing newline) and a random positive 16-byte serial, ECDSA-SHA256", async () => {
    const lines = ca.certificatePem.split("\n");
    expect(lines[0]).toBe("-----BEGIN CERTIFICATE-----");
    expect(lines.at(-2)).toBe("-----END CERTIFICATE-----");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(1, -3).every((line) => line.length === 64)).toBe(true);
    const serials = await Promise.all(
      [ca, otherCa].map(
        async (material) => (await openssl("x509", "-noout", "-serial", "-in", await file(`s-${Math.random()}.pem`, material.certificatePem))).stdout,
      ),
    );
    for (const serial of serials) expect(serial).toMatch(/^serial=[0-7][0-9A-F]{31}$/);
    expect(serials[0]).not.toBe(serials[1]);
    const text = (await openssl("x509", "-noout", "-text", "-in", await file("ca-text.pem", ca.certificatePem))).stdout;
    expect(text).toContain("Signature Algorithm: ecdsa-with-SHA256");
    expect(text).toContain("NIST CURVE: P-256");
  });
});

describe("createCsr", () => {
  it("makes a request openssl verifies, with the subject and the SANs asked for", async () => {
    const csr = await createCsr({ privateKeyPem: generatePrivateKey(), subject: { commonName: "etcd0", organizationalUnit: "etcd" }, sans: memberSans });
    expect(pemBlocks(csr, "CERTIFICATE REQUEST")).toEqual([csr]);
    const csrFile = await file("req.pem", csr);
    const checked = await openssl("req", "-verify", "-noout", "-subject", "-in", csrFile);
    expect(checked.exitCode).toBe(0);
    expect(checked.stderr.trim()).toBe("Certificate request self-signature verify OK");
    expect(checked.stdout).toBe("subject=CN = etcd0, OU = etcd");
    const text = (await openssl("req", "-noout", "-text", "-in", csrFile)).stdout;
    expect(text).toContain(
      "X509v3 Subject Alternative Name: \n                    DNS:etcd-0.example, DNS:localhost, IP Address:127.0.0.231, IP Address:0:0:0:0:0:0:0:1",
    );
  });

  it("has no SAN extension when no SAN is given; refuses a request with neither subject nor SAN", async () => {
    const csr = await createCsr({ privateKeyPem: generatePrivateKey(), subject: { commonName: "only-a-name" }, sans: { dnsNames: [], ipAddresses: [] } });
    const text = (await openssl("req", "-noout", "-text", "-in", await file("req-nosan.pem", csr))).stdout;
    expect(text).not.toContain("Subject Alternative Name");
    await expect(createCsr({ privateKeyPem: generatePrivateKey(), subject: {}, sans: { dnsNames: [], ipAddresses: [] } })).rejects.toThrow(
      "a certificate request needs a subject attribute or at least one subject alternative name",
    );
    // O= only and no SAN: the client identity etcd's grpc-proxy accepts.
    const organizationOnly = await createCsr({
      privateKeyPem: generatePrivateKey(),
      subject: { organization: "proxy" },
      sans: { dnsNames: [], ipAddresses: [] },
    });
    expect((await openssl("req", "-noout", "-subject", "-in", await file("req-o.pem", organizationOnly))).stdout).toBe("subject=O = proxy");
  });

  it("refuses malformed SANs and a key that is not EC P-256, without quoting the key", async () => {
    const key = generatePrivateKey();
    await expect(createCsr({ privateKeyPem: key, subject: { commonName: "x" }, sans: { dnsNames: [], ipAddresses: ["300.1.1.1"] } })).rejects.toThrow(
      '"300.1.1.1" is not an IP address',
    );
    await expect(createCsr({ privateKeyPem: key, subject: { commonName: "x" }, sans: { dnsNames: ["a b"], ipAddresses: [] } })).rejects.toThrow(
      '"a b" is not a DNS name',
    );
    const rsaKey = (await openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")).stdout;
    const error = (await createCsr({ privateKeyPem: rsaKey, subject: { commonName: "x" }, sans: memberSans }).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe("the request private key is rsa, not EC P-256");
    const garbage = (await createCsr({
      privateKeyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      subject: { commonName: "x" },
      sans: memberSans,
    }).catch((e: unknown) => e)) as Error;
    expect(garbage.message).toBe("the request private key is not a PEM private key");
  });
});

describe("signCsr", () => {
  it("a member certificate: verified by openssl against the CA, server and client auth, the request's subject and SANs", async () => {
    const key = generatePrivateKey();
    const csrPem = await createCsr({ privateKeyPem: key, subject: { commonName: "etcd0" }, sans: memberSans });
    const certificate = await signCsr({ csrPem, ca, now, validityMs: 90 * DAY, profile: "member" });
    expect(await verify(certificate, ca.certificatePem)).toMatch(/leaf\.pem: OK$/);
    expect(await verify(certificate, ca.certificatePem, "-purpose", "sslserver")).toMatch(/leaf\.pem: OK$/);
    expect(await verify(certificate, ca.certificatePem, "-purpose", "sslclient")).toMatch(/leaf\.pem: OK$/);
    expect(await extensions(certificate, "subjectAltName,extendedKeyUsage,basicConstraints,keyUsage")).toBe(
      [
        "X509v3 Basic Constraints: critical",
        "    CA:FALSE",
        "X509v3 Key Usage: critical",
        "    Digital Signature, Key Encipherment",
        "X509v3 Extended Key Usage: ",
        "    TLS Web Server Authentication, TLS Web Client Authentication",
        "X509v3 Subject Alternative Name: ",
        "    DNS:etcd-0.example, DNS:localhost, IP Address:127.0.0.231, IP Address:0:0:0:0:0:0:0:1",
      ].join("\n"),
    );
    const caSki = (await extensions(ca.certificatePem, "subjectKeyIdentifier")).split("\n")[1]?.trim();
    expect(await extensions(certificate, "authorityKeyIdentifier")).toBe(`X509v3 Authority Key Identifier: \n    ${caSki}`);
    expect(readCertificate(certificate)).toMatchObject({
      commonName: "etcd0",
      organization: undefined,
      issuer: "CN=etcd CA\nO=etcd charm",
      notBeforeMs: now - 5 * 60_000,
      notAfterMs: now + 90 * DAY,
      dnsNames: ["etcd-0.example", "localhost"],
      ipAddresses: ["127.0.0.231", "0:0:0:0:0:0:0:1"],
      isCa: false,
    });
    expect(certificateMatchesKey(certificate, key)).toBe(true);
    expect(isIssuedBy(certificate, ca.certificatePem)).toBe(true);
  });

  it("a client certificate: client auth only, digital signature only; openssl refuses it as a server certificate", async () => {
    const csrPem = await createCsr({
      privateKeyPem: generatePrivateKey(),
      subject: { organization: "kubernetes-control-plane" },
      sans: { dnsNames: ["kcp"], ipAddresses: [] },
    });
    const certificate = await signCsr({ csrPem, ca, now, validityMs: HOUR, profile: "client" });
    expect(await extensions(certificate, "extendedKeyUsage,keyUsage")).toBe(
      "X509v3 Key Usage: critical\n    Digital Signature\nX509v3 Extended Key Usage: \n    TLS Web Client Authentication",
    );
    expect(await verify(certificate, ca.certificatePem, "-purpose", "sslclient")).toMatch(/leaf\.pem: OK$/);
    expect(await verify(certificate, ca.certificatePem, "-purpose", "sslserver")).toContain("error 26 at 0 depth lookup: unsuitable certificate purpose");
    expect(readCertificate(certificate)).toMatchObject({ commonName: undefined, organization: "kubernetes-control-plane", notAfterMs: now + HOUR });
  });

  it("signs a request made by openssl req (RSA key, its subject and SANs) and ignores the CA:TRUE it asks for", async () => {
    const keyFile = path.join(dir, "openssl-rsa.key");
    const made = await openssl(
      ...["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-subj", "/CN=patroni/O=db"],
      ...["-addext", "subjectAltName=DNS:patroni.internal,IP:10.1.2.3", "-addext", "basicConstraints=critical,CA:TRUE"],
    );
    expect(made.exitCode).toBe(0);
    const certificate = await signCsr({ csrPem: made.stdout, ca, now, validityMs: DAY, profile: "client" });
    expect(await verify(certificate, ca.certificatePem)).toMatch(/leaf\.pem: OK$/);
    expect(readCertificate(certificate)).toMatchObject({
      commonName: "patroni",
      organization: "db",
      dnsNames: ["patroni.internal"],
      ipAddresses: ["10.1.2.3"],
      isCa: false,
    });
    // The request asked to be a CA: only its subject and SANs are copied.
    expect(await extensions(certificate, "basicConstraints")).toBe("X509v3 Basic Constraints: critical\n    CA:FALSE");
    const modulus = async (args: string[]) => (await openssl(...args)).stdout;
    // The certificate carries the request's public key: the same RSA modulus (public; the private key is not printed).
    expect(await modulus(["x509", "-noout", "-modulus", "-in", await file("rsa-leaf.pem", certificate)])).toBe(
      await modulus(["rsa", "-noout", "-modulus", "-in", keyFile]),
    );
  });

  it("refuses a tampered request, a request that is not PEM, and a CA whose key is not its own; no key in any message", async () => {
    const key = generatePrivateKey();
    const csrPem = await createCsr({ privateKeyPem: key, subject: { commonName: "etcd1" }, sans: memberSans });
    const der = Buffer.from(pemBlocks(csrPem, "CERTIFICATE REQUEST")[0]!.split("\n").slice(1, -2).join(""), "base64");
    const at = der.indexOf(Buffer.from("etcd1"));
    expect(at).toBeGreaterThan(0);
    der[at + 4] = "9".charCodeAt(0); // the request now asks for CN=etcd9, under etcd1's signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    // OpenSSL 3.0 exits 0 here and says so only on stderr.
    expect((await openssl("req", "-verify", "-noout", "-in", await file("tampered.pem", tampered))).stderr.trim()).toBe(
      "Certificate request self-signature verify failure",
    );
    const errors = [
      await signCsr({ csrPem: tampered, ca, now, validityMs: DAY, profile: "member" }).catch((e: unknown) => e),
      await signCsr({ csrPem: "not a request", ca, now, validityMs: DAY, profile: "member" }).catch((e: unknown) => e),
      await signCsr({ csrPem, ca: { certificatePem: ca.certificatePem, privateKeyPem: otherCa.privateKeyPem }, now, validityMs: DAY, profile: "member" }).catch(
        (e: unknown) => e,
      ),
      await signCsr({ csrPem, ca, now, validityMs: 0, profile: "member" }).catch((e: unknown) => e),
    ].map((error) => (error as Error).message);
    expect(errors).toEqual([
      "the certificate request's signature does not verify with its own public key",
      "the certificate request is not a PEM PKCS#10 request",
      "the CA private key does not belong to the CA certificate",
      "validityMs must be a positive number of milliseconds, not 0",
    ]);
  });

  it("refuses to sign with a certificate that is not a CA", async () => {
    const key = generatePrivateKey();
    const leaf = await issueCertificate({
      privateKeyPem: key,
      subject: { commonName: "etcd0" },
      sans: memberSans,
      ca,
      now,
      validityMs: DAY,
      profile: "member",
    });
    const csrPem = await createCsr({ privateKeyPem: generatePrivateKey(), subject: { commonName: "x" }, sans: memberSans });
    await expect(signCsr({ csrPem, ca: { certificatePem: leaf, privateKeyPem: key }, now, validityMs: DAY, profile: "member" })).rejects.toThrow(
      "the CA certificate (CN=etcd0) is not a CA",
    );
  });
});

describe("issueCertificate and the inspection functions", () => {
  it("issues in one call what signCsr issues, for the given key", async () => {
    const key = generatePrivateKey();
    const certificate = await issueCertificate({
      privateKeyPem: key,
      subject: { commonName: "etcd2" },
      sans: memberSans,
      ca,
      now,
      validityMs: DAY,
      profile: "member",
    });
    expect(await verify(certificate, ca.certificatePem, "-purpose", "sslserver")).toMatch(/leaf\.pem: OK$/);
    expect(certificateMatchesKey(certificate, key)).toBe(true);
    expect(readCertificate(certificate)?.fingerprint).toBe(
      (await openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", await file("fp.pem", certificate))).stdout
        .replace("sha256 Fingerprint=", "")
        .replaceAll(":", "")
        .toLowerCase(),
    );
  });

  it("isIssuedBy is false for another CA with the same subject; certificateMatchesKey is false for another key or garbage", async () => {
    const key = generatePrivateKey();
    const certificate = await issueCertificate({
      privateKeyPem: key,
      subject: { commonName: "etcd3" },
      sans: memberSans,
      ca,
      now,
      validityMs: DAY,
      profile: "member",
    });
    expect(isIssuedBy(certificate, ca.certificatePem)).toBe(true);
    expect(isIssuedBy(certificate, otherCa.certificatePem)).toBe(false);
    expect(isIssuedBy(certificate, "garbage")).toBe(false);
    expect(isIssuedBy(ca.certificatePem, ca.certificatePem)).toBe(true);
    expect(certificateMatchesKey(certificate, generatePrivateKey())).toBe(false);
    expect(certificateMatchesKey(certificate, "garbage")).toBe(false);
    expect(certificateMatchesKey("garbage", key)).toBe(false);
  });

  it("readCertificate: undefined for garbage, a request or a broken block; the first certificate of a bundle with CRLF line ends", async () => {
    expect(readCertificate("")).toBeUndefined();
    expect(readCertificate("garbage")).toBeUndefined();
    expect(readCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")).toBeUndefined();
    const csr = await createCsr({ privateKeyPem: generatePrivateKey(), subject: { commonName: "x" }, sans: memberSans });
    expect(readCertificate(csr)).toBeUndefined();
    const leaf = await issueCertificate({
      privateKeyPem: generatePrivateKey(),
      subject: { commonName: "a, b" },
      sans: memberSans,
      ca,
      now,
      validityMs: DAY,
      profile: "client",
    });
    const bundle = `junk before\r\n${leaf.replaceAll("\n", "\r\n")}  \r\n${ca.certificatePem}`;
    expect(readCertificate(bundle)).toMatchObject({ commonName: "a, b", isCa: false });
    expect(pemBlocks(bundle, "CERTIFICATE")).toEqual([leaf, ca.certificatePem]);
    expect(pemBlocks(bundle, "PRIVATE KEY")).toEqual([]);
  });
});
