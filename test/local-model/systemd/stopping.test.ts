import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureForEachTest, isRunning, SLEEPER, waitFor } from "./fixture.js";

/** Stopping a service: TimeoutStopSec=, KillSignal=, the process group, ExecStop= and systemctl kill. */

const fixture = fixtureForEachTest();
const mainPid = (unit = "demo") => fixture.mainPid(unit);

describe("stopping", () => {
  it("sends SIGKILL to a process that ignores SIGTERM once TimeoutStopSec= has passed", async () => {
    await fixture.writeUnit(
      "stubborn.service",
      `[Service]\nExecStart=/bin/sh -c 'trap "" TERM; echo ready; while :; do sleep 0.05; done'\nTimeoutStopSec=300ms\n`,
    );
    await fixture.systemctl("start", "stubborn");
    await waitFor("the trap to be set", async () => (await fixture.journal("stubborn")).includes("ready"));
    const pid = await mainPid("stubborn");
    const started = Date.now();
    expect((await fixture.systemctl("stop", "stubborn")).code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(isRunning(pid)).toBe(false);
    expect(await fixture.property("stubborn", "Result")).toBe("timeout");
    expect(await fixture.journal("stubborn")).toMatch(/State 'stop-sigterm' timed out\. Killing\./);
  });

  it("uses KillSignal= and kills the whole process group, and runs ExecStop= with $MAINPID", async () => {
    const stopLog = path.join(fixture.base, "stop.log");
    await fixture.writeUnit(
      "group.service",
      [
        "[Service]",
        // The shell is the main process; the sleep is another member of its process group.
        `ExecStart=/bin/sh -c 'trap "exit 0" HUP; sleep 1000 & echo child $!; wait'`,
        `ExecStop=/bin/sh -c 'echo stopping $MAINPID > ${stopLog}'`,
        "KillSignal=SIGHUP",
      ].join("\n"),
    );
    await fixture.systemctl("start", "group");
    const childLine = await waitFor("the child's PID", async () => /child (\d+)/.exec(await fixture.journal("group")) ?? undefined);
    const child = Number(childLine[1]);
    const main = await mainPid("group");
    expect(isRunning(child)).toBe(true);
    await fixture.systemctl("stop", "group");
    expect(isRunning(child)).toBe(false);
    expect(await readFile(stopLog, "utf8")).toBe(`stopping ${main}\n`);
    expect(await fixture.property("group", "Result")).toBe("success");
  });

  it("systemctl kill signals the service, and Restart= decides what follows", async () => {
    await fixture.writeUnit("demo.service", `[Service]\nExecStart=${SLEEPER}\nRestart=on-failure\nRestartSec=10ms\n`);
    await fixture.systemctl("start", "demo");
    const first = await mainPid();
    expect((await fixture.systemctl("kill", "--signal=SIGKILL", "demo")).code).toBe(0);
    await waitFor("the restart after SIGKILL", async () => (await fixture.property("demo", "NRestarts")) === "1");
    // SIGTERM is a clean end: on-failure does not restart.
    expect((await fixture.systemctl("kill", "-s", "TERM", "demo")).code).toBe(0);
    await waitFor("the clean stop", async () => (await fixture.property("demo", "ActiveState")) === "inactive");
    expect(isRunning(first)).toBe(false);
    expect(await fixture.systemctl("kill", "demo")).toMatchObject({ code: 1, stderr: "Failed to kill unit demo.service: No process to kill\n" });
  });
});
