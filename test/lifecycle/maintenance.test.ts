import { execa } from "execa";
import { afterAll, describe, expect, inject, it } from "vitest";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import { LocalModelFixture } from "../local-model/harness.js";

/**
 * The maintenance actions on the packed charm with real etcd: a member whose database fills its quota raises
 * NOSPACE, the unit is blocked naming the way out, and deleting keys, compact, defrag and alarm-disarm bring it
 * back to active and writable. Bad parameters and a compaction that would drop recent history are refused.
 */

const SUBNET = "127.0.68";
const charm = inject("packedCharms")["24.04"]!;
const QUOTA = 104_857_600;

describe("maintenance: NOSPACE, compact, defrag, alarms", { timeout: 600_000 }, () => {
  let model: LocalModelFixture | undefined;
  afterAll(async () => {
    await model?.destroy();
  });

  it("a full database is blocked with the way out, and compact + defrag + alarm-disarm bring it back", async () => {
    model = await LocalModelFixture.create(SUBNET, 3, ["--timeout", "300"]);
    const m = model;
    await m.ok("model-config", "update-status-hook-interval=2s");
    await m.ok("deploy", charm, "--config", `quota-backend-bytes=${QUOTA}`);
    const files = await m.etcdClientCredentials();
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
});
