import { describe, expect, it } from "vitest";
import { FakeWorld } from "./fake-world.js";

/**
 * Consumers' client identities over the fake world: the leader makes one per relation in a secret, and puts
 * its id in leader data only in a later hook, once Juju has committed the secret (secrets apply with their hook,
 * leader data at once: juju-interfaces-and-features.md §6.6); and drops them only outside relation-broken.
 */

const dbEnv = (relationId: string, kind: string): Record<string, string> => ({
  JUJU_RELATION: "db",
  JUJU_RELATION_ID: relationId,
  JUJU_REMOTE_APP: "kube-apiserver",
  ...(kind === "broken" ? {} : { JUJU_REMOTE_UNIT: "kube-apiserver/0" }),
});

const clientSecrets = (world: FakeWorld) => [...world.juju.secrets.values()].filter((secret) => secret.label?.startsWith("tls-client-"));

describe("a consumer relation's client identity", () => {
  it("is made in one leader hook and reaches leader data only in the leader's next hook (record-client-secrets)", async () => {
    const world = await FakeWorld.converged(3);
    const db = world.juju.addRelation("db", ["kube-apiserver/0"]);
    const number = db.split(":")[1] ?? "";

    const made = await world.hook("etcd/0", "db-relation-joined", dbEnv(db, "joined"));
    expect(made.error).toBeUndefined();
    expect(made.actions).toContain("issue-client-credentials");
    expect(made.actions).not.toContain("record-client-secrets");
    expect(world.juju.leaderBag[`tls-client-${number}`]).toBeUndefined();
    const [secret, ...more] = clientSecrets(world);
    expect(more).toEqual([]);
    // The value names the secret, the CA that issued the certificate and when it is renewed (s since the epoch).
    const value = JSON.parse(world.juju.unitState.get("etcd/0")?.["pending-client-secrets"] ?? "{}")[number] as string;
    expect(value).toMatch(new RegExp(`^${secret?.id},[0-9a-f]{16},[0-9]+$`));
    // The leader publishes the identity it made at once; the others wait for leader data.
    expect(world.juju.bag(db, "etcd/0").client_cert).toBe(secret?.content.certificate);
    expect((await world.hook("etcd/1", "db-relation-joined", dbEnv(db, "joined"))).error).toBeUndefined();
    expect(world.juju.bag(db, "etcd/1").client_cert).toBeUndefined();

    const next = await world.hook("etcd/0", "update-status");
    expect(next.error).toBeUndefined();
    expect(next.actions).toEqual(["record-client-secrets"]);
    expect(world.juju.leaderBag[`tls-client-${number}`]?.split(",")[0]).toBe(secret?.id);
    expect(world.juju.unitState.get("etcd/0")?.["pending-client-secrets"]).toBeUndefined();
    expect((await world.hook("etcd/1", "leader-settings-changed")).error).toBeUndefined();
    expect(world.juju.bag(db, "etcd/1")).toMatchObject({ client_cert: secret?.content.certificate, client_key: secret?.content["private-key"] });
    // Nothing more to do.
    expect((await world.hook("etcd/0", "update-status")).actions).toEqual([]);
  });

  it("of a relation that ended before the leader's next hook is recorded and then removed, secret and all", async () => {
    const world = await FakeWorld.converged(3);
    const db = world.juju.addRelation("db", ["kube-apiserver/0"]);
    expect((await world.hook("etcd/0", "db-relation-joined", dbEnv(db, "joined"))).error).toBeUndefined();
    expect(clientSecrets(world)).toHaveLength(1);
    world.juju.relations.delete(db);

    const next = await world.hook("etcd/0", "update-status");
    expect(next.error).toBeUndefined();
    expect(next.actions).toEqual(["record-client-secrets", "drop-client-credentials"]);
    expect(clientSecrets(world)).toEqual([]);
    expect(Object.keys(world.juju.leaderBag).filter((key) => key.startsWith("tls-client-"))).toEqual([]);
  });

  it("is dropped by nothing in a relation-broken hook on the leader (a unit being removed runs it while the relation lives on); a later hook drops it", async () => {
    const world = await FakeWorld.converged(3);
    const db = world.juju.addRelation("db", ["kube-apiserver/0"]);
    const number = db.split(":")[1] ?? "";
    expect((await world.hook("etcd/0", "db-relation-joined", dbEnv(db, "joined"))).error).toBeUndefined();
    expect((await world.hook("etcd/0", "update-status")).actions).toEqual(["record-client-secrets"]);
    const [secret] = clientSecrets(world);
    world.juju.relations.delete(db);

    const broken = await world.hook("etcd/0", "db-relation-broken", dbEnv(db, "broken"));
    expect(broken.error).toBeUndefined();
    expect(broken.actions).not.toContain("drop-client-credentials");
    expect(broken.calls.map((call) => call.tool)).not.toContain("secret-remove");
    expect(clientSecrets(world).map((s) => s.id)).toEqual([secret?.id]);
    expect(world.juju.leaderBag[`tls-client-${number}`]?.split(",")[0]).toBe(secret?.id);

    const later = await world.hook("etcd/0", "update-status");
    expect(later.actions).toEqual(["drop-client-credentials"]);
    expect(clientSecrets(world)).toEqual([]);
    expect(world.juju.leaderBag[`tls-client-${number}`]).toBeUndefined();
  });
});
