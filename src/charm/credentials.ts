import type { EtcdPaths } from "../etcd/paths.js";
import type { TlsFiles } from "../etcd/render.js";
import { type Decision, decision } from "./actions.js";
import type { Observed } from "./observed.js";
import { relationNumber } from "./report.js";
import { clientIdentityRef } from "./cluster-data.js";
import { CERTIFICATE_VALIDITY_MS, renewalDue } from "./tls.js";
import { everyoneTrusts } from "./trust.js";

/**
 * Client identities, pure: one per consumer relation (the leader makes it, every unit publishes the same one,
 * since consumers read whichever unit comes first), dropped with the relation; and the etcdctl environment
 * operators get on each unit.
 */

/**
 * The leader's next change to consumers' client identities: one for a new relation, dropping those of gone ones,
 * then moving each to the target CA (once every member trusts it) or renewing it.
 */
export function decideClientCredentials(o: Observed): Decision | undefined {
  const { caSecretId, clientSecrets } = o.leaderData;
  if (!caSecretId) return undefined;
  // Secrets made or changed in an earlier hook exist now (their pending record was committed with them): publish
  // them all, also those of relations that ended meanwhile, so that drop-client-credentials then removes them.
  if (Object.keys(o.clientSecretsToRecord).length > 0) {
    return decision({ kind: "record-client-secrets", secrets: o.clientSecretsToRecord }, "maintenance", "publishing client credentials to every unit");
  }
  const live = new Set(Object.keys(o.consumers).map(relationNumber));
  const missing = Object.keys(o.consumers).find((id) => clientSecrets[relationNumber(id)] === undefined);
  if (missing) {
    return decision(
      { kind: "issue-client-credentials", relationId: missing, caSecretId, validityMs: CERTIFICATE_VALIDITY_MS },
      "maintenance",
      `issuing client credentials for relation ${missing}`,
    );
  }
  const gone = Object.keys(clientSecrets).filter((number) => !live.has(number));
  if (gone.length > 0 && !o.hook.relationBroken) {
    const secretIds = gone.flatMap((number) => (clientSecrets[number] ? [clientIdentityRef(clientSecrets[number]).secretId] : []));
    return decision({ kind: "drop-client-credentials", relationNumbers: gone, secretIds }, "maintenance", "dropping client credentials of ended relations");
  }
  return decideClientMoves(o, caSecretId);
}

/** Identities not from the target CA, or due for renewal: issued again, once every member trusts the target. */
function decideClientMoves(o: Observed, caSecretId: string): Decision | undefined {
  const target = o.tls.caFingerprints[0];
  if (!everyoneTrusts(o, target) || target === undefined) return undefined;
  const stale = Object.keys(o.consumers).flatMap((id) => {
    const number = relationNumber(id);
    const ref = clientIdentityRef(o.leaderData.clientSecrets[number] ?? "");
    const due = ref.issuer !== target || (ref.renewAtMs !== undefined && o.now >= ref.renewAtMs);
    return due && ref.secretId ? [{ id, number, secretId: ref.secretId, onTarget: ref.issuer === target }] : [];
  });
  const first = stale[0];
  if (!first) return undefined;
  if (target === o.tls.ownCaFingerprint) {
    return decision(
      {
        kind: "reissue-client-credentials",
        relationNumber: first.number,
        secretId: first.secretId,
        caSecretId,
        expectedCa: target,
        validityMs: CERTIFICATE_VALIDITY_MS,
      },
      "maintenance",
      `issuing client credentials for relation ${first.id} again`,
    );
  }
  const certificates = o.certificates;
  if (!certificates) return undefined;
  // A request per identity; a new one for an identity whose certificate from the provider is due for renewal.
  const toRequest = stale.filter(({ number, onTarget }) => {
    const answer = o.tls.providedClients[number];
    return !certificates.clientRequests[number] || (onTarget && answer !== undefined && renewalDue(answer.facts, o.now));
  });
  if (toRequest.length > 0) {
    return decision(
      { kind: "request-client-certificates", relationId: certificates.relationId, identities: Object.fromEntries(toRequest.map((s) => [s.id, s.secretId])) },
      "maintenance",
      "asking the certificates provider for consumers' client certificates",
    );
  }
  for (const { number, secretId } of stale) {
    const answer = o.tls.providedClients[number];
    if (answer && answer.caFingerprint === target && !renewalDue(answer.facts, o.now)) {
      return decision(
        { kind: "install-client-certificate", relationNumber: number, secretId, certificatePem: answer.certificatePem, issuer: target },
        "maintenance",
        `installing the provider's client certificate for relation ${number}`,
      );
    }
  }
  return undefined;
}

/** Shell syntax that etcdctl reads from the environment: this member's URL and, with TLS, its certificate. */
export function etcdctlEnvironment(localUrl: string, files: TlsFiles | undefined, paths: Pick<EtcdPaths, "caFile">): string {
  const lines = [
    "# Written by the etcd charm: etcdctl on this unit talks to its member with the member's own certificate.",
    "export ETCDCTL_API=3",
    `export ETCDCTL_ENDPOINTS=${localUrl}`,
    ...(files ? [`export ETCDCTL_CACERT=${paths.caFile}`, `export ETCDCTL_CERT=${files.certFile}`, `export ETCDCTL_KEY=${files.keyFile}`] : []),
  ];
  return `${lines.join("\n")}\n`;
}
