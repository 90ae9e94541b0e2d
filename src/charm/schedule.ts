import type { EtcdSettings } from "./config.js";
import type { Observed } from "./observed.js";

/**
 * Scheduled snapshots (snapshot-interval), pure: when the leader takes the next one, and what every unit's
 * status line says about them. The leader records each snapshot it takes, and each scheduled one that failed,
 * in leader data, so that every unit reports the same age and a new leader goes on from the old one's.
 */

/** After a failed scheduled snapshot, the next try waits this long (or the interval, if shorter). */
export const SNAPSHOT_RETRY_MS = 600_000;
/** A snapshot older than this many intervals is overdue: the schedule missed at least one. */
export const OVERDUE_INTERVALS = 2;

export function scheduledSnapshotDue(o: Pick<Observed, "leaderData" | "now">, settings: Pick<EtcdSettings, "snapshotIntervalMs">): boolean {
  const interval = settings.snapshotIntervalMs;
  if (interval === undefined) return false;
  const { latestSnapshot, snapshotFailure } = o.leaderData;
  if (snapshotFailure && o.now - snapshotFailure.atMs < Math.min(interval, SNAPSHOT_RETRY_MS)) return false;
  return latestSnapshot === undefined || o.now - latestSnapshot.takenAtMs >= interval;
}

/** What the status line adds while scheduling is on: the newest snapshot's age, or what is wrong. */
export function snapshotNotes(o: Pick<Observed, "leaderData" | "now" | "config">): string[] {
  const interval = o.config.ok ? o.config.settings.snapshotIntervalMs : undefined;
  if (interval === undefined) return [];
  const { latestSnapshot, snapshotFailure } = o.leaderData;
  const notes: string[] = [];
  if (snapshotFailure && (!latestSnapshot || snapshotFailure.atMs >= latestSnapshot.takenAtMs)) {
    notes.push(`the last scheduled snapshot failed ${ago(o.now - snapshotFailure.atMs)} ago: ${snapshotFailure.reason}`);
  }
  if (!latestSnapshot) return [...notes, "no snapshot yet"];
  const age = o.now - latestSnapshot.takenAtMs;
  notes.push(
    age > OVERDUE_INTERVALS * interval
      ? `snapshot overdue: the newest is ${ago(age)} old (snapshot-interval ${ago(interval)})`
      : `last snapshot ${ago(age)} ago`,
  );
  return notes;
}

/**
 * What the status line adds while the s3-credentials relation cannot take copies: its provider's settings are
 * missing or wrong (snapshots are still kept on the units, so nothing is blocked).
 */
export function offsiteNotes(o: Pick<Observed, "s3">): string[] {
  const problems = o.s3?.problems;
  return problems ? [`no snapshot copies to S3: ${problems.join("; ")}`] : [];
}

/** A duration as an operator reads it at a glance: 45s, 20m, 7h, 3d. */
export function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes}m`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours}h` : `${Math.round(hours / 24)}d`;
}
