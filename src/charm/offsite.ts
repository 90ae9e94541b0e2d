import type { SnapshotFacts } from "../etcd/snapshots.js";
import type { HookTools } from "../juju/client.js";
import type { Logger } from "../log.js";
import { loadS3SnapshotStore } from "../s3/load.js";
import type { RemoteSnapshot, S3SnapshotStore } from "../s3/object-store.js";
import { readS3Relation, type S3Connection } from "./s3-relation.js";

/**
 * Copies of snapshots off the machines: the S3 bucket of the s3-credentials relation. The SDK is loaded only
 * when a copy is made, listed or fetched (src/s3/load.ts), never by a hook that has no snapshot to copy. Every
 * call reads the relation afresh: what the provider gives may change between two snapshots.
 */
export interface OffsiteCopies {
  /** The relation and its settings' problems; undefined when there is none. */
  connection(): Promise<S3Connection | undefined>;
  /** Uploads a kept snapshot (creating the bucket when missing); returns where it went. */
  upload(snapshot: SnapshotFacts): Promise<string>;
  list(): Promise<RemoteSnapshot[]>;
  /** Downloads a snapshot into `toFile`, verified against its description. */
  download(name: string, toFile: string): Promise<RemoteSnapshot>;
}

/** Why no copy can be made, for messages: no relation, or what is wrong with its settings. */
export function offsiteProblem(connection: S3Connection | undefined): string | undefined {
  if (!connection) return "no s3-credentials relation (juju integrate etcd s3-integrator)";
  const { problems } = connection.view;
  return problems ? `the s3-credentials relation is not ready: ${problems.join("; ")}` : undefined;
}

export function s3Offsite(tools: HookTools, appName: string, log: Logger): OffsiteCopies {
  const connection = async () => readS3Relation(tools, await tools.isLeader(), appName, log);
  const withStore = async <T>(run: (store: S3SnapshotStore) => Promise<T>): Promise<T> => {
    const current = await connection();
    const problem = offsiteProblem(current);
    if (problem || !current?.settings) throw new Error(problem ?? "the s3-credentials relation has no settings");
    const { S3SnapshotStore } = await loadS3SnapshotStore();
    const store = new S3SnapshotStore(current.settings);
    try {
      return await run(store);
    } finally {
      // Keep-alive sockets would hold the hook's process open.
      store.close();
    }
  };
  return {
    connection,
    upload: (snapshot) =>
      withStore(async (store) => {
        await store.ensureBucket();
        await store.upload(snapshot.path, snapshot);
        return store.where;
      }),
    list: () => withStore((store) => store.list()),
    download: (name, toFile) => withStore((store) => store.download(name, toFile)),
  };
}
