import type { ClusterView } from "./observed.js";

/**
 * Which etcd this charm runs, and moving a cluster between minor versions (interfaces §8.2, §8.3): Ubuntu 24.04
 * ships 3.4, 26.04 ships 3.5, 22.04 ships 3.3, which has no learners (`member add --learner` arrived in 3.4), so
 * a unit there could never join. etcd moves a cluster up one minor version at a time, a member at a time: a
 * mixed cluster runs at its lowest member's minor version, and the cluster version becomes 3.5 by itself once
 * every member runs 3.5. A cluster at 3.5 cannot take a 3.4 member back (etcd refuses to downgrade it).
 * Pure: versions in, verdicts out.
 */

export interface EtcdVersion {
  readonly major: number;
  readonly minor: number;
  readonly text: string;
}

export const SUPPORTED_ETCD = "etcd 3.4 (Ubuntu 24.04) and 3.5 (Ubuntu 26.04)";

export function parseEtcdVersion(text: string | undefined): EtcdVersion | undefined {
  const match = /^(\d+)\.(\d+)(?:\.\d+)?/.exec(text ?? "");
  return match ? { major: Number(match[1]), minor: Number(match[2]), text: text ?? "" } : undefined;
}

const minorOf = (version: EtcdVersion) => `${version.major}.${version.minor}`;
const compare = (a: EtcdVersion, b: EtcdVersion) => a.major - b.major || a.minor - b.minor;

/** The blocked message for an etcd this charm cannot run (older than 3.4), naming the version and the supported bases. */
export function unsupportedEtcd(installed: string | undefined): string | undefined {
  const version = parseEtcdVersion(installed);
  if (!version || compare(version, { major: 3, minor: 4, text: "" }) >= 0) return undefined;
  return `etcd ${version.text} is installed on this machine, which this charm cannot run (no learners before 3.4): it supports ${SUPPORTED_ETCD}; deploy on ubuntu@24.04 or ubuntu@26.04`;
}

/** The minor versions the members that answered run, lowest first ("3.4", "3.5"). */
function memberVersions(cluster: ClusterView | undefined): EtcdVersion[] {
  return Object.values(cluster?.versions ?? {})
    .flatMap((text) => parseEtcdVersion(text) ?? [])
    .sort(compare);
}

/**
 * Why this unit's etcd must not join the cluster: a member older than every member the cluster has would pull
 * it back a minor version, which etcd refuses (a 3.4 member exits at start in a 3.5 cluster).
 */
export function joinRefusal(local: string | undefined, cluster: ClusterView | undefined): string | undefined {
  const own = parseEtcdVersion(local);
  const lowest = memberVersions(cluster)[0];
  if (!own || !lowest || compare(own, lowest) >= 0) return undefined;
  return (
    `etcd ${own.text} on this machine cannot join a cluster whose members run etcd ${minorOf(lowest)}: etcd does not move a cluster back a ` +
    `minor version; deploy this unit on the base its peers run (ubuntu@26.04 for 3.5)`
  );
}

/** Whether this unit's member would be the cluster's first of a newer minor version: a snapshot is taken before it joins. */
export function firstOfNewerVersion(local: string | undefined, cluster: ClusterView | undefined): boolean {
  const own = parseEtcdVersion(local);
  const highest = memberVersions(cluster).at(-1);
  return own !== undefined && highest !== undefined && compare(own, highest) > 0;
}

/**
 * Where a move between minor versions stands, for the status line: undefined unless the members run more than
 * one minor version. The cluster runs at the lowest until every member runs the newest.
 */
export function versionMoveStatus(cluster: ClusterView | undefined): string | undefined {
  const versions = memberVersions(cluster);
  const lowest = versions[0];
  const highest = versions.at(-1);
  if (!lowest || !highest || compare(lowest, highest) === 0) return undefined;
  const newer = versions.filter((v) => compare(v, highest) === 0);
  const newest = newer.map((v) => v.text).sort()[0] ?? minorOf(highest);
  return `moving to etcd ${minorOf(highest)}: ${newer.length} of ${versions.length} members run ${newest}, the cluster stays at ${minorOf(lowest)} until all do`;
}
