import { hostname } from "node:os";
import type { Logger } from "../log.js";
import { EtcdFiles } from "./files.js";
import { etcdBinariesPresent, etcdVersion, installEtcd } from "./install.js";
import type { EtcdPaths } from "./paths.js";
import { SystemdService } from "./service.js";
import { SnapshotStore } from "./snapshots.js";
import { loadTemplates, type Templates } from "./templates.js";
import { TlsFileStore } from "./tls-files.js";

/**
 * This unit's machine as the charm's shell uses it: etcd's files, its service and its packages, plus the
 * templates shipped in the charm. Tests substitute an in-memory machine; the real one is `hostMachine`.
 */
export interface Machine {
  readonly files: Pick<
    EtcdFiles,
    | "readConfig"
    | "readUnit"
    | "readRunning"
    | "hasMemberData"
    | "setAsideMemberData"
    | "replaceMemberData"
    | "copyMemberData"
    | "unitPathTaken"
    | "ensureDataDir"
    | "writeConfig"
    | "writeUnit"
    | "writeRunning"
  >;
  readonly service: Pick<SystemdService, "state" | "daemonReload" | "enableAndStart" | "restart" | "stopAndDisable" | "recentLog">;
  readonly packages: {
    /** etcd and etcdctl are on the machine. */
    present(): Promise<boolean>;
    /** Installs them so that the distribution's own service never runs a stray default member. */
    install(): Promise<void>;
    /** "3.4.23" from the installed etcd. */
    version(): Promise<string | undefined>;
  };
  readonly tls: Pick<
    TlsFileStore,
    | "paths"
    | "readMemberCertificate"
    | "readKey"
    | "writeKey"
    | "bundleWritten"
    | "writeBundle"
    | "writeMember"
    | "fingerprintsOf"
    | "readEtcdctlEnv"
    | "writeEtcdctlEnv"
  >;
  /** Verified snapshots kept on this machine (the backups storage). */
  readonly snapshots: Pick<SnapshotStore, "take" | "prune">;
  /** The machine's host name, named in the member certificate. */
  hostname(): string;
  templates(): Promise<Templates>;
}

export function hostMachine(paths: EtcdPaths, charmDir: string, log: Logger): Machine {
  const files = new EtcdFiles(paths);
  const service = new SystemdService();
  return {
    files,
    service,
    packages: { present: () => etcdBinariesPresent(paths.tools), install: () => installEtcd(files, service, log), version: () => etcdVersion(paths.tools) },
    tls: new TlsFileStore(paths),
    snapshots: new SnapshotStore(paths.snapshotsDir, paths.tools),
    hostname: () => hostname(),
    templates: () => loadTemplates(charmDir),
  };
}
