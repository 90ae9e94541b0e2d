import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, probeOutput, testCharm } from "./harness.js";

describe("what a hook process gets (contract §1)", () => {
  let model: LocalModelFixture;
  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.11", 5);
    await model.ok("model-config", "automatically-retry-hooks=false");
    await model.ok("deploy", testCharm("recorder"), "-n", "2");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("every hook gets Juju's variables; relation hooks add the relation's (§1.3)", async () => {
    const runs = await model.hookRuns("recorder/0");
    const install = runs.find((r) => r.hook === "install")!.env;
    expect(install).toMatchObject({
      JUJU_UNIT_NAME: "recorder/0",
      JUJU_HOOK_NAME: "install",
      JUJU_DISPATCH_PATH: "hooks/install",
      JUJU_AGENT_SOCKET_NETWORK: "unix",
      JUJU_VERSION: "3.6.4",
      JUJU_AVAILABILITY_ZONE: "",
      JUJU_PRINCIPAL_UNIT: "",
      JUJU_MACHINE_ID: "0",
    });
    expect(install.JUJU_CHARM_DIR).toBe(install.CHARM_DIR);
    expect(install.JUJU_CONTEXT_ID).toMatch(/^recorder\/0-install-[0-9]+$/);
    expect(install.JUJU_MODEL_UUID).toMatch(/^[0-9a-f-]{36}$/);
    expect(install).not.toHaveProperty("JUJU_RELATION");
    const joined = runs.find((r) => r.hook === "ring-relation-joined")!.env;
    expect(joined).toMatchObject({ JUJU_RELATION: "ring", JUJU_RELATION_ID: "ring:0", JUJU_REMOTE_UNIT: "recorder/1", JUJU_REMOTE_APP: "recorder" });
    expect(joined).not.toHaveProperty("JUJU_DEPARTING_UNIT");
  });

  it("each unit is its own machine: its own loopback address, charm dir and filesystem root", async () => {
    const status = await model.status();
    const units = status.applications.recorder!.units!;
    expect(units["recorder/0"]!["public-address"]).toBe("127.0.11.11");
    expect(units["recorder/1"]!["public-address"]).toBe("127.0.11.12");
    const [zero, one] = await Promise.all([model.hookRuns("recorder/0"), model.hookRuns("recorder/1")]);
    expect(zero[0]!.env.JUJU_CHARM_DIR).not.toBe(one[0]!.env.JUJU_CHARM_DIR);
    expect(zero[0]!.env.UNIT_FS_ROOT).not.toBe(one[0]!.env.UNIT_FS_ROOT);
  });

  it("hook tools answer inside a hook: addresses, relation data Juju seeds, config types, leadership (§3)", async () => {
    const probe = [
      "unit-get private-address",
      "relation-get -r ring:0 private-address recorder/1",
      "relation-list -r ring:0 --format=json",
      "config-get count --format=json",
      "config-get loud",
      "config-get unset-option --format=json",
      "is-leader --format=json",
    ].join("; ");
    await model.ok("config", "recorder", "probe-hook=config-changed", `probe=${probe}`);
    const run = (await model.hookRuns("recorder/0")).at(-1)!;
    expect(run.hook).toBe("config-changed");
    const leader = (await model.status()).applications.recorder!.units!["recorder/0"]!.leader === true;
    expect(probeOutput(run.entry.stdout)).toEqual(["127.0.11.11", "127.0.11.12", '["recorder/1"]', "3", "False", "null", String(leader)]);
  });

  it("tool errors keep Juju's texts and exit codes inside a real hook (§2.2)", async () => {
    const probe = [
      'relation-get -r ring:99 - recorder/1; echo "rc=$?"',
      'status-set bogus; echo "rc=$?"',
      'action-get; echo "rc=$?"',
      'leader-set; echo "rc=$?"',
    ].join("; ");
    await model.ok("config", "recorder", "probe-hook=config-changed", `probe=${probe}`);
    const output = probeOutput((await model.hookRuns("recorder/1")).at(-1)!.entry.stdout);
    expect(output.slice(0, 6)).toEqual([
      'ERROR invalid value "ring:99" for option -r: relation not found',
      "rc=2",
      'ERROR invalid status "bogus", expected one of [maintenance blocked waiting active]',
      "rc=2",
      "ERROR not running an action",
      "rc=1",
    ]);
  });

  it("a failed hook's relation-set is discarded, its status-set kept, and the unit waits in error until resolved (§1.4, §4)", async () => {
    const probe = 'relation-set -r ring:0 "doomed=yes"; status-set maintenance "set before failing"';
    await model.ok("config", "recorder", "fail-hook=config-changed", "probe-hook=config-changed", `probe=${probe}`);
    let status = await model.status();
    for (const unit of ["recorder/0", "recorder/1"]) {
      expect(status.applications.recorder!.units![unit]!["juju-status"]).toMatchObject({ current: "error", message: 'hook failed: "config-changed"' });
    }
    // The unit is in error: actions still run (§1.4); the data written before the failure never arrived.
    const look = await model.ok(
      "run",
      "recorder/1",
      "exec",
      "command=relation-get -r ring:0 - recorder/0 --format=json; status-get --format=json --include-data",
      "--format=json",
    );
    const stdout = JSON.parse(look)["recorder/1"].results.stdout as string;
    const [bag, own] = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(bag).not.toHaveProperty("doomed");
    expect(own).toMatchObject({ status: "maintenance", message: "set before failing" });

    await model.ok("config", "recorder", "fail-hook=");
    // Still in error: config-changed is pending, nothing else runs until resolved.
    expect((await model.status()).applications.recorder!.units!["recorder/0"]!["juju-status"].current).toBe("error");
    await model.ok("resolved", "recorder/0");
    await model.ok("resolved", "recorder/1", "--no-retry");
    status = await model.status();
    expect(status.applications.recorder!.units!["recorder/0"]!["juju-status"].current).toBe("idle");
    expect(status.applications.recorder!.units!["recorder/1"]!["juju-status"].current).toBe("idle");
    // The failed config-changed ran again on `resolved` and succeeded (then once more for the newer config).
    const codes = (await model.hookRuns("recorder/0")).filter((r) => r.hook === "config-changed").map((r) => r.entry.exitCode);
    const failure = codes.lastIndexOf(1);
    expect(failure).toBeGreaterThan(0);
    expect(codes.slice(failure + 1).length).toBeGreaterThan(0);
    expect(codes.slice(failure + 1).every((code) => code === 0)).toBe(true);
    await model.ok("config", "recorder", "--reset", "probe-hook,probe");
  });

  it("a charm with dispatch gets every event through it, with JUJU_DISPATCH_PATH (§1.1)", async () => {
    await model.ok("deploy", testCharm("dispatcher"));
    const runs = await model.hookRuns("dispatcher/0");
    expect(runs.map((r) => r.entry.stdout.trim())).toEqual([
      "dispatch=hooks/install hook=install",
      "dispatch=hooks/leader-elected hook=leader-elected",
      "dispatch=hooks/config-changed hook=config-changed",
      "dispatch=hooks/start hook=start",
    ]);
    expect((await model.status()).applications.dispatcher!.units!["dispatcher/0"]!["workload-status"].current).toBe("unknown");
  });

  it("debug-log names every run with unit, hook, exit code and duration", async () => {
    const text = await model.ok("debug-log", "--include", "dispatcher/0");
    expect(text).toMatch(/unit-dispatcher-0: install exit 0 in [0-9]+ms\n {2}DEBUG stdout: dispatch=hooks\/install hook=install/);
    const log = await readFile(path.join(model.dir, "debug-log.jsonl"), "utf8");
    expect(log.split("\n").filter(Boolean).length).toBeGreaterThan(20);
  });
});
