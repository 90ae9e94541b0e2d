import path from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureForEachTest, isRunning, SLEEPER, waitFor } from "./fixture.js";

/** Restart=, RestartSec=, NRestarts and the start rate limit. */

const fixture = fixtureForEachTest();
const mainPid = (unit = "demo") => fixture.mainPid(unit);

describe("restarts", () => {
  it("restarts a SIGKILLed main process with Restart=always and counts NRestarts", async () => {
    await fixture.writeUnit("demo.service", `[Service]\nExecStart=${SLEEPER}\nRestart=always\nRestartSec=50ms\n`);
    await fixture.systemctl("start", "demo");
    const first = await mainPid();
    process.kill(first, "SIGKILL");
    const second = await fixture.nextMainPid("demo", first);
    expect(isRunning(second)).toBe(true);
    expect(await fixture.property("demo", "NRestarts")).toBe("1");
    expect(await fixture.property("demo", "ActiveState")).toBe("active");
    process.kill(second, "SIGKILL");
    await waitFor("the second restart", async () => (await fixture.property("demo", "NRestarts")) === "2");
    const journal = await fixture.journal("demo");
    expect(journal).toMatch(/demo\.service: Main process exited, code=killed, status=9\/KILL/);
    expect(journal).toMatch(/demo\.service: Scheduled restart job, restart counter is at 2\./);
    // A manual restart is not an automatic one: the counter starts again.
    await fixture.systemctl("restart", "demo");
    expect(await fixture.property("demo", "NRestarts")).toBe("0");
  });

  it("leaves a killed service failed with Restart=no", async () => {
    await fixture.writeUnit("demo.service", `[Service]\nExecStart=${SLEEPER}\nRestart=no\n`);
    await fixture.systemctl("start", "demo");
    process.kill(await mainPid(), "SIGKILL");
    await waitFor("the failure", async () => (await fixture.systemctl("is-failed", "demo")).code === 0);
    expect((await fixture.systemctl("show", "demo", "-p", "ActiveState,SubState,Result,NRestarts,ExecMainCode,ExecMainStatus")).stdout).toBe(
      "Result=signal\nNRestarts=0\nExecMainCode=2\nExecMainStatus=9\nActiveState=failed\nSubState=failed\n",
    );
    expect(await fixture.systemctl("is-active", "demo")).toMatchObject({ code: 3, stdout: "failed\n" });
    await fixture.systemctl("reset-failed", "demo");
    expect((await fixture.systemctl("is-active", "demo")).stdout).toBe("inactive\n");
  });

  it("Restart=on-failure restarts after a non-zero exit but not after a clean one", async () => {
    const marker = path.join(fixture.base, "runs");
    // Fails on its first run, exits 0 on its second.
    await fixture.writeUnit(
      "demo.service",
      `[Service]\nExecStart=/bin/sh -c 'echo run >> ${marker}; [ $(wc -l < ${marker}) -ge 2 ] && exit 0; exit 7'\nRestart=on-failure\nRestartSec=10ms\n`,
    );
    await fixture.systemctl("start", "demo");
    await waitFor(
      "the clean exit",
      async () => (await fixture.property("demo", "ActiveState")) === "inactive" && (await fixture.property("demo", "NRestarts")) === "1",
    );
    expect(await fixture.property("demo", "Result")).toBe("success");
    expect(await fixture.journal("demo")).toMatch(/Main process exited, code=exited, status=7\//);
  });

  it("stops restarting when StartLimitBurst= is reached", async () => {
    await fixture.writeUnit(
      "demo.service",
      "[Unit]\nStartLimitIntervalSec=10s\nStartLimitBurst=3\n[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=10ms\n",
    );
    await fixture.systemctl("start", "demo");
    await waitFor("the start limit", async () => (await fixture.property("demo", "Result")) === "start-limit-hit");
    expect(await fixture.property("demo", "ActiveState")).toBe("failed");
    const again = await fixture.systemctl("start", "demo");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Job for demo\.service failed because start of the service was attempted too often\./);
  });
});
