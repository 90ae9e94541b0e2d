import { describe, expect, it } from "vitest";
import { FakeWorld } from "./fake-world.js";

const departed = (world: FakeWorld, remote: string, departing: string) => ({
  JUJU_RELATION: "cluster",
  JUJU_RELATION_ID: world.peerRelation,
  JUJU_REMOTE_UNIT: remote,
  JUJU_REMOTE_APP: "etcd",
  JUJU_DEPARTING_UNIT: departing,
});

/** The client URL of etcd/<n>'s member in a converged fake world (TLS on, its default). */
const clientUrlOf = (n: number) => `https://10.0.0.${10 + n}:2379`;

describe("a unit that leaves", () => {
  it("the raft leader, holding the cluster's lock, hands leadership over, removes itself (asking the others), remembers it left and stops", async () => {
    const world = await FakeWorld.converged(3);
    const run = await world.hook("etcd/0", "cluster-relation-departed", departed(world, "etcd/1", "etcd/0"));
    expect(run.error).toBeUndefined();
    expect(run.actions).toEqual(["remove-member"]);
    expect(run.etcdOperations).toEqual(["lock etcd-charm/restart", "move-leader 1001", "remove 1000"]);
    expect(run.machineWrites).toEqual(["stop"]);
    expect(world.juju.unitState.get("etcd/0")).toMatchObject({ "left-cluster": "true" });
    expect(world.cluster.snapshot().map((m) => m.name)).toEqual(["etcd1", "etcd2"]);
    // Its later hooks only wind down: nothing to do once stopped.
    expect(await world.hook("etcd/0", "stop")).toMatchObject({ error: undefined, actions: [], etcdOperations: [], machineWrites: [] });
  });

  it("the last two leaving at once: the second, once it holds the lock, is the last voter and stops as it is", async () => {
    const world = await FakeWorld.converged(2);
    // etcd/0 removed itself and stopped while etcd/1 waited for the cluster's lock.
    world.cluster.whileWaitingForLock = () => {
      void world.cluster.remove([clientUrlOf(1)], "1000");
    };
    const run = await world.hook("etcd/1", "stop");
    expect(run.error).toBeUndefined();
    expect(run.etcdOperations).toEqual(["remove 1000", "lock etcd-charm/restart"]);
    expect(run.machineWrites).toEqual(["stop"]);
    expect(world.cluster.snapshot().map((m) => m.name)).toEqual(["etcd1"]);
    expect(world.juju.logs).toContain("etcd/1: leaving without removing member etcd1: it is the cluster's last voting member, kept as it is");
  });

  it("a member that became raft leader while it waited for the lock hands leadership over again before it is removed", async () => {
    const world = await FakeWorld.converged(3);
    world.cluster.whileWaitingForLock = () => {
      world.cluster.leaderId = "1002";
    };
    const run = await world.hook("etcd/2", "stop");
    expect(run.error).toBeUndefined();
    expect(run.etcdOperations).toEqual(["lock etcd-charm/restart", "move-leader 1000", "remove 1002"]);
    expect(world.cluster.snapshot().map((m) => m.name)).toEqual(["etcd0", "etcd1"]);
  });

  it("a member another unit removed while this one waited for the lock is not removed again; the unit records it left", async () => {
    const world = await FakeWorld.converged(3);
    world.cluster.whileWaitingForLock = () => {
      void world.cluster.remove([clientUrlOf(0)], "1002");
    };
    const run = await world.hook("etcd/2", "stop");
    expect(run.error).toBeUndefined();
    expect(run.etcdOperations).toEqual(["remove 1002", "lock etcd-charm/restart"]);
    expect(run.machineWrites).toEqual(["stop"]);
    expect(world.juju.unitState.get("etcd/2")).toMatchObject({ "left-cluster": "true" });
  });

  it("a teardown hook that cannot finish logs what was left undone and still succeeds", async () => {
    const world = await FakeWorld.converged(3);
    world.cluster.failNext("remove", "etcdserver: unhealthy cluster", 10_000);
    const run = await world.hook("etcd/2", "stop");
    expect(run.error).toBeUndefined();
    expect(world.juju.logs.at(-1)).toMatch(/^etcd\/2: stop: etcdctl remove failed: etcdserver: unhealthy cluster/);
  });
});

describe("the leader removes the members of units that left", () => {
  it("records the departed peer in unit state first, then removes its member", async () => {
    const world = await FakeWorld.converged(3);
    const run = await world.hook("etcd/0", "cluster-relation-departed", departed(world, "etcd/2", "etcd/2"));
    expect(run.error).toBeUndefined();
    expect(run.actions).toEqual(["record-departed", "remove-member", "record-members"]);
    expect(run.etcdOperations).toEqual(["lock etcd-charm/restart", "remove 1002"]);
    expect(world.juju.unitState.get("etcd/0")).toMatchObject({ "departed-units": '["etcd/2"]' });
    expect(world.juju.leaderBag["cluster-members"]).toBe("etcd0,etcd1");
  });

  it("a learner no unit claims is noted, and removed only after five minutes", async () => {
    const world = await FakeWorld.converged(3);
    await world.cluster.addLearner(["https://10.0.0.10:2379"], "ghost", "http://10.0.0.99:2380");
    const noted = await world.hook("etcd/0", "update-status");
    expect(noted.actions).toEqual(["note-unclaimed-learners"]);
    expect(world.juju.unitState.get("etcd/0")?.["unclaimed-learners"]).toBe(JSON.stringify({ "1003": world.clock.now() }));
    expect((await world.hook("etcd/0", "update-status")).etcdOperations).toEqual([]);
    world.clock.current += 300_000;
    const removed = await world.hook("etcd/0", "update-status");
    expect(removed.actions).toEqual(["remove-member", "note-unclaimed-learners"]);
    expect(removed.etcdOperations).toEqual(["lock etcd-charm/restart", "remove 1003"]);
  });
});

describe("a unit whose member the cluster no longer has", () => {
  it("moves its data aside (never deleting it), joins afresh as a learner and is promoted, in one hook", async () => {
    const world = await FakeWorld.converged(3);
    // As a restore or a rebuild leaves it: a new cluster without this unit's member.
    await world.cluster.remove([clientUrlOf(0)], "1002");
    const run = await world.hook("etcd/2", "update-status");
    expect(run.error).toBeUndefined();
    expect(run.actions.slice(0, 2)).toEqual(["set-aside-member-data", "add-learner"]);
    expect(run.machineWrites).toContain("set-aside-member-data");
    expect(
      world.juju.logs.some((line) => /moved aside the data of member etcd2, which the cluster no longer has, to \S+; this unit joins afresh/.test(line)),
    ).toBe(true);
    const again = world.cluster.snapshot().find((m) => m.name === "etcd2");
    expect(again).toMatchObject({ isLearner: false });
    expect(again?.id).not.toBe("1002");
    expect((await world.hook("etcd/2", "update-status")).actions).toEqual([]);
  });
});

describe("a unit whose data storage is detached and attached again", () => {
  it("leaves the cluster before its data goes, then, given the storage back, moves that data aside and joins afresh", async () => {
    const world = await FakeWorld.converged(3);
    const detaching = await world.hook("etcd/2", "data-storage-detaching", { JUJU_STORAGE_ID: "data/2" });
    expect(detaching.error).toBeUndefined();
    expect(detaching.actions).toEqual(["remove-member"]);
    expect(detaching.machineWrites).toEqual(["stop"]);
    expect(world.cluster.snapshot().map((m) => m.name)).toEqual(["etcd0", "etcd1"]);
    // The storage is reattached with the data of the member that left.
    const attached = await world.hook("etcd/2", "data-storage-attached", { JUJU_STORAGE_ID: "data/2" });
    expect(attached.error).toBeUndefined();
    expect(attached.actions.slice(0, 3)).toEqual(["rejoin", "set-aside-member-data", "add-learner"]);
    expect(world.juju.unitState.get("etcd/2")).not.toHaveProperty("left-cluster");
    expect(world.cluster.snapshot().find((m) => m.name === "etcd2")).toMatchObject({ isLearner: false });
    expect((await world.hook("etcd/2", "update-status")).actions).toEqual([]);
  });
});
