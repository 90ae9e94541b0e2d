import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureForEachTest, isRunning, waitFor } from "./fixture.js";

/** Type=oneshot (with RemainAfterExit=), ExecStartPre= and Type=forking. */

const fixture = fixtureForEachTest();
const mainPid = (unit = "demo") => fixture.mainPid(unit);

describe("service types", () => {
  it("Type=oneshot runs its commands to completion during start; RemainAfterExit= keeps it active", async () => {
    const marker = path.join(fixture.base, "oneshot");
    await fixture.writeUnit(
      "setup.service",
      `[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 0.2; echo one > ${marker}'\nExecStart=/bin/sh -c 'echo two >> ${marker}'\n`,
    );
    expect((await fixture.systemctl("start", "setup")).code).toBe(0);
    expect(await readFile(marker, "utf8")).toBe("one\ntwo\n");
    expect((await fixture.systemctl("is-active", "setup")).stdout).toBe("inactive\n");

    await fixture.writeUnit("kept.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n");
    await fixture.systemctl("start", "kept");
    expect((await fixture.systemctl("show", "kept", "-p", "ActiveState,SubState")).stdout).toBe("ActiveState=active\nSubState=exited\n");

    await fixture.writeUnit("failing.service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'exit 4'\n");
    const failed = await fixture.systemctl("start", "failing");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^Job for failing\.service failed because the control process exited with error code\./);
  });

  it("a failing ExecStartPre= keeps ExecStart= from running, unless prefixed with -", async () => {
    const marker = path.join(fixture.base, "ran");
    await fixture.writeUnit("pre.service", `[Service]\nExecStartPre=/bin/false\nExecStart=/bin/sh -c 'touch ${marker}; exec sleep 1000'\n`);
    expect((await fixture.systemctl("start", "pre")).code).toBe(1);
    expect(await fixture.property("pre", "ActiveState")).toBe("failed");
    await fixture.writeUnit("pre.service", `[Service]\nExecStartPre=-/bin/false\nExecStart=/bin/sh -c 'touch ${marker}; exec sleep 1000'\n`);
    await fixture.systemctl("daemon-reload");
    expect((await fixture.systemctl("start", "pre")).code).toBe(0);
    await waitFor("ExecStart= to run", () =>
      readFile(marker).then(
        () => true,
        () => false,
      ),
    );
  });

  it("Type=forking takes the daemon from PIDFile= as its main process", async () => {
    const pidFile = path.join(fixture.base, "daemon.pid");
    await fixture.writeUnit("forking.service", `[Service]\nType=forking\nPIDFile=${pidFile}\nExecStart=/bin/sh -c 'sleep 1000 & echo $! > ${pidFile}'\n`);
    expect((await fixture.systemctl("start", "forking")).code).toBe(0);
    const daemon = Number((await readFile(pidFile, "utf8")).trim());
    expect(await mainPid("forking")).toBe(daemon);
    await fixture.systemctl("stop", "forking");
    expect(isRunning(daemon)).toBe(false);
  });
});
