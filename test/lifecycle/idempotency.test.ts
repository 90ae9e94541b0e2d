import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LocalModelFixture, testCharm } from "../local-model/harness.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";

oneClusterFileAtATime();

const charm = inject("packedCharms")["24.04"]!;
const WRITES = ["relation-set", "leader-set", "state-set", "application-version-set"];

/**
 * Level-triggered hooks: on a converged cluster, running any hook twice in a row changes nothing the second
 * time (and, converged as it is, nothing the first time either): no restart, no relation, leader or state write.
 */
describe("every hook, run twice on a converged cluster, changes nothing", { timeout: 300_000 }, () => {
  let model: LocalModelFixture;
  let leader = "";
  let follower = "";
  const ids: Record<string, string> = {};

  const starts = async () => {
    const counts: Record<string, number> = {};
    for (const unit of ["etcd/0", "etcd/1", "etcd/2"]) {
      const log = await readFile(path.join(model.dir, "services", "logs", unit.replace("/", "-"), "etcd.service.log"), "utf8");
      counts[unit] = log.split("\n").filter((line) => line.includes("etcd.service: Started ")).length;
    }
    return counts;
  };

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.52", 5, ["--timeout", "300"]);
    await model.ok("deploy", charm, "-n", "3");
    await model.ok("deploy", testCharm("etcd-consumer"), "consumer");
    await model.ok("integrate", "consumer:db", "etcd:db");
    await model.ok("integrate", "consumer:proxy", "etcd:proxy");
    const units = (await model.status()).applications.etcd!.units!;
    leader = Object.keys(units).find((name) => units[name]!.leader)!;
    follower = Object.keys(units).find((name) => !units[name]!.leader)!;
    for (const endpoint of ["cluster", "db", "proxy"]) ids[endpoint] = (await model.ok("exec", "--unit", leader, "--", `relation-ids ${endpoint}`)).trim();
  });
  afterAll(async () => {
    await model.destroy();
  });

  const cases: Array<[string, () => { unit: string; hook: string; relation?: string; remote?: string }]> = [
    ["install", () => ({ unit: follower, hook: "install" })],
    ["config-changed on the leader", () => ({ unit: leader, hook: "config-changed" })],
    ["start", () => ({ unit: follower, hook: "start" })],
    ["upgrade-charm", () => ({ unit: leader, hook: "upgrade-charm" })],
    ["update-status", () => ({ unit: follower, hook: "update-status" })],
    ["leader-elected", () => ({ unit: leader, hook: "leader-elected" })],
    ["leader-settings-changed", () => ({ unit: follower, hook: "leader-settings-changed" })],
    ["cluster-relation-changed on the leader", () => ({ unit: leader, hook: "cluster-relation-changed", relation: ids.cluster, remote: follower })],
    ["cluster-relation-joined on a follower", () => ({ unit: follower, hook: "cluster-relation-joined", relation: ids.cluster, remote: leader })],
    ["db-relation-changed", () => ({ unit: follower, hook: "db-relation-changed", relation: ids.db, remote: "consumer/0" })],
    ["proxy-relation-joined", () => ({ unit: leader, hook: "proxy-relation-joined", relation: ids.proxy, remote: "consumer/0" })],
  ];

  it.each(cases)("%s", async (_name, which) => {
    const { unit, hook, relation, remote } = which();
    const before = await starts();
    const command = `JUJU_DISPATCH_PATH=hooks/${hook} JUJU_HOOK_NAME=${hook} ./dispatch`;
    const args = ["exec", "--unit", unit, ...(relation ? ["-r", relation, "--remote-unit", remote!] : []), "--", command];
    await model.ok(...args);
    await model.ok(...args);
    const [first, second] = (await model.debugLog()).filter((entry) => entry.kind === "exec" && entry.unit === unit).slice(-2);
    for (const run of [first!, second!]) {
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.tools.filter((tool) => WRITES.includes(tool))).toEqual([]);
    }
    expect(await starts()).toEqual(before);
    expect((await model.status()).applications.etcd!.units![unit]!["workload-status"].current).toBe("active");
  });
});
