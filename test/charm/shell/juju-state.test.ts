import { describe, expect, it } from "vitest";
import { JujuState } from "../../../src/charm/juju-state.js";
import { HookTools } from "../../../src/juju/client.js";
import { createLogger } from "../../../src/log.js";
import { FakeWorld } from "./fake-world.js";

const log = createLogger({}, "silent");

describe("JujuState writes through: a write and what the next decision reads change together", () => {
  it("leader-set updates the leader data it reports, and '' deletes a key", async () => {
    const world = new FakeWorld(1);
    world.juju.leaderBag["join-etcd5"] = "etcd5=http://10.0.0.15:2380";
    const juju = await JujuState.read(new HookTools(world.juju.runner("etcd/0")), "etcd/0", log);
    expect(juju.facts.leaderData.grants).toEqual({ etcd5: "etcd5=http://10.0.0.15:2380" });
    await juju.leaderSet({ "cluster-token": "0123456789abcdef0123", "join-etcd5": "" });
    expect(juju.facts.leaderData).toMatchObject({ token: "0123456789abcdef0123", grants: {} });
    expect(world.juju.leaderBag).toEqual({ "cluster-token": "0123456789abcdef0123" });
  });

  it("state-set updates departed units, the left flag and unclaimed learners", async () => {
    const world = new FakeWorld(1);
    const juju = await JujuState.read(new HookTools(world.juju.runner("etcd/0")), "etcd/0", log);
    await juju.stateSet({ "departed-units": '["etcd/3"]', "left-cluster": "true", "unclaimed-learners": '{"1009":5}' });
    expect(juju.facts).toMatchObject({ departedUnits: ["etcd/3"], leftCluster: true, unclaimedLearners: { "1009": 5 } });
  });

  it("relation-set updates this unit's published peer data and consumer bags, and nothing else", async () => {
    const world = new FakeWorld(1);
    const db = world.juju.addRelation("db", ["kube-apiserver/0"]);
    const juju = await JujuState.read(new HookTools(world.juju.runner("etcd/0")), "etcd/0", log);
    await juju.relationSet(world.peerRelation, { "member-state": "started" });
    await juju.relationSet(db, { version: "3.4.23" });
    expect(juju.facts.publishedPeerData).toMatchObject({ "member-state": "started" });
    expect(juju.facts.consumers[db]).toEqual({ endpoint: "db", bag: expect.objectContaining({ version: "3.4.23" }) });
  });

  it("a write whose tool fails changes nothing it reports", async () => {
    const world = new FakeWorld(2);
    const juju = await JujuState.read(new HookTools(world.juju.runner("etcd/1")), "etcd/1", log);
    await expect(juju.leaderSet({ "cluster-token": "0123456789abcdef0123" })).rejects.toThrow(/not the leader/);
    expect(juju.facts.leaderData.token).toBeUndefined();
  });

  it("malformed leader data and peer data are dropped and logged, never used", async () => {
    const world = new FakeWorld(2);
    world.juju.leaderBag["cluster-token"] = "$(reboot)";
    Object.assign(world.juju.bag(world.peerRelation, "etcd/1"), { "peer-url": "http://evil:2380;rm -rf /" });
    const lines: string[] = [];
    const capture = (await import("pino")).pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    const juju = await JujuState.read(new HookTools(world.juju.runner("etcd/0")), "etcd/0", capture);
    expect(juju.facts.leaderData.token).toBeUndefined();
    expect(juju.facts.peers[0]?.peerUrl).toBeUndefined();
    expect(lines.map((line) => JSON.parse(line) as { key: string; msg: string })).toEqual([
      expect.objectContaining({ key: "cluster-token", msg: "ignoring malformed data" }),
      expect.objectContaining({ key: "peer-url", msg: "ignoring malformed data" }),
    ]);
  });
});
