import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm } from "./harness.js";

/**
 * juju-reboot (contract §3.17): without --now the machine reboots once the hook has completed; with --now the
 * hook is killed, the machine reboots and the hook runs again. A reboot stops every service of the machine and
 * starts the enabled ones, as a boot does.
 */
describe("juju-reboot", () => {
  let model: LocalModelFixture;
  const onUnit = (command: string) => model.ok("exec", "--unit", "recorder/0", "--", command);
  const sleeperPid = async () => Number((await onUnit("systemctl show -p MainPID --value sleeper.service")).trim());
  const configChangedRuns = async () => (await model.debugLog()).filter((e) => e.unit === "recorder/0" && e.kind === "hook" && e.name === "config-changed");

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.21", 6);
    await model.ok("deploy", testCharm("recorder"));
    // An enabled service on the machine, to see the reboot by.
    const unitFile = "[Unit]\nDescription=sleeper\n[Service]\nExecStart=/bin/sleep 1000\n[Install]\nWantedBy=multi-user.target\n";
    await onUnit(`mkdir -p "$UNIT_FS_ROOT/etc/systemd/system" && printf '${unitFile}' > "$UNIT_FS_ROOT/etc/systemd/system/sleeper.service"`);
    await onUnit("systemctl daemon-reload && systemctl enable sleeper.service && systemctl start sleeper.service");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("without --now: the hook completes, then the machine reboots (its enabled service runs again, as a new process)", async () => {
    const before = await sleeperPid();
    const runs = (await configChangedRuns()).length;
    await model.ok("config", "recorder", "probe-hook=config-changed", "probe=juju-reboot; echo still-running");
    const after = await configChangedRuns();
    expect(after.slice(runs).map((e) => [e.exitCode, e.signal])).toEqual([[0, null]]);
    expect(after.at(-1)?.stdout).toContain("still-running");
    const pid = await sleeperPid();
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(before);
  });

  it("with --now: the hook is killed at once, the machine reboots, and the hook runs again", async () => {
    const before = await sleeperPid();
    const runs = (await configChangedRuns()).length;
    // The first run reboots; the run after the reboot finds the marker and completes.
    const probe = 'if [ ! -e "$UNIT_FS_ROOT/rebooted-once" ]; then touch "$UNIT_FS_ROOT/rebooted-once"; juju-reboot --now; echo never-printed; fi; echo done';
    await model.ok("config", "recorder", `probe=${probe}`);
    const after = (await configChangedRuns()).slice(runs);
    expect(after.map((e) => [e.exitCode === 0, e.signal])).toEqual([
      [false, "SIGKILL"],
      [true, null],
    ]);
    expect(after[0]?.stdout).not.toContain("never-printed");
    expect(after[1]?.stdout).toContain("done");
    const pid = await sleeperPid();
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(before);
  });
});
