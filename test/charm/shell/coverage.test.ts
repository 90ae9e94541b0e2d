import { describe, expect, it } from "vitest";
import { ACTION_KINDS } from "../../../src/charm/actions.js";
import { FakeProvider } from "./fake-provider.js";
import { FakeWorld } from "./fake-world.js";

describe("the shell tests reach every action decide can choose", () => {
  it("one model's life runs each action kind through act against the fake world", async () => {
    const world = new FakeWorld(2);
    const run = async (unit: string, hook: string, env: Record<string, string> = {}) => {
      expect((await world.hook(unit, hook, env)).error).toBeUndefined();
    };
    await world.deploy(); // install, claim-bootstrap, write-files, start, publish-peer, record-members, add-learner, promote
    world.juju.addRelation("db", ["kube-apiserver/0"]);
    await run("etcd/1", "db-relation-joined", {
      JUJU_RELATION: "db",
      JUJU_RELATION_ID: "db:2",
      JUJU_REMOTE_UNIT: "kube-apiserver/0",
      JUJU_REMOTE_APP: "kube-apiserver",
    });
    await run("etcd/0", "update-status"); // issue-client-credentials (the leader), then publish-consumers
    const everyUnit = async (rounds: number, between: () => Promise<unknown> = async () => {}) => {
      for (let round = 0; round < rounds; round++) {
        await between();
        for (const unit of world.machines.keys()) await run(unit, "update-status");
      }
    };
    await everyUnit(2); // record-client-secrets
    expect((await world.action("etcd/0", "rotate-ca")).error).toBeUndefined();
    await everyUnit(6); // write-trust, issue-member-certificate, reissue-client-credentials, publish-trust
    const provider = await FakeProvider.create(world.clock.now());
    const certificates = world.juju.addRelation("certificates", ["self-signed-certificates/0"]);
    // request-member-certificate, request-client-certificates, install-member-certificate, install-client-certificate
    await everyUnit(8, () => provider.reconcile(world.juju, certificates, world.clock.now()));
    world.juju.relations.delete(certificates);
    await everyUnit(6);
    world.juju.relations.delete("db:2");
    await run("etcd/0", "update-status"); // drop-client-credentials
    world.juju.config["snapshot-interval"] = "1h";
    await run("etcd/0", "update-status"); // take-scheduled-snapshot
    world.juju.config["snapshot-interval"] = "off";
    const s3 = world.juju.addRelation("s3-credentials", ["s3-integrator/0"]);
    await run("etcd/0", "update-status"); // request-s3-bucket
    world.juju.relations.delete(s3);
    world.cluster.leaderId = undefined;
    world.clock.sleep = async (ms) => {
      world.clock.current += ms;
      world.cluster.elect();
    };
    await run("etcd/1", "update-status"); // await-election
    await world.cluster.addLearner(["https://10.0.0.10:2379"], "ghost", "http://10.0.0.99:2380");
    await run("etcd/0", "update-status"); // note-unclaimed-learners
    world.clock.current += 300_000;
    await run("etcd/0", "update-status"); // remove-member (the stranded learner)
    const one = world.cluster.snapshot().find((m) => m.name === "etcd1");
    await world.cluster.remove(one?.clientUrls ?? [], one?.id ?? "");
    await run("etcd/1", "update-status"); // set-aside-member-data, then it joins afresh
    await run("etcd/1", "data-storage-detaching"); // remove-member (self), stop
    await run("etcd/1", "data-storage-attached"); // rejoin, set-aside-member-data, add-learner
    world.juju.leaderBag.restoring = "etcd-snapshot-20261201T070000Z-rev42.db";
    await run("etcd/0", "update-status"); // end-restore
    world.addUnit();
    await run("etcd/2", "install");
    await run("etcd/1", "pre-series-upgrade", { JUJU_TARGET_BASE: "ubuntu@26.04" }); // pause-for-machine-upgrade
    // refuse: a second member stopping now would cost the cluster its majority.
    expect((await world.hook("etcd/2", "pre-series-upgrade", { JUJU_TARGET_BASE: "ubuntu@26.04" })).error).toMatch(/^cannot stop etcd/);
    await run("etcd/1", "post-series-upgrade");
    const departed = { JUJU_RELATION: "cluster", JUJU_RELATION_ID: world.peerRelation, JUJU_REMOTE_APP: "etcd" };
    world.cluster.leaderId = world.cluster.snapshot().find((m) => m.name === "etcd2")?.id;
    // record-departed, move-leader (away from the departed unit's member), remove-member
    await run("etcd/0", "cluster-relation-departed", { ...departed, JUJU_REMOTE_UNIT: "etcd/2", JUJU_DEPARTING_UNIT: "etcd/2" });
    await run("etcd/0", "stop"); // remove-member (self), then stop below
    await run("etcd/1", "stop");
    const seen = new Set(world.logLines.flatMap((line) => (typeof line.action === "string" ? [line.action] : [])));
    expect([...seen].sort()).toEqual([...ACTION_KINDS].sort());
  });
});
