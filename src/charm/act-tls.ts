import { generatePrivateKey } from "../tls/keys.js";
import type { Action } from "./actions.js";
import type { ActWorld } from "./act.js";
import {
  LEADER_KEYS,
  PENDING_CA_STATE_KEY,
  PENDING_CLIENT_SECRETS_STATE_KEY,
  PUBLISHED_CREDENTIALS_STATE_KEY,
  parsePendingClientSecrets,
} from "./cluster-data.js";
import { relationNumber } from "./report.js";
import { identitySecretContent, issueClientIdentity, loadPki, readIdentitySecret } from "./identities.js";
import { bundleFile, peerHostname } from "./tls.js";

/**
 * The TLS actions: the CA (leader), trust files, this member's certificate, consumers' client identities and
 * the operators' etcdctl environment. Certificates are issued by ../tls/pki.js, loaded only here and only when
 * something is issued: other hooks never load it. No key material is ever logged.
 */

type TlsAction = Extract<
  Action,
  {
    kind:
      | "create-ca"
      | "record-ca"
      | "write-trust"
      | "issue-member-certificate"
      | "issue-client-credentials"
      | "record-client-secrets"
      | "drop-client-credentials"
      | "write-etcdctl-env";
  }
>;

/** Labels of this application's secrets (interfaces §6.3): how the leader finds its own again. */
export const CA_SECRET_LABEL = "tls-ca";
const clientSecretLabel = (relationNumberText: string) => `tls-client-${relationNumberText}`;

/** Leader data without the CA: the leader makes it again. */
const FORGET_CA = { [LEADER_KEYS.caSecret]: "", [LEADER_KEYS.caBundle]: "" };

/**
 * A secret leader data names but Juju does not have: created by a leader hook that failed after leader-set
 * (leader data applies at once, secrets only with the hook). The leader forgets it, so it is made again; any
 * other unit fails this hook and is retried once the leader has.
 */
async function missingSecret(world: ActWorld, keys: Record<string, string>, what: string): Promise<void> {
  if (world.juju.facts.isLeader) {
    await world.juju.leaderSet(keys);
    await world.juju.tools.jujuLog(`${what} was not kept by Juju (an earlier hook failed); making it again`, "WARNING");
    return;
  }
  throw new Error(`${what} is not readable yet; the leader makes it again`);
}

export async function actTls(action: TlsAction, world: ActWorld): Promise<void> {
  const { juju, machine, clock } = world;
  const tools = juju.tools;
  switch (action.kind) {
    case "create-ca": {
      // A CA an earlier leader made (its leader data lost or malformed) is kept: members already trust it.
      const existingId = await tools.secretIdByLabel(CA_SECRET_LABEL);
      const existing = existingId ? await readIdentitySecret(tools, existingId) : undefined;
      if (existingId && existing) {
        await juju.leaderSet({ [LEADER_KEYS.caSecret]: existingId, [LEADER_KEYS.caBundle]: existing.certificatePem });
        await tools.jujuLog("recorded the cluster's existing certificate authority");
        return;
      }
      const pki = await loadPki();
      const ca = await pki.createCa({
        subject: { commonName: `${action.appName} etcd CA`, organization: action.appName },
        now: clock.now(),
        validityMs: action.validityMs,
      });
      const id = await tools.secretAdd(identitySecretContent(ca), { label: CA_SECRET_LABEL, description: "the etcd cluster's CA" });
      // Committed with this hook, as the secret is: the next hook publishes it (record-ca). Until then this
      // leader issues and bootstraps with it; other units cannot read it before the hook ends anyway.
      await juju.stateSet({ [PENDING_CA_STATE_KEY]: JSON.stringify({ id, bundle: ca.certificatePem }) });
      await tools.jujuLog("created the cluster's certificate authority");
      return;
    }
    case "record-ca":
      await juju.leaderSet({ [LEADER_KEYS.caSecret]: action.secretId, [LEADER_KEYS.caBundle]: action.bundle });
      await juju.stateSet({ [PENDING_CA_STATE_KEY]: "" });
      await tools.jujuLog("published the cluster's certificate authority to every unit");
      return;
    case "write-trust":
      await machine.tls.writeBundle(action.bundle, bundleFile(machine.tls.paths, action.fingerprints));
      return;
    case "issue-member-certificate": {
      const ca = await readIdentitySecret(tools, action.caSecretId);
      if (!ca) return missingSecret(world, FORGET_CA, "the cluster CA's secret");
      const pki = await loadPki();
      const key = (await machine.tls.readKey()) ?? generatePrivateKey();
      const certificate = await pki.issueCertificate({
        privateKeyPem: key,
        subject: action.subject,
        sans: action.sans,
        ca,
        now: clock.now(),
        validityMs: action.validityMs,
        profile: "member",
      });
      await machine.tls.writeMember(certificate, key);
      await tools.jujuLog(`issued this member's certificate for ${[...action.sans.ipAddresses, ...action.sans.dnsNames].join(", ")} (${action.reason})`);
      return;
    }
    case "issue-client-credentials": {
      const ca = await readIdentitySecret(tools, action.caSecretId);
      if (!ca) return missingSecret(world, FORGET_CA, "the cluster CA's secret");
      const consumer = await tools.relationRemoteApp(action.relationId);
      const identity = await issueClientIdentity({
        ca,
        organization: consumer,
        organizationalUnit: "etcd client",
        // A proxy relation's identity also names the peer host: etcd's v2 proxy reads the member list there.
        dnsNames: action.relationId.startsWith("proxy:") ? [peerHostname(juju.facts.appName)] : [],
        now: clock.now(),
        validityMs: action.validityMs,
      });
      const number = relationNumber(action.relationId);
      const id = await tools.secretAdd(identitySecretContent(identity), {
        label: clientSecretLabel(number),
        description: `etcd client identity of ${consumer}`,
      });
      // Into leader data in a later hook, once the secret is committed (see PENDING_CA_STATE_KEY).
      const pending = { ...parsePendingClientSecrets(juju.unitStateValue(PENDING_CLIENT_SECRETS_STATE_KEY)), [number]: id };
      await juju.stateSet({ [PENDING_CLIENT_SECRETS_STATE_KEY]: JSON.stringify(pending) });
      await tools.jujuLog(`issued client credentials for ${consumer} (relation ${action.relationId})`);
      return;
    }
    case "record-client-secrets":
      await juju.leaderSet(Object.fromEntries(Object.entries(action.secrets).map(([n, id]) => [`${LEADER_KEYS.clientSecretPrefix}${n}`, id])));
      await juju.stateSet({ [PENDING_CLIENT_SECRETS_STATE_KEY]: "" });
      return;
    case "drop-client-credentials": {
      for (const id of action.secretIds) {
        await tools.secretRemove(id).catch((error: unknown) => world.log.warn({ id, error: String(error) }, "could not remove a client secret"));
      }
      await juju.leaderSet(Object.fromEntries(action.relationNumbers.map((n) => [`${LEADER_KEYS.clientSecretPrefix}${n}`, ""])));
      return;
    }
    case "write-etcdctl-env":
      await machine.tls.writeEtcdctlEnv(action.text, ETCDCTL_PROFILE(machine.tls.paths.etcdctlEnvFile));
      return;
  }
}

/** Root's login shells read the etcdctl environment; other users cannot (the file is root's). */
const ETCDCTL_PROFILE = (envFile: string) => `# Written by the etcd charm.\n[ -r ${envFile} ] && . ${envFile}\n`;

/** Consumers' bags, with their relation's client certificate and key copied from its secret where they changed. */
export async function publishConsumers(
  bags: Readonly<Record<string, Readonly<Record<string, string>>>>,
  credentials: Readonly<Record<string, string>>,
  world: ActWorld,
): Promise<void> {
  const { juju } = world;
  const published: Record<string, string> = Object.fromEntries(Object.entries(juju.facts.publishedCredentials).filter(([id]) => id in juju.facts.consumers));
  for (const [id, values] of Object.entries(bags)) {
    const secretId = credentials[id];
    let extra: Record<string, string> = {};
    if (secretId) {
      const identity = await readIdentitySecret(juju.tools, secretId);
      if (!identity) {
        await missingSecret(world, { [`${LEADER_KEYS.clientSecretPrefix}${relationNumber(id)}`]: "" }, `the client credentials of relation ${id}`);
        return;
      }
      extra = { client_cert: identity.certificatePem, client_key: identity.privateKeyPem };
      published[id] = secretId;
    }
    await juju.relationSet(id, { ...values, ...extra });
  }
  if (JSON.stringify(published) !== JSON.stringify(juju.facts.publishedCredentials)) {
    await juju.stateSet({ [PUBLISHED_CREDENTIALS_STATE_KEY]: JSON.stringify(published) });
  }
}
