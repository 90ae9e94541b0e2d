import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { stringify as stringifyYaml } from "yaml";
import { generatePrivateKey } from "../../src/tls/keys.js";
import type { CaMaterial, CertificateProfile, Subject, SubjectAltNames } from "../../src/tls/pki.js";

/** Real etcd processes over TLS for tests: members started from a config file, proxies, and the files they need. */

/** A certificate and its key on disk (key 0600); the key is never read back into test output. */
export interface CredentialFiles {
  readonly cert: string;
  readonly key: string;
}

export async function writeCredentials(
  dir: string,
  name: string,
  ca: CaMaterial,
  subject: Subject,
  sans: SubjectAltNames,
  profile: CertificateProfile,
): Promise<CredentialFiles> {
  const { issueCertificate } = await import("../../src/tls/pki.js");
  const privateKeyPem = generatePrivateKey();
  const certificatePem = await issueCertificate({ privateKeyPem, subject, sans, ca, now: Date.now(), validityMs: 24 * 3600_000, profile });
  const files = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  await writeFile(files.key, privateKeyPem, { mode: 0o600 });
  await writeFile(files.cert, certificatePem);
  return files;
}

/** The TLS 1.2 suites the charm allows: ECDHE with AES-GCM, for ECDSA and RSA keys (TLS 1.3 suites are not configurable in Go). */
export const CIPHER_SUITES = [
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
];

/** A running etcd-family process whose stdout and stderr are kept for assertions. */
export class EtcdProcess {
  private output = "";
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The `error` of each zap "rejected connection" line the process logged, in order. */
  rejectedConnections(): string[] {
    return this.output
      .split("\n")
      .filter((line) => line.includes('"msg":"rejected connection"'))
      .map((line) => (JSON.parse(line) as { error: string }).error);
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }
}

export function startProcess(name: string, args: readonly string[]): EtcdProcess {
  return new EtcdProcess(name, spawn("/usr/bin/etcd", args, { stdio: ["ignore", "pipe", "pipe"] }));
}

export interface TlsMemberOptions {
  readonly dir: string;
  readonly name: string;
  readonly address: string;
  readonly ca: string;
  readonly member: CredentialFiles;
  /** Keys added to (or replacing) the rendered config. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** The config the charm renders for a TLS member (src/etcd/render.ts plus the TLS keys), as a plain object. */
export function tlsMemberConfig(options: TlsMemberOptions): Record<string, unknown> {
  const clientUrl = `https://${options.address}:2379`;
  const peerUrl = `https://${options.address}:2380`;
  const security = { "cert-file": options.member.cert, "key-file": options.member.key, "trusted-ca-file": options.ca, "client-cert-auth": true };
  return {
    name: options.name,
    "data-dir": path.join(options.dir, `${options.name}.etcd`),
    "listen-peer-urls": peerUrl,
    "listen-client-urls": clientUrl,
    "initial-advertise-peer-urls": peerUrl,
    "advertise-client-urls": clientUrl,
    "initial-cluster": `${options.name}=${peerUrl}`,
    "initial-cluster-state": "new",
    "initial-cluster-token": `token-${options.name}`,
    "enable-v2": true,
    logger: "zap",
    "log-outputs": ["stderr"],
    "log-level": "info",
    "strict-reconfig-check": true,
    "client-transport-security": security,
    "peer-transport-security": security,
    "cipher-suites": CIPHER_SUITES,
    ...options.extra,
  };
}

/** Starts a one-member TLS cluster from a config file and waits until etcdctl with `client` reads from it. */
export async function startTlsMember(options: TlsMemberOptions, client: CredentialFiles): Promise<EtcdProcess> {
  const configFile = path.join(options.dir, `${options.name}.conf.yml`);
  await writeFile(configFile, stringifyYaml(tlsMemberConfig(options)));
  const member = startProcess(options.name, ["--config-file", configFile]);
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = await etcdctl([`https://${options.address}:2379`], options.ca, client, ["endpoint", "health"]);
    if (probe.exitCode === 0) return member;
    if (!member.running) break;
    await sleep(100);
  }
  await member.stop();
  throw new Error(`etcd ${options.name} on ${options.address} did not become healthy:\n${member.log.slice(-2000)}`);
}

export async function etcdctl(
  endpoints: readonly string[],
  ca: string | undefined,
  client: CredentialFiles | undefined,
  args: readonly string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const tls = [...(ca ? [`--cacert=${ca}`] : []), ...(client ? [`--cert=${client.cert}`, `--key=${client.key}`] : [])];
  const result = await execa("etcdctl", [`--endpoints=${endpoints.join(",")}`, "--dial-timeout=1s", "--command-timeout=3s", ...tls, ...args], {
    reject: false,
    env: { ETCDCTL_API: "3" },
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Polls `probe` until it holds (about 10 s), for proxies that take a moment to find the cluster. */
export async function eventually(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await probe()) return;
    await sleep(200);
  }
  throw new Error(`${what} did not happen within 10 s`);
}
