import { runProgram } from "../run-program.js";
import { EtcdctlError } from "./etcdctl.js";
import type { EtcdTools } from "./paths.js";
import { snapshotTool } from "./snapshot-tool.js";

/** Who the restored member is: its name and peer URL, alone in a new cluster with a new token. */
export interface RestoredMember {
  readonly name: string;
  readonly peerUrl: string;
  readonly clusterToken: string;
}

/**
 * Writes a data dir from a snapshot file: `snapshot restore` (etcdctl in 3.4, etcdutl in 3.5: snapshot-tool.ts), which
 * checks the snapshot's hash, into `dataDir` (which must not exist), as the only member of a new cluster whose
 * token differs from the old one's, so that no member of the old cluster can ever talk to it.
 */
export async function restoreSnapshot(file: string, member: RestoredMember, dataDir: string, tools: EtcdTools): Promise<void> {
  const args = [
    "snapshot",
    "restore",
    file,
    `--name=${member.name}`,
    `--initial-cluster=${member.name}=${member.peerUrl}`,
    `--initial-cluster-token=${member.clusterToken}`,
    `--initial-advertise-peer-urls=${member.peerUrl}`,
    `--data-dir=${dataDir}`,
  ];
  const result = await runProgram(await snapshotTool(tools), args, { env: { ETCDCTL_API: "3" }, timeoutMs: 600_000 });
  if (result.exitCode !== 0) throw new EtcdctlError(args, result.exitCode, result.stderr || result.reason);
}
