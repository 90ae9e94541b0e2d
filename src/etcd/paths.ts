import path from "node:path";

/**
 * etcd's programs, from the distribution's packages: etcd-server gives etcd, etcd-client gives etcdctl and, from
 * etcd 3.5 on, etcdutl (interfaces §8.3: snapshot restore and status moved there; 3.4 has none).
 */
export interface EtcdTools {
  readonly etcd: string;
  readonly etcdctl: string;
  readonly etcdutl: string;
}

/**
 * Where etcd's files live on a unit. Everything the charm writes is under one root, "/" on a real machine.
 * UNIT_FS_ROOT moves that root (the local model gives each simulated machine its own); the charm's
 * logic never branches on it, it only prefixes paths.
 */
export interface EtcdPaths {
  readonly root: string;
  readonly configDir: string;
  readonly configFile: string;
  /** The config and unit text etcd was last (re)started with by the charm (see EtcdFiles.readRunning). */
  readonly runningFile: string;
  readonly dataDir: string;
  readonly unitFile: string;
  /** Certificates and this member's key (root:etcd 0750; the key etcd:etcd 0600). */
  readonly tlsDir: string;
  /** The CAs this member trusts for peers and clients (more than one while a CA changes). */
  readonly caFile: string;
  /** This member's certificate: it serves clients and peers and presents it when it dials a peer. */
  readonly certFile: string;
  readonly keyFile: string;
  /** ETCDCTL_* variables for operators on this unit (root-only), sourced by the profile script. */
  readonly etcdctlEnvFile: string;
  readonly profileScript: string;
  /** Verified snapshots the snapshot action takes (root-only, 0700), each with a JSON description beside it. */
  readonly snapshotsDir: string;
  /** The packaged programs, under the same root: the local model installs a machine's packages there. */
  readonly tools: EtcdTools;
}

export function etcdPaths(root: string = process.env.UNIT_FS_ROOT || "/"): EtcdPaths {
  const at = (...parts: string[]) => path.join(root, ...parts);
  return {
    root,
    configDir: at("etc", "etcd"),
    configFile: at("etc", "etcd", "etcd.conf.yml"),
    runningFile: at("etc", "etcd", "etcd.running.json"),
    dataDir: at("var", "lib", "etcd", "member-data"),
    unitFile: at("etc", "systemd", "system", "etcd.service"),
    tlsDir: at("etc", "etcd", "tls"),
    caFile: at("etc", "etcd", "tls", "ca.pem"),
    certFile: at("etc", "etcd", "tls", "member.pem"),
    keyFile: at("etc", "etcd", "tls", "member.key"),
    etcdctlEnvFile: at("etc", "etcd", "etcdctl.env"),
    profileScript: at("etc", "profile.d", "etcdctl.sh"),
    snapshotsDir: at("var", "lib", "etcd-snapshots"),
    tools: { etcd: at("usr", "bin", "etcd"), etcdctl: at("usr", "bin", "etcdctl"), etcdutl: at("usr", "bin", "etcdutl") },
  };
}
