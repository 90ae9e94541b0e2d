import type { EtcdPaths } from "../etcd/paths.js";
import type { TlsFiles } from "../etcd/render.js";
import { type Decision, decision } from "./actions.js";
import type { Observed } from "./observed.js";
import { relationNumber } from "./report.js";
import { CERTIFICATE_VALIDITY_MS } from "./tls.js";

/**
 * Client identities, pure: one per consumer relation (the leader makes it, every unit publishes the same one,
 * since consumers read whichever unit comes first), dropped with the relation; and the etcdctl environment
 * operators get on each unit.
 */

/** The leader's next change to consumers' client identities: one for a new relation, or dropping those of gone ones. */
export function decideClientCredentials(o: Observed): Decision | undefined {
  const { caSecretId, clientSecrets } = o.leaderData;
  if (!caSecretId) return undefined;
  // Secrets made in an earlier hook exist now (their pending record was committed with them): publish them all,
  // also those of relations that ended meanwhile, so that drop-client-credentials then removes their secrets.
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
    const secretIds = gone.flatMap((number) => clientSecrets[number] ?? []);
    return decision({ kind: "drop-client-credentials", relationNumbers: gone, secretIds }, "maintenance", "dropping client credentials of ended relations");
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
