import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { etcdctlWith } from "../helpers/etcd-client.js";
import { LocalModelFixture, type StatusJson } from "../local-model/harness.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";
import { ETCD_BASES, type EtcdBase } from "../helpers/etcd-bases.js";

oneClusterFileAtATime();

const SUBNETS: Record<EtcdBase["base"], string> = { "24.04": "127.0.51", "26.04": "127.0.79" };
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

describe.each(ETCD_BASES)("config changes on a running three-member cluster on $base (etcd $etcd)", { timeout: 300_000 }, ({ base, platform }) => {
  const charm = inject("packedCharms")[platform];
  const subnet = SUBNETS[base];
  let model: LocalModelFixture;
  let endpoints: string;
  let etcdctl: ReturnType<typeof etcdctlWith>;
  beforeAll(async () => {
    model = await LocalModelFixture.create(subnet, 3, ["--timeout", "300"]);
    await model.ok("deploy", charm, "-n", "3");
    endpoints = UNITS.map((_, i) => `https://${subnet}.${11 + i}:2379`).join(",");
    etcdctl = etcdctlWith(await model.etcdClientCredentials());
    await etcdctl(endpoints, "put", "kept", "across-changes");
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
    await etcdctl(endpoints, "endpoint", "health");
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
    expect(await etcdctl(endpoints, "get", "kept", "--print-value-only")).toBe("across-changes");
    // One at a time: no member stopped before the previous one had started again.
    const windows = await lastRestartWindows(model);
    for (let i = 1; i < windows.length; i++) expect(windows[i]![0]).toBeGreaterThanOrEqual(windows[i - 1]![1]);
  });
});
