import { z } from "zod";
import { parseLeaderData } from "../charm/cluster-data.js";
import type { CharmRuntime } from "../charm/runtime.js";
import { issueClientIdentity, readIdentitySecret } from "../charm/identities.js";
import { bundleFingerprints, certificateFingerprint } from "../etcd/tls-files.js";
import { actionParams } from "./action-input.js";

/**
 * The client-credentials action: a client certificate and key from the cluster's CA for an administrator's own
 * machine, with the CA certificate to verify the members and the endpoints to reach. Issued here, kept nowhere:
 * the action's result is the only copy (the one place a key is ever handed out, by an operator's request).
 */

const Params = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, "must be lowercase letters, digits and hyphens (at most 64)")
      .default("admin"),
    "validity-days": z.number().int().min(1).max(3650).default(90),
  })
  .strict();

export async function clientCredentialsAction({ tools, clock }: CharmRuntime): Promise<void> {
  const parsed = await actionParams({ tools }, Params);
  if (!parsed) return;
  const { name, "validity-days": days } = parsed;
  const leader = parseLeaderData(await tools.leaderGet()).data;
  const ca = leader.caSecretId ? await readIdentitySecret(tools, leader.caSecretId) : undefined;
  if (!leader.caBundle || !ca) {
    await tools.actionFail("the cluster has no certificate authority yet: wait until the leader has created it (juju status shows every unit active)");
    return;
  }
  const trusted = bundleFingerprints(leader.caBundle);
  const own = certificateFingerprint(ca.certificatePem);
  if (!own || !trusted.includes(own)) {
    await tools.actionFail("the cluster trusts only the certificates relation's provider: ask that provider for a client certificate");
    return;
  }
  const now = clock.now();
  // Named like consumers (no Common Name) and without the peer name: the peer port admits none of these.
  const identity = await issueClientIdentity({
    ca,
    organization: name,
    organizationalUnit: "etcd administrator",
    dnsNames: [],
    now,
    validityMs: days * 24 * 3600_000,
  });
  const expires = new Date(now + days * 24 * 3600_000).toISOString();
  const endpoints = leader.clientUrls.join(",");
  await tools.actionSet({
    "ca-certificate": leader.caBundle,
    certificate: identity.certificatePem,
    "private-key": identity.privateKeyPem,
    endpoints,
    expires,
    usage: `etcdctl --endpoints=${endpoints} --cacert=ca.pem --cert=client.pem --key=client.key endpoint health`,
  });
  await tools.jujuLog(`issued client credentials for ${name}, valid until ${expires}`);
}
