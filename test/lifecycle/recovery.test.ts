import { copyFile, open, readdir } from "node:fs/promises";
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
 * Recovery on a three-unit cluster of the packed charm with real etcd (issue: data safety). Restore: a corrupted
 * snapshot is refused with the cluster untouched; a sound one, with force=true, brings back exactly the keys it
 * holds (those written after it are gone), every unit rejoins as a voting member with its old data moved aside,
 * and the consumer keeps working. Then two machines are lost: the survivor says so and names rebuild-cluster, which
 * keeps every acknowledged key; new units join it, and scaling in works.
 */

const SUBNET = "127.0.75";
const charm = inject("packedCharms")["24.04/amd64"];
const address = (unit: string) => `${SUBNET}.${11 + Number(unit.split("/")[1])}`;

describe("recovery: restore from a snapshot, rebuild after a lost majority", { timeout: 900_000 }, () => {
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
  const etcdctlAt = (at: string, ...args: string[]) =>
    execa("etcdctl", [`--endpoints=${at}`, "--command-timeout=20s", ...tlsFlags(files), ...args], { env: { ETCDCTL_API: "3" }, reject: false });
  const etcdctl = async (...args: string[]) => etcdctlAt(await endpoints(), ...args);
  /** Writes `count` keys `<prefix><i>` = `<value><i>` through the current members; the acknowledged ones. */
  const putMany = async (count: number, prefix: string, value: string) => {
    const at = await endpoints();
    const acknowledged = new Map<string, string>();
    for (let i = 0; i < count; i++) {
      if ((await etcdctlAt(at, "put", `${prefix}${i}`, `${value}${i}`)).exitCode === 0) acknowledged.set(`${prefix}${i}`, `${value}${i}`);
    }
    return acknowledged;
  };
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
    expect((await putMany(30, "before/", "v")).size).toBe(30);
    const first = await run(leader, "snapshot");
    expect(first.status, JSON.stringify(first)).toBe("completed");
    expect((await etcdctl("put", "between", "kept")).exitCode).toBe(0);
    const second = await run(leader, "snapshot");
    expect(second.status, JSON.stringify(second)).toBe("completed");
    const kept = second.results as Record<string, string>;
    expect((await putMany(20, "after/", "w")).size).toBe(20);
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

    // The snapshot goes back in as an operator's file: the charm's `snapshot` resource.
    expect(await run(leader, "restore", "snapshot=resource", "force=true")).toMatchObject({
      status: "failed",
      message: "no snapshot resource is attached (juju attach-resource etcd snapshot=./file.db); nothing was changed",
    });
    const upload = path.join(m.dir, "operator-snapshot.db");
    await copyFile(path.join(unitRoot(m.dir, leader), kept.path ?? ""), upload);
    await m.ok("attach-resource", "etcd", `snapshot=${upload}`);
    const restored = await run(leader, "restore", "snapshot=resource", "force=true");
    expect(restored.status, JSON.stringify(restored)).toBe("completed");
    expect(restored.results).toMatchObject({ revision: kept.revision });
    const imported = (await run(leader, "list-snapshots")).results?.snapshots as Record<string, Record<string, string>>;
    expect(Object.values(imported).find((s) => s.name === (restored.results as Record<string, string>).snapshot)).toMatchObject({
      member: "attached resource",
      revision: kept.revision,
    });
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

  it("after a restore, two machines lost: the survivor is blocked naming rebuild-cluster; rebuilt, it keeps every acknowledged key, takes new units; a removed unit's data storage given to a new unit", async () => {
    const acknowledged = await putMany(20, "acked/", "a");
    expect(acknowledged.size).toBe(20);
    const units = Object.keys((await m.status()).applications.etcd?.units ?? {}).sort();
    expect(await run(units[0]!, "rebuild-cluster", "force=true")).toMatchObject({
      status: "failed",
      message:
        "a majority of the voting members answers (3 of 3): the cluster is not lost. Remove units that are gone with juju remove-unit instead. Nothing was changed",
    });
    expect(await members()).toEqual(["etcd0", "etcd1", "etcd2"]);

    // The Juju leader's machine is among those lost. The survivor has applied every acknowledged write first:
    // a write acknowledged by the two lost members alone would be gone with them, whatever the charm did.
    const survivor = units.find((unit) => unit !== leader) ?? "";
    const lost = units.filter((unit) => unit !== survivor);
    const revision = async (unit: string) => {
      const out = await execa("etcdctl", [`--endpoints=https://${address(unit)}:2379`, ...tlsFlags(files), "endpoint", "status", "-w", "json"], {
        env: { ETCDCTL_API: "3" },
        reject: false,
      });
      return (JSON.parse(String(out.stdout) || "[]") as Array<{ Status: { header: { revision: number } } }>)[0]?.Status.header.revision ?? -1;
    };
    for (let i = 0; i < 20 && (await revision(survivor)) < (await revision(leader)); i++) await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await revision(survivor)).toBe(await revision(leader));

    // Cut off from every other machine, then removed at once with their storage, no hook of theirs run: machines
    // gone for good, as an operator clears them away (the README's runbook). A survivor's hook that sees only
    // members whose units have left reports at once.
    for (const unit of lost) await m.ok("partition", unit);
    const removing = Date.now();
    await m.ok("remove-unit", ...lost, "--force", "--no-wait", "--destroy-storage");
    const removalMs = Date.now() - removing;
    const blocked = (await m.status()).applications.etcd?.units?.[survivor]?.["workload-status"];
    expect(blocked).toEqual(
      expect.objectContaining({
        current: "blocked",
        message: `the cluster has lost its majority: 1 of 3 voting members answer, and etcd serves nothing until a majority is back; if the others are gone for good, run rebuild-cluster force=true on ${survivor}`,
      }),
    );
    const unforced = await run(survivor, "rebuild-cluster");
    expect(unforced).toMatchObject({ status: "failed", message: expect.stringContaining("Run it only if their machines are gone for good, with force=true") });

    const rebuilt = await run(survivor, "rebuild-cluster", "force=true");
    expect(rebuilt.status, JSON.stringify(rebuilt)).toBe("completed");
    expect(rebuilt.results).toMatchObject({ member: survivor.replace("/", ""), "dropped-members": lost.map((unit) => unit.replace("/", "")).join(",") });
    const copy = path.join(unitRoot(m.dir, survivor), String((rebuilt.results as Record<string, string>)["previous-data"]));
    expect((await readdir(path.join(copy, "member"))).sort()).toEqual(["snap", "wal"]);
    await m.ok("add-unit", "etcd", "-n", "2");
    expect(await members()).toEqual([survivor.replace("/", ""), "etcd3", "etcd4"].sort());
    const stored = await keys("acked/");
    expect([...acknowledged].filter(([key, value]) => stored[key] !== value).map(([key]) => key)).toEqual([]);
    expect(await m.ok("run", "consumer/0", "put", "key=after-rebuild", "value=ok")).toContain("OK");

    // Storage reuse: etcd/3 removed keeping its data storage (it leaves the cluster first), a new unit given that
    // storage moves the departed member's data aside and joins afresh, serving the same keys.
    const dataOf = async (unit: string) => {
      const all = (JSON.parse(await m.ok("storage", "--format", "json")) as { storage?: Record<string, { attachments?: { units: Record<string, unknown> } }> })
        .storage;
      return Object.keys(all ?? {}).find((id) => id.startsWith("data/") && all?.[id]?.attachments?.units[unit] !== undefined) ?? "";
    };
    const kept = await dataOf("etcd/3");
    expect(kept).toMatch(/^data\/\d+$/);
    await m.ok("remove-unit", "etcd/3");
    expect(await members()).toEqual([survivor.replace("/", ""), "etcd4"].sort());
    await m.ok("add-unit", "etcd", "--attach-storage", kept);
    expect(await dataOf("etcd/5")).toBe(kept);
    expect(await members()).toEqual([survivor.replace("/", ""), "etcd4", "etcd5"].sort());
    const dataDir = path.join(unitRoot(m.dir, "etcd/5"), "var", "lib", "etcd");
    expect((await readdir(dataDir)).filter((name) => name.startsWith("member-data.removed-"))).toHaveLength(1);
    const reused = await execa("etcdctl", [`--endpoints=https://${address("etcd/5")}:2379`, ...tlsFlags(files), "get", "--prefix", "acked/", "--keys-only"], {
      env: { ETCDCTL_API: "3" },
      reject: false,
    });
    expect(String(reused.stdout).split("\n").filter(Boolean)).toHaveLength(20);
    expect(await keys("between")).toEqual({ between: "kept" });
    expect(hookErrors(await m.debugLog()).genuine, `the lost units' removal took ${removalMs} ms`).toEqual([]);
  });
});
