/**
 * etcd's settings as the charm's config produces them and the renderer consumes them: shared by the charm's
 * floor (src/charm/config.ts validates options into these) and etcd's (src/etcd/render.ts writes them).
 */

export const COMPACTION_MODES = ["periodic", "revision"] as const;
export type CompactionMode = (typeof COMPACTION_MODES)[number];

export const LOG_LEVELS = ["debug", "info", "warn", "error", "panic", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated charm config, one field per option (camelCase of the option name). */
export interface EtcdSettings {
  readonly clientPort: number;
  readonly peerPort: number;
  /** Milliseconds. */
  readonly heartbeatInterval: number;
  /** Milliseconds, at least 5 × heartbeatInterval. */
  readonly electionTimeout: number;
  readonly snapshotCount: number;
  readonly quotaBackendBytes: number;
  readonly autoCompactionMode: CompactionMode;
  /** As the operator wrote it, already known to be acceptable to etcd for autoCompactionMode. */
  readonly autoCompactionRetention: string;
  readonly enableV2: boolean;
  readonly logLevel: LogLevel;
  /** Peers and clients speak TLS with certificates from the cluster's CA (mutual TLS on both ports). */
  readonly tls: boolean;
  /** DNS names and IP addresses added to every member certificate (names or VIPs operators put in front). */
  readonly tlsExtraSans: readonly string[];
  /** Scheduled snapshots: how often the leader takes one (ms); undefined when off. */
  readonly snapshotIntervalMs: number | undefined;
  /** How many scheduled snapshots the leader's unit keeps. */
  readonly snapshotRetention: number;
}
