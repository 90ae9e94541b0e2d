import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { processGroupMembers } from "../../../local-model/systemd/proc.js";
import { ServiceManager } from "../../../local-model/systemd/service-manager.js";
import { fixtureForEachTest, isRunning, SLEEPER, waitFor } from "./fixture.js";

/** The units' log files, the record of running processes that outlives the daemon, and stopMachine. */

const fixture = fixtureForEachTest();
const mainPid = (unit = "demo") => fixture.mainPid(unit);

describe("logs and the process record", () => {
  it("writes each output line with a timestamp to <stateDir>/logs/<machine>/<unit>.log", async () => {
    await fixture.writeUnit("chatty.service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo to stdout; echo to stderr >&2; printf partial'\n");
    await fixture.systemctl("start", "chatty");
    const file = path.join(fixture.stateDir, "logs", "app-0", "chatty.service.log");
    const journal = await fixture.journal("chatty");
    expect(await readFile(file, "utf8")).toBe(journal);
    const line = /^(\S+) sh\[\d+\]: to stdout$/m.exec(journal);
    expect(new Date(line![1]!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(journal).toMatch(/sh\[\d+\]: to stderr\n/);
    expect(journal).toMatch(/sh\[\d+\]: partial\n/);
    expect((await fixture.journal("chatty", 1)).split("\n")).toHaveLength(2);
  });

  it("records running PIDs with their start times, and killRecorded kills what a dead daemon left", async () => {
    await fixture.writeUnit("left.service", `[Service]\nExecStart=/bin/sh -c 'sleep 1000 & exec sleep 1000'\n`);
    await fixture.systemctl("start", "left");
    const pid = await mainPid("left");
    const recordFile = path.join(fixture.stateDir, "services.json");
    const record = await waitFor("the record", async () => {
      const text = await readFile(recordFile, "utf8").catch(() => "");
      return text.includes(`"pid": ${pid}`) ? (JSON.parse(text) as { processes: Array<{ unit: string; pid: number; startTime: number }> }) : undefined;
    });
    expect(record.processes).toEqual([expect.objectContaining({ machine: "app/0", unit: "left.service", pid, processGroup: pid })]);
    expect(record.processes[0]!.startTime).toBeGreaterThan(0);

    // As if the daemon had died: another process reads the record and kills the group.
    expect(await ServiceManager.killRecorded(fixture.stateDir)).toEqual([pid]);
    expect(isRunning(pid)).toBe(false);
    expect(processGroupMembers(pid, record.processes[0]!.startTime)).toEqual([]);
    expect(await ServiceManager.killRecorded(fixture.stateDir)).toEqual([]);
  });

  it("killRecorded leaves alone a PID that now belongs to another process", async () => {
    const stranger = execa("sleep", ["1000"], { detached: true });
    const pid = stranger.pid!;
    // Recorded with a start time the live process does not have: the PID was reused.
    const recorded = { machine: "m", unit: "u.service", pid, startTime: 1, processGroup: pid, groupLeaderStartTime: 1 };
    await mkdir(fixture.stateDir, { recursive: true });
    await writeFile(path.join(fixture.stateDir, "services.json"), JSON.stringify({ daemonPid: 1, updatedAt: "", processes: [recorded] }));
    expect(await ServiceManager.killRecorded(fixture.stateDir)).toEqual([]);
    expect(isRunning(pid)).toBe(true);
    stranger.kill("SIGKILL");
    await stranger.catch(() => undefined);
  });

  it("stopMachine stops every service of that machine", async () => {
    await fixture.writeUnit("a.service", `[Service]\nExecStart=${SLEEPER}\n`);
    await fixture.writeUnit("b.service", `[Service]\nExecStart=${SLEEPER}\nRestart=always\n`);
    await fixture.systemctl("start", "a", "b");
    const pids = [await mainPid("a"), await mainPid("b")];
    await fixture.manager.stopMachine(fixture.machine);
    expect(pids.map(isRunning)).toEqual([false, false]);
    expect(fixture.manager.runningServices()).toEqual([]);
  });
});
