import { describe, expect, it } from "vitest";
import { type HookRun, hookCost, stretches } from "../../bench/lib/hooklog.js";

const run = (unit: string, start: number, ms: number, steps: Array<[string, number, number]> = []): HookRun => ({
  unit,
  name: "config-changed",
  start,
  ms,
  steps: steps.map(([action, stepStart, stepMs]) => ({ action, start: stepStart, ms: stepMs })),
});

describe("the bench's accounting of hook time under independent unit agents", () => {
  it("groups hooks that overlap, directly or through others, into one stretch", () => {
    const runs = [run("a/0", 0, 100), run("a/1", 50, 100), run("a/2", 140, 30), run("a/0", 200, 10)];
    expect(stretches(runs).map((s) => [s.start, s.end, s.runs.length])).toEqual([
      [0, 170, 3],
      [200, 210, 1],
    ]);
  });

  it("counts as critical only the time some hook ran, charged along the hooks that kept it going", () => {
    // a/0 runs 0–100 and is in `start-service` from 40; a/1 runs 20–150 (starts before a/0 ends, ends later).
    const runs = [run("a/0", 0, 100, [["start-service", 40, 60]]), run("a/1", 20, 130)];
    const cost = hookCost(runs);
    expect(cost.hookMs).toBe(230);
    expect(cost.criticalMs).toBe(150);
    // Until a/1 starts (20) the model waits for a/0; from then on for a/1, which ends last: a/0's step is off the chain.
    expect(cost.criticalBy).toEqual({
      "hook start → first action (Node, bundle, reading Juju, observing)": 20,
      "hooks that changed nothing (observe + status only)": 130,
    });
  });

  it("charges a hook's phases by the part of them that lies on the chain", () => {
    const runs = [run("a/0", 0, 100, [["add-member", 30, 70]]), run("a/1", 100, 50)];
    const cost = hookCost(runs);
    expect(cost.stretches).toBe(2);
    expect(cost.criticalMs).toBe(150);
    expect(cost.criticalBy).toEqual({
      "hook start → first action (Node, bundle, reading Juju, observing)": 30,
      "action add-member": 70,
      "hooks that changed nothing (observe + status only)": 50,
    });
  });
});
