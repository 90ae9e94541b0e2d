import { describe, expect, it } from "vitest";
import { certificateFingerprint } from "../../../src/etcd/tls-files.js";
import { etcdPaths } from "../../../src/etcd/paths.js";
import { isIssuedBy, pemBlocks } from "../../../src/tls/inspect.js";
import { FakeProvider } from "./fake-provider.js";
import { FakeWorld } from "./fake-world.js";
import { settle, UNITS, watchRestarts } from "./settle.js";

/**
 * Changing the CA a running cluster uses, over the fake world: rotate-ca, a tls-certificates provider related
 * and removed again. Each is rolling (every member trusts the new CA, then moves to it, then the old one is
 * dropped), never below quorum, and ends with members, consumers' identities and trust all on one CA.
 */

const paths = etcdPaths("/");
const fingerprints = (bundle: string | undefined) => pemBlocks(bundle ?? "", "CERTIFICATE").map((pem) => certificateFingerprint(pem));

/** Runs update-status everywhere, with the provider answering between rounds, until nothing changes. */
async function settleWithProvider(world: FakeWorld, provider: FakeProvider, relationId: string | undefined, rounds = 12): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const issued = relationId ? await provider.reconcile(world.juju, relationId, world.clock.now()) : 0;
    let changed = issued > 0;
    for (const unit of world.machines.keys()) {
      const run = await world.hook(unit, "update-status");
      expect(run.error, `${unit} update-status`).toBeUndefined();
      changed ||= run.jujuWrites.length + run.machineWrites.length + run.etcdOperations.length > 0;
    }
    if (!changed) return;
  }
  throw new Error(`no convergence after ${rounds} rounds`);
}

/** The cluster is wholly on one CA: trust, every member certificate, the consumer's identity in every bag. */
function expectAllOn(world: FakeWorld, db: string, caPem: string): void {
  const bundle = world.juju.leaderBag["tls-ca"];
  expect(fingerprints(bundle)).toEqual([certificateFingerprint(caPem)]);
  for (const unit of UNITS) {
    const files = world.machine(unit).tls.files;
    expect(isIssuedBy(files.get(paths.certFile) ?? "", caPem), `${unit}'s certificate`).toBe(true);
    expect(files.get(paths.caFile)).toBe(bundle);
    const bag = world.juju.bag(db, unit);
    expect(isIssuedBy(bag.client_cert ?? "", caPem), `${unit}'s client_cert`).toBe(true);
    expect(bag.client_ca).toBe(bundle);
    expect(world.status(unit)).toBe("active: 3 members, healthy, raft leader etcd/0");
  }
}

async function deployedWithConsumer(): Promise<{ world: FakeWorld; db: string }> {
  const world = await FakeWorld.converged(3);
  const db = world.juju.addRelation("db", ["kube-apiserver/0"]);
  await settle(world, "config-changed");
  await settle(world);
  return { world, db };
}

describe("rotate-ca", () => {
  it("moves the cluster to a new CA: both trusted, members and the consumer's identity moved, the old CA dropped, quorum kept", async () => {
    const { world, db } = await deployedWithConsumer();
    const oldCa = world.juju.leaderBag["tls-own-ca"] ?? "";
    const oldKey = world.juju.bag(db, "etcd/1").client_key;
    const { othersAnswering } = watchRestarts(world);

    const rotated = await world.action("etcd/0", "rotate-ca");
    expect(rotated.error).toBeUndefined();
    expect(world.juju.actionFailure).toBeUndefined();
    const newCa = world.juju.leaderBag["tls-own-ca"] ?? "";
    expect(world.juju.actionResults).toMatchObject({ "old-ca": certificateFingerprint(oldCa), "new-ca": certificateFingerprint(newCa) });
    expect(fingerprints(world.juju.leaderBag["tls-ca"])).toEqual([certificateFingerprint(newCa), certificateFingerprint(oldCa)]);

    await settle(world, "leader-settings-changed");
    await settle(world, "update-status", 12);
    expectAllOn(world, db, newCa);
    // Each member restarted twice (trusting both CAs, then only the new one), one at a time, the others answering.
    expect(othersAnswering).toEqual([2, 2, 2, 2, 2, 2]);
    // The consumer keeps its key: a new CA is no reason to change it.
    expect(world.juju.bag(db, "etcd/1").client_key).toBe(oldKey);
  });

  it("is refused with the reason, changing nothing: on a non-leader, while a change of CA rolls out, while a provider is related", async () => {
    const { world } = await deployedWithConsumer();
    const before = { ...world.juju.leaderBag };
    await world.action("etcd/1", "rotate-ca");
    expect(world.juju.actionFailure).toMatch(/^run rotate-ca on the leader unit/);
    expect(world.juju.leaderBag).toEqual(before);

    await world.action("etcd/0", "rotate-ca");
    expect(world.juju.actionFailure).toBeUndefined();
    const rolling = { ...world.juju.leaderBag };
    await world.action("etcd/0", "rotate-ca");
    expect(world.juju.actionFailure).toMatch(/^a change of CA is still rolling out \(the cluster trusts 2 CAs/);
    expect(world.juju.leaderBag).toEqual(rolling);

    await settle(world, "update-status", 12);
    world.juju.addRelation("certificates", ["self-signed-certificates/0"]);
    const settled = { ...world.juju.leaderBag };
    await world.action("etcd/0", "rotate-ca");
    expect(world.juju.actionFailure).toMatch(/^the cluster's certificates come from the certificates relation's provider/);
    expect(world.juju.leaderBag).toEqual(settled);
  });
});

describe("the certificates relation (tls-certificates v4)", () => {
  it("moves members and consumers' identities to the provider's CA, and back to the charm's own CA when removed", async () => {
    const { world, db } = await deployedWithConsumer();
    const ownCa = world.juju.leaderBag["tls-own-ca"] ?? "";
    const provider = await FakeProvider.create(world.clock.now());
    const { othersAnswering } = watchRestarts(world);

    const certificates = world.juju.addRelation("certificates", ["self-signed-certificates/0"]);
    const joined = await world.hook("etcd/1", "certificates-relation-joined", {
      JUJU_RELATION: "certificates",
      JUJU_RELATION_ID: certificates,
      JUJU_REMOTE_APP: "self-signed-certificates",
      JUJU_REMOTE_UNIT: "self-signed-certificates/0",
    });
    expect(joined.error).toBeUndefined();
    expect(joined.actions).toContain("request-member-certificate");
    const [request] = JSON.parse(world.juju.bag(certificates, "etcd/1").certificate_signing_requests ?? "[]");
    expect(request).toEqual({
      certificate_signing_request: expect.stringMatching(/^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+-----END CERTIFICATE REQUEST-----$/),
      ca: false,
    });
    expect(world.status("etcd/1")).toBe("active: 3 members, healthy, raft leader etcd/0; waiting for the certificates provider");

    await settleWithProvider(world, provider, certificates);
    expectAllOn(world, db, provider.ca.certificatePem);
    // The consumer's request is in the application bag, named after the consuming application, with no CN.
    const appRequests = JSON.parse(world.juju.relations.get(certificates)?.bags.get("app:etcd")?.certificate_signing_requests ?? "[]");
    expect(appRequests).toHaveLength(1);

    world.juju.relations.delete(certificates);
    await settleWithProvider(world, provider, undefined);
    expectAllOn(world, db, ownCa);
    // Two changes of CA, each two rolling restarts of three members, never below quorum.
    expect(othersAnswering).toEqual(Array(12).fill(2));
  });
});
