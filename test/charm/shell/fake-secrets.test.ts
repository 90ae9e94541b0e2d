import { describe, expect, it } from "vitest";
import { HookTools } from "../../../src/juju/client.js";
import { FakeJuju } from "./fake-juju.js";

/**
 * The fake's secrets keep Juju's rules (juju-interfaces-and-features.md §6), spoken through the charm's own
 * client: what the shell tests prove about a failed hook is only as good as this.
 */

function model() {
  const juju = new FakeJuju();
  juju.addUnit("etcd/0", "10.0.0.10");
  juju.addUnit("etcd/1", "10.0.0.11");
  return { juju, leader: new HookTools(juju.runner("etcd/0")), other: new HookTools(juju.runner("etcd/1")) };
}

describe("the fake world's Juju secrets", () => {
  it("application-owned: only the leader adds one", async () => {
    const { other } = model();
    await expect(other.secretAdd({ certificate: "c" }, { label: "tls-ca" })).rejects.toThrow("this unit is not the leader");
  });

  it("a new secret is visible to its own hook at once and to other units once the hook commits", async () => {
    const { juju, leader, other } = model();
    const id = await leader.secretAdd({ certificate: "cert", "private-key": "key" }, { label: "tls-ca", description: "the CA" });
    expect(id).toMatch(/^secret:[0-9a-v]{20}$/);
    expect(await leader.secretGet({ id })).toEqual({ certificate: "cert", "private-key": "key" });
    expect(await leader.secretIdByLabel("tls-ca")).toBe(id);
    expect(await other.secretGet({ id })).toBeUndefined();
    juju.commit("etcd/0");
    expect(await other.secretGet({ id })).toEqual({ certificate: "cert", "private-key": "key" });
    expect(await other.secretGet({ label: "tls-ca" })).toEqual({ certificate: "cert", "private-key": "key" });
    // Metadata answers the owner only: for an application's secret, its leader.
    expect(await other.secretIdByLabel("tls-ca")).toBeUndefined();
    await expect(leader.secretAdd({ certificate: "again" }, { label: "tls-ca" })).rejects.toThrow("secret label already exists");
  });

  it("a failed hook leaves no secret it added and removes none it removed", async () => {
    const { juju, leader } = model();
    const kept = await leader.secretAdd({ certificate: "kept" }, { label: "kept" });
    juju.commit("etcd/0");
    const dropped = await leader.secretAdd({ certificate: "dropped" }, { label: "dropped" });
    await leader.secretRemove(kept);
    juju.discard("etcd/0");
    expect(await leader.secretGet({ id: dropped })).toBeUndefined();
    expect(await leader.secretGet({ id: kept })).toEqual({ certificate: "kept" });
    await leader.secretRemove(kept);
    juju.commit("etcd/0");
    expect(await leader.secretGet({ id: kept })).toBeUndefined();
  });

  it("content keys follow Juju's rule", async () => {
    const { leader } = model();
    await expect(leader.secretAdd({ ab: "x" }, { label: "short" })).rejects.toThrow('key "ab" not valid');
  });

  it("relation-list --app names the application on the other side", async () => {
    const { juju, leader } = model();
    const db = juju.addRelation("db", ["kube-apiserver/0"]);
    expect(await leader.relationRemoteApp(db)).toBe("kube-apiserver");
  });
});
