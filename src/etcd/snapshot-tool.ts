import { access, constants } from "node:fs/promises";
import type { EtcdTools } from "./paths.js";

/**
 * The program for `snapshot status` and `snapshot restore`: etcd 3.5 moved both to etcdutl (interfaces §8.3);
 * its etcdctl still has them but prints "Deprecated: Use `etcdutl snapshot status` instead", and they go in 3.6.
 * etcd 3.4 has no etcdutl, so there etcdctl it is. The JSON of `snapshot status` is the same from both
 * (hash, revision, totalKey, totalSize: measured with 3.4.23's etcdctl and 3.5.16's etcdutl on one file).
 */
export async function snapshotTool(tools: EtcdTools): Promise<string> {
  return access(tools.etcdutl, constants.X_OK).then(
    () => tools.etcdutl,
    () => tools.etcdctl,
  );
}
