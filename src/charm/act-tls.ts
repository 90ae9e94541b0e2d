import { certificateFingerprint } from "../etcd/tls-files.js";
import { certificateMatchesKey } from "../tls/inspect.js";
import { generatePrivateKey } from "../tls/keys.js";
import type { Action } from "./actions.js";
import type { ActWorld } from "./act.js";
import { CERTIFICATES_KEYS, MEMBER_REQUEST_STATE_KEY, requestsValue } from "./certificates-data.js";
import { LEADER_KEYS, PENDING_CA_STATE_KEY } from "./cluster-data.js";
import { type Identity, identitySecretContent, loadPki, readIdentitySecret } from "./identities.js";
import { bundleFile } from "./tls.js";

/**
 * The TLS actions: the CA (leader), the trust bundle and its files, this member's certificate (from the charm's
 * own CA or a certificates provider) and the operators' etcdctl environment. Certificates are issued by
 * ../tls/pki.js, loaded only here and only when something is issued: other hooks never load it. No key
 * material is ever logged.
 */

type TlsAction = Extract<
  Action,
  {
    kind:
      | "create-ca"
      | "record-ca"
      | "publish-trust"
      | "write-trust"
      | "issue-member-certificate"
      | "request-member-certificate"
      | "install-member-certificate"
      | "write-etcdctl-env";
  }
>;

/** Labels of this application's secrets (interfaces §6.3): how the leader finds its own again. */
export const CA_SECRET_LABEL = "tls-ca";

/** Leader data without the CA: the leader makes it again. */
export const FORGET_CA = { [LEADER_KEYS.caSecret]: "", [LEADER_KEYS.caBundle]: "", [LEADER_KEYS.ownCa]: "" };

/**
 * A secret leader data names but Juju does not have: created by a leader hook that failed after leader-set
 * (leader data applies at once, secrets only with the hook). The leader forgets it, so it is made again; any
 * other unit fails this hook and is retried once the leader has.
 */
export async function missingSecret(world: ActWorld, keys: Record<string, string>, what: string): Promise<void> {
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
        const bundle: Record<string, string> = juju.facts.leaderData.caBundle ? {} : { [LEADER_KEYS.caBundle]: existing.certificatePem };
        await juju.leaderSet({ [LEADER_KEYS.caSecret]: existingId, [LEADER_KEYS.ownCa]: existing.certificatePem, ...bundle });
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
      await juju.leaderSet({ [LEADER_KEYS.caSecret]: action.secretId, [LEADER_KEYS.caBundle]: action.bundle, [LEADER_KEYS.ownCa]: action.bundle });
      await juju.stateSet({ [PENDING_CA_STATE_KEY]: "" });
      await tools.jujuLog("published the cluster's certificate authority to every unit");
      return;
    case "publish-trust":
      await juju.leaderSet({ [LEADER_KEYS.caBundle]: action.bundle });
      await tools.jujuLog(`the cluster now trusts ${certificateCount(action.bundle)} certificate authorities, the first its target`);
      return;
    case "write-trust":
      await machine.tls.writeBundle(action.bundle, bundleFile(machine.tls.paths, action.fingerprints));
      return;
    case "issue-member-certificate": {
      const ca = await readCaExpecting(world, action.caSecretId, action.expectedCa);
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
    case "request-member-certificate": {
      // The key a running member uses is never replaced: a request is made from it (one is made only when none exists).
      let key = await machine.tls.readKey();
      if (!key) {
        key = generatePrivateKey();
        await machine.tls.writeKey(key);
      }
      const pki = await loadPki();
      const csr = await pki.createCsr({ privateKeyPem: key, subject: action.subject, sans: action.sans });
      await juju.relationSet(action.relationId, { [CERTIFICATES_KEYS.requests]: requestsValue([csr]) });
      await juju.stateSet({ [MEMBER_REQUEST_STATE_KEY]: action.wants });
      await tools.jujuLog(
        `asked the certificates provider for this member's certificate for ${[...action.sans.ipAddresses, ...action.sans.dnsNames].join(", ")}`,
      );
      return;
    }
    case "install-member-certificate": {
      const key = await machine.tls.readKey();
      if (!key || !certificateMatchesKey(action.certificatePem, key)) {
        throw new Error("the certificates provider's certificate does not match this member's key; the request is made again");
      }
      await machine.tls.writeMember(action.certificatePem, key);
      await tools.jujuLog(`installed this member's certificate from the certificates provider (${action.reason})`);
      return;
    }
    case "write-etcdctl-env":
      await machine.tls.writeEtcdctlEnv(action.text, ETCDCTL_PROFILE(machine.tls.paths.etcdctlEnvFile));
      return;
  }
}

/** Root's login shells read the etcdctl environment; other users cannot (the file is root's). */
const ETCDCTL_PROFILE = (envFile: string) => `# Written by the etcd charm.\n[ -r ${envFile} ] && . ${envFile}\n`;

const certificateCount = (bundle: string) => bundle.split("-----BEGIN CERTIFICATE-----").length - 1;

/**
 * The CA from its secret, when it is the one the leader's trust bundle names first. Right after rotate-ca the
 * leader data may be ahead of the secret's new revision by the moment it takes the action to be committed.
 */
export async function readCaExpecting(world: ActWorld, secretId: string, expected: string): Promise<Identity | undefined> {
  for (let attempt = 0; ; attempt++) {
    const ca = await readIdentitySecret(world.juju.tools, secretId);
    if (!ca || certificateFingerprint(ca.certificatePem) === expected) return ca;
    if (attempt >= 10) throw new Error(`the cluster CA's secret does not hold CA ${expected} yet; the hook is retried`);
    await world.clock.sleep(1000);
  }
}
