import { createHash, X509Certificate } from "node:crypto";
import { chmod, chown, lstat, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { certificateMatchesKey, isIssuedBy, pemBlocks, readCertificate } from "../tls/inspect.js";
import type { CertificateFacts } from "../tls/inspect.js";
import { systemAccount } from "./files.js";
import type { EtcdPaths } from "./paths.js";

/**
 * This member's TLS files: the CA bundle it trusts, its certificate and its key. Certificates are public
 * (0644); the key is etcd's alone (0600) and every file is written whole or not at all. Reads return facts
 * about the files, never the key.
 */

/** 16 hex digits of a certificate's SHA-256: how units name a CA to each other. */
export function certificateFingerprint(pem: string): string | undefined {
  try {
    return createHash("sha256").update(new X509Certificate(pem).raw).digest("hex").slice(0, 16);
  } catch {
    return undefined;
  }
}

/** Fingerprints of every certificate in a bundle, in order. */
export function bundleFingerprints(bundle: string | undefined): string[] {
  return pemBlocks(bundle ?? "", "CERTIFICATE").flatMap((pem) => certificateFingerprint(pem) ?? []);
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await lstat(file)).isFile() ? await readFile(file, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

async function writeWhole(file: string, text: string, mode: number, owner?: { uid: number; gid: number }): Promise<void> {
  const temporary = `${file}.charm-new`;
  // Created with its final mode, so a key is never readable by others, not even for a moment.
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  if (owner) await chown(temporary, owner.uid, owner.gid);
  await rename(temporary, file);
}

export interface MemberCertificateFacts {
  readonly certificate: CertificateFacts | undefined;
  readonly keyMatches: boolean;
  /** Fingerprint of the CA (among `trusted`) that issued it. */
  readonly issuer: string | undefined;
}

/** What a member certificate and key on disk are, against the CAs the cluster trusts. */
export function memberCertificateFacts(certPem: string | undefined, keyPem: string | undefined, trustedBundle: string | undefined): MemberCertificateFacts {
  const certificate = certPem ? readCertificate(certPem) : undefined;
  if (!certPem || !certificate) return { certificate: undefined, keyMatches: false, issuer: undefined };
  const issuerPem = pemBlocks(trustedBundle ?? "", "CERTIFICATE").find((ca) => isIssuedBy(certPem, ca));
  return {
    certificate,
    keyMatches: keyPem !== undefined && certificateMatchesKey(certPem, keyPem),
    issuer: issuerPem ? certificateFingerprint(issuerPem) : undefined,
  };
}

export class TlsFileStore {
  constructor(readonly paths: EtcdPaths) {}

  /** The tls dir: root-owned, etcd's group may enter it (etcd reads its key and certificates there). */
  private async ensureDir(): Promise<{ uid: number; gid: number }> {
    const etcd = await systemAccount("etcd");
    // Its parent (etcd's config dir) as the config writer makes it: etcd must pass through it.
    await mkdir(path.dirname(this.paths.tlsDir), { recursive: true, mode: 0o755 });
    await mkdir(this.paths.tlsDir, { recursive: true, mode: 0o750 });
    await chown(this.paths.tlsDir, 0, etcd.gid);
    await chmod(this.paths.tlsDir, 0o750);
    return etcd;
  }

  async readMemberCertificate(trustedBundle: string | undefined): Promise<MemberCertificateFacts> {
    const [certPem, keyPem] = await Promise.all([readText(this.paths.certFile), readText(this.paths.keyFile)]);
    return memberCertificateFacts(certPem, keyPem, trustedBundle);
  }

  /** This member's key, for issuing a certificate for it; undefined when there is none or it does not parse. */
  async readKey(): Promise<string | undefined> {
    const text = await readText(this.paths.keyFile);
    return text && pemBlocks(text, "PRIVATE KEY").length === 1 ? text : undefined;
  }

  /** Whether `bundle` is in both the stable CA file and the file named for it. */
  async bundleWritten(bundle: string, bundleFile: string): Promise<boolean> {
    const [stable, named] = await Promise.all([readText(this.paths.caFile), readText(bundleFile)]);
    return stable === bundle && named === bundle;
  }

  async writeBundle(bundle: string, bundleFile: string): Promise<void> {
    await this.ensureDir();
    await writeWhole(bundleFile, bundle, 0o644);
    await writeWhole(this.paths.caFile, bundle, 0o644);
  }

  /** Key first: a certificate is never on disk beside a key it does not belong to for longer than one rename. */
  /** A key alone, for a member that asks a provider for its first certificate. */
  async writeKey(keyPem: string): Promise<void> {
    const etcd = await this.ensureDir();
    await writeWhole(this.paths.keyFile, keyPem, 0o600, etcd);
  }

  async writeMember(certificatePem: string, keyPem: string): Promise<void> {
    const etcd = await this.ensureDir();
    await writeWhole(this.paths.keyFile, keyPem, 0o600, etcd);
    await writeWhole(this.paths.certFile, certificatePem, 0o644);
  }

  /** Fingerprints of the CAs in a file (the one a running config names); [] when absent. */
  async fingerprintsOf(file: string | undefined): Promise<string[]> {
    return file ? bundleFingerprints(await readText(file)) : [];
  }

  readEtcdctlEnv(): Promise<string | undefined> {
    return readText(this.paths.etcdctlEnvFile);
  }

  /** Root-only: it names the member's key. The profile script sources it for root's shells. */
  async writeEtcdctlEnv(text: string, profileScript: string): Promise<void> {
    await mkdir(path.dirname(this.paths.etcdctlEnvFile), { recursive: true, mode: 0o755 });
    await writeWhole(this.paths.etcdctlEnvFile, text, 0o600);
    await mkdir(path.dirname(this.paths.profileScript), { recursive: true, mode: 0o755 });
    await writeWhole(this.paths.profileScript, profileScript, 0o644);
  }
}
