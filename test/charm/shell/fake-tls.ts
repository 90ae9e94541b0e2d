import type { Machine } from "../../../src/etcd/machine.js";
import type { EtcdPaths } from "../../../src/etcd/paths.js";
import { bundleFingerprints, type MemberCertificateFacts, memberCertificateFacts } from "../../../src/etcd/tls-files.js";
import { pemBlocks } from "../../../src/tls/inspect.js";

/**
 * One machine's TLS files in memory (path → text), read with the same node:crypto inspection as the real
 * store (src/etcd/tls-files.ts): certificates are real, so a certificate from another CA or for another key
 * reads as such. Modes and ownership are the real store's business and its own tests'.
 */
type TlsStore = Machine["tls"];

export class FakeTlsStore implements TlsStore {
  readonly files = new Map<string, string>();
  /** When set, the next write fails with this error (once), as a full disk would. */
  failNextWrite: string | undefined;

  constructor(
    readonly paths: EtcdPaths,
    private readonly note: (what: string) => void,
  ) {}

  private write(what: string, entries: readonly (readonly [string, string])[]): void {
    const error = this.failNextWrite;
    this.failNextWrite = undefined;
    if (error !== undefined) throw new Error(error);
    for (const [file, text] of entries) this.files.set(file, text);
    this.note(what);
  }

  async readMemberCertificate(trustedBundle: string | undefined): Promise<MemberCertificateFacts> {
    return memberCertificateFacts(this.files.get(this.paths.certFile), this.files.get(this.paths.keyFile), trustedBundle);
  }

  async readKey(): Promise<string | undefined> {
    const text = this.files.get(this.paths.keyFile);
    return text && pemBlocks(text, "PRIVATE KEY").length === 1 ? text : undefined;
  }

  async bundleWritten(bundle: string, bundleFile: string): Promise<boolean> {
    return this.files.get(this.paths.caFile) === bundle && this.files.get(bundleFile) === bundle;
  }

  async writeBundle(bundle: string, bundleFile: string): Promise<void> {
    this.write("tls-bundle", [
      [bundleFile, bundle],
      [this.paths.caFile, bundle],
    ]);
  }

  async writeKey(keyPem: string): Promise<void> {
    this.write("tls-key", [[this.paths.keyFile, keyPem]]);
  }

  async writeMember(certificatePem: string, keyPem: string): Promise<void> {
    this.write("tls-member", [
      [this.paths.keyFile, keyPem],
      [this.paths.certFile, certificatePem],
    ]);
  }

  async fingerprintsOf(file: string | undefined): Promise<string[]> {
    return file ? bundleFingerprints(this.files.get(file)) : [];
  }

  async readEtcdctlEnv(): Promise<string | undefined> {
    return this.files.get(this.paths.etcdctlEnvFile);
  }

  async writeEtcdctlEnv(text: string, profileScript: string): Promise<void> {
    this.write("etcdctl-env", [
      [this.paths.etcdctlEnvFile, text],
      [this.paths.profileScript, profileScript],
    ]);
  }
}
