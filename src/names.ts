/**
 * Every name the charm shares with Juju, written once: its endpoints (metadata.yaml), the hooks it handles
 * (hooks/ has a shim for exactly these) and its actions (actions.yaml). A test checks them against those files.
 */

export const CLUSTER_ENDPOINT = "cluster";
/** Consumers: `db` (interface etcd) and `proxy` (interface etcd-proxy), keys as the existing etcd charms publish them. */
export const CONSUMER_ENDPOINTS = ["db", "proxy"] as const;
export type ConsumerEndpoint = (typeof CONSUMER_ENDPOINTS)[number];

/** Where the charm gets certificates from a provider instead of its own CA (interface tls-certificates, v4). */
export const CERTIFICATES_ENDPOINT = "certificates";

/** Where snapshots get their copies off the machines: an S3 bucket from s3-integrator (interface s3, v0). */
export const S3_ENDPOINT = "s3-credentials";

export const ENDPOINTS = { cluster: CLUSTER_ENDPOINT, consumers: CONSUMER_ENDPOINTS, certificates: CERTIFICATES_ENDPOINT, s3: S3_ENDPOINT } as const;

const RELATION_HOOK_KINDS = ["created", "joined", "changed", "departed", "broken"] as const;

/** Hooks after which the unit only winds down, and which must never fail (the last unit's teardown). */
export const TEARDOWN_HOOKS = ["stop", "remove"] as const;

/**
 * Juju storage (metadata.yaml): `data` holds etcd's data dir, `backups` the snapshots. Detaching `data` takes
 * the member's data away, so the unit leaves the cluster first, as when it is removed (which detaches it too).
 */
export const STORAGE_NAMES = ["data", "backups"] as const;
export const DATA_DETACHING_HOOK = "data-storage-detaching";
export const DATA_ATTACHED_HOOK = "data-storage-attached";

/**
 * `juju upgrade-machine <m> prepare <base>` runs the first on every unit of the machine, `complete` the second,
 * after the operator upgraded the OS (interfaces §8.1; Juju 3.x, removed in Juju 4).
 */
export const PRE_MACHINE_UPGRADE_HOOK = "pre-series-upgrade";
export const POST_MACHINE_UPGRADE_HOOK = "post-series-upgrade";

/** Hooks that only report: installing is the install hook's job, never update-status's. */
export const REPORT_ONLY_HOOKS = ["update-status"] as const;

/** Every hook the charm handles; each runs the same reconcile. Juju's other hooks end in the entry file. */
export const HANDLED_HOOKS: readonly string[] = [
  "install",
  "config-changed",
  "start",
  ...TEARDOWN_HOOKS,
  "upgrade-charm",
  PRE_MACHINE_UPGRADE_HOOK,
  POST_MACHINE_UPGRADE_HOOK,
  ...REPORT_ONLY_HOOKS,
  "leader-elected",
  "leader-settings-changed",
  ...STORAGE_NAMES.flatMap((name) => [`${name}-storage-attached`, `${name}-storage-detaching`]),
  // A peer relation has no broken hook while the unit lives (the relation ends with the application).
  ...RELATION_HOOK_KINDS.filter((kind) => kind !== "broken").map((kind) => `${CLUSTER_ENDPOINT}-relation-${kind}`),
  ...[...CONSUMER_ENDPOINTS, CERTIFICATES_ENDPOINT, S3_ENDPOINT].flatMap((endpoint) => RELATION_HOOK_KINDS.map((kind) => `${endpoint}-relation-${kind}`)),
];

export const ACTIONS = [
  "health",
  "client-credentials",
  "rotate-ca",
  "defrag",
  "compact",
  "alarm-list",
  "alarm-disarm",
  "snapshot",
  "list-snapshots",
  "restore",
  "rebuild-cluster",
] as const;
export type ActionName = (typeof ACTIONS)[number];
