/**
 * The s3-credentials relation as decisions see it (pure: decide imports it): the requirer's key, the bucket this
 * application asks for, and the relation's state without any credentials (src/charm/s3-relation.ts reads it).
 */

/** The requirer's one key (interfaces §3.1): the bucket it asks for. */
export const S3_BUCKET_KEY = "bucket";

/**
 * The bucket this application asks for: `relation-<id>`, what the s3 library's requirer asks for when its charm
 * names none (charmed-etcd does the same, interfaces §3.3). s3-integrator gives its configured bucket instead
 * when it has one.
 */
export const requestedBucket = (relationId: string) => `relation-${relationId.split(":").pop() ?? relationId}`;

export interface S3RelationView {
  readonly id: string;
  /** What this application's databag asks for; only the leader can read it (undefined on other units). */
  readonly askedBucket: string | undefined;
  /** Undefined when the provider's settings are complete and valid. */
  readonly problems: readonly string[] | undefined;
  /** `bucket "b" path "p" at https://…` when ready: for status lines and results. */
  readonly where: string | undefined;
}
