import type { Platform } from "../../scripts/pack.js";

/**
 * The bases the charm is tested on, each with the etcd its archive ships (interfaces §8.2; the local model's
 * archive, scripts/archive.sh): Debian 12's 3.4.23 stands in for noble's 3.4.30, trixie's 3.5.16 is resolute's.
 * Files that run against both take one entry each (describe.each), with a model subnet of their own per base.
 */
export interface EtcdBase {
  readonly base: "24.04" | "26.04";
  readonly platform: Platform;
  readonly etcd: string;
}

export const ETCD_BASES: readonly EtcdBase[] = [
  { base: "24.04", platform: "24.04/amd64", etcd: "3.4.23" },
  { base: "26.04", platform: "26.04/amd64", etcd: "3.5.16" },
];
