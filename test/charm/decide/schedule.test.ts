import { describe, expect, it } from "vitest";
import { parseCharmConfig } from "../../../src/charm/config.js";
import type { Observed } from "../../../src/charm/observed.js";
import { ago } from "../../../src/charm/schedule.js";
import { clientUrl, converged, defaults, NOW, run } from "./fixtures.js";

/** Issue (data safety): scheduled snapshots, one unit (the leader) at a time, their age and trouble in status. */

const HOUR = 3_600_000;
const SNAPSHOT = "etcd-snapshot-20261201T070000Z-rev42.db";
const scheduled = (n: number, leader: Partial<Observed["leaderData"]> = {}, overrides: Partial<Observed> = {}): Observed => {
  const base = converged(n, { config: parseCharmConfig({ ...defaults, "snapshot-interval": "1h", "snapshot-retention": 3 }), ...overrides });
  return { ...base, leaderData: { ...base.leaderData, ...leader } };
};
const HEALTHY = "3 members, healthy, raft leader etcd/0";

describe("scheduled snapshots", () => {
  it("the leader takes one from its own member as soon as scheduling is on and none was taken", () => {
    expect(run(scheduled(0))).toEqual({
      action: { kind: "take-scheduled-snapshot", url: clientUrl(0), memberName: "etcd0", retention: 3, upload: false },
      status: { kind: "maintenance", message: "taking a scheduled snapshot" },
    });
  });

  it("takes the next one once the newest is an interval old, and not before", () => {
    const recent = scheduled(0, { latestSnapshot: { name: SNAPSHOT, takenAtMs: NOW - 30 * 60_000 } });
    expect(run(recent)).toEqual({ action: undefined, status: { kind: "active", message: `${HEALTHY}; last snapshot 30m ago` } });
    const due = scheduled(0, { latestSnapshot: { name: SNAPSHOT, takenAtMs: NOW - HOUR } });
    expect(run(due).action).toMatchObject({ kind: "take-scheduled-snapshot" });
  });

  it("every other unit only reports the leader's newest snapshot, and an overdue one as such", () => {
    expect(run(scheduled(1, { latestSnapshot: { name: SNAPSHOT, takenAtMs: NOW - 20 * 60_000 } }))).toEqual({
      action: undefined,
      status: { kind: "active", message: `${HEALTHY}; last snapshot 20m ago` },
    });
    expect(run(scheduled(2, { latestSnapshot: { name: SNAPSHOT, takenAtMs: NOW - 3 * HOUR } }))).toEqual({
      action: undefined,
      status: { kind: "active", message: `${HEALTHY}; snapshot overdue: the newest is 3h old (snapshot-interval 60m)` },
    });
  });

  it("after a failure the leader waits before trying again, and every unit says why it failed", () => {
    const failed = {
      latestSnapshot: { name: SNAPSHOT, takenAtMs: NOW - 2 * HOUR },
      snapshotFailure: { atMs: NOW - 5 * 60_000, reason: "no space left on device" },
    };
    expect(run(scheduled(0, failed))).toEqual({
      action: undefined,
      status: { kind: "active", message: `${HEALTHY}; the last scheduled snapshot failed 5m ago: no space left on device; last snapshot 2h ago` },
    });
    expect(run(scheduled(0, { ...failed, snapshotFailure: { atMs: NOW - 11 * 60_000, reason: "no space left on device" } })).action).toMatchObject({
      kind: "take-scheduled-snapshot",
    });
  });

  it("no snapshot is taken without a majority, by a non-leader, or with scheduling off", () => {
    const view = scheduled(0);
    const noMajority = { ...view, electionWaits: 3, cluster: { ...view.cluster!, raftLeaderId: undefined, answering: [clientUrl(0)] } };
    expect(run(noMajority).action).toBeUndefined();
    expect(run(scheduled(1)).action).toBeUndefined();
    expect(run(scheduled(1)).status.message).toBe(`${HEALTHY}; no snapshot yet`);
    expect(run(converged(0))).toEqual({ action: undefined, status: { kind: "active", message: HEALTHY } });
  });

  it("ages read at a glance", () => {
    expect([ago(4000), ago(89_000), ago(45 * 60_000), ago(7 * HOUR), ago(72 * HOUR)]).toEqual(["4s", "89s", "45m", "7h", "3d"]);
  });
});

describe("copies to S3 (the s3-credentials relation, interfaces §3.1)", () => {
  const ready = { id: "s3-credentials:9", askedBucket: "relation-9", problems: undefined, where: 'bucket "b" at http://10.0.0.99:9000' };

  it("the leader asks for bucket relation-<id> until its databag holds it; other units never do", () => {
    expect(run(scheduled(0, { latestSnapshot: { name: SNAPSHOT, takenAtMs: NOW } }, { s3: { ...ready, askedBucket: undefined } }))).toEqual({
      action: { kind: "request-s3-bucket", relationId: "s3-credentials:9", bucket: "relation-9" },
      status: { kind: "maintenance", message: "asking the s3-credentials provider for a bucket" },
    });
    expect(run(scheduled(1, {}, { s3: { ...ready, askedBucket: undefined } })).action).toBeUndefined();
  });

  it("a scheduled snapshot is copied only when the provider's settings are ready", () => {
    expect(run(scheduled(0, {}, { s3: ready })).action).toMatchObject({ kind: "take-scheduled-snapshot", upload: true });
    const waiting = { ...ready, problems: ["secret-key is missing"], where: undefined };
    expect(run(scheduled(0, {}, { s3: waiting })).action).toMatchObject({ kind: "take-scheduled-snapshot", upload: false });
  });

  it("settings with problems are named in every unit's status, which stays active", () => {
    const waiting = { ...ready, problems: ["secret-key is missing", "bucket is missing"], where: undefined };
    expect(run(converged(2, { s3: waiting })).status).toEqual({
      kind: "active",
      message: `${HEALTHY}; no snapshot copies to S3: secret-key is missing; bucket is missing`,
    });
  });
});
