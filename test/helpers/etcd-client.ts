import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import type { ClientCredentialFiles } from "../local-model/harness.js";

/**
 * etcdctl (API v3) for tests against the charm's members: https endpoints get the client credentials, http ones
 * none (a cluster moving between the two is asked one scheme at a time by the charm; tests name one scheme).
 */
export function etcdctlWith(credentials: ClientCredentialFiles | undefined) {
  return async (endpoint: string, ...args: string[]): Promise<string> => {
    const tls = tlsFlags(endpoint.startsWith("https://") ? credentials : undefined);
    const result = await execa("etcdctl", [`--endpoints=${endpoint}`, "--dial-timeout=2s", "--command-timeout=5s", ...tls, ...args], {
      env: { ETCDCTL_API: "3" },
    });
    return result.stdout;
  };
}

/** The client URL of a unit's member under TLS (the charm's default) or plaintext. */
export const clientUrl = (address: string, tls = true) => `${tls ? "https" : "http"}://${address}:2379`;

/**
 * A client identity as etcdctl and the proxies take it: the CA, the certificate and the key in 0600 files
 * `<name>-ca.pem`, `<name>-cert.pem`, `<name>-key.pem` of a private dir.
 */
export async function writeClientCredentials(dir: string, name: string, pems: { ca: string; cert: string; key: string }): Promise<ClientCredentialFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const at = (file: string) => path.join(dir, `${name}-${file}`);
  const files = { caFile: at("ca.pem"), certFile: at("cert.pem"), keyFile: at("key.pem") };
  await writeFile(files.caFile, pems.ca, { mode: 0o600 });
  await writeFile(files.certFile, pems.cert, { mode: 0o600 });
  await writeFile(files.keyFile, pems.key, { mode: 0o600 });
  return files;
}
