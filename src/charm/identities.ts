import type { HookTools } from "../juju/client.js";
import { generatePrivateKey } from "../tls/keys.js";

/**
 * Certificates with their keys as this application keeps them in Juju secrets (the CA, consumers' client
 * identities), and the client identities the charm's own CA issues. Issuing loads ../tls/pki.js, only here and
 * only when something is issued.
 */

/** Secret content keys (interfaces §6.4: lowercase letters, digits and "-"). */
export const CERTIFICATE_KEY = "certificate";
export const PRIVATE_KEY_KEY = "private-key";

export interface Identity {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export const loadPki = () => import("../tls/pki.js");

/** A certificate and its key from a secret; undefined when the secret is not there or lacks either. */
export async function readIdentitySecret(tools: Pick<HookTools, "secretGet">, secretId: string): Promise<Identity | undefined> {
  // The latest revision: owners are pinned to the one they last read like any consumer (Juju 3.6), and the CA
  // and client identities get new revisions (rotate-ca, reissues).
  const content = await tools.secretGet({ id: secretId }, { refresh: true });
  const certificatePem = content?.[CERTIFICATE_KEY];
  const privateKeyPem = content?.[PRIVATE_KEY_KEY];
  return certificatePem && privateKeyPem ? { certificatePem, privateKeyPem } : undefined;
}

/** The content of a secret that keeps an identity. */
export function identitySecretContent(identity: Identity): Record<string, string> {
  return { [CERTIFICATE_KEY]: identity.certificatePem, [PRIVATE_KEY_KEY]: identity.privateKeyPem };
}

/**
 * A client identity from the CA: a new key and a client-only certificate naming whom it is for in O (and OU).
 * No Common Name: etcd's grpc-proxy refuses a client certificate that has one (etcd-on-this-machine.md, "TLS
 * between units on one machine"). DNS names only where the peer port must admit it (see peerHostname).
 */
export async function issueClientIdentity(options: {
  readonly ca: Identity;
  readonly organization: string;
  readonly organizationalUnit: string;
  readonly dnsNames: readonly string[];
  readonly now: number;
  readonly validityMs: number;
  /** The identity's existing key, kept when it is issued again; a new one otherwise. */
  readonly privateKeyPem?: string;
}): Promise<Identity> {
  const pki = await loadPki();
  const privateKeyPem = options.privateKeyPem ?? generatePrivateKey();
  const certificatePem = await pki.issueCertificate({
    privateKeyPem,
    subject: { organization: options.organization, organizationalUnit: options.organizationalUnit },
    sans: { dnsNames: options.dnsNames, ipAddresses: [] },
    ca: options.ca,
    now: options.now,
    validityMs: options.validityMs,
    profile: "client",
  });
  return { certificatePem, privateKeyPem };
}
