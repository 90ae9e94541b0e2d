import path from "node:path";

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
  };
}
