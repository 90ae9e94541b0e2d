import { describe, expect, it } from "vitest";
import { HANDLED_HOOKS } from "../../../src/names.js";
import { readCertificate } from "../../../src/tls/inspect.js";
import { FakeWorld } from "./fake-world.js";

const converged = async () => {
  const world = new FakeWorld(3);
  await world.deploy();
  const db = world.juju.addRelation("db", ["kube-apiserver/0"]);
  const proxy = world.juju.addRelation("proxy", ["flannel/0"]);
  // Two rounds: the leader makes the relations' client identities, and publishes them to leader data only in its
  // next hook, once their secrets are committed; the other units publish them after that.
  for (let round = 0; round < 2; round++) for (const unit of world.machines.keys()) await world.hook(unit, "config-changed");
  return { world, db, proxy };
};

/** What Juju sets for a hook of each kind on etcd/1 (contract §1.3). */
function environment(hook: string, relations: { cluster: string; db: string; proxy: string }): Record<string, string> {
  const match = /^(cluster|db|proxy)-relation-(\w+)$/.exec(hook);
  if (!match) return {};
  const [, endpoint = "", kind = ""] = match;
  const remote = { cluster: "etcd/2", db: "kube-apiserver/0", proxy: "flannel/0" }[endpoint] ?? "";
  const env: Record<string, string> = {
    JUJU_RELATION: endpoint,
    JUJU_RELATION_ID: relations[endpoint as keyof typeof relations],
    JUJU_REMOTE_APP: remote.split("/")[0] ?? "",
  };
  if (kind !== "created" && kind !== "broken") env.JUJU_REMOTE_UNIT = remote;
  if (kind === "departed") env.JUJU_DEPARTING_UNIT = "etcd/9";
  return env;
}

describe("consumers", () => {
  it("db gets every voter's client URL and the version, proxy gets name=peerURL, in every etcd unit's bag, with the same client identity", async () => {
    const { world, db, proxy } = await converged();
    const clientCa = world.juju.leaderBag["tls-ca"];
    expect(clientCa).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    for (const [relation, consumer] of [
      [db, "kube-apiserver"],
      [proxy, "flannel"],
    ] as const) {
      // One identity per relation, named after the consuming application, the same in every unit's bag.
      const bags = ["etcd/0", "etcd/1", "etcd/2"].map((unit) => world.juju.bag(relation, unit));
      const cert = bags[0]?.client_cert ?? "";
      // The proxy's identity names the peer host (etcd's v2 proxy reads the member list from the peer port,
      // which admits only that name); the db's does not, so the peer port refuses it (src/charm/tls.ts).
      const dnsNames = consumer === "flannel" ? ["etcd.etcd-peer"] : [];
      expect(readCertificate(cert)).toMatchObject({ commonName: undefined, organization: consumer, dnsNames });
      for (const bag of bags) expect(bag).toMatchObject({ client_ca: clientCa, client_cert: cert, client_key: expect.stringContaining("PRIVATE KEY") });
    }
    for (const unit of ["etcd/0", "etcd/1", "etcd/2"]) {
      expect(world.juju.bag(db, unit)).toMatchObject({
        connection_string: "https://10.0.0.10:2379,https://10.0.0.11:2379,https://10.0.0.12:2379",
        version: "3.4.23",
      });
      expect(world.juju.bag(proxy, unit)).toMatchObject({
        cluster: "etcd0=https://10.0.0.10:2380,etcd1=https://10.0.0.11:2380,etcd2=https://10.0.0.12:2380",
      });
    }
  });

  it("a consumer's hostile data changes nothing: the charm never reads it", async () => {
    const { world, db } = await converged();
    Object.assign(world.juju.bag(db, "kube-apiserver/0"), { connection_string: "$(reboot)", "x\n[Service]": "ExecStart=/bin/sh" });
    const run = await world.hook("etcd/1", "db-relation-changed", environment("db-relation-changed", { cluster: world.peerRelation, db, proxy: "" }));
    expect(run).toMatchObject({ error: undefined, jujuWrites: [], machineWrites: [], etcdOperations: [] });
  });
});

describe("every hook the charm handles converges the same way", () => {
  // The certificates and s3-credentials relations' hooks have their own tests (certificates.test.ts,
  // s3-copies.test.ts): those relations change what a unit does.
  // Teardown (stop, remove, data-storage-detaching: the unit leaves the cluster) is tested in departures.test.ts,
  // pre-series-upgrade (the member stops for its machine's upgrade) in machine-upgrade.test.ts.
  it.each(
    HANDLED_HOOKS.filter(
      (hook) =>
        hook !== "stop" &&
        hook !== "remove" &&
        hook !== "data-storage-detaching" &&
        hook !== "pre-series-upgrade" &&
        !hook.endsWith("-departed") &&
        !hook.startsWith("certificates-") &&
        !hook.startsWith("s3-credentials-"),
    ),
  )("%s on a converged unit writes nothing, restarts nothing and reports the cluster", async (hook) => {
    const { world, db, proxy } = await converged();
    const run = await world.hook("etcd/1", hook, environment(hook, { cluster: world.peerRelation, db, proxy }));
    expect(run).toMatchObject({ error: undefined, actions: [], jujuWrites: [], machineWrites: [], etcdOperations: [] });
    expect(world.status("etcd/1")).toBe("active: 3 members, healthy, raft leader etcd/0");
  });
});

describe("the health action", () => {
  it("reports every member and the raft leader, and does not fail on a healthy cluster", async () => {
    const { world } = await converged();
    const run = await world.action("etcd/2", "health");
    expect(run.error).toBeUndefined();
    expect(world.juju.actionFailure).toBeUndefined();
    expect(world.juju.actionResults).toMatchObject({
      verdict: "healthy",
      summary: "healthy: 3 members, raft leader etcd0",
      "raft-leader": "etcd0",
      "members.etcd1.client-url": "https://10.0.0.11:2379",
      "members.etcd1.healthy": "true",
      "members.etcd0.raft-leader": "true",
    });
  });

  it("fails with the reason when the local member does not answer", async () => {
    const { world } = await converged();
    world.cluster.stopped("https://10.0.0.12:2379");
    await world.action("etcd/2", "health");
    expect(world.juju.actionFailure).toBe("etcd is not running on etcd/2: no answer from https://10.0.0.12:2379 (context deadline exceeded)");
  });

  it("fails on a unit where etcd was never configured", async () => {
    const world = new FakeWorld(1);
    await world.action("etcd/0", "health");
    expect(world.juju.actionFailure).toBe("etcd is not running on etcd/0: etcd has not been configured on this unit yet");
  });
});
