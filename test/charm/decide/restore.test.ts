import { describe, expect, it } from "vitest";
import { converged, run } from "./fixtures.js";

const SNAPSHOT = "etcd-snapshot-20261201T070000Z-rev42.db";

describe("while a restore action replaces the cluster", () => {
  it("a unit that is not the leader does nothing and says it rejoins afterwards", () => {
    const view = converged(1);
    expect(run({ ...view, leaderData: { ...view.leaderData, restoring: SNAPSHOT } })).toEqual({
      action: undefined,
      status: { kind: "waiting", message: `the leader is restoring the cluster from snapshot ${SNAPSHOT}; this unit rejoins afterwards` },
    });
  });

  it("the leader, in a hook, ends a restore whose action was cut short (actions and hooks take turns)", () => {
    const view = converged(0);
    expect(run({ ...view, leaderData: { ...view.leaderData, restoring: SNAPSHOT } })).toEqual({
      action: { kind: "end-restore", snapshot: SNAPSHOT },
      status: { kind: "maintenance", message: `ending the restore from ${SNAPSHOT}, which was cut short` },
    });
  });
});
