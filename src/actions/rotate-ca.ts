import { z } from "zod";
import { LEADER_KEYS, parseLeaderData } from "../charm/cluster-data.js";
import { identitySecretContent, loadPki } from "../charm/identities.js";
import type { CharmRuntime } from "../charm/runtime.js";
import { CA_VALIDITY_MS } from "../charm/tls.js";
import { bundleFingerprints, certificateFingerprint } from "../etcd/tls-files.js";
import { ENDPOINTS } from "../names.js";

/**
 * The rotate-ca action: a new CA for the cluster, with no downtime. The new CA's key replaces the old one in
 * the CA's secret (a new revision: the old key can issue nothing more) and its certificate goes first in the
 * trust bundle, the old one after it. Every unit's hooks then move the cluster (see charm/trust.ts): all members
 * trust both, each is issued a certificate from the new CA, consumers' client certificates are issued again,
 * and the old CA is dropped. Members issue from the new CA only once every member trusts it, which is long
 * after this action's secret revision is committed.
 */

const Params = z.object({}).strict();

export async function rotateCaAction({ tools, clock, event }: CharmRuntime): Promise<void> {
  const parsed = Params.safeParse(await tools.actionGet());
  if (!parsed.success) {
    await tools.actionFail(`invalid parameters: rotate-ca takes none (${parsed.error.issues[0]?.message ?? "not valid"})`);
    return;
  }
  if (!(await tools.isLeader())) {
    await tools.actionFail("run rotate-ca on the leader unit (juju status marks it with *): it owns the CA's secret");
    return;
  }
  const [leader, providers] = await Promise.all([tools.leaderGet().then((raw) => parseLeaderData(raw).data), tools.relationIds(ENDPOINTS.certificates)]);
  if (providers.length > 0) {
    await tools.actionFail("the cluster's certificates come from the certificates relation's provider: rotate the CA there, or remove the relation first");
    return;
  }
  const trusted = bundleFingerprints(leader.caBundle);
  const own = leader.ownCa ? certificateFingerprint(leader.ownCa) : undefined;
  if (!leader.caSecretId || !leader.caBundle || !own) {
    await tools.actionFail("the cluster has no certificate authority yet: wait until the leader has created it (juju status shows every unit active)");
    return;
  }
  if (trusted.length !== 1 || trusted[0] !== own) {
    await tools.actionFail(
      `a change of CA is still rolling out (the cluster trusts ${trusted.length} CAs: ${trusted.join(", ")}): run rotate-ca again once juju status shows every unit active`,
    );
    return;
  }
  const pki = await loadPki();
  const now = clock.now();
  const appName = event.unit.split("/")[0] ?? "etcd";
  const stamp = new Date(now).toISOString().slice(0, 16).replace(/[-:T]/g, "");
  const ca = await pki.createCa({ subject: { commonName: `${appName} etcd CA ${stamp}`, organization: appName }, now, validityMs: CA_VALIDITY_MS });
  const fingerprint = certificateFingerprint(ca.certificatePem) ?? "";
  await tools.secretSet(leader.caSecretId, identitySecretContent(ca));
  await tools.actionSet({
    "old-ca": own,
    "new-ca": fingerprint,
    message: "members now trust both CAs, move to the new one one at a time, then stop trusting the old one; juju status shows each step",
  });
  await tools.jujuLog(`rotate-ca: the cluster moves from CA ${own} to CA ${fingerprint}`);
  // Last: leader data applies at once, and nothing after it can fail this action (which would drop the secret's revision).
  const newCa = `${ca.certificatePem.trim()}\n`;
  await tools.leaderSet({ [LEADER_KEYS.ownCa]: newCa, [LEADER_KEYS.caBundle]: `${newCa}${leader.caBundle}` });
}
