import { certificateFingerprint } from "../etcd/tls-files.js";
import { certificateMatchesKey, readCertificate } from "../tls/inspect.js";
import type { Action } from "./actions.js";
import type { ActWorld } from "./act.js";
import { FORGET_CA, missingSecret, readCaExpecting } from "./act-tls.js";
import { CERTIFICATES_KEYS, CLIENT_REQUESTS_STATE_KEY, requestsValue } from "./certificates-data.js";
import {
  clientIdentityRef,
  clientIdentityValue,
  LEADER_KEYS,
  PENDING_CLIENT_SECRETS_STATE_KEY,
  PUBLISHED_CREDENTIALS_STATE_KEY,
  parsePendingClientSecrets,
} from "./cluster-data.js";
import { type Identity, identitySecretContent, issueClientIdentity, loadPki, readIdentitySecret } from "./identities.js";
import { relationNumber } from "./report.js";
import { peerHostname } from "./tls.js";

/**
 * Consumers' client identities (the leader keeps one per db or proxy relation in an application secret) and
 * publishing them in every unit's consumer bags. A secret made or changed here reaches leader data only in a
 * later hook, once Juju has committed it (see PENDING_CA_STATE_KEY). No key material is ever logged.
 */

type CredentialsAction = Extract<
  Action,
  {
    kind:
      | "issue-client-credentials"
      | "reissue-client-credentials"
      | "request-client-certificates"
      | "install-client-certificate"
      | "record-client-secrets"
      | "drop-client-credentials";
  }
>;

const clientSecretLabel = (relationNumberText: string) => `tls-client-${relationNumberText}`;

/** Who a consumer relation's identity names: the consuming application; the peer host too for a proxy. */
async function identityNames(world: ActWorld, relationId: string) {
  const consumer = await world.juju.tools.relationRemoteApp(relationId);
  return {
    consumer,
    organization: consumer,
    organizationalUnit: "etcd client",
    // A proxy relation's identity also names the peer host: etcd's v2 proxy reads the member list there.
    dnsNames: relationId.startsWith("proxy:") ? [peerHostname(world.juju.facts.appName)] : [],
  };
}

/** The leader-data value for an identity whose certificate this is (renewed with a third of its life left). */
function valueFor(secretId: string, issuer: string, certificatePem: string): string {
  const facts = readCertificate(certificatePem);
  if (!facts) throw new Error("an issued client certificate does not parse");
  return clientIdentityValue(secretId, issuer, facts.notAfterMs - (facts.notAfterMs - facts.notBeforeMs) / 3);
}

async function notePending(world: ActWorld, number: string, value: string): Promise<void> {
  const { juju } = world;
  const pending = { ...parsePendingClientSecrets(juju.unitStateValue(PENDING_CLIENT_SECRETS_STATE_KEY)), [number]: value };
  await juju.stateSet({ [PENDING_CLIENT_SECRETS_STATE_KEY]: JSON.stringify(pending) });
}

function relationOfNumber(world: ActWorld, number: string): string {
  const id = Object.keys(world.juju.facts.consumers).find((relationId) => relationNumber(relationId) === number);
  if (!id) throw new Error(`no consumer relation numbered ${number}`);
  return id;
}

async function identityFrom(world: ActWorld, secretId: string, what: string): Promise<Identity> {
  const identity = await readIdentitySecret(world.juju.tools, secretId);
  if (!identity) throw new Error(`${what}'s secret is not readable`);
  return identity;
}

export async function actCredentials(action: CredentialsAction, world: ActWorld): Promise<void> {
  const { juju, clock } = world;
  const tools = juju.tools;
  switch (action.kind) {
    case "issue-client-credentials": {
      const ca = await readIdentitySecret(tools, action.caSecretId);
      if (!ca) return missingSecret(world, FORGET_CA, "the cluster CA's secret");
      const names = await identityNames(world, action.relationId);
      const identity = await issueClientIdentity({ ca, ...names, now: clock.now(), validityMs: action.validityMs });
      const number = relationNumber(action.relationId);
      const id = await tools.secretAdd(identitySecretContent(identity), {
        label: clientSecretLabel(number),
        description: `etcd client identity of ${names.consumer}`,
      });
      await notePending(world, number, valueFor(id, certificateFingerprint(ca.certificatePem) ?? "", identity.certificatePem));
      await tools.jujuLog(`issued client credentials for ${names.consumer} (relation ${action.relationId})`);
      return;
    }
    case "reissue-client-credentials": {
      const ca = await readCaExpecting(world, action.caSecretId, action.expectedCa);
      if (!ca) return missingSecret(world, FORGET_CA, "the cluster CA's secret");
      const relationId = relationOfNumber(world, action.relationNumber);
      const current = await identityFrom(world, action.secretId, `relation ${relationId}`);
      const names = await identityNames(world, relationId);
      // The key stays: a new CA is no reason to make consumers change theirs.
      const identity = await issueClientIdentity({ ca, ...names, privateKeyPem: current.privateKeyPem, now: clock.now(), validityMs: action.validityMs });
      await tools.secretSet(action.secretId, identitySecretContent(identity));
      await notePending(world, action.relationNumber, valueFor(action.secretId, action.expectedCa, identity.certificatePem));
      await tools.jujuLog(`issued client credentials for ${names.consumer} (relation ${relationId}) again, from CA ${action.expectedCa}`);
      return;
    }
    case "request-client-certificates": {
      const pki = await loadPki();
      const requests: Record<string, string> = { ...(juju.facts.certificates?.clientRequests ?? {}) };
      for (const [relationId, secretId] of Object.entries(action.identities)) {
        const identity = await identityFrom(world, secretId, `relation ${relationId}`);
        const { consumer: _consumer, ...names } = await identityNames(world, relationId);
        requests[relationNumber(relationId)] = await pki.createCsr({
          privateKeyPem: identity.privateKeyPem,
          subject: { organization: names.organization, organizationalUnit: names.organizationalUnit },
          sans: { dnsNames: names.dnsNames, ipAddresses: [] },
        });
      }
      await writeClientRequests(world, action.relationId, requests);
      await tools.jujuLog(`asked the certificates provider for client certificates of relations ${Object.keys(action.identities).join(", ")}`);
      return;
    }
    case "install-client-certificate": {
      const current = await identityFrom(world, action.secretId, `relation ${action.relationNumber}`);
      if (!certificateMatchesKey(action.certificatePem, current.privateKeyPem)) {
        throw new Error(`the certificates provider's client certificate for relation ${action.relationNumber} does not match its key`);
      }
      await tools.secretSet(action.secretId, identitySecretContent({ certificatePem: action.certificatePem, privateKeyPem: current.privateKeyPem }));
      await notePending(world, action.relationNumber, valueFor(action.secretId, action.issuer, action.certificatePem));
      await tools.jujuLog(`installed the certificates provider's client certificate for relation ${action.relationNumber}`);
      return;
    }
    case "record-client-secrets":
      await juju.leaderSet(Object.fromEntries(Object.entries(action.secrets).map(([n, value]) => [`${LEADER_KEYS.clientSecretPrefix}${n}`, value])));
      await juju.stateSet({ [PENDING_CLIENT_SECRETS_STATE_KEY]: "" });
      return;
    case "drop-client-credentials": {
      for (const id of action.secretIds) {
        await tools.secretRemove(id).catch((error: unknown) => world.log.warn({ id, error: String(error) }, "could not remove a client secret"));
      }
      await juju.leaderSet(Object.fromEntries(action.relationNumbers.map((n) => [`${LEADER_KEYS.clientSecretPrefix}${n}`, ""])));
      const certificates = juju.facts.certificates;
      const requests = certificates?.clientRequests ?? {};
      if (certificates && action.relationNumbers.some((n) => n in requests)) {
        const kept = Object.fromEntries(Object.entries(requests).filter(([n]) => !action.relationNumbers.includes(n)));
        await writeClientRequests(world, certificates.relationId, kept);
      }
      return;
    }
  }
}

/** The application bag's requests and, beside them in unit state, which relation each is for. */
async function writeClientRequests(world: ActWorld, relationId: string, requests: Readonly<Record<string, string>>): Promise<void> {
  await world.juju.relationSet(relationId, { [CERTIFICATES_KEYS.requests]: requestsValue(Object.values(requests)) }, { app: true });
  await world.juju.stateSet({ [CLIENT_REQUESTS_STATE_KEY]: Object.keys(requests).length > 0 ? JSON.stringify(requests) : "" });
}

/** Consumers' bags, with their relation's client certificate and key copied from its secret where it changed. */
export async function publishConsumers(
  bags: Readonly<Record<string, Readonly<Record<string, string>>>>,
  credentials: Readonly<Record<string, string>>,
  world: ActWorld,
): Promise<void> {
  const { juju } = world;
  const published: Record<string, string> = Object.fromEntries(Object.entries(juju.facts.publishedCredentials).filter(([id]) => id in juju.facts.consumers));
  for (const [id, values] of Object.entries(bags)) {
    const value = credentials[id];
    let extra: Record<string, string> = {};
    if (value) {
      const identity = await readIdentitySecret(juju.tools, clientIdentityRef(value).secretId);
      if (!identity) {
        await missingSecret(world, { [`${LEADER_KEYS.clientSecretPrefix}${relationNumber(id)}`]: "" }, `the client credentials of relation ${id}`);
        return;
      }
      extra = { client_cert: identity.certificatePem, client_key: identity.privateKeyPem };
      published[id] = value;
    }
    await juju.relationSet(id, { ...values, ...extra });
  }
  if (JSON.stringify(published) !== JSON.stringify(juju.facts.publishedCredentials)) {
    await juju.stateSet({ [PUBLISHED_CREDENTIALS_STATE_KEY]: JSON.stringify(published) });
  }
}
