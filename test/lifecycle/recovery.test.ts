import { open, readdir } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import { unitRoot } from "../../soak/cluster.js";
import { hookErrors } from "../../soak/report.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";
import { type ClientCredentialFiles, LocalModelFixture, testCharm } from "../local-model/harness.js";

oneClusterFileAtATime();

/**
 * Restore on a three-unit cluster of the packed charm with real etcd (issue: data safety): a corrupted snapshot is
 * refused with the cluster untouched; a sound one, with force=true, brings back exactly the keys it holds (those
 * written after it are gone), every unit rejoins as a voting member with its old data moved aside, the consumer
 * keeps working, and scaling out and in work afterwards.
 */

const SUBNET = "127.0.75";
const charm = inject("packedCharms")["24.04"]!;
const address = (unit: string) => `${SUBNET}.${11 + Number(unit.split("/")[1])}`;

describe("restore from a snapshot", { timeout: 900_000 }, () => {
  let m: LocalModelFixture;
  let files: ClientCredentialFiles;
  let leader = "";
  beforeAll(async () => {
    m = await LocalModelFixture.create(SUBNET, 11, ["--timeout", "300"]);
    await m.ok("deploy", charm, "-n", "3");
    await m.ok("deploy", testCharm("etcd-consumer"), "consumer");
    await m.ok("integrate", "consumer:db", "etcd:db");
    const units = (await m.status()).applications.etcd?.units ?? {};
    leader = Object.keys(units).find((unit) => units[unit]?.leader) ?? "";
    files = await m.etcdClientCredentials(leader);
  });
  afterAll(async () => {
    await m?.destroy();
  });

  const endpoints = async () => {
    const units = Object.keys((await m.status()).applications.etcd?.units ?? {});
    return units.map((unit) => `https://${address(unit)}:2379`).join(",");
  };
  const etcdctl = async (...args: string[]) =>
    execa("etcdctl", [`--endpoints=${await endpoints()}`, "--command-timeout=20s", ...tlsFlags(files), ...args], { env: { ETCDCTL_API: "3" }, reject: false });
  const run = async (unit: string, action: string, ...params: string[]) => {
    const out = await m.run("run", unit, action, ...params, "--format=json");
    const parsed = JSON.parse(out.stdout || "{}") as Record<string, { status?: string; message?: string; results?: Record<string, unknown> }>;
    return parsed[unit] ?? {};
  };
  const keys = async (prefix: string) => {
    const out = await etcdctl("get", "--prefix", prefix, "-w", "json");
    const kvs = (JSON.parse(String(out.stdout) || "{}") as { kvs?: Array<{ key: string; value: string }> }).kvs ?? [];
    return Object.fromEntries(kvs.map((kv) => [Buffer.from(kv.key, "base64").toString(), Buffer.from(kv.value, "base64").toString()]));
  };
  const members = async () =>
    ((JSON.parse(String((await etcdctl("member", "list", "-w", "json")).stdout)) as { members: Array<{ name: string; isLearner?: boolean }> }).members ?? [])
      .map((member) => `${member.name}${member.isLearner ? " (learner)" : ""}`)
      .sort();

  it("refuses a corrupted snapshot and a restore without force=true, changing nothing; with force=true restores exactly the snapshot's keys", async () => {
    for (let i = 0; i < 30; i++) expect((await etcdctl("put", `before/${i}`, `v${i}`)).exitCode).toBe(0);
    const first = await run(leader, "snapshot");
    expect(first.status, JSON.stringify(first)).toBe("completed");
    expect((await etcdctl("put", "between", "kept")).exitCode).toBe(0);
    const second = await run(leader, "snapshot");
    expect(second.status, JSON.stringify(second)).toBe("completed");
    const kept = second.results as Record<string, string>;
    for (let i = 0; i < 20; i++) expect((await etcdctl("put", `after/${i}`, `w${i}`)).exitCode).toBe(0);
    expect((await etcdctl("put", "before/0", "changed")).exitCode).toBe(0);

    // A byte changed in the middle of the first snapshot: etcd's hash no longer matches.
    const corrupted = path.join(unitRoot(m.dir, leader), String((first.results as Record<string, string>).path));
    const handle = await open(corrupted, "r+");
    await handle.write(Buffer.from("corrupted"), 0, 9, 4096);
    await handle.close();
    const refused = await run(leader, "restore", `snapshot=${(first.results as Record<string, string>).name}`, "force=true");
    expect(refused).toMatchObject({ status: "failed", message: expect.stringMatching(/^snapshot \S+ does not verify \(.+\); nothing was changed$/) });
    const unforced = await run(leader, "restore", `snapshot=${kept.name}`);
    expect(unforced).toMatchObject({ status: "failed", message: expect.stringContaining("every key written since is lost. Run it again with force=true") });
    expect(await members()).toEqual(["etcd0", "etcd1", "etcd2"]);
    expect(Object.keys(await keys("after/"))).toHaveLength(20);
    const notLeader = Object.keys((await m.status()).applications.etcd?.units ?? {}).find((unit) => unit !== leader) ?? "";
    expect(await run(notLeader, "restore", `snapshot=${kept.name}`, "force=true")).toMatchObject({
      status: "failed",
      message: expect.stringContaining("leader"),
    });

    const restored = await run(leader, "restore", `snapshot=${kept.name}`, "force=true");
    expect(restored.status, JSON.stringify(restored)).toBe("completed");
    expect(restored.results).toMatchObject({ snapshot: kept.name, revision: kept.revision });
    await m.ok("wait");

    expect(await members()).toEqual(["etcd0", "etcd1", "etcd2"]);
    expect(await keys("after/")).toEqual({});
    expect(await keys("between")).toEqual({ between: "kept" });
    const before = await keys("before/");
    expect(Object.keys(before)).toHaveLength(30);
    expect(before["before/0"]).toBe("v0");
    // Every unit's previous data is beside its data dir, not deleted.
    for (const unit of ["etcd/0", "etcd/1", "etcd/2"]) {
      const dir = path.join(unitRoot(m.dir, unit), "var", "lib", "etcd");
      expect(
        (await readdir(dir)).filter((name) => name.startsWith("member-data.removed-")),
        unit,
      ).toHaveLength(1);
    }
    // Each unit's status follows the others' joins through its own hooks (leader data, peer data).
    const settled = async () =>
      Object.values((await m.status()).applications.etcd?.units ?? {}).every(
        (state) => state["workload-status"].current === "active" && state["workload-status"].message?.startsWith("3 members, healthy"),
      );
    for (let i = 0; i < 60 && !(await settled()); i++) await new Promise((resolve) => setTimeout(resolve, 1000));
    const status = await m.status();
    for (const [unit, state] of Object.entries(status.applications.etcd?.units ?? {})) {
      expect(state["workload-status"], unit).toMatchObject({ current: "active", message: expect.stringMatching(/^3 members, healthy/) });
    }
    expect(await m.ok("run", "consumer/0", "put", "key=after-restore", "value=ok")).toContain("OK");
    expect(hookErrors(await m.debugLog()).genuine).toEqual([]);
  });

  it("after a restore, add-unit and remove-unit work as before", async () => {
    await m.ok("add-unit", "etcd");
    expect(await members()).toEqual(["etcd0", "etcd1", "etcd2", "etcd3"]);
    await m.ok("remove-unit", "etcd/1");
    expect(await members()).toEqual(["etcd0", "etcd2", "etcd3"]);
    expect(await keys("between")).toEqual({ between: "kept" });
    expect(hookErrors(await m.debugLog()).genuine).toEqual([]);
  });
});
