import { z } from "zod";

/** A snapshot's file name: `etcd-snapshot-<UTC time>-rev<revision>.db`, so that names sort by time. */
export const SNAPSHOT_NAME = /^etcd-snapshot-[0-9]{8}T[0-9]{6}Z-rev[0-9]+\.db$/;

/**
 * The JSON description kept beside every snapshot, on a unit (`<name>.json`) and in the S3 bucket: what etcd
 * and sha256 said of it when it was taken, checked again before it is used.
 */
export const SnapshotDescription = z.object({
  name: z.string().regex(SNAPSHOT_NAME),
  revision: z.number().int().nonnegative(),
  keys: z.number().int().nonnegative(),
  /** etcd's size of the database, which is not the file's: `snapshot save` appends a 32-byte sha256. */
  sizeBytes: z.number().int().nonnegative(),
  hash: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  takenAt: z.string(),
  member: z.string(),
  // Descriptions written before schedules existed are the snapshot action's.
  scheduled: z.boolean().optional().default(false),
});
