import { describe, expect, it } from "vitest";
import { FakeWorld } from "./fake-world.js";

/** Issue (data safety): the leader's scheduled snapshots through act, against a fake world (clock, store). */

const MINUTE = 60_000;

describe("scheduled snapshots", () => {
  it("the leader takes one each interval from its own member, prunes the scheduled ones to the retention, and records the newest", async () => {
    const world = await FakeWorld.converged(3);
    world.juju.config["snapshot-interval"] = "10m";
    world.juju.config["snapshot-retention"] = 2;
    const leader = world.machines.get("etcd/0");
    for (let round = 0; round < 3; round++) {
      const run = await world.hook("etcd/0", "update-status");
      expect(run.error).toBeUndefined();
      expect(run.actions).toEqual(["take-scheduled-snapshot"]);
      expect(run.etcdOperations).toEqual(["snapshot https://10.0.0.10:2379 /var/lib/etcd-snapshots/.taking-1.db"]);
      // Nothing more within the interval.
      world.clock.current += 5 * MINUTE;
      expect((await world.hook("etcd/0", "update-status")).actions).toEqual([]);
      world.clock.current += 5 * MINUTE;
    }
    expect(leader?.kept.map((s) => s.revision)).toEqual([2, 3]);
    expect(world.juju.leaderBag["snapshot-latest"]).toBe(`${world.clock.current - 10 * MINUTE},${leader?.kept[1]?.name}`);
    expect(world.juju.logs.filter((line) => line.includes("; pruned "))).toHaveLength(1);
    // The others take none, and report the newest's age from leader data.
    expect((await world.hook("etcd/1", "update-status")).actions).toEqual([]);
    expect(world.status("etcd/1")).toBe("active: 3 members, healthy, raft leader etcd/0; last snapshot 10m ago");
  });

  it("a failed snapshot does not fail the hook: it is logged, recorded for every unit's status, and tried again later", async () => {
    const world = await FakeWorld.converged(3);
    world.juju.config["snapshot-interval"] = "1h";
    const leader = world.machines.get("etcd/0");
    if (leader) leader.snapshotError = "write /var/lib/etcd-snapshots/.taking-1.db: no space left on device";
    const failed = await world.hook("etcd/0", "update-status");
    expect(failed.error).toBeUndefined();
    expect(failed.actions).toEqual(["take-scheduled-snapshot"]);
    expect(world.status("etcd/0")).toBe(
      "active: 3 members, healthy, raft leader etcd/0; the last scheduled snapshot failed 0s ago: write /var/lib/etcd-snapshots/.taking-1.db: no space left on device; no snapshot yet",
    );
    world.clock.current += 5 * MINUTE;
    expect((await world.hook("etcd/0", "update-status")).actions).toEqual([]);
    world.clock.current += 6 * MINUTE;
    expect((await world.hook("etcd/0", "update-status")).actions).toEqual(["take-scheduled-snapshot"]);
    expect(world.juju.leaderBag["snapshot-failed"]).toBeUndefined();
    expect(world.status("etcd/0")).toBe("active: 3 members, healthy, raft leader etcd/0; last snapshot 0s ago");
  });
});
