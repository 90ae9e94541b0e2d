import { stat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hookErrors } from "../../soak/report.js";
import { LocalModelFixture, testCharm } from "./harness.js";

/** remove-unit --force: a unit whose teardown hooks fail is removed anyway, and the others see it depart. */
describe("remove-unit --force", () => {
  let model: LocalModelFixture;
  const units = async () => Object.keys((await model.status()).applications.recorder!.units!);
  const hooksOf = async (unit: string, since: number) =>
    (await model.debugLog())
      .slice(since)
      .filter((e) => e.unit === unit && e.kind === "hook")
      .map((e) => `${e.name} ${e.exitCode}`);

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.22", 8);
    await model.ok("model-config", "automatically-retry-hooks=false");
    await model.ok("deploy", testCharm("recorder"), "-n", "2", "--config", "fail-hook=stop");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("without --force, a unit whose stop hook fails stays, in error", async () => {
    await model.ok("remove-unit", "recorder/1");
    const status = await model.status();
    expect(status.applications.recorder!.units!["recorder/1"]!["workload-status"]).toMatchObject({ current: "error", message: 'hook failed: "stop"' });
  });

  it("with --force, it is removed: its remaining hooks are skipped, and it is gone from the other unit's relations", async () => {
    const since = (await model.debugLog()).length;
    await model.ok("remove-unit", "--force", "recorder/1");
    expect(await units()).toEqual(["recorder/0"]);
    // Its stop hook runs once more and fails; remove never runs.
    expect(await hooksOf("recorder/1", since)).toEqual(["stop 1"]);
    // The other unit saw it depart when its removal began (contract §5), and no longer lists it.
    expect(await hooksOf("recorder/0", 0)).toContain("ring-relation-departed 0");
    const ring = (await model.ok("exec", "--unit", "recorder/0", "--", "relation-ids ring")).trim();
    expect((await model.ok("exec", "--unit", "recorder/0", "--", `relation-list -r ${ring}`)).trim()).toBe("");
  });
});

/**
 * remove-unit --force --no-wait (Juju: "rush through unit removal without waiting for each individual step"):
 * the unit goes at once, a running hook killed and its remaining hooks skipped; its services stop and its
 * machine goes; the other units still see it depart (contract §5.5).
 */
describe("remove-unit --force --no-wait", { timeout: 120_000 }, () => {
  let model: LocalModelFixture;
  const onUnit = (unit: string, command: string) => model.ok("exec", "--unit", unit, "--", command);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.34", 12);
    await model.ok("deploy", testCharm("recorder"), "-n", "2");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("--no-wait without --force is refused with Juju's message, and changes nothing", async () => {
    const result = await model.run("remove-unit", "--no-wait", "recorder/1");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^ERROR --no-wait without --force not valid$/m);
    expect(Object.keys((await model.status()).applications.recorder!.units!)).toEqual(["recorder/0", "recorder/1"]);
  });

  it("kills the unit's running hook, skips its teardown, stops its services and destroys its machine; the other unit sees it depart", async () => {
    // A service on recorder/1's machine, to see it stop.
    const unitFile = "[Unit]\nDescription=sleeper\n[Service]\nExecStart=/bin/sleep 1000\n";
    await onUnit("recorder/1", `mkdir -p "$UNIT_FS_ROOT/etc/systemd/system" && printf '${unitFile}' > "$UNIT_FS_ROOT/etc/systemd/system/sleeper.service"`);
    await onUnit("recorder/1", "systemctl daemon-reload && systemctl start sleeper.service");
    const pid = Number((await onUnit("recorder/1", "systemctl show -p MainPID --value sleeper.service")).trim());
    expect(alive(pid)).toBe(true);
    const machines = Object.keys((await model.status()).machines);
    const since = (await model.debugLog()).length;

    // recorder/1's config-changed hangs; the config verb waits for it (and for the removal) to end.
    const probe = 'case $JUJU_UNIT_NAME in recorder/1) touch "$UNIT_FS_ROOT/hanging"; sleep 100;; esac';
    const configured = model.ok("config", "recorder", "probe-hook=config-changed", `probe=${probe}`);
    const unitRoot = path.join(model.dir, "units", "recorder-1", "root");
    for (let i = 0; i < 100 && !(await stat(path.join(unitRoot, "hanging")).catch(() => undefined)); i++) await sleep(100);
    const began = Date.now();
    await model.ok("remove-unit", "--force", "--no-wait", "recorder/1");
    await configured;
    expect(Date.now() - began).toBeLessThan(30_000);

    const status = await model.status();
    expect(Object.keys(status.applications.recorder!.units!)).toEqual(["recorder/0"]);
    expect(Object.keys(status.machines)).toEqual(machines.filter((id) => id !== "1"));
    const log = (await model.debugLog()).slice(since);
    // Its hanging hook was killed and nothing more ran on it: no departed, stop or remove.
    expect(log.filter((e) => e.unit === "recorder/1").map((e) => `${e.kind} ${e.name} ${e.signal} ${e.removedWhileRunning}`)).toEqual([
      "hook config-changed SIGKILL true",
    ]);
    // Killed by the removal, not failed: Juju reports no hook error for it.
    expect(hookErrors(log).genuine).toEqual([]);
    const departed = log.filter((e) => e.unit === "recorder/0" && e.name === "ring-relation-departed");
    expect(departed.map((e) => e.remoteUnit)).toEqual(["recorder/1"]);
    expect(departed[0]!.stdout).toContain("env:JUJU_DEPARTING_UNIT=recorder/1");
    expect(alive(pid)).toBe(false);
    expect(await stat(path.join(model.dir, "units", "recorder-1")).catch(() => "gone")).toBe("gone");
    expect((await onUnit("recorder/0", "relation-list -r ring:0")).trim()).toBe("");
  });
});
