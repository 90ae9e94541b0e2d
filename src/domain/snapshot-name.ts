/** A snapshot's file name: `etcd-snapshot-<UTC time>-rev<revision>.db`, so that names sort by time. */
export const SNAPSHOT_NAME = /^etcd-snapshot-[0-9]{8}T[0-9]{6}Z-rev[0-9]+\.db$/;
