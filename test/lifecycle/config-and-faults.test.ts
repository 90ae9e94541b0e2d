import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import { type ClientCredentialFiles, LocalModelFixture, type StatusJson, testCharm } from "../local-model/harness.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";
import { ETCD_BASES, type EtcdBase } from "../helpers/etcd-bases.js";

oneClusterFileAtATime();

const SUBNETS: Record<EtcdBase["base"], string> = { "24.04": "127.0.53", "26.04": "127.0.78" };
const UNITS = ["etcd/0", "etcd/1", "etcd/2"];

async function serviceLog(model: LocalModelFixture, unit: string): Promise<string[]> {
  return (await readFile(path.join(model.dir, "services", "logs", unit.replace("/", "-"), "etcd.service.log"), "utf8")).split("\n");
}

/** How often each unit's etcd service was started, from the model's service logs. */
async function serviceStarts(model: LocalModelFixture): Promise<Record<string, number>> {
  const starts: Record<string, number> = {};
  for (const unit of UNITS) starts[unit] = (await serviceLog(model, unit)).filter((line) => /systemd\[1\]: etcd\.service: Started /.test(line)).length;
  return starts;
}

/** Each unit's last restart as [stopping, started] times from its service log. */
async function lastRestartWindows(model: LocalModelFixture): Promise<Array<[number, number]>> {
  const windows: Array<[number, number]> = [];
  for (const unit of UNITS) {
    const lines = await serviceLog(model, unit);
    const time = (pattern: RegExp) =>
      Date.parse(
        lines
          .filter((line) => pattern.test(line))
          .at(-1)!
          .slice(0, 24),
      );
    windows.push([time(/etcd\.service: Stopping /), time(/etcd\.service: Started /)]);
  }
  return windows.sort((a, b) => a[0] - b[0]);
}

const workloads = (status: StatusJson) =>
  Object.fromEntries(Object.entries(status.applications.etcd!.units!).map(([name, unit]) => [name, unit["workload-status"]]));

async function renderedConfig(model: LocalModelFixture, unit: string): Promise<string> {
  return readFile(path.join(model.dir, "units", unit.replace("/", "-"), "root", "etc", "etcd", "etcd.conf.yml"), "utf8");
}

describe.each(ETCD_BASES)(
  "config changes, faults and hostile input on a running three-member cluster on $base (etcd $etcd)",
  { timeout: 300_000 },
  ({ base, platform }) => {
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

    it("an invalid value blocks every unit naming the option, and etcd keeps running untouched", async () => {
      const before = await serviceStarts(model);
      const configBefore = await renderedConfig(model, "etcd/1");
      await model.ok("config", "etcd", "election-timeout=5");
      for (const workload of Object.values(workloads(await model.status()))) {
        expect(workload).toEqual(expect.objectContaining({ current: "blocked", message: "election-timeout 5 must be ≥ 5 × heartbeat-interval (100)" }));
      }
      expect(await serviceStarts(model)).toEqual(before);
      expect(await renderedConfig(model, "etcd/1")).toBe(configBefore);
      // Exits non-zero (and throws here) unless every endpoint is healthy; etcdctl prints the verdict on stderr.
      expect((await etcdctl("endpoint", "health")).exitCode).toBe(0);
    });

    it("--reset brings every unit back to active, restarting nothing", async () => {
      const before = await serviceStarts(model);
      await model.ok("config", "etcd", "--reset", "election-timeout");
      for (const workload of Object.values(workloads(await model.status()))) expect(workload.current).toBe("active");
      expect(await serviceStarts(model)).toEqual(before);
    });

    it("a change etcd needs a restart for restarts each member once, one at a time, keeping data", async () => {
      const before = await serviceStarts(model);
      await model.ok("config", "etcd", "heartbeat-interval=200", "election-timeout=2000");
      // A hook that failed on a loaded machine (the whole suite runs at once) is retried, as Juju retries it.
      await model.untilNoUnitInError();
      const after = await serviceStarts(model);
      for (const unit of UNITS) expect(after[unit]! - before[unit]!, unit).toBe(1);
      for (const unit of UNITS) expect(await renderedConfig(model, unit)).toMatch(/^heartbeat-interval: 200$/m);
      for (const workload of Object.values(workloads(await model.status()))) expect(workload.message).toMatch(/^3 members, healthy, raft leader etcd\/[0-2]$/);
      expect((await etcdctl("get", "survivor", "--print-value-only")).stdout).toBe("still-here");
      // One at a time: no member stopped before the previous one had started again.
      const windows = await lastRestartWindows(model);
      for (let i = 1; i < windows.length; i++) expect(windows[i]![0]).toBeGreaterThanOrEqual(windows[i - 1]![1]);
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
  },
);
