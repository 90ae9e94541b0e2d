import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
