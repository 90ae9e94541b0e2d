import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expandArguments, resolveExecutable, type ExecCommand } from "./exec-command.js";
import { canRaiseHardLimits, isSameProcess, ownNoFileLimit, processGroupMembers, processInfo, sendSignal } from "./proc.js";
import type { ResourceLimit } from "./setting-values.js";
import type { UnitLog } from "./unit-log.js";
import type { Credentials } from "./users.js";

/**
 * The processes of a service. Each command is spawned without a shell, in a new session and process group
 * (the group stands in for the unit's cgroup), with stdin on /dev/null and stdout and stderr copied into the
 * unit's log. The machine's network namespace, limits and credentials are applied by exec wrappers that replace
 * themselves with the command, so the command keeps the PID that was spawned: `nsenter --net` (the machine's
 * network namespace, network/model-network.ts), `prlimit` (LimitNOFILE=, set as root so a hard limit can
 * be raised) and `setpriv` (User=/Group= with the user's supplementary groups, as systemd's initgroups()).
 * After a wrapper, an argv[0] of its own ("@" prefix) is set by bash's `exec -a`, which replaces itself too.
 */

/** How a process ended, as Node reports it: an exit code, or the signal that killed it. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running (or finished) process of a service, and the process group it leads or belongs to. */
export interface ServiceProcess {
  readonly pid: number;
  /** From /proc/<pid>/stat: tells this process from a later one with the same PID. */
  readonly startTime: number;
  readonly startedAt: Date;
  /** Resolves when the process has exited (and its output is in the log). */
  readonly exited: Promise<ProcessExit>;
  /** Set once the process has exited. */
  readonly exit: ProcessExit | undefined;
  readonly processGroup: number;
  /** Start time of the group's leader when the group was taken on; -1 when the leader was already gone. */
  readonly groupLeaderStartTime: number;
  /** Signals the process alone, or its whole process group; false when nobody was there to signal. */
  signal(signal: NodeJS.Signals, scope: "process" | "group"): boolean;
  /** Whether the process or another member of its process group is alive. */
  groupAlive(): boolean;
}

/** Exit statuses systemd uses when it cannot run a command (systemd.exec(5), "Process exit codes"). */
export const EXIT_CHDIR = 200;
export const EXIT_EXEC = 203;
export const EXIT_USER = 217;
export const EXIT_NAMESPACE = 226;

class TrackedProcess implements ServiceProcess {
  exit: ProcessExit | undefined;
  readonly exited: Promise<ProcessExit>;
  readonly startedAt = new Date();
  /** Reaped (or, for an adopted process, vanished): its PID may already belong to someone else. */
  private gone = false;
  private report: (exit: ProcessExit) => void = () => {};

  constructor(
    readonly pid: number,
    readonly startTime: number,
    readonly processGroup: number,
    readonly groupLeaderStartTime: number,
  ) {
    this.exited = new Promise((resolve) => (this.report = resolve));
  }

  /** The process is gone; its exit is reported once `settled` resolves. */
  ended(exit: ProcessExit, settled: Promise<unknown>): void {
    this.gone = true;
    void settled.then(() => {
      this.exit = exit;
      this.report(exit);
    });
  }

  signal(signal: NodeJS.Signals, scope: "process" | "group"): boolean {
    if (scope === "process") return !this.gone && isSameProcess(this.pid, this.startTime) && sendSignal(this.pid, signal);
    // While our own child leads the group, the group id cannot belong to anyone else.
    if (!this.gone && this.processGroup === this.pid) return sendSignal(-this.pid, signal);
    if (processGroupMembers(this.processGroup, this.groupLeaderStartTime).length === 0) return false;
    return sendSignal(-this.processGroup, signal);
  }

  groupAlive(): boolean {
    return !this.gone || processGroupMembers(this.processGroup, this.groupLeaderStartTime).length > 0;
  }
}

export interface LaunchRequest {
  readonly command: ExecCommand;
  readonly environment: Readonly<Record<string, string>>;
  /** Undefined: the daemon's own credentials (root). */
  readonly credentials: Credentials | undefined;
  readonly workingDirectory: string;
  readonly limitNoFile: ResourceLimit | undefined;
  readonly log: UnitLog;
  /** The machine's network namespace file; undefined: the host's network. */
  readonly networkNamespace?: string;
}

export type LaunchResult =
  | { readonly ok: true; readonly process: ServiceProcess }
  /** The command could not be started; `status` is the exit status systemd reports for that. */
  | { readonly ok: false; readonly status: number; readonly message: string };

/**
 * LimitNOFILE= as far as it can be applied: without CAP_SYS_RESOURCE (as in many containers) no limit can
 * exceed the daemon's own hard limit, so it is lowered to that rather than failing every start.
 */
export function applicableNoFileLimit(requested: ResourceLimit | undefined): { limit: ResourceLimit | undefined; lowered: boolean } {
  const ceiling = ownNoFileLimit().hard;
  if (!requested || ceiling === null || canRaiseHardLimits()) return { limit: requested, lowered: false };
  const cap = (value: number | null) => (value === null || value > ceiling ? ceiling : value);
  const limit = { soft: cap(requested.soft), hard: cap(requested.hard) };
  return { limit, lowered: limit.soft !== requested.soft || limit.hard !== requested.hard };
}

const limitText = (value: number | null) => (value === null ? "unlimited" : String(value));

/** The argv that runs the command in its machine's network, under its limits and credentials, with its argv[0]. */
function wrappedArgv(executable: string, argv0: string, request: LaunchRequest): { argv: string[] } | { error: string; status: number } {
  const argv: string[] = [];
  if (request.networkNamespace) {
    const nsenter = resolveExecutable("nsenter");
    if (!nsenter) return { error: "the machine's network namespace needs nsenter (util-linux), which is not installed", status: EXIT_NAMESPACE };
    argv.push(nsenter, `--net=${request.networkNamespace}`, "--");
  }
  if (request.limitNoFile) {
    const prlimit = resolveExecutable("prlimit");
    if (!prlimit) return { error: "LimitNOFILE= needs prlimit (util-linux), which is not installed", status: EXIT_EXEC };
    argv.push(prlimit, `--nofile=${limitText(request.limitNoFile.soft)}:${limitText(request.limitNoFile.hard)}`, "--");
  }
  const credentials = request.credentials;
  if (credentials) {
    const setpriv = resolveExecutable("setpriv");
    if (!setpriv) return { error: "User=/Group= need setpriv (util-linux), which is not installed", status: EXIT_USER };
    argv.push(setpriv, `--reuid=${credentials.uid}`, `--regid=${credentials.gid}`, credentials.account ? "--init-groups" : "--clear-groups", "--");
  }
  // After a wrapper argv[0] is the executable's path; an "@" argv[0] is set by bash ("$0"), which replaces itself
  // with the command. Only then: bash adds `_` to the command's environment.
  const bash = resolveExecutable("bash");
  if (argv.length > 0 && argv0 !== request.command.executable && bash) argv.push(bash, "-c", 'exec -a "$0" "$@"', argv0);
  argv.push(executable);
  return { argv };
}

/** Starts one command of a service. Never throws for a command that cannot run: see LaunchResult. */
export async function launchProcess(request: LaunchRequest): Promise<LaunchResult> {
  const { command, log } = request;
  const executable = resolveExecutable(command.executable);
  if (!executable) return { ok: false, status: EXIT_EXEC, message: `Failed to locate executable ${command.executable}: No such file or directory` };
  const directory = await stat(request.workingDirectory).catch(() => undefined);
  if (!directory?.isDirectory()) {
    return {
      ok: false,
      status: EXIT_CHDIR,
      message: `Changing to the requested working directory failed: ${request.workingDirectory}: No such file or directory`,
    };
  }
  const [argv0 = executable, ...args] = expandArguments(command, request.environment);
  const wrapped = wrappedArgv(executable, argv0, request);
  if ("error" in wrapped) return { ok: false, status: wrapped.status, message: wrapped.error };
  const [file = executable, ...wrapperArgs] = wrapped.argv;
  const child = spawn(file, [...wrapperArgs, ...args], {
    // Without a wrapper, argv[0] is chosen here; after one, bash chooses it (wrappedArgv).
    argv0: wrapperArgs.length === 0 ? argv0 : undefined,
    cwd: request.workingDirectory,
    env: { ...request.environment },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once("error", resolve));
    return { ok: false, status: EXIT_EXEC, message: `Failed to execute ${executable}: ${error.message}` };
  }
  // Read at once: until Node reaps the child, its /proc entry is there even if it has already exited.
  const startTime = processInfo(pid)?.startTime ?? -1;
  const identifier = `${path.basename(executable)}[${pid}]`;
  const tracked = new TrackedProcess(pid, startTime, pid, startTime);
  const outputDone = Promise.all([log.follow(child.stdout, identifier), log.follow(child.stderr, identifier)]);
  // Output still in the pipes belongs before the exit in the log; a leftover process holding the pipes open
  // must not delay the exit, though.
  child.once("exit", (code, signal) => tracked.ended({ code, signal }, Promise.race([outputDone, sleep(50)])));
  return { ok: true, process: tracked };
}

/**
 * Takes on a process the service did not spawn itself (the daemon a Type=forking service leaves behind).
 * It is not our child, so its exit is noticed by polling and its exit status is unknown.
 */
export function adoptProcess(pid: number, pollMs = 200): ServiceProcess | undefined {
  const info = processInfo(pid);
  if (!info || info.state === "Z") return undefined;
  const leaderStartTime = processInfo(info.processGroup)?.startTime ?? -1;
  const tracked = new TrackedProcess(pid, info.startTime, info.processGroup, leaderStartTime);
  void (async () => {
    while (isSameProcess(pid, info.startTime)) await sleep(pollMs);
    tracked.ended({ code: null, signal: null }, Promise.resolve());
  })();
  return tracked;
}
