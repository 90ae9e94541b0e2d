import { describe, expect, it } from "vitest";
import { fixtureForEachTest, isRunning, SLEEPER, waitFor } from "./fixture.js";

/** Starting and stopping services: the states, main PID and output systemctl reports for them. */

const fixture = fixtureForEachTest();
const mainPid = (unit = "demo") => fixture.mainPid(unit);

describe("start, stop and state", () => {
  it("starts a service, reports it active with its main PID, and stops it", async () => {
    await fixture.writeUnit("demo.service", `[Unit]\nDescription=Demo\n[Service]\nExecStart=${SLEEPER}\n`);
    expect(await fixture.systemctl("start", "demo")).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await fixture.systemctl("is-active", "demo.service")).toMatchObject({ code: 0, stdout: "active\n" });
    const pid = await mainPid();
    expect(isRunning(pid)).toBe(true);
    const show = await fixture.systemctl("show", "demo", "-p", "ActiveState,SubState", "--property=LoadState,Result");
    expect(show.stdout).toBe("Result=success\nLoadState=loaded\nActiveState=active\nSubState=running\n");
    expect(await fixture.property("demo", "ExecMainStartTimestamp")).toMatch(/^\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

    expect((await fixture.systemctl("stop", "demo")).code).toBe(0);
    expect(isRunning(pid)).toBe(false);
    expect(await fixture.systemctl("is-active", "demo")).toMatchObject({ code: 3, stdout: "inactive\n" });
    expect(await fixture.systemctl("is-active", "--quiet", "demo")).toMatchObject({ code: 3, stdout: "" });
    expect(await fixture.property("demo", "MainPID")).toBe("0");
    expect(await fixture.property("demo", "ExecMainStatus")).toBe("15");
  });

  it("handles several units in one call and completes names without a suffix", async () => {
    await fixture.writeUnit("one.service", `[Service]\nExecStart=${SLEEPER}\n`);
    await fixture.writeUnit("two.service", `[Service]\nExecStart=${SLEEPER}\n`);
    expect((await fixture.systemctl("start", "one", "two.service")).code).toBe(0);
    expect(await fixture.systemctl("is-active", "one", "two")).toMatchObject({ code: 0, stdout: "active\nactive\n" });
    expect(fixture.manager.runningServices().map((service) => [service.unit, service.subState])).toEqual([
      ["one.service", "running"],
      ["two.service", "running"],
    ]);
    expect((await fixture.systemctl("list-units", "--no-pager")).stdout).toMatch(/one\.service\s+loaded active running/);
    expect((await fixture.systemctl("stop", "one", "two")).code).toBe(0);
    expect(fixture.manager.runningServices()).toEqual([]);
  });

  it("status is human readable and exits 3 for an inactive unit", async () => {
    await fixture.writeUnit("demo.service", `[Unit]\nDescription=Demo service\n[Service]\nExecStart=${SLEEPER}\n`);
    await fixture.systemctl("start", "demo");
    await waitFor("the service's first line", async () => (await fixture.journal("demo")).includes("started"));
    const running = await fixture.systemctl("status", "demo", "--no-pager");
    expect(running.code).toBe(0);
    expect(running.stdout).toMatch(
      /^● demo\.service - Demo service\n {5}Loaded: loaded \(.*demo\.service; static; preset: enabled\)\n {5}Active: active \(running\) since /,
    );
    expect(running.stdout).toMatch(new RegExp(`Main PID: ${await mainPid()} \\(sleep\\)`));
    expect(running.stdout).toMatch(/sh\[\d+\]: started/);
    await fixture.systemctl("stop", "demo");
    const stopped = await fixture.systemctl("status", "demo");
    expect(stopped.code).toBe(3);
    expect(stopped.stdout).toMatch(/Active: inactive \(dead\)/);
  });
});
