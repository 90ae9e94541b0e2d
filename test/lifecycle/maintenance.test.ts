import { execa } from "execa";
import { createHash } from "node:crypto";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import { unitRoot } from "../../soak/cluster.js";
import { type ClientCredentialFiles, LocalModelFixture, testCharm } from "../local-model/harness.js";
import { startS3Server } from "../helpers/s3-server.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";

oneClusterFileAtATime();

/**
 * The maintenance actions on the packed charm with real etcd: a member whose database fills its quota raises
 * NOSPACE, the unit is blocked naming the way out, and deleting keys, compact, defrag and alarm-disarm bring it
 * back to active and writable. Bad parameters and a compaction that would drop recent history are refused.
 */

const SUBNET = "127.0.68";
const charm = inject("packedCharms")["24.04/amd64"];
const QUOTA = 104_857_600;

describe("maintenance: NOSPACE, compact, defrag, alarms, snapshots, S3 copies", { timeout: 600_000 }, () => {
  let m: LocalModelFixture;
  let files: ClientCredentialFiles;
  beforeAll(async () => {
    m = await LocalModelFixture.create(SUBNET, 3, ["--timeout", "300"]);
    await m.ok("model-config", "update-status-hook-interval=2s");
    await m.ok("deploy", charm, "--config", `quota-backend-bytes=${QUOTA}`);
    files = await m.etcdClientCredentials();
  });
  afterAll(async () => {
    await m?.destroy();
  });
  const etcdctl = (args: string[], input?: string) =>
    execa("etcdctl", [`--endpoints=https://${SUBNET}.11:2379`, "--command-timeout=20s", ...tlsFlags(files), ...args], {
      env: { ETCDCTL_API: "3" },
      reject: false,
      ...(input === undefined ? {} : { input }),
    });
  const run = async (action: string, ...params: string[]) => {
    const out = await m.run("run", "etcd/0", action, ...params, "--format=json");
    const parsed = JSON.parse(out.stdout || "{}") as Record<string, { status?: string; message?: string; results?: Record<string, unknown> }>;
    return parsed["etcd/0"] ?? {};
  };

  it("a full database is blocked with the way out, and compact + defrag + alarm-disarm bring it back", async () => {
    const status = async () => (await m.status()).applications.etcd?.units?.["etcd/0"]?.["workload-status"]?.message ?? "";
    const until = async (what: (message: string) => boolean) => {
      for (let i = 0; i < 60 && !what(await status()); i++) await new Promise((resolve) => setTimeout(resolve, 1000));
      return status();
    };

    expect((await run("alarm-list")).results).toMatchObject({ alarms: "none" });
    // Juju checks parameters against actions.yaml before the charm runs; the charm checks them again (zod).
    for (const bad of [
      ["compact", "revision=0"],
      ["defrag", "members=all"],
    ]) {
      const refusedRun = await m.run("run", "etcd/0", ...bad);
      expect(refusedRun.exitCode, bad.join(" ")).not.toBe(0);
      expect(String(refusedRun.stderr), bad.join(" ")).toContain("validation failed");
    }

    // 1.4 MB values (etcd's request limit is 1.5 MB) until etcd refuses a write.
    const value = "x".repeat(1_400_000);
    let refused = "";
    for (let i = 0; i < 120 && !refused; i++) {
      const put = await etcdctl(["put", `fill/${i}`], value);
      if (put.exitCode !== 0) refused = String(put.stderr);
    }
    expect(refused).toContain("database space exceeded");
    const blocked = await until((message) => message.includes("NOSPACE"));
    expect(blocked).toBe(
      "etcd raised a NOSPACE alarm: the database reached quota-backend-bytes and writes are refused; free space (delete keys, or the compact action), then run defrag, then alarm-disarm",
    );
    expect((await m.status()).applications.etcd?.units?.["etcd/0"]?.["workload-status"]?.current).toBe("blocked");
    expect((await run("alarm-list")).results).toMatchObject({ alarms: "NOSPACE on etcd0" });

    // Reads and deletes still work under NOSPACE; the history of the deleted values is what compact drops.
    expect((await etcdctl(["del", "--prefix", "fill/"])).exitCode).toBe(0);
    const current = Number(/"revision":(\d+)/.exec(String((await etcdctl(["endpoint", "status", "-w", "json"])).stdout))?.[1]);
    expect(await run("compact", `revision=${current}`)).toMatchObject({ status: "failed", message: expect.stringContaining("run again with force=true") });
    expect(await run("compact", `revision=${current}`, "force=true", "physical=true")).toMatchObject({
      status: "completed",
      results: { revision: String(current) },
    });
    const defrag = await run("defrag");
    expect(defrag.status).toBe("completed");
    const sizes = (defrag.results?.members as Record<string, Record<string, string>>)?.etcd0;
    expect(Number(sizes?.["size-after-bytes"])).toBeLessThan(Number(sizes?.["size-before-bytes"]) / 10);
    expect((await run("alarm-disarm")).results).toMatchObject({ alarms: "NOSPACE on etcd0", disarmed: "1" });

    expect(await until((message) => message.startsWith("1 member, healthy"))).toBe("1 member, healthy, raft leader etcd/0");
    expect((await etcdctl(["put", "after", "writable"])).exitCode).toBe(0);
  });

  it("snapshot takes a verified snapshot from a healthy member, and list-snapshots lists it", async () => {
    for (let i = 0; i < 20; i++) expect((await etcdctl(["put", `snap/${i}`, `v${i}`])).exitCode).toBe(0);
    const taken = await run("snapshot");
    expect(taken.status, JSON.stringify(taken)).toBe("completed");
    const results = taken.results as Record<string, string>;
    expect(results.name).toMatch(/^etcd-snapshot-[0-9]{8}T[0-9]{6}Z-rev[0-9]+\.db$/);
    expect(results.member).toBe("etcd0");
    expect(results.path).toBe(`/var/lib/etcd-snapshots/${results.name}`);
    // The file on the unit is what the results say: etcd's own verdict and the same sha256.
    const file = path.join(unitRoot(m.dir, "etcd/0"), results.path ?? "");
    const status = JSON.parse(String((await execa("etcdctl", ["snapshot", "status", file, "-w", "json"], { env: { ETCDCTL_API: "3" } })).stdout));
    expect(String(status.revision)).toBe(results.revision);
    expect(
      createHash("sha256")
        .update(await readFile(file))
        .digest("hex"),
    ).toBe(results.sha256);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);

    const listed = await run("list-snapshots");
    expect(listed.results?.count).toBe("1");
    expect(Object.values(listed.results?.snapshots as Record<string, Record<string, string>>)).toMatchObject([{ name: results.name, sha256: results.sha256 }]);
    const unknownParam = await m.run("run", "etcd/0", "snapshot", "member=etcd9");
    expect(unknownParam.exitCode).not.toBe(0);
    expect(String(unknownParam.stderr)).toContain("validation failed");
  });

  it("scheduled snapshots come every snapshot-interval, only scheduled ones are pruned to snapshot-retention, and the status gives the newest's age", async () => {
    await m.ok("config", "etcd", "snapshot-interval=10s", "snapshot-retention=2");
    const pruned = async () =>
      (await m.debugLog()).some((entry) => entry.logs.some((line) => /took and verified scheduled snapshot \S+ .*; pruned etcd-snapshot-/.test(line.message)));
    for (let i = 0; i < 90 && !(await pruned()); i++) await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await pruned()).toBe(true);
    const listed = Object.values((await run("list-snapshots")).results?.snapshots as Record<string, Record<string, string>>);
    // The schedule's newest two, and the one the snapshot action took (the test before this one).
    expect(listed.map((snapshot) => snapshot.scheduled).sort()).toEqual(["false", "true", "true"]);
    const dir = path.join(unitRoot(m.dir, "etcd/0"), "var", "lib", "etcd-snapshots");
    expect((await readdir(dir)).filter((name) => name.endsWith(".db")).sort()).toEqual(listed.map((snapshot) => snapshot.name).sort());
    const message = (await m.status()).applications.etcd?.units?.["etcd/0"]?.["workload-status"]?.message ?? "";
    expect(message).toMatch(/^1 member, healthy, raft leader etcd\/0; last snapshot [0-9]+s ago$/);

    await m.ok("config", "etcd", "snapshot-interval=off");
    await m.ok("wait");
    expect((await m.status()).applications.etcd?.units?.["etcd/0"]?.["workload-status"]?.message).toBe("1 member, healthy, raft leader etcd/0");
  });

  // interfaces §3.1 (s3 v0): the test's s3-provider stands in for s3-integrator; the server listens on the host's
  // address on the model's network, the one the units reach the host by.
  it("with an s3-credentials relation every snapshot is copied to the bucket, listed from it, and restored from it once the unit's copy is gone", async () => {
    const s3 = await startS3Server({ host: `${SUBNET}.10` });
    try {
      const config = { endpoint: s3.endpoint, "access-key": s3.accessKey, "secret-key": s3.secretKey, bucket: "etcd-backups", path: "maintenance" };
      await m.ok("deploy", testCharm("s3-provider"), "s3", ...Object.entries(config).flatMap(([key, value]) => ["--config", `${key}=${value}`]));
      await m.ok("integrate", "etcd:s3-credentials", "s3");
      await m.ok("wait");
      expect((await m.status()).applications.etcd?.units?.["etcd/0"]?.["workload-status"]?.message).toBe("1 member, healthy, raft leader etcd/0");

      expect((await etcdctl(["put", "s3/key", "in the snapshot"])).exitCode).toBe(0);
      const taken = await run("snapshot");
      expect(taken.status, JSON.stringify(taken)).toBe("completed");
      const { name, sha256 } = taken.results as Record<string, string>;
      expect(taken.results?.s3).toBe(`bucket "etcd-backups" path "maintenance" at ${s3.endpoint}`);
      expect((await etcdctl(["put", "s3/key", "after the snapshot"])).exitCode).toBe(0);

      // The unit's own copy is lost (a replaced machine, a wiped disk): only the bucket has it.
      const dir = path.join(unitRoot(m.dir, "etcd/0"), "var", "lib", "etcd-snapshots");
      await rm(path.join(dir, `${name}`));
      await rm(path.join(dir, `${name}.json`));
      const listed = (await run("list-snapshots")).results as {
        snapshots: Record<string, Record<string, string>>;
        s3: { count: string; snapshots: Record<string, Record<string, string>> };
      };
      expect(Object.values(listed.snapshots).map((snapshot) => snapshot.name)).not.toContain(name);
      expect(Object.values(listed.s3.snapshots)).toMatchObject([{ name, sha256 }]);

      const restored = await run("restore", `snapshot=${name}`, "force=true");
      expect(restored.status, JSON.stringify(restored)).toBe("completed");
      expect(String((await etcdctl(["get", "s3/key", "--print-value-only"])).stdout).trim()).toBe("in the snapshot");
      // Fetched, verified and kept again on the unit, under its own name.
      expect(
        createHash("sha256")
          .update(await readFile(path.join(dir, `${name}`)))
          .digest("hex"),
      ).toBe(sha256);
      await m.ok("wait");
      expect((await m.status()).applications.etcd?.units?.["etcd/0"]?.["workload-status"]?.message).toBe("1 member, healthy, raft leader etcd/0");

      // A scheduled snapshot is copied by the hook that takes it.
      await m.ok("config", "etcd", "snapshot-interval=10s");
      const copied = async () =>
        (await m.debugLog()).some((entry) =>
          entry.logs.some((line) => /took and verified scheduled snapshot \S+ .*; copied to bucket "etcd-backups"/.test(line.message)),
        );
      for (let i = 0; i < 60 && !(await copied()); i++) await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await copied()).toBe(true);
      await m.ok("config", "etcd", "snapshot-interval=off");
      const inBucket = ((await run("list-snapshots")).results as typeof listed).s3;
      expect(Object.values(inBucket.snapshots).map((snapshot) => snapshot.scheduled)).toContain("true");
    } finally {
      await s3.stop();
    }
  });
});
