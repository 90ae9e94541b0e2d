import { describe, expect, it } from "vitest";
import { fixtureForEachTest, isRunning, SLEEPER, waitFor } from "./fixture.js";

/** Finding and loading units: missing, masked and badly set units, units that appear later, and daemon-reload. */

const fixture = fixtureForEachTest();
const mainPid = (unit = "demo") => fixture.mainPid(unit);

describe("missing, masked and bad units", () => {
  it("answers like systemctl for missing and masked units", async () => {
    expect(await fixture.systemctl("start", "absent")).toEqual({
      code: 5,
      stdout: "",
      stderr: "Failed to start absent.service: Unit absent.service not found.\n",
    });
    expect(await fixture.systemctl("stop", "absent")).toMatchObject({ code: 5, stderr: "Failed to stop absent.service: Unit absent.service not loaded.\n" });
    expect(await fixture.systemctl("status", "absent")).toMatchObject({ code: 4, stderr: "Unit absent.service could not be found.\n" });
    expect(await fixture.systemctl("is-active", "absent")).toMatchObject({ code: 3, stdout: "inactive\n" });
    expect((await fixture.systemctl("show", "absent", "-p", "LoadState", "--value")).stdout).toBe("not-found\n");
    expect(await fixture.systemctl("frobnicate", "absent")).toMatchObject({ code: 1, stderr: "Unknown command verb 'frobnicate'.\n" });
    expect(await fixture.systemctl("start", "--bogus", "absent")).toMatchObject({ code: 1, stderr: "systemctl: unrecognized option '--bogus'\n" });

    expect((await fixture.systemctl("mask", "hidden")).code).toBe(0);
    expect(await fixture.systemctl("start", "hidden")).toMatchObject({ code: 1, stderr: "Failed to start hidden.service: Unit hidden.service is masked.\n" });
  });

  it("a unit that appears after a failed lookup is found without daemon-reload", async () => {
    expect((await fixture.systemctl("start", "late")).code).toBe(5);
    await fixture.writeUnit("late.service", `[Service]\nExecStart=${SLEEPER}\n`);
    expect((await fixture.systemctl("start", "late")).code).toBe(0);
  });

  it("refuses a unit with a bad setting", async () => {
    await fixture.writeUnit("bad.service", "[Service]\nExecStart=/bin/true\nExecStart=/bin/false\n");
    const result = await fixture.systemctl("start", "bad");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Failed to start bad\.service: Unit bad\.service has a bad unit file setting\./);
    expect(await fixture.property("bad", "LoadState")).toBe("bad-setting");
  });
});

describe("daemon-reload", () => {
  it("keeps the running process and its old definition until the next restart", async () => {
    await fixture.writeUnit("demo.service", "[Service]\nExecStart=/bin/sh -c 'echo version one; exec sleep 1000'\n");
    await fixture.systemctl("start", "demo");
    const versionOnes = async () => (await fixture.journal("demo")).split("version one").length - 1;
    await waitFor("version one", async () => (await versionOnes()) === 1);
    const first = await mainPid();
    await fixture.writeUnit("demo.service", "[Service]\nExecStart=/bin/sh -c 'echo version two; exec sleep 1000'\n");
    const warned = await fixture.systemctl("start", "demo");
    expect(warned.stderr).toMatch(/changed on disk\. Run 'systemctl daemon-reload' to reload units\./);
    expect(await fixture.property("demo", "NeedDaemonReload")).toBe("yes");

    // Without daemon-reload a restart still runs the loaded definition.
    await fixture.systemctl("restart", "demo");
    await waitFor("version one again", async () => (await versionOnes()) === 2);
    const second = await mainPid();

    await fixture.systemctl("daemon-reload");
    expect(await fixture.property("demo", "NeedDaemonReload")).toBe("no");
    expect(await mainPid()).toBe(second);
    expect(isRunning(second)).toBe(true);
    expect(await fixture.property("demo", "ExecStart")).toMatch(/version two/);
    expect(await fixture.journal("demo")).not.toMatch(/version two/);

    await fixture.systemctl("restart", "demo");
    await waitFor("version two", async () => (await fixture.journal("demo")).includes("version two"));
    expect(isRunning(first)).toBe(false);
  });
});
