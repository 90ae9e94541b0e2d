import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DebugLogEntry } from "../../local-model/debug-log.js";
import { LocalModelFixture, probeOutput, testCharm } from "./harness.js";

/** Unit agents run independently (Juju's), or in seeded rounds with `--scheduling rounds` (not Juju's). */

const end = (entry: DebugLogEntry) => Date.parse(entry.time) + entry.durationMs;
const start = (entry: DebugLogEntry) => Date.parse(entry.time);
/** recorder/0's install sleeps; recorder/1's hooks do not (rounds). */
const slowInstall = (seconds: number) => ["--config", "probe-hook=install", "--config", `probe=case $JUJU_UNIT_NAME in recorder/0) sleep ${seconds};; esac`];

/** recorder/1's hooks that ended before recorder/0's slow install did. */
function hooksDuringSlowInstall(log: DebugLogEntry[]): string[] {
  const slow = log.find((e) => e.unit === "recorder/0" && e.name === "install")!;
  return log.filter((e) => e.unit === "recorder/1" && e.kind === "hook" && end(e) < end(slow)).map((e) => e.name);
}

describe("independent unit agents (the default)", { timeout: 120_000 }, () => {
  let model: LocalModelFixture;
  const rootOf = (unit: string) => path.join(model.dir, "units", unit.replace("/", "-"), "root");
  /** Polls until the condition holds (300 tries; each condition waits a little first). */
  const until = async (what: string, condition: () => Promise<boolean>) => {
    for (let i = 0; i < 300; i++) if (await condition()) return;
    throw new Error(`timed out waiting for ${what}`);
  };
  /** A shell loop that holds recorder/0's hook until the test creates <root>/<file> (60 s at most). */
  const holdUntil = (file: string) => `i=0; while [ ! -e "$UNIT_FS_ROOT/${file}" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`;

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.32", 7);
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("a unit busy in a slow hook delays only itself: the other unit runs its whole deploy sequence meanwhile", async () => {
    // recorder/0's install is held until recorder/1 has run its start hook; under rounds it never would.
    const probe = `case $JUJU_UNIT_NAME in recorder/0) ${holdUntil("go")};; esac`;
    const deployed = model.ok("deploy", testCharm("recorder"), "-n", "2", "--config", "probe-hook=install", "--config", `probe=${probe}`);
    await until("recorder/1's start hook", async () => {
      await sleep(200);
      return (await model.run("debug-log", "--format=json", "--include", "recorder/1")).stdout.includes('"name":"start"');
    });
    await writeFile(path.join(rootOf("recorder/0"), "go"), "");
    await deployed;
    const log = await model.debugLog();
    const during = hooksDuringSlowInstall(log);
    expect(during).toEqual(["install", "ring-relation-created", expect.stringMatching(/^leader-(elected|settings-changed)$/), "config-changed", "start"]);
    // The peers join once recorder/0 is in the relation's scope (its relation-created committed).
    const joined = log.find((e) => e.unit === "recorder/1" && e.name === "ring-relation-joined")!;
    const created = log.find((e) => e.unit === "recorder/0" && e.name === "ring-relation-created")!;
    expect(start(joined)).toBeGreaterThanOrEqual(end(created));
  });

  it("another unit's commit does not change what a running hook reads; its next hook about that unit does (§3.1)", async () => {
    await model.ok("exec", "--unit", "recorder/1", "--", "relation-set -r ring:0 mark=old");
    await model.ok("wait");
    const before = (await model.debugLog()).length;
    // recorder/0's config-changed reads recorder/1's mark, is held while recorder/1 writes, and reads it again.
    const read = "relation-get -r ring:0 mark recorder/1";
    const probe = `case $JUJU_UNIT_NAME in recorder/0) ${read}; touch "$UNIT_FS_ROOT/first-read"; ${holdUntil("read-again")}; ${read};; esac`;
    const configured = model.ok("config", "recorder", "probe-hook=config-changed", `probe=${probe}`);
    await until("recorder/0's first read", async () => {
      await sleep(100);
      return (await stat(path.join(rootOf("recorder/0"), "first-read")).catch(() => undefined)) !== undefined;
    });
    await model.ok("exec", "--unit", "recorder/1", "--", "relation-set -r ring:0 mark=new");
    // An exec on the busy unit waits for its hook to end (never concurrent with a hook of the same unit).
    const execOnBusy = model.ok("exec", "--unit", "recorder/0", "--", "true");
    await sleep(500);
    await writeFile(path.join(rootOf("recorder/0"), "read-again"), "");
    await Promise.all([configured, execOnBusy]);
    const log = (await model.debugLog()).slice(before);
    const held = log.find((e) => e.unit === "recorder/0" && e.name === "config-changed")!;
    const write = log.find((e) => e.unit === "recorder/1" && e.kind === "exec")!;
    const queuedExec = log.find((e) => e.unit === "recorder/0" && e.kind === "exec")!;
    expect(end(write)).toBeLessThan(end(held));
    expect(probeOutput(held.stdout)).toEqual(["old", "old"]);
    expect(start(queuedExec)).toBeGreaterThanOrEqual(end(held));
    expect(log.some((e) => e.unit === "recorder/0" && e.name === "ring-relation-changed" && e.remoteUnit === "recorder/1")).toBe(true);
    expect((await model.ok("exec", "--unit", "recorder/0", "--", read)).trim()).toBe("new");
  });
});

describe("--scheduling rounds: seeded rounds that replay", { timeout: 120_000 }, () => {
  const runModel = async (subnet: string) => {
    const model = await LocalModelFixture.create(subnet, 4242, ["--scheduling", "rounds"]);
    try {
      await model.ok("deploy", testCharm("recorder"), "-n", "3", ...slowInstall(2));
      return await model.debugLog();
    } finally {
      await model.destroy();
    }
  };

  it("each round waits for its slowest hook, and the same seed replays the same global order of hook runs", async () => {
    const first = await runModel("127.0.32");
    const second = await runModel("127.0.32");
    const order = (log: DebugLogEntry[]) => log.map((e) => `${e.unit} ${e.name} ${e.remoteUnit ?? ""}`);
    expect(order(second)).toEqual(order(first));
    expect(first.length).toBeGreaterThan(20);
    expect(hooksDuringSlowInstall(first)).toEqual(["install"]);
  });

  it("an unknown --scheduling is refused, naming the choices", async () => {
    const model = await LocalModelFixture.create("127.0.32", 1, ["--scheduling", "lockstep"]);
    const result = await model.run("status");
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/argument 'lockstep' is invalid\. Allowed choices are agents, rounds\./);
    await model.destroy();
  });
});
