import { readdir } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, inject, it } from "vitest";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import { readPrefix, unitRoot } from "../../soak/cluster.js";
import { hookErrors } from "../../soak/report.js";
import { unavailabilities, Writer } from "../../soak/writer.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";
import { LocalModelFixture } from "../local-model/harness.js";

oneClusterFileAtATime();

/**
 * Moving a cluster from etcd 3.4 (Ubuntu 24.04) to 3.5 (26.04) the way Juju 3.6 offers (interfaces §8.1, §8.3):
 * set-application-base and refresh to the 26.04 charm, then upgrade-machine prepare/complete one machine at a
 * time, while a client writes throughout. Nothing acknowledged may be lost, no write gap may reach a quorum loss
 * (soak/writer.ts: failures for more than 3 s), no hook may fail; every member ends on 3.5.16 and the cluster
 * version on 3.5. Afterwards a 24.04 unit (etcd 3.4) is refused by the 3.5 cluster, as etcd cannot move back.
 */

const SUBNET = "127.0.76";
const charms = inject("packedCharms");
const address = (unit: string) => `${SUBNET}.${11 + Number(unit.split("/")[1])}`;

describe("moving a 3-unit cluster from etcd 3.4 to 3.5 machine by machine while a client writes", { timeout: 900_000 }, () => {
  let model: LocalModelFixture | undefined;
  afterAll(async () => {
    await model?.destroy();
  });

  it("every member ends on 3.5.16, the cluster version on 3.5: nothing lost, quorum kept, no hook error", async () => {
    model = await LocalModelFixture.create(SUBNET, 14, ["--timeout", "300"]);
    const m = model;
    await m.ok("deploy", charms["24.04/amd64"], "-n", "3");
    const files = await m.etcdClientCredentials();
    const units = ["etcd/0", "etcd/1", "etcd/2"];
    const endpoints = units.map((unit) => `https://${address(unit)}:2379`);
    const etcdctl = (...args: string[]) =>
      execa("etcdctl", [`--endpoints=${endpoints.join(",")}`, "--command-timeout=10s", ...tlsFlags(files), ...args], {
        env: { ETCDCTL_API: "3" },
        reject: false,
      });
    const versions = async () =>
      Object.fromEntries(
        (
          JSON.parse(String((await etcdctl("endpoint", "status", "-w", "json")).stdout) || "[]") as Array<{ Endpoint: string; Status: { version: string } }>
        ).map((s) => [s.Endpoint, s.Status.version]),
      );
    const clusterVersion = async () => {
      const out = await execa("curl", ["-s", "--cacert", files.caFile, "--cert", files.certFile, "--key", files.keyFile, `${endpoints[0]}/version`], {
        reject: false,
      });
      return (JSON.parse(out.stdout || "{}") as { etcdcluster?: string }).etcdcluster;
    };
    const message = async (unit: string) => (await m.status()).applications.etcd?.units?.[unit]?.["workload-status"]?.message ?? "";
    expect(new Set(Object.values(await versions()))).toEqual(new Set(["3.4.23"]));
    expect(await clusterVersion()).toBe("3.4.0");

    const writer = new Writer({ prefix: "upgrade/", maxWrites: 100_000, maxMs: 900_000 }, endpoints);
    writer.start(files);
    const during: Record<string, string> = {};
    const snapshots: Record<string, string[]> = {};
    // When each machine's move began and ended: the client must be acknowledged within every one of them.
    const moves: Array<{ unit: string; from: number; to: number }> = [];
    try {
      await m.ok("set-application-base", "etcd", "ubuntu@26.04");
      await m.ok("refresh", "etcd", "--path", charms["26.04/amd64"]);
      await m.ok("wait");
      for (const unit of units) {
        const machine = unit.split("/")[1] ?? "";
        const from = Date.now();
        await m.ok("upgrade-machine", machine, "prepare", "ubuntu@26.04");
        during[unit] = await message(unit);
        snapshots[unit] = (await readdir(path.join(unitRoot(m.dir, unit), "var", "lib", "etcd-snapshots"))).filter((name) => name.endsWith(".db"));
        await m.ok("upgrade-machine", machine, "complete");
        await m.ok("wait");
        moves.push({ unit, from, to: Date.now() });
      }
    } finally {
      await writer.stop();
    }

    const gaps = unavailabilities(writer.attempts);
    const report = JSON.stringify({ during, snapshots, attempts: writer.attempts.length, acknowledged: writer.acknowledged.size, gaps }, null, 1);
    console.log(`etcd-upgrade: ${writer.acknowledged.size} of ${writer.attempts.length} writes acknowledged, ${gaps.length} gaps over 3 s`);
    for (const unit of units) {
      expect(during[unit], report).toBe(
        "etcd is stopped for this machine's upgrade to ubuntu@26.04: upgrade the OS, then run juju upgrade-machine <machine> complete",
      );
      expect(snapshots[unit], report).toHaveLength(1);
    }
    expect(Object.values(await versions())).toEqual(["3.5.16", "3.5.16", "3.5.16"]);
    // etcd raises the cluster version by itself a few seconds after the last member runs 3.5.
    const deadline = Date.now() + 30_000;
    while ((await clusterVersion()) !== "3.5.0" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await clusterVersion()).toBe("3.5.0");
    const stored = await readPrefix(endpoints[0] ?? "", "upgrade/", files);
    const lost = [...writer.acknowledged].filter(([key, value]) => stored.get(key) !== value).map(([key]) => key);
    // Written to throughout, not just before and after: acknowledged writes while each machine moved.
    const acknowledgedDuring = moves.map(({ unit, from, to }) => [unit, writer.attempts.filter((a) => a.ok && a.start >= from && a.end <= to).length] as const);
    expect(
      acknowledgedDuring.filter(([, count]) => count === 0),
      `${report}\n${JSON.stringify(acknowledgedDuring)}`,
    ).toEqual([]);
    expect(lost, report).toEqual([]);
    expect(gaps, report).toEqual([]);
    expect(hookErrors(await m.debugLog()).genuine, report).toEqual([]);
    const status = await m.status();
    expect(status.applications.etcd?.version).toBe("3.5.16");
    for (const unit of units) expect(await message(unit)).toMatch(/^3 members, healthy, raft leader etcd\/\d$/);

    // Back to 3.4 is a move etcd does not make: a 24.04 unit is refused, with the reason, and the cluster is untouched.
    await m.ok("set-application-base", "etcd", "ubuntu@24.04");
    await m.ok("refresh", "etcd", "--path", charms["24.04/amd64"]);
    await m.ok("add-unit", "etcd");
    expect(await message("etcd/3")).toBe(
      "etcd 3.4.23 on this machine cannot join a cluster whose members run etcd 3.5: etcd does not move a cluster back a minor version; deploy this unit on the base its peers run (ubuntu@26.04 for 3.5)",
    );
    const members = JSON.parse(String((await etcdctl("member", "list", "-w", "json")).stdout)) as { members: Array<{ name: string }> };
    expect(members.members.map((member) => member.name).sort()).toEqual(["etcd0", "etcd1", "etcd2"]);
  });
});
