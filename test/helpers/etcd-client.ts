import { execa } from "execa";
import type { ClientCredentialFiles } from "../local-model/harness.js";

/**
 * etcdctl (API v3) for tests against the charm's members: https endpoints get the client credentials, http ones
 * none (a cluster moving between the two is asked one scheme at a time by the charm; tests name one scheme).
 */
export function etcdctlWith(credentials: ClientCredentialFiles | undefined) {
  return async (endpoint: string, ...args: string[]): Promise<string> => {
    const tls =
      endpoint.startsWith("https://") && credentials
        ? [`--cacert=${credentials.caFile}`, `--cert=${credentials.certFile}`, `--key=${credentials.keyFile}`]
        : [];
    const result = await execa("etcdctl", [`--endpoints=${endpoint}`, "--dial-timeout=2s", "--command-timeout=5s", ...tls, ...args], {
      env: { ETCDCTL_API: "3" },
    });
    return result.stdout;
  };
}

/** The client URL of a unit's member under TLS (the charm's default) or plaintext. */
export const clientUrl = (address: string, tls = true) => `${tls ? "https" : "http"}://${address}:2379`;
