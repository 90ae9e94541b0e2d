import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import { type ClientCredentialFiles, LocalModelFixture, testCharm } from "../local-model/harness.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";
import { ETCD_BASES, type EtcdBase } from "../helpers/etcd-bases.js";

oneClusterFileAtATime();

const SUBNETS: Record<EtcdBase["base"], string> = { "24.04": "127.0.53", "26.04": "127.0.78" };

describe.each(ETCD_BASES)("faults and hostile input on a three-member cluster on $base (etcd $etcd)", { timeout: 300_000 }, ({ base, platform }) => {
  const charm = inject("packedCharms")[platform];
  const SUBNET = SUBNETS[base];
  const endpoints = [11, 12, 13].map((host) => `https://${SUBNET}.${host}:2379`).join(",");
  /** The client-credentials action's identity, once the cluster exists. */
  let credentials: ClientCredentialFiles;
  const etcdctlAt = (endpoint: string, ...args: string[]) =>
    execa("etcdctl", [`--endpoints=${endpoint}`, "--dial-timeout=2s", ...tlsFlags(credentials), ...args], { env: { ETCDCTL_API: "3" }, reject: false });
  const etcdctl = (...args: string[]) => etcdctlAt(endpoints, ...args);
  let model: LocalModelFixture;
  const unitRoot = (unit: string) => path.join(model.dir, "units", unit.replace("/", "-"), "root");
  /** Hook runs of etcd units that failed, after the first `since` debug-log entries. */
  const hookFailures = async (since = 0) =>
    (await model.debugLog()).slice(since).filter((e) => e.unit.startsWith("etcd/") && e.kind === "hook" && e.exitCode !== 0);

  beforeAll(async () => {
    model = await LocalModelFixture.create(SUBNET, 11, ["--timeout", "300"]);
    await model.ok("deploy", charm, "-n", "3");
    await model.ok("deploy", testCharm("etcd-consumer"), "consumer");
    await model.ok("integrate", "consumer:db", "etcd:db");
    await model.ok("integrate", "consumer:proxy", "etcd:proxy");
    credentials = await model.etcdClientCredentials();
    expect((await etcdctl("put", "survivor", "still-here")).exitCode).toBe(0);
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("etcd runs as the etcd user; its config, unit and data dir have the right owners and modes", async () => {
    const { uid: etcdUid, gid: etcdGid } = await stat(path.join(unitRoot("etcd/0"), "var", "lib", "etcd", "member-data"));
    const passwd = (await readFile("/etc/passwd", "utf8"))
      .split("\n")
      .find((line) => line.startsWith("etcd:"))!
      .split(":");
    expect(etcdUid).toBe(Number(passwd[2]));
    const mode = async (file: string) => {
      const info = await stat(path.join(unitRoot("etcd/0"), file));
      return { mode: (info.mode & 0o7777).toString(8), uid: info.uid, gid: info.gid };
    };
    expect(await mode("var/lib/etcd/member-data")).toEqual({ mode: "700", uid: etcdUid, gid: etcdGid });
    expect(await mode("etc/etcd/etcd.conf.yml")).toEqual({ mode: "640", uid: 0, gid: etcdGid });
    expect(await mode("etc/etcd/etcd.running.json")).toEqual({ mode: "640", uid: 0, gid: etcdGid });
    expect(await mode("etc/systemd/system/etcd.service")).toMatchObject({ mode: "644", uid: 0 });
    // TLS: the key is etcd's alone, the directory root's with etcd's group, certificates public; the
    // operators' etcdctl environment is root's.
    expect(await mode("etc/etcd/tls")).toEqual({ mode: "750", uid: 0, gid: etcdGid });
    expect(await mode("etc/etcd/tls/member.key")).toEqual({ mode: "600", uid: etcdUid, gid: etcdGid });
    expect(await mode("etc/etcd/tls/member.pem")).toMatchObject({ mode: "644", uid: 0 });
    expect(await mode("etc/etcd/tls/ca.pem")).toMatchObject({ mode: "644", uid: 0 });
    expect(await mode("etc/etcd/etcdctl.env")).toMatchObject({ mode: "600", uid: 0 });
    const pids = (await execa("pgrep", ["-f", `${model.dir}/units/.*/etcd.conf.yml`])).stdout.split("\n").filter(Boolean);
    expect(pids).toHaveLength(3);
    const owners = await execa("ps", ["-o", "user=", "-p", pids.join(",")]);
    expect(owners.stdout.split("\n").map((user) => user.trim())).toEqual(["etcd", "etcd", "etcd"]);
  });

  it("a SIGKILLed member comes back by itself, healthy with all keys, and update-status says what happened", async () => {
    const config = path.join(unitRoot("etcd/1"), "etc", "etcd", "etcd.conf.yml");
    const pid = (await execa("pgrep", ["-f", config])).stdout.trim().split("\n")[0]!;
    process.kill(Number(pid), "SIGKILL");
    let healthy = false;
    for (let i = 0; i < 120 && !healthy; i++) {
      await sleep(500);
      const health = await etcdctlAt(`https://${SUBNET}.12:2379`, "--command-timeout=1s", "endpoint", "health");
      healthy = health.exitCode === 0;
    }
    expect(healthy).toBe(true);
    const value = await etcdctlAt(`https://${SUBNET}.12:2379`, "get", "survivor", "--print-value-only");
    expect(value.stdout).toBe("still-here");
    await model.ok("exec", "--unit", "etcd/1", "--", "JUJU_DISPATCH_PATH=hooks/update-status ./dispatch");
    const workload = (await model.status()).applications.etcd!.units!["etcd/1"]!["workload-status"];
    expect(workload.current).toBe("active");
    expect(workload.message).toMatch(/healthy, raft leader etcd\/[0-2]; etcd here was restarted by systemd 1 time$/);
  });

  it("a consumer's hostile relation data causes no hook error and nothing executes", async () => {
    const marker = `/tmp/etcd-charm-pwned-${process.pid}`;
    const since = (await model.debugLog()).length;
    const hostile = [
      `connection_string=http://x:1; touch ${marker}`,
      `cluster=$(touch ${marker})`,
      `version=\`touch ${marker}\``,
      `newline=a\nb\n[Service]\nExecStart=/bin/sh -c 'touch ${marker}'`,
      `long=${"x".repeat(70_000)}`,
    ];
    for (const endpoint of ["db", "proxy"]) {
      const id = (await model.ok("exec", "--unit", "consumer/0", "--", `relation-ids ${endpoint}`)).trim();
      const args = hostile.map((pair) => `'${pair.replace(/'/g, `'\\''`)}'`).join(" ");
      await model.ok("exec", "--unit", "consumer/0", "--", `relation-set -r ${id} ${args}`);
    }
    await model.ok("wait");
    expect((await hookFailures(since)).map((e) => `${e.unit} ${e.name}: ${e.stderr.slice(-300)}`)).toEqual([]);
    await expect(stat(marker)).rejects.toThrow();
    for (const unit of ["etcd/0", "etcd/1", "etcd/2"]) {
      for (const file of ["etc/etcd/etcd.conf.yml", "etc/systemd/system/etcd.service"]) {
        expect(await readFile(path.join(unitRoot(unit), file), "utf8")).not.toMatch(/touch|pwned|x{100}/);
      }
    }
  });

  it("a peer's malformed cluster data is logged and ignored; membership and files are untouched", async () => {
    const marker = `/tmp/etcd-charm-peer-pwned-${process.pid}`;
    const since = (await model.debugLog()).length;
    const before = JSON.parse((await etcdctl("member", "list", "-w", "json")).stdout) as { members: Array<{ name: string }> };
    await model.ok(
      "exec",
      "--unit",
      "etcd/2",
      "--",
      `relation-set -r cluster:0 'peer-url=http://10.1.1.1:2380;touch ${marker}' 'client-url=$(touch ${marker})' member-state=owned`,
    );
    await model.ok("wait");
    expect((await hookFailures(since)).map((e) => `${e.unit} ${e.name}: ${e.stderr.slice(-300)}`)).toEqual([]);
    await expect(stat(marker)).rejects.toThrow();
    const after = JSON.parse((await etcdctl("member", "list", "-w", "json")).stdout) as { members: Array<{ name: string }> };
    expect(after.members.map((m) => m.name).sort()).toEqual(before.members.map((m) => m.name).sort());
    const stderr = (await model.debugLog())
      .filter((e) => e.unit !== "etcd/2" && e.unit.startsWith("etcd/"))
      .map((e) => e.stderr)
      .join("\n");
    expect(stderr).toMatch(/ignoring malformed data/);
  });
});
