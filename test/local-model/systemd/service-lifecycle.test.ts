import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { processGroupMembers } from "../../../local-model/systemd/proc.js";
import { ServiceManager } from "../../../local-model/systemd/service-manager.js";
import { createFixture, isRunning, waitFor, type ManagerFixture } from "./fixture.js";

/** A service that says it started and then waits; `exec` makes sleep the main process itself. */
const SLEEPER = `/bin/sh -c 'echo started; exec sleep 1000'`;

let fixture: ManagerFixture;
beforeEach(async () => {
  fixture = await createFixture();
});
afterEach(async () => {
  await fixture.cleanup();
});

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

describe("process environment", () => {
  it("passes Environment= and EnvironmentFile= variables over a minimal base, and expands them in ExecStart=", async () => {
    const envFile = path.join(fixture.base, "demo.env");
    await writeFile(envFile, `# settings\nFROM_FILE="quoted value"\nOVERRIDDEN=from-file\nWORDS=alpha beta\n`);
    await fixture.writeUnit(
      "env.service",
      [
        "[Service]",
        "Type=oneshot",
        `Environment="GREETING=hello world" OVERRIDDEN=from-unit`,
        `EnvironmentFile=${envFile}`,
        "EnvironmentFile=-/nonexistent/optional.env",
        `ExecStart=/bin/sh -c 'echo "greeting=$GREETING file=$FROM_FILE over=$OVERRIDDEN path=$PATH lang=$LANG home=\${HOME:-unset}"; printf "[%%s]" "$@"; echo' sh $WORDS \${WORDS}`,
      ].join("\n"),
    );
    expect((await fixture.systemctl("start", "env")).code).toBe(0);
    const journal = await fixture.journal("env");
    expect(journal).toContain(
      "greeting=hello world file=quoted value over=from-file path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin lang=C.UTF-8 home=unset",
    );
    expect(journal).toContain("[alpha][beta][alpha beta]");
  });

  it("fails the start when a required EnvironmentFile= is missing", async () => {
    await fixture.writeUnit("env.service", `[Service]\nExecStart=${SLEEPER}\nEnvironmentFile=/nonexistent/required.env\n`);
    const result = await fixture.systemctl("start", "env");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/because of unavailable resources/);
    expect(await fixture.property("env", "Result")).toBe("resources");
  });

  it("runs as User= with that user's environment and in WorkingDirectory=", async () => {
    const hasEtcd = (await execa("id", ["-u", "etcd"], { reject: false })).exitCode === 0;
    const user = hasEtcd ? "etcd" : "nobody";
    const uid = (await execa("id", ["-u", user])).stdout.trim();
    const gid = (await execa("id", ["-g", user])).stdout.trim();
    await fixture.writeUnit(
      "whoami.service",
      `[Service]\nType=oneshot\nUser=${user}\nWorkingDirectory=/tmp\nExecStart=/bin/sh -c 'echo "uid=$(id -u) gid=$(id -g) user=$USER cwd=$(pwd)"'\nExecStartPost=+/bin/sh -c 'echo "post uid=$(id -u)"'\n`,
    );
    expect((await fixture.systemctl("start", "whoami")).code).toBe(0);
    const journal = await fixture.journal("whoami");
    expect(journal).toContain(`uid=${uid} gid=${gid} user=${user} cwd=/tmp`);
    // The "+" prefix runs a command with full privileges.
    expect(journal).toContain("post uid=0");
  });

  it("applies LimitNOFILE=", async () => {
    await fixture.writeUnit(
      "limits.service",
      "[Service]\nType=oneshot\nLimitNOFILE=4096:8192\nExecStart=/bin/sh -c 'echo soft=$(ulimit -Sn) hard=$(ulimit -Hn)'\n",
    );
    expect((await fixture.systemctl("start", "limits")).code).toBe(0);
    expect(await fixture.journal("limits")).toContain("soft=4096 hard=8192");
  });

  it("reports a missing executable as status 203/EXEC", async () => {
    await fixture.writeUnit("missing.service", "[Service]\nType=exec\nExecStart=/nonexistent/daemon\n");
    expect((await fixture.systemctl("start", "missing")).code).toBe(1);
    expect(await fixture.property("missing", "ExecMainStatus")).toBe("203");
    expect(await fixture.journal("missing")).toMatch(/Failed to locate executable \/nonexistent\/daemon/);
  });
});

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
