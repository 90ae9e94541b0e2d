import type { HookTools } from "../juju/client.js";
import type { Logger } from "../log.js";
import { S3_ENDPOINT } from "../names.js";
import { describeLocation, parseS3Settings, type S3Settings } from "../s3/s3-settings.js";
import { S3_BUCKET_KEY, type S3RelationView } from "./s3-data.js";

export { requestedBucket, S3_BUCKET_KEY, type S3RelationView } from "./s3-data.js";

/**
 * The s3-credentials relation (interface s3, v0; interfaces §3.1) as this unit sees it: the bucket this
 * application asked for, and the provider's settings or what is wrong with them. The provider's application
 * databag is untrusted: parsed (src/s3/s3-settings.ts), its problems logged and shown, never thrown. The secret
 * key stays in `S3Connection`, which only the code that talks to the bucket gets; the view decisions see has none.
 */

export interface S3Connection {
  readonly view: S3RelationView;
  /** Present exactly when the view has no problems. */
  readonly settings: S3Settings | undefined;
}

/** The relation, when there is one, read with the hook tools; problems in the provider's data are logged. */
export async function readS3Relation(tools: HookTools, isLeader: boolean, appName: string, log: Logger): Promise<S3Connection | undefined> {
  const [id] = await tools.relationIds(S3_ENDPOINT);
  if (!id) return undefined;
  const remoteApp = await tools.relationRemoteApp(id).catch(() => "");
  const [provider, own] = await Promise.all([
    remoteApp ? tools.relationGet(id, remoteApp, { app: true }) : Promise.resolve({}),
    isLeader ? tools.relationGet(id, appName, { app: true }) : Promise.resolve(undefined),
  ]);
  const askedBucket = own?.[S3_BUCKET_KEY] || undefined;
  // Nothing from the provider yet is the normal start of the relation, not a fault to log.
  if (Object.keys(provider).length === 0)
    return { view: { id, askedBucket, problems: ["waiting for the provider's settings"], where: undefined }, settings: undefined };
  const parsed = parseS3Settings(provider);
  if (!parsed.ok) {
    log.warn({ relation: id, problems: parsed.problems }, "ignoring the s3-credentials provider's settings");
    return { view: { id, askedBucket, problems: parsed.problems, where: undefined }, settings: undefined };
  }
  return { view: { id, askedBucket, problems: undefined, where: describeLocation(parsed.settings) }, settings: parsed.settings };
}
