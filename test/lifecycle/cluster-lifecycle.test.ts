import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LocalModelFixture, testCharm, type StatusJson } from "../local-model/harness.js";

const SUBNET = "127.0.50";
const charm = inject("packedCharms")["24.04"]!;

async function etcdctl(endpoint: string, ...args: string[]): Promise<string> {
  const result = await execa("etcdctl", [`--endpoints=${endpoint}`, "--dial-timeout=2s", "--command-timeout=5s", ...args], { env: { ETCDCTL_API: "3" } });
  return result.stdout;
}

interface ListedMember {
  name: string;
  isLearner?: boolean;
  peerURLs: string[];
  clientURLs?: string[];
}

/** After each step: every unit active and idle, the member list equals the units, all voters, every key readable. */
async function expectConvergedCluster(model: LocalModelFixture, keys: Record<string, string>): Promise<StatusJson> {
  const status = await model.status();
  const units = status.applications.etcd!.units!;
  const names = Object.keys(units).sort();
  for (const [name, unit] of Object.entries(units)) {
    expect(unit["juju-status"].current, `${name} agent`).toBe("idle");
    expect(unit["workload-status"], `${name} workload`).toMatchObject({ current: "active" });
    expect(unit["workload-status"].message).toMatch(new RegExp(`^${names.length} members?, healthy, raft leader etcd/[0-9]+$`));
  }
  const endpoint = `http://${units[names[0]!]!["public-address"]}:2379`;
  const { members } = JSON.parse(await etcdctl(endpoint, "member", "list", "-w", "json")) as { members: ListedMember[] };
  expect(members.map((m) => m.name).sort()).toEqual(names.map((n) => n.replace("/", "")).sort());
  expect(members.filter((m) => m.isLearner)).toEqual([]);
  for (const [key, value] of Object.entries(keys)) {
    for (const unit of Object.values(units)) {
      expect(await etcdctl(`http://${unit["public-address"]}:2379`, "get", key, "--print-value-only"), `${key} on ${unit["public-address"]}`).toBe(value);
    }
  }
  return status;
}

const leaderOf = (status: StatusJson) => Object.entries(status.applications.etcd!.units!).find(([, u]) => u.leader)![0];

describe("an etcd cluster through its whole life, on the packed 24.04 charm and real etcd", () => {
  let model: LocalModelFixture;
  const keys: Record<string, string> = {};
  const write = async (status: StatusJson, key: string) => {
    const unit = Object.values(status.applications.etcd!.units!)[0]!;
    await etcdctl(`http://${unit["public-address"]}:2379`, "put", key, `value of ${key}`);
    keys[key] = `value of ${key}`;
  };

  beforeAll(async () => {
    model = await LocalModelFixture.create(SUBNET, 7, ["--timeout", "300"]);
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("deploy: the Juju leader bootstraps a one-member cluster", async () => {
    await model.ok("deploy", charm);
    const status = await expectConvergedCluster(model, keys);
    expect(status.applications.etcd!.version).toBe("3.4.23");
    await write(status, "after-deploy");
  });

  it("add-unit -n 2: both join as learners, one at a time, and are promoted", async () => {
    await model.ok("add-unit", "etcd", "-n", "2");
    const status = await expectConvergedCluster(model, keys);
    const logs = (await model.debugLog()).flatMap((entry) => entry.logs.map((log) => log.message));
    const joins = logs.filter((line) => / as a learner$| to a voting member$/.test(line)).map((line) => line.replace(/^cluster:[0-9]+: /, "").replace(/ \(http[^)]*\)/, ""));
    expect(joins).toEqual(["added etcd1 as a learner", "promoted etcd1 to a voting member", "added etcd2 as a learner", "promoted etcd2 to a voting member"]);
    await write(status, "after-three");
  });

  it("add-unit -n 2 again: five voting members", async () => {
    await model.ok("add-unit", "etcd", "-n", "2");
    await write(await expectConvergedCluster(model, keys), "after-five");
  });

  it("remove-unit of the Juju leader: it leaves the member list, another unit leads, nothing restarts", async () => {
    const before = await model.status();
    const leader = leaderOf(before);
    const startsBefore = (await model.debugLog()).length;
    await model.ok("remove-unit", leader);
    const status = await expectConvergedCluster(model, keys);
    expect(Object.keys(status.applications.etcd!.units!)).not.toContain(leader);
    expect(leaderOf(status)).not.toBe(leader);
    const later = (await model.debugLog()).slice(startsBefore).flatMap((entry) => entry.logs.map((log) => log.message));
    expect(later.filter((line) => /restarting|bootstrapping/.test(line))).toEqual([]);
    await write(status, "after-leader-left");
  });

  it("remove-unit of another unit: three members remain with every key", async () => {
    const status = await model.status();
    const victim = Object.keys(status.applications.etcd!.units!).find((name) => name !== leaderOf(status))!;
    await model.ok("remove-unit", victim);
    expect(Object.keys((await expectConvergedCluster(model, keys)).applications.etcd!.units!)).toHaveLength(3);
  });

  describe("consumers", () => {
    let clusterString = "";
    let connectionString = "";
    const children: ChildProcess[] = [];
    const dirs: string[] = [];
    afterAll(async () => {
      for (const child of children) child.kill("SIGKILL");
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    });

    it("a consumer receives `cluster` on proxy and `connection_string` and `version` on db", async () => {
      await model.ok("deploy", testCharm("etcd-consumer"), "consumer");
      await model.ok("integrate", "consumer:db", "etcd:db");
      await model.ok("integrate", "consumer:proxy", "etcd:proxy");
      const status = await model.status();
      const units = Object.keys(status.applications.etcd!.units!);
      const read = async (endpoint: string, unit: string) => {
        const command = `relation-get -r $(relation-ids ${endpoint}) - ${unit} --format=json`;
        const out = JSON.parse(await model.ok("run", "consumer/0", "exec", `command=${command}`, "--format=json"));
        return JSON.parse(out["consumer/0"].results.stdout as string) as Record<string, string>;
      };
      const addresses = units.map((unit) => status.applications.etcd!.units![unit]!["public-address"]).sort();
      for (const unit of units) {
        const db = await read("db", unit);
        expect(db.version).toBe("3.4.23");
        expect(db.connection_string!.split(",").sort()).toEqual(addresses.map((a) => `http://${a}:2379`));
        const proxy = await read("proxy", unit);
        expect(proxy.cluster!.split(",").sort()).toEqual(units.map((u) => `${u.replace("/", "")}=http://${status.applications.etcd!.units![u]!["public-address"]}:2380`).sort());
        clusterString = proxy.cluster!;
        connectionString = db.connection_string!;
      }
    });

    it("`etcd --proxy on --initial-cluster <cluster>` serves v2 reads and writes", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "v2proxy-"));
      dirs.push(dir);
      const url = `http://${SUBNET}.250:2379`;
      children.push(spawn("etcd", ["--proxy=on", `--initial-cluster=${clusterString}`, `--listen-client-urls=${url}`, `--data-dir=${dir}`], { stdio: "ignore" }));
      const v2 = (...args: string[]) => execa("etcdctl", [`--endpoints=${url}`, ...args], { env: { ETCDCTL_API: "2" }, reject: false });
      let set = await v2("set", "/through-v2-proxy", "yes");
      for (let i = 0; i < 50 && set.exitCode !== 0; i++) {
        await sleep(200);
        set = await v2("set", "/through-v2-proxy", "yes");
      }
      expect(set.exitCode, set.stderr).toBe(0);
      expect((await v2("get", "/through-v2-proxy")).stdout).toBe("yes");
    });

    it("`etcd grpc-proxy start --endpoints=<connection_string hosts>` serves v3 reads and writes", async () => {
      const url = `${SUBNET}.251:2379`;
      const endpoints = connectionString.split(",").map((u) => u.replace("http://", "")).join(",");
      children.push(spawn("etcd", ["grpc-proxy", "start", `--endpoints=${endpoints}`, `--listen-addr=${url}`], { stdio: "ignore" }));
      let put = await execa("etcdctl", [`--endpoints=${url}`, "put", "through-grpc-proxy", "yes"], { reject: false });
      for (let i = 0; i < 50 && put.exitCode !== 0; i++) {
        await sleep(200);
        put = await execa("etcdctl", [`--endpoints=${url}`, "put", "through-grpc-proxy", "yes"], { reject: false });
      }
      expect(put.exitCode, put.stderr).toBe(0);
      expect((await execa("etcdctl", [`--endpoints=${url}`, "get", "through-grpc-proxy", "--print-value-only"])).stdout).toBe("yes");
    });
  });

  it("the health action reports every member and the raft leader", async () => {
    const status = await model.status();
    const unit = Object.keys(status.applications.etcd!.units!)[0]!;
    const out = JSON.parse(await model.ok("run", unit, "health", "--format=json"))[unit];
    expect(out.status).toBe("completed");
    expect(out.results.verdict).toBe("healthy");
    expect(out.results.summary).toMatch(/^healthy: 3 members, raft leader etcd[0-9]+$/);
    const members = out.results.members as Record<string, Record<string, string>>;
    expect(Object.keys(members).sort()).toEqual(Object.keys(status.applications.etcd!.units!).map((u) => u.replace("/", "")).sort());
    for (const member of Object.values(members)) {
      expect(member).toMatchObject({ healthy: "true", learner: "false" });
      expect(Number(member["raft-term"])).toBeGreaterThan(0);
      expect(Number(member["db-size-bytes"])).toBeGreaterThan(0);
      expect(Number(member["round-trip-ms"])).toBeGreaterThan(0);
    }
    expect(Object.values(members).filter((m) => m["raft-leader"] === "true")).toHaveLength(1);
  });
});
