import { describe, expect, it } from "vitest";
import { parseCharmConfig } from "../../../src/charm/config.js";
import type { Action } from "../../../src/charm/decide.js";
import { action, clientUrl, cluster, converged, defaults, member, run } from "./fixtures.js";

describe("config changes", () => {
  it("an invalid value blocks with the option named, touches no file and stops nothing", () => {
    const decision = run(converged(1, { config: parseCharmConfig({ ...defaults, "election-timeout": 5 }) }));
    expect(decision).toEqual({ action: undefined, status: { kind: "blocked", message: "election-timeout 5 must be ≥ 5 × heartbeat-interval (100)" } });
  });

  it("a change etcd must restart for is written with a restart", () => {
    const next = action(converged(1, { config: parseCharmConfig({ ...defaults, "heartbeat-interval": 200 }) }));
    // Not the raft leader: nobody to hand over to; the lock is held through the other members.
    expect(next).toMatchObject({ kind: "write-files", restart: { selfUrl: clientUrl(1), lockEndpoints: [clientUrl(0), clientUrl(2)], handOverTo: undefined } });
  });

  it("the raft leader's restart names the voter that takes over first: the one successor rule", () => {
    const next = action(converged(0, { config: parseCharmConfig({ ...defaults, "heartbeat-interval": 200 }) }));
    expect(next).toMatchObject({ kind: "write-files", restart: { selfUrl: clientUrl(0), lockEndpoints: [clientUrl(1), clientUrl(2)], handOverTo: "1001" } });
    // A voter that does not answer is never chosen.
    const silent = { ...cluster([0, 1, 2].map((i) => member(i))), answering: [clientUrl(0), clientUrl(2)] };
    const skip = action(converged(0, { cluster: silent, config: parseCharmConfig({ ...defaults, "heartbeat-interval": 200 }) }));
    expect(skip).toMatchObject({ kind: "write-files", restart: { lockEndpoints: [clientUrl(2)], handOverTo: "1002" } });
  });

  it("a restart that failed after the new files were written is retried by the next hook, and only then is it done", () => {
    const settings = parseCharmConfig({ ...defaults, "snapshot-count": 5000 });
    const before = converged(1);
    const next = action(converged(1, { config: settings })) as Extract<Action, { kind: "write-files" }>;
    expect(next.restart).toBeDefined();
    // The files are on disk, but etcd still runs with the old ones: the next hook restarts it.
    const written = { ...before.rendered, configText: next.configText, unitText: next.unitText };
    expect(action(converged(1, { config: settings, rendered: written }))).toEqual(next);
    // Once a restart succeeded the record matches the files: nothing left to do.
    const restarted = { ...written, running: { configText: next.configText, unitText: next.unitText } };
    expect(action(converged(1, { config: settings, rendered: restarted }))).toBeUndefined();
    // A unit from before the record existed compares with its files: no restart on upgrade.
    expect(action(converged(1, { config: settings, rendered: { ...written, running: undefined } }))).toBeUndefined();
  });

  it("a stopped member with a valid config is started, not restarted", () => {
    const files = converged(1).rendered;
    expect(action(converged(1, { serviceActive: false }))).toEqual({
      kind: "start",
      wait: { kind: "healthy", url: clientUrl(1) },
      running: { configText: files.configText, unitText: files.unitText },
    });
  });
});
