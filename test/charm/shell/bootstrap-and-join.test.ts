import { describe, expect, it } from "vitest";
import { FakeWorld } from "./fake-world.js";

/**
 * The shell, state in and state out: the real dispatch, reconcile, observe and act over a fake world
 * (Juju, machines and the etcd cluster in memory). Millisecond runs of what the lifecycle tests prove on
 * real etcd in minutes.
 */

describe("the first unit bootstraps the cluster in its install hook", () => {
  it("installs, makes the CA and its certificate, claims the bootstrap, renders, starts, re-renders as existing, publishes and records the member", async () => {
    const world = new FakeWorld(1);
    const run = await world.hook("etcd/0", "install");
    expect(run.error).toBeUndefined();
    expect(run.actions).toEqual([
      "install",
      "create-ca",
      "write-trust",
      "issue-member-certificate",
      "claim-bootstrap",
      "write-files",
      "start",
      "write-files",
      "publish-peer",
      "record-members",
      "write-etcdctl-env",
    ]);
    expect(run.machineWrites).toEqual([
      "install",
      "tls-bundle",
      "tls-member",
      "config",
      "unit",
      "daemon-reload",
      "start",
      "running",
      "config",
      "unit",
      "daemon-reload",
      "etcdctl-env",
    ]);
    // create-ca records the CA in unit state (committed with its secret), not in leader data: a later hook publishes it.
    expect(run.jujuWrites).toEqual(["state-set", "leader-set", "relation-set", "application-version-set", "leader-set"]);
    expect(world.juju.leaderBag["tls-ca-secret"]).toBeUndefined();
    expect(world.juju.leaderBag).toMatchObject({
      "bootstrap-member": "etcd0",
      "cluster-members": "etcd0",
      "cluster-client-urls": "https://10.0.0.10:2379",
    });
    expect(world.juju.leaderBag["cluster-token"]).toMatch(/^[0-9a-f]{32}$/);
    expect(world.cluster.snapshot()).toEqual([
      { id: "1000", name: "etcd0", peerUrls: ["https://10.0.0.10:2380"], clientUrls: ["https://10.0.0.10:2379"], isLearner: false },
    ]);
    expect(world.machine("etcd/0").config).toContain("initial-cluster-state: existing");
    expect(world.juju.bag(world.peerRelation, "etcd/0")).toMatchObject({
      "peer-url": "https://10.0.0.10:2380",
      "client-url": "https://10.0.0.10:2379",
      "member-state": "started",
    });
    expect(world.juju.bag(world.peerRelation, "etcd/0")["tls-trusted-cas"]).toMatch(/^[0-9a-f]{16}$/);
    expect(world.status("etcd/0")).toBe("active: 1 member, healthy, raft leader etcd/0");
  });

  it("run again, every hook on the converged unit writes nothing and restarts nothing", async () => {
    const world = new FakeWorld(1);
    await world.deploy();
    const again = await world.hook("etcd/0", "install");
    expect(again).toMatchObject({ error: undefined, jujuWrites: [], machineWrites: [], etcdOperations: [] });
  });

  it("update-status on a unit whose install has not run installs nothing", async () => {
    const world = new FakeWorld(1);
    const run = await world.hook("etcd/0", "update-status");
    expect(run).toMatchObject({ error: undefined, machineWrites: [], jujuWrites: [] });
    expect(world.status("etcd/0")).toBe("waiting: waiting for etcd to be installed");
  });

  it.each([
    [true, "waiting: waiting for the leader to create the cluster's certificate authority"],
    [false, "waiting: waiting for the leader to bootstrap the cluster"],
  ])("a second unit never bootstraps (tls %s): it waits for the leader", async (tls, status) => {
    const world = new FakeWorld(2);
    world.juju.config.tls = tls;
    const run = await world.hook("etcd/1", "install");
    expect(run.error).toBeUndefined();
    expect(run.machineWrites).toEqual(["install"]);
    expect(world.cluster.snapshot()).toEqual([]);
    expect(world.status("etcd/1")).toBe(status);
  });
});

describe("a unit added to a running cluster joins by itself in its install hook", () => {
  it("adds itself as a learner, starts it (existing), waits until the voters list it, promotes it and publishes", async () => {
    const world = new FakeWorld(1);
    await world.deploy();
    world.addUnit();
    const run = await world.hook("etcd/1", "install");
    expect(run.error).toBeUndefined();
    expect(run.etcdOperations).toEqual(["add-learner etcd1", "promote 1001"]);
    expect(run.machineWrites).toEqual(["install", "tls-bundle", "tls-member", "config", "unit", "daemon-reload", "start", "running", "etcdctl-env"]);
    expect(world.machine("etcd/1").config).toContain("initial-cluster: etcd0=https://10.0.0.10:2380,etcd1=https://10.0.0.11:2380");
    expect(world.machine("etcd/1").config).toContain("initial-cluster-state: existing");
    expect(world.cluster.snapshot().map((m) => [m.name, m.isLearner])).toEqual([
      ["etcd0", false],
      ["etcd1", false],
    ]);
    expect(world.status("etcd/1")).toBe("active: 2 members, healthy, raft leader etcd/0");
    // The leader records the new voter when it next runs (cluster-relation-changed).
    const leader = await world.hook("etcd/0", "cluster-relation-changed", {
      JUJU_RELATION: "cluster",
      JUJU_RELATION_ID: world.peerRelation,
      JUJU_REMOTE_UNIT: "etcd/1",
      JUJU_REMOTE_APP: "etcd",
    });
    expect(leader.jujuWrites).toEqual(["leader-set"]);
    expect(world.juju.leaderBag["cluster-members"]).toBe("etcd0,etcd1");
  });

  it("waits out etcd's 'unhealthy cluster' right after another change, then adds itself", async () => {
    const world = new FakeWorld(1);
    await world.deploy();
    world.addUnit();
    world.cluster.failNext("add-learner", "etcdserver: unhealthy cluster", 3);
    const run = await world.hook("etcd/1", "install");
    expect(run.error).toBeUndefined();
    expect(run.etcdOperations).toEqual(["add-learner etcd1", "promote 1001"]);
    expect(run.sleptMs).toBeGreaterThanOrEqual(1500);
  });

  it("a started learner that did not promote itself (its unit says 'started') is promoted by the leader", async () => {
    const world = new FakeWorld(1);
    await world.deploy();
    world.addUnit();
    world.cluster.failNext("promote", "etcdserver: can only promote a learner member which is in sync with leader", 1000);
    const joiner = await world.hook("etcd/1", "install");
    // The joiner retried for a minute (of the fake clock), then its hook failed: Juju retries it later.
    expect(joiner.error).toContain("in sync with leader");
    expect(joiner.sleptMs).toBeGreaterThanOrEqual(60_000);
    expect(world.cluster.snapshot()[1]).toMatchObject({ name: "etcd1", isLearner: true });
    world.cluster.clearFailures();
    // As a unit of an earlier revision published it: started, without promoting itself.
    Object.assign(world.juju.bag(world.peerRelation, "etcd/1"), {
      "peer-url": "https://10.0.0.11:2380",
      "client-url": "https://10.0.0.11:2379",
      "member-state": "started",
    });
    const leader = await world.hook("etcd/0", "update-status");
    expect(leader.error).toBeUndefined();
    expect(leader.etcdOperations).toEqual(["promote 1001"]);
  });
});
