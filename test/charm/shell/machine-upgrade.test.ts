import { describe, expect, it } from "vitest";
import { FakeWorld } from "./fake-world.js";

/** Interfaces §8.1: upgrade-machine prepare runs pre-series-upgrade with JUJU_TARGET_BASE; complete runs post-series-upgrade. */
const TARGET = { JUJU_TARGET_BASE: "ubuntu@26.04" };

describe("a machine's upgrade (upgrade-machine prepare, then complete)", () => {
  it("pre-series-upgrade on the raft leader hands leadership over, takes a verified snapshot, then stops and disables etcd", async () => {
    const world = await FakeWorld.converged(3);
    const run = await world.hook("etcd/0", "pre-series-upgrade", TARGET);
    expect(run.error).toBeUndefined();
    expect(run.actions).toEqual(["pause-for-machine-upgrade"]);
    expect(run.etcdOperations).toEqual(["move-leader 1001", "snapshot https://10.0.0.10:2379 /var/lib/etcd-snapshots/.taking-1.db"]);
    expect(run.machineWrites).toEqual(expect.arrayContaining(["stop"]));
    expect(world.juju.logs.some((line) => /took and verified snapshot etcd-snapshot-.* before this machine's upgrade to ubuntu@26\.04/.test(line))).toBe(true);
    expect(world.status("etcd/0")).toBe(
      "blocked: etcd is stopped for this machine's upgrade to ubuntu@26.04: upgrade the OS, then run juju upgrade-machine <machine> complete",
    );
    // The others keep serving with a majority.
    expect(await world.hook("etcd/1", "update-status")).toMatchObject({ error: undefined });
    expect(world.status("etcd/1")).toMatch(/^active: 3 members, degraded: etcd\/0 not answering, raft leader etcd\/1/);
  });

  it("post-series-upgrade starts etcd again on the same data and waits until it is healthy", async () => {
    const world = await FakeWorld.converged(3);
    expect((await world.hook("etcd/2", "pre-series-upgrade", TARGET)).error).toBeUndefined();
    const run = await world.hook("etcd/2", "post-series-upgrade");
    expect(run.error).toBeUndefined();
    expect(run.actions).toEqual(["start"]);
    expect(world.status("etcd/2")).toBe("active: 3 members, healthy, raft leader etcd/0");
  });

  it("a second machine's prepare while the first is down is refused: the hook fails naming why, and etcd keeps running", async () => {
    const world = await FakeWorld.converged(3);
    expect((await world.hook("etcd/1", "pre-series-upgrade", TARGET)).error).toBeUndefined();
    const run = await world.hook("etcd/2", "pre-series-upgrade", TARGET);
    expect(run.actions).toEqual(["refuse"]);
    expect(run.error).toBe(
      "cannot stop etcd for this machine's upgrade to ubuntu@26.04: 1 of the other 2 voting members answer, and the cluster needs 2 of 3 to keep its majority; complete the upgrade of the machine whose member is down first",
    );
    expect(run.machineWrites).toEqual([]);
    expect(world.cluster.answers("https://10.0.0.12:2379")).toBe(true);
  });
});
