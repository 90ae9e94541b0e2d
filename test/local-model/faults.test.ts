import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawHookFault, HOOK_KILL_WITHIN_MS, parseFaultInjection, type HookFault } from "../../local-model/faults.js";
import { newModelState } from "../../local-model/state.js";
import { LocalModelFixture, testCharm } from "./harness.js";

const UNITS = ["recorder/0", "recorder/1", "recorder/2"];

describe("fault draws (faults.ts)", () => {
  const draws = (seed: number, setting: string, count: number): Array<HookFault | undefined> => {
    const state = newModelState("m", seed);
    state.modelConfig["fault-injection"] = setting;
    return Array.from({ length: count }, () => drawHookFault(state));
  };

  it("come from the model's seed: the same seed draws the same faults, another seed others", () => {
    expect(draws(7, "hook-failure:0.2,hook-kill:0.2", 200)).toEqual(draws(7, "hook-failure:0.2,hook-kill:0.2", 200));
    expect(draws(8, "hook-failure:0.2,hook-kill:0.2", 200)).not.toEqual(draws(7, "hook-failure:0.2,hook-kill:0.2", 200));
  });

  it("honour the probabilities, kill within 2 s, and leave the model's own generator alone", () => {
    const state = newModelState("m", 3);
    state.modelConfig["fault-injection"] = "hook-failure:0.1,hook-kill:0.3";
    const rngBefore = state.rng;
    const faults = Array.from({ length: 10_000 }, () => drawHookFault(state));
    expect(state.rng).toBe(rngBefore);
    const failures = faults.filter((f) => f?.kind === "hook-failure").length;
    const kills = faults.flatMap((f) => (f?.kind === "hook-kill" ? [f.afterMs] : []));
    expect(failures / 10_000).toBeCloseTo(0.1, 1);
    expect(kills.length / 10_000).toBeCloseTo(0.3, 1);
    expect(Math.min(...kills)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...kills)).toBeLessThan(HOOK_KILL_WITHIN_MS);
    expect(draws(3, "off", 50).every((f) => f === undefined)).toBe(true);
  });

  it.each([
    ["hook-failure:2", /hook-failure probability must be a number from 0 to 1, got "2"/],
    ["hook-failure:x", /expected "<fault>:<probability>\[,…\]" or "off", got "hook-failure:x"/],
    ["hook-fail:0.1", /unknown fault "hook-fail" \(known: hook-failure, hook-kill\)/],
    ["hook-kill:0.1,hook-kill:0.2", /"hook-kill" given twice/],
    ["hook-kill:0.7,hook-failure:0.6", /add up to 1.3, more than 1/],
  ])("refuse %s", (text, message) => {
    expect(() => parseFaultInjection(text)).toThrow(message);
  });
});

describe("fault injection and elect on the recorder charm", { timeout: 300_000 }, () => {
  let model: LocalModelFixture;
  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.18", 21);
    await model.ok("deploy", testCharm("recorder"), "-n", "3");
  });
  afterAll(async () => {
    await model.destroy();
  });

  /** The unit's own peer bag as its hooks see it (committed writes only). */
  const ownBag = async (unit: string) =>
    JSON.parse(await model.ok("exec", "--unit", unit, "--", `relation-get -r ring:0 --format=json - ${unit}`)) as Record<string, string>;
  const agents = async () =>
    Object.fromEntries(Object.entries((await model.status()).applications.recorder!.units!).map(([name, u]) => [name, u["juju-status"]]));

  it("model-config validates fault-injection, stores it in canonical form, and refuses a zero update-status interval", async () => {
    for (const [setting, message] of [
      ["fault-injection=hook-kill:1.5", /hook-kill probability must be a number from 0 to 1/],
      ["fault-injection=explode:0.1", /unknown fault "explode"/],
      ["update-status-hook-interval=0s", /update-status-hook-interval: must be more than 0, got "0s"/],
    ] as const) {
      const result = await model.run("model-config", setting);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(message);
    }
    // A refused assignment changes nothing, not even the valid ones given with it.
    expect((await model.run("model-config", "automatically-retry-hooks=false", "fault-injection=nope:1")).exitCode).toBe(1);
    expect(await model.ok("model-config")).toMatch(/^automatically-retry-hooks\s+true$/m);
    await model.ok("model-config", "fault-injection=hook-kill: 0.50, hook-failure:.25");
    expect(await model.ok("model-config")).toMatch(/^fault-injection\s+hook-failure:0\.25,hook-kill:0\.5$/m);
    await model.ok("model-config", "fault-injection=off");
    expect(await model.ok("model-config")).toMatch(/^fault-injection\s*$/m);
  });

  it("hook-kill: the killed hook is re-run and nothing it wrote before the kill is committed", async () => {
    const before = (await model.debugLog()).length;
    await model.ok("model-config", "fault-injection=hook-kill:1");
    // Each run counts itself in a file on the unit's machine and writes attempt-<n>; the first run that gets
    // that far then sleeps past any kill delay, so it is certainly killed after its write.
    const probe =
      "f=$UNIT_FS_ROOT/attempts; n=$(( $(cat $f 2>/dev/null || echo 0) + 1 )); echo $n > $f; relation-set -r ring:0 attempt-$n=written; [ $n -gt 1 ] || sleep 5";
    await model.ok("config", "recorder", "probe-hook=config-changed", `probe=${probe}`);
    await model.ok("model-config", "fault-injection=off");
    const entries = (await model.debugLog()).slice(before).filter((e) => e.name === "config-changed");
    for (const unit of UNITS) {
      const runs = entries.filter((e) => e.unit === unit);
      const killed = runs.filter((e) => e.injected === "hook-kill");
      expect(killed.length, unit).toBeGreaterThanOrEqual(1);
      for (const run of killed) expect(run).toMatchObject({ signal: "SIGKILL" });
      expect(runs.at(-1), unit).toMatchObject({ exitCode: 0, signal: null });
      expect(runs.at(-1)!.injected).toBeUndefined();
      const attempts = Number((await model.ok("exec", "--unit", unit, "--", "cat $UNIT_FS_ROOT/attempts")).trim());
      expect(attempts, unit).toBeGreaterThanOrEqual(2);
      const written = Object.keys(await ownBag(unit)).filter((key) => key.startsWith("attempt-"));
      expect(written, unit).toEqual([`attempt-${attempts}`]);
    }
    expect(Object.values(await agents()).map((a) => a.current)).toEqual(["idle", "idle", "idle"]);
  });

  it("hook-failure: the hook runs, its writes are discarded, the unit is in error, and the automatic retry recovers it", async () => {
    const before = (await model.debugLog()).length;
    await model.ok("model-config", "fault-injection=hook-failure:1");
    await model.ok("config", "recorder", "probe=relation-set -r ring:0 after-failure=$JUJU_UNIT_NAME");
    for (const agent of Object.values(await agents())) expect(agent).toMatchObject({ current: "error", message: 'hook failed: "config-changed"' });
    const failed = (await model.debugLog()).slice(before).filter((e) => e.name === "config-changed");
    for (const unit of UNITS) {
      const run = failed.find((e) => e.unit === unit)!;
      expect(run).toMatchObject({ exitCode: 1, injected: "hook-failure" });
      expect(run.stdout).toMatch(/^probe-end$/m);
      expect(run.stderr).toMatch(/injected hook failure/);
      expect((await ownBag(unit))["after-failure"]).toBeUndefined();
    }
    await model.ok("model-config", "fault-injection=off");
    // automatically-retry-hooks: the first retry comes 5 s after the failure, the next 10 s after that.
    let current = await agents();
    for (let i = 0; i < 60 && Object.values(current).some((a) => a.current !== "idle"); i++) {
      await sleep(1000);
      current = await agents();
    }
    expect(Object.values(current).map((a) => a.current)).toEqual(["idle", "idle", "idle"]);
    for (const unit of UNITS) expect((await ownBag(unit))["after-failure"]).toBe(unit);
  });

  it("elect: the new leader runs leader-elected, every other unit leader-settings-changed", async () => {
    await model.ok("config", "recorder", "--reset", "probe-hook,probe");
    const units = (await model.status()).applications.recorder!.units!;
    const leader = Object.keys(units).find((name) => units[name]!.leader)!;
    const next = UNITS.find((name) => name !== leader)!;
    const before = (await model.hookRuns()).length;
    await model.ok("elect", next);
    const runs = (await model.hookRuns()).slice(before);
    expect(runs.filter((r) => r.unit === next).map((r) => r.hook)).toEqual(["leader-elected"]);
    for (const other of UNITS.filter((name) => name !== next))
      expect(
        runs.filter((r) => r.unit === other).map((r) => r.hook),
        other,
      ).toEqual(["leader-settings-changed"]);
    expect((await model.status()).applications.recorder!.units![next]!.leader).toBe(true);
    expect((await model.ok("exec", "--unit", next, "--", "is-leader")).trim()).toBe("True");
    expect((await model.ok("exec", "--unit", leader, "--", "is-leader")).trim()).toBe("False");
    expect((await model.run("elect", next)).stderr).toMatch(new RegExp(`unit "${next}" is already the leader of "recorder"`));
    expect((await model.run("elect", "recorder/9")).stderr).toMatch(/unit "recorder\/9" not found/);
  });
});
