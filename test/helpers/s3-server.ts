import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { generatePrivateKey } from "../../src/tls/keys.js";

/**
 * A real S3-protocol server for tests: s3rver (in this process, on a loopback address, port 0), its buckets
 * in a temporary directory, over http or over https with a certificate for that address from a CA of its own.
 *
 * Credentials: s3rver knows access keys but does not check Signature V4 signatures (only V2 ones), so it refuses
 * an unknown access key (InvalidAccessKeyId, HTTP 403) but accepts any secret key with a known one. The access
 * key given here is registered for the server's lifetime; its built-in pair S3RVER/S3RVER stays known too.
 * Requests without any signature are accepted (as anonymous), which the store never sends.
 */

export interface S3TestServer {
  /** `http(s)://<host>:<port>`. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  /** The CA that signed the server's certificate (https only): what tls-ca-chain would carry. */
  readonly caPem: string | undefined;
  readonly accessKey: string;
  readonly secretKey: string;
  stop(): Promise<void>;
}

export interface S3TestServerOptions {
  readonly host?: string;
  readonly tls?: boolean;
  readonly accessKey?: string;
  readonly secretKey?: string;
}

/** s3rver's account registry (not in its type definitions): where access keys are made known. */
interface AccountModule {
  readonly DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void; revokeAccessKey(accessKeyId: string): void };
}
const accounts = createRequire(import.meta.url)("s3rver/lib/models/account") as AccountModule;
/** The registry is the process's: a key two servers share is revoked when the last of them stops. */
const registered = new Map<string, number>();

export async function startS3Server(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const host = options.host ?? "127.0.0.1";
  const accessKey = options.accessKey ?? "etcd-charm-test";
  const secretKey = options.secretKey ?? "test-secret-key-0123456789";
  const directory = await mkdtemp(path.join(tmpdir(), "s3rver-"));
  let tls: { key: string; cert: string; caPem: string } | undefined;
  if (options.tls) {
    const { createCa, issueCertificate } = await import("../../src/tls/pki.js");
    const now = Date.now();
    const ca = await createCa({ subject: { commonName: "s3 test CA" }, now, validityMs: 24 * 3600_000 });
    const key = generatePrivateKey();
    const cert = await issueCertificate({
      privateKeyPem: key,
      subject: { organization: "s3 test server" },
      sans: { dnsNames: [], ipAddresses: [host] },
      ca,
      now,
      validityMs: 24 * 3600_000,
      profile: "member",
    });
    tls = { key, cert, caPem: ca.certificatePem };
  }
  const server = new S3rver({
    address: host,
    port: 0,
    silent: true,
    directory,
    // Path-style only: the store addresses every non-AWS endpoint by path.
    vhostBuckets: false,
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
  });
  accounts.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);
  registered.set(accessKey, (registered.get(accessKey) ?? 0) + 1);
  const address = await server.run();
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    endpoint: `${tls ? "https" : "http"}://${urlHost}:${address.port}`,
    host,
    port: address.port,
    caPem: tls?.caPem,
    accessKey,
    secretKey,
    async stop() {
      await server.close();
      const users = (registered.get(accessKey) ?? 1) - 1;
      registered.set(accessKey, users);
      if (users === 0) accounts.DUMMY_ACCOUNT.revokeAccessKey(accessKey);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
