import { describe, expect, it } from "vitest";
import { FakeWorld } from "./fake-world.js";

describe("config changes", () => {
  it("a change etcd must restart for: the raft leader hands leadership over inside the restart lock, restarts, and records it", async () => {
    const world = await FakeWorld.converged(3);
    world.juju.config["heartbeat-interval"] = 200;
    const run = await world.hook("etcd/0", "config-changed");
    expect(run.error).toBeUndefined();
    expect(run.actions).toEqual(["write-files"]);
    expect(run.etcdOperations).toEqual(["lock etcd-charm/restart", "move-leader 1001"]);
    expect(run.machineWrites).toEqual(["config", "unit", "daemon-reload", "restart", "running"]);
    expect(world.machine("etcd/0").runningFiles?.configText).toContain("heartbeat-interval: 200");
    // Converged: the same hook again does nothing.
    expect(await world.hook("etcd/0", "config-changed")).toMatchObject({ machineWrites: [], etcdOperations: [], jujuWrites: [] });
  });

  it("a client-port change restarts each member onto the new port and checks it there", async () => {
    const world = await FakeWorld.converged(3);
    world.juju.config["client-port"] = 4001;
    const run = await world.hook("etcd/1", "config-changed");
    expect(run.error).toBeUndefined();
    // Not a two-minute wait for health on the port etcd no longer serves.
    expect(run.sleptMs).toBe(0);
    expect(world.machine("etcd/1").servingClientUrl).toBe("https://10.0.0.11:4001");
    expect(world.cluster.snapshot()[1]?.clientUrls).toEqual(["https://10.0.0.11:4001"]);
  });

  it("an invalid value blocks naming the option and touches nothing", async () => {
    const world = await FakeWorld.converged(3);
    world.juju.config["election-timeout"] = 5;
    const run = await world.hook("etcd/1", "config-changed");
    expect(run).toMatchObject({ error: undefined, machineWrites: [], etcdOperations: [], jujuWrites: [] });
    expect(world.status("etcd/1")).toBe("blocked: election-timeout 5 must be ≥ 5 × heartbeat-interval (100)");
  });

  it("a restart that failed after the new files were written is done by the next hook (retry after a failure half-way)", async () => {
    const world = await FakeWorld.converged(3);
    world.juju.config["snapshot-count"] = 5000;
    world.machine("etcd/1").restartError = "Job for etcd.service failed";
    world.machine("etcd/1").journal.push("Nov 30 18:00:00 machine etcd[4242]: 2026-11-30 18:00:00.000000 E | etcdserver: a reason of etcd's own");
    const failed = await world.hook("etcd/1", "config-changed");
    // systemd's own word and the service log's, for an operator reading the hook error or the status.
    expect(failed.error).toBe(
      "systemctl restart etcd.service failed (exit 1): Job for etcd.service failed; etcd's log says: etcdserver: a reason of etcd's own",
    );
    expect(world.status("etcd/1")).toMatch(/^blocked: systemctl restart etcd.service failed .*; fix the cause, then run juju resolved$/);
    expect(failed.machineWrites).toEqual(["config", "unit", "daemon-reload", "restart"]);
    expect(world.machine("etcd/1").runningFiles?.configText).not.toContain("snapshot-count: 5000");
    // Juju retries the hook: the files are already current, the record says etcd still runs the old ones.
    const retried = await world.hook("etcd/1", "config-changed");
    expect(retried.error).toBeUndefined();
    expect(retried.machineWrites).toEqual(["config", "unit", "daemon-reload", "restart", "running"]);
    expect(world.machine("etcd/1").runningFiles?.configText).toContain("snapshot-count: 5000");
  });
});

describe("a service that cannot start is noticed within seconds, not after the health timeout", () => {
  it("the hook fails with the last error line of etcd's log, and the status names it", async () => {
    const world = new FakeWorld(1);
    world.machine("etcd/0").failing =
      "2026-11-30 18:30:38.557029 E | etcdmain: error verifying flags, open /etc/etcd/etcd.conf.yml: permission denied. See 'etcd --help'.";
    const run = await world.hook("etcd/0", "install");
    expect(run.error).toBe(
      "etcd exits at start (activating/auto-restart): etcdmain: error verifying flags, open /etc/etcd/etcd.conf.yml: permission denied. See 'etcd --help'.",
    );
    // Seen at the first look at the service, a second after the start, not after the 120 s health wait.
    expect(run.sleptMs).toBe(1000);
    expect(world.status("etcd/0")).toMatch(/^blocked: etcd exits at start .*permission denied.*; fix the cause, then run juju resolved$/);
  });
});

describe("an election in progress", () => {
  it("a cluster that names no raft leader is looked at again each second, up to 8 times, then reported", async () => {
    const world = await FakeWorld.converged(3);
    world.cluster.leaderId = undefined;
    const run = await world.hook("etcd/1", "update-status");
    expect(run.error).toBeUndefined();
    expect(run.actions).toEqual(Array(8).fill("await-election"));
    expect(run.sleptMs).toBe(8000);
    expect(world.status("etcd/1")).toBe("active: 3 members, healthy, no raft leader");
  });

  it("stops looking as soon as a leader is elected", async () => {
    const world = await FakeWorld.converged(3);
    world.cluster.leaderId = undefined;
    const sleep = world.clock.sleep.bind(world.clock);
    world.clock.sleep = async (ms) => {
      await sleep(ms);
      world.cluster.elect();
    };
    const run = await world.hook("etcd/2", "update-status");
    expect(run.actions).toEqual(["await-election"]);
    expect(world.status("etcd/2")).toBe("active: 3 members, healthy, raft leader etcd/0");
  });
});
