import { stat, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { EnvironmentFileError, readEnvironmentFiles } from "./environment-file.js";
import type { ExecCommand } from "./exec-command.js";
import { commandResult, describeExit, exitResult, restartWanted, type ServiceResult } from "./exit-status.js";
import { adoptProcess, applicableNoFileLimit, EXIT_USER, launchProcess, type LaunchResult, type ProcessExit, type ServiceProcess } from "./service-process.js";
import { processGroupMembers } from "./proc.js";
import type { KillMode, ResourceLimit, ServiceDefinition } from "./unit-file.js";
import type { LoadedUnit, Machine } from "./unit-lookup.js";
import type { UnitLog } from "./unit-log.js";
import { CredentialsError, resolveCredentials, type Credentials } from "./users.js";

/**
 * One service on one machine: its state machine (systemd.service(5)) from start through running, exit,
 * automatic restart and stop. Operations that change state run one at a time, in order (systemd's jobs);
 * a process's exit is handled as such an operation too.
 */

export type SubState =
  | "dead"
  | "start-pre"
  | "start"
  | "start-post"
  | "running"
  | "exited"
  | "reload"
  | "stop"
  | "stop-sigterm"
  | "stop-sigkill"
  | "stop-post"
  | "failed"
  | "auto-restart";

export type ActiveState = "active" | "reloading" | "inactive" | "failed" | "activating" | "deactivating";

export const ACTIVE_STATE_OF: Readonly<Record<SubState, ActiveState>> = {
  dead: "inactive",
  "start-pre": "activating",
  start: "activating",
  "start-post": "activating",
  running: "active",
  exited: "active",
  reload: "reloading",
  stop: "deactivating",
  "stop-sigterm": "deactivating",
  "stop-sigkill": "deactivating",
  "stop-post": "deactivating",
  failed: "failed",
  "auto-restart": "activating",
};

/** The last main process: ExecMainPID=, ExecMainStartTimestamp=, ExecMainStatus= and friends. */
export interface ExecMainRecord {
  readonly pid: number;
  readonly startedAt: Date;
  readonly exitedAt?: Date;
  readonly exit?: ProcessExit;
}

export interface StateTimestamps {
  stateChange?: Date;
  activeEnter?: Date;
  activeExit?: Date;
  inactiveEnter?: Date;
  inactiveExit?: Date;
}

/** A unit's state at one moment, for `show`, `status` and `list-units`. */
export interface UnitSnapshot {
  readonly loaded: LoadedUnit;
  /** The definition in force: the loaded one, or the one the unit last started with if it no longer loads. */
  readonly definition: ServiceDefinition | undefined;
  readonly activeState: ActiveState;
  readonly subState: SubState;
  readonly result: ServiceResult;
  readonly mainPid: number;
  readonly controlPid: number;
  readonly nRestarts: number;
  readonly execMain: ExecMainRecord | undefined;
  readonly timestamps: Readonly<StateTimestamps>;
}

/** The snapshot of a unit the manager holds no state for (never started, or not found). */
export function idleSnapshot(loaded: LoadedUnit): UnitSnapshot {
  return {
    loaded,
    definition: loaded.definition,
    activeState: "inactive",
    subState: "dead",
    result: "success",
    mainPid: 0,
    controlPid: 0,
    nRestarts: 0,
    execMain: undefined,
    timestamps: {},
  };
}

export type JobOutcome = { readonly ok: true } | { readonly ok: false; readonly result: ServiceResult };

/** What a unit needs from the service manager. */
export interface UnitHost {
  readonly machine: Machine;
  readonly log: UnitLog;
  /** Called whenever the unit's processes change, to keep the record of running processes current. */
  processesChanged(): void;
}

/** What a command of the service runs with, fixed when the service starts. */
interface RunContext {
  readonly environment: Readonly<Record<string, string>>;
  readonly credentials: Credentials | undefined;
  readonly workingDirectory: string;
  readonly limitNoFile: ResourceLimit | undefined;
}

export const BASE_ENVIRONMENT: Readonly<Record<string, string>> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
};

const OK: JobOutcome = { ok: true };
/** How long to wait for processes after SIGKILL before giving up on them, as systemd does after its final kill. */
const AFTER_SIGKILL_WAIT_MS = 5_000;
const GROUP_POLL_MS = 25;

const deadlineAfter = (milliseconds: number | null) => (milliseconds === null ? Infinity : Date.now() + milliseconds);

/** Resolves to the promise's value, or to undefined once the deadline (a Date.now() value) has passed. */
async function before<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  if (deadline === Infinity) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class ServiceUnit {
  private loadedUnit: LoadedUnit;
  /** The definition the unit last started with; stop and kill use it when the unit no longer loads. */
  private startedDefinition: ServiceDefinition | undefined;
  private context: RunContext | undefined;
  private sub: SubState = "dead";
  private result: ServiceResult = "success";
  private main: ServiceProcess | undefined;
  private control: ServiceProcess | undefined;
  /** Process groups of finished commands that left processes behind; stopped with the service. */
  private lingering: ServiceProcess[] = [];
  private restarts = 0;
  private execMain: ExecMainRecord | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private startAttempts: number[] = [];
  private jobs: Promise<unknown> = Promise.resolve();
  /** A stop was asked for: no automatic restart until it is done. */
  private stopRequested = false;
  /** ExecStop= runs only for a service that got as far as running. */
  private reachedRunning = false;
  private readonly timestamps: StateTimestamps = {};

  constructor(
    private readonly host: UnitHost,
    loaded: LoadedUnit,
  ) {
    this.loadedUnit = loaded;
  }

  get name(): string {
    return this.loadedUnit.name;
  }

  get loaded(): LoadedUnit {
    return this.loadedUnit;
  }

  /** The definition stop, kill and ExecStop= use: the current one if the unit still loads (as systemd does). */
  get definition(): ServiceDefinition | undefined {
    return this.loadedUnit.definition ?? this.startedDefinition;
  }

  get activeState(): ActiveState {
    return ACTIVE_STATE_OF[this.sub];
  }

  /** daemon-reload: the new definition applies from the next start; running processes are left alone. */
  replaceLoaded(loaded: LoadedUnit): void {
    this.loadedUnit = loaded;
  }

  start(): Promise<JobOutcome> {
    return this.enqueue(() => this.runStart("manual"));
  }

  stop(): Promise<JobOutcome> {
    this.requestStop();
    return this.enqueue(() => this.runStop());
  }

  restart(): Promise<JobOutcome> {
    this.requestStop();
    return this.enqueue(async () => {
      await this.runStop();
      return this.runStart("manual");
    });
  }

  /** Restarts the unit only if it is active (or on its way there). */
  tryRestart(): Promise<JobOutcome> {
    return this.enqueue(async () => {
      if (this.activeState === "inactive" || this.activeState === "failed") return OK;
      this.requestStop();
      await this.runStop();
      return this.runStart("manual");
    });
  }

  /** Runs ExecReload=; the caller has checked the unit is active and has it. */
  reload(): Promise<JobOutcome> {
    return this.enqueue(() => this.runReload());
  }

  /** `systemctl kill`: signals without changing state; what the processes do about it decides the rest. */
  kill(signal: NodeJS.Signals, whom: "all" | "main" | "control"): boolean {
    let signalled = false;
    if (whom !== "control" && this.main) signalled = this.main.signal(signal, whom === "main" ? "process" : "group") || signalled;
    if (whom !== "main" && this.control) signalled = this.control.signal(signal, whom === "control" ? "process" : "group") || signalled;
    if (whom === "all") for (const leftover of this.lingering) signalled = leftover.signal(signal, "group") || signalled;
    return signalled;
  }

  resetFailed(): void {
    if (this.sub === "failed") this.setSub("dead");
    this.result = "success";
    this.restarts = 0;
    this.startAttempts = [];
  }

  /** The processes the unit is responsible for, for the record that outlives the daemon. */
  processes(): ServiceProcess[] {
    return [this.main, this.control, ...this.lingering].filter((process): process is ServiceProcess => process?.groupAlive() === true);
  }

  snapshot(): UnitSnapshot {
    return {
      loaded: this.loadedUnit,
      definition: this.definition,
      activeState: this.activeState,
      subState: this.sub,
      result: this.result,
      mainPid: this.main?.pid ?? 0,
      controlPid: this.control?.pid ?? 0,
      nRestarts: this.restarts,
      execMain: this.execMain,
      timestamps: { ...this.timestamps },
    };
  }

  private note(message: string): void {
    this.host.log.note(this.name, message);
  }

  private title(definition: ServiceDefinition | undefined): string {
    return definition?.description || this.name;
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.jobs.then(job);
    this.jobs = run.catch((error: unknown) => this.note(`internal error: ${error instanceof Error ? error.message : String(error)}`));
    return run;
  }

  private setSub(next: SubState): void {
    const before = ACTIVE_STATE_OF[this.sub];
    const after = ACTIVE_STATE_OF[next];
    this.sub = next;
    const now = new Date();
    this.timestamps.stateChange = now;
    if (before === after) return;
    const inactive = (state: ActiveState) => state === "inactive" || state === "failed";
    if (after === "active") this.timestamps.activeEnter = now;
    if (before === "active") this.timestamps.activeExit = now;
    if (inactive(after) && !inactive(before)) this.timestamps.inactiveEnter = now;
    if (inactive(before) && !inactive(after)) this.timestamps.inactiveExit = now;
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  /** A stop cuts short a start in progress: the command it is waiting for is terminated. */
  private requestStop(): void {
    this.stopRequested = true;
    this.clearRestartTimer();
    if (this.sub === "start-pre" || this.sub === "start" || this.sub === "start-post") {
      this.control?.signal("SIGTERM", "group");
      if (this.definition?.type === "oneshot") this.main?.signal("SIGTERM", "group");
    }
  }

  private setMain(process: ServiceProcess | undefined): void {
    this.main = process;
    if (process) this.execMain = { pid: process.pid, startedAt: process.startedAt };
    this.host.processesChanged();
  }

  private recordMainExit(process: ServiceProcess, exit: ProcessExit): void {
    this.execMain = { pid: process.pid, startedAt: process.startedAt, exitedAt: new Date(), exit };
    // Like systemd, only an unclean end is worth a line in the journal.
    if (exitResult(exit) !== "success") this.note(`Main process exited, ${describeExit(exit)}`);
    if (process.groupAlive()) this.lingering.push(process);
    if (this.main === process) this.main = undefined;
    this.host.processesChanged();
  }

  /** Fixes the environment, credentials and working directory for this run of the service. */
  private async runContext(definition: ServiceDefinition): Promise<RunContext> {
    const credentials =
      definition.user !== undefined || definition.group !== undefined ? await resolveCredentials(definition.user, definition.group) : undefined;
    const environment: Record<string, string> = { ...BASE_ENVIRONMENT };
    if (credentials?.account && definition.user !== undefined) {
      const { name, home, shell } = credentials.account;
      Object.assign(environment, { USER: name, LOGNAME: name, HOME: home, SHELL: shell });
    }
    for (const [name, value] of definition.environment) environment[name] = value;
    Object.assign(environment, await readEnvironmentFiles(definition.environmentFiles));
    const directory = definition.workingDirectory;
    let workingDirectory = directory?.path === "~" ? (credentials?.account?.home ?? "/root") : (directory?.path ?? "/");
    if (directory?.optional && !(await stat(workingDirectory).catch(() => undefined))?.isDirectory()) workingDirectory = "/";
    const { limit, lowered } = applicableNoFileLimit(definition.limitNoFile);
    if (lowered) this.note(`LimitNOFILE= lowered to ${limit?.soft}:${limit?.hard}, the service manager's own hard limit (no CAP_SYS_RESOURCE).`);
    return { environment, credentials, workingDirectory, limitNoFile: limit };
  }

  private launch(command: ExecCommand, context: RunContext, extraEnvironment: Record<string, string> = {}): Promise<LaunchResult> {
    return launchProcess({
      command,
      environment: { ...context.environment, ...extraEnvironment },
      credentials: command.elevated ? undefined : context.credentials,
      workingDirectory: context.workingDirectory,
      limitNoFile: context.limitNoFile,
      log: this.host.log,
    });
  }

  /** Waits for the process to exit; past the deadline it is killed (its whole group) and waited for. */
  private async exitOrKill(process: ServiceProcess, deadline: number, what: string): Promise<{ exit: ProcessExit; timedOut: boolean }> {
    const exit = await before(process.exited, deadline);
    if (exit !== undefined) return { exit, timedOut: false };
    this.note(`${what} timed out. Killing.`);
    process.signal("SIGKILL", "group");
    return { exit: await process.exited, timedOut: true };
  }

  /**
   * Runs a control command (ExecStartPre=, ExecStop=, a Type=forking ExecStart=, …) to its end or the
   * deadline, and judges it; also returns the process, whose group may have members left.
   */
  private async runControl(
    command: ExecCommand,
    context: RunContext,
    deadline: number,
    extraEnvironment: Record<string, string> = {},
  ): Promise<{ result: ServiceResult; process: ServiceProcess | undefined }> {
    const launched = await this.launch(command, context, extraEnvironment);
    if (!launched.ok) {
      this.note(launched.message);
      this.note(`Control process exited, ${describeExit({ code: launched.status, signal: null })}`);
      return { result: command.ignoreFailure ? "success" : "exit-code", process: undefined };
    }
    const process = launched.process;
    this.control = process;
    this.host.processesChanged();
    const { exit, timedOut } = await this.exitOrKill(process, deadline, `Control process ${command.executable}`);
    let result = timedOut ? "timeout" : commandResult(exit);
    if (!timedOut && result !== "success") this.note(`Control process exited, ${describeExit(exit)}`);
    if (!timedOut && command.ignoreFailure) result = "success";
    this.control = undefined;
    if (process.groupAlive()) this.lingering.push(process);
    this.host.processesChanged();
    return { result, process };
  }

  /** Runs the commands in turn in the given state; the first that fails ends the run with its result. */
  private async runCommands(
    state: SubState,
    commands: readonly ExecCommand[],
    context: RunContext,
    deadline: number,
    extraEnvironment: Record<string, string> = {},
  ): Promise<ServiceResult> {
    if (commands.length === 0) return "success";
    this.setSub(state);
    for (const command of commands) {
      const { result } = await this.runControl(command, context, deadline, extraEnvironment);
      if (result !== "success") return result;
    }
    return "success";
  }

  /** $MAINPID for ExecStop= and ExecReload=, while there is a main process. */
  private mainPidEnvironment(): Record<string, string> {
    return this.main ? { MAINPID: String(this.main.pid) } : {};
  }

  private startLimitHit(definition: ServiceDefinition): boolean {
    const limit = definition.startLimit;
    if (!limit || limit.intervalMs === 0 || limit.burst === 0) return false;
    const now = Date.now();
    this.startAttempts = this.startAttempts.filter((at) => now - at < limit.intervalMs);
    if (this.startAttempts.length >= limit.burst) return true;
    this.startAttempts.push(now);
    return false;
  }

  private async runStart(trigger: "manual" | "automatic"): Promise<JobOutcome> {
    if (this.activeState === "active" || this.activeState === "reloading") return OK;
    this.clearRestartTimer();
    const definition = this.loadedUnit.definition;
    if (!definition) return { ok: false, result: "resources" };
    this.startedDefinition = definition;
    if (trigger === "manual") this.restarts = 0;
    if (this.startLimitHit(definition)) {
      this.note("Start request repeated too quickly.");
      this.enterDead("start-limit-hit");
      return { ok: false, result: "start-limit-hit" };
    }
    this.result = "success";
    this.lingering = this.lingering.filter((process) => process.groupAlive());
    if (trigger === "manual") this.note(`Starting ${this.title(definition)}...`);
    const startDeadline = deadlineAfter(definition.timeoutStartMs);
    try {
      this.context = await this.runContext(definition);
    } catch (error) {
      // systemd meets a bad User= in the forked child (exit status 217/USER), so a simple service's start
      // job still succeeds; a missing EnvironmentFile= fails before anything is forked.
      if (error instanceof CredentialsError) return this.mainLaunchFailed(definition, EXIT_USER, error.message);
      if (!(error instanceof EnvironmentFileError)) throw error;
      this.note(error.message);
      return this.finish(definition, "resources", false);
    }
    const context = this.context;
    const preResult = await this.runCommands("start-pre", definition.execStartPre, context, startDeadline);
    if (preResult !== "success") return this.finish(definition, preResult, false);
    this.setSub("start");
    const failed =
      definition.type === "oneshot"
        ? await this.startOneshot(definition, context, startDeadline)
        : definition.type === "forking"
          ? await this.startForking(definition, context, startDeadline)
          : await this.startMain(definition, context);
    if (failed) return failed;
    const postResult = await this.runCommands("start-post", definition.execStartPost, context, startDeadline);
    if (postResult !== "success") return this.finish(definition, postResult, false);
    this.reachedRunning = true;
    if (definition.type !== "oneshot") {
      this.setSub("running");
      this.note(`Started ${this.title(definition)}.`);
      return OK;
    }
    if (definition.remainAfterExit) this.setSub("exited");
    // A finished oneshot without RemainAfterExit= ends like any service whose processes are gone.
    else await this.finish(definition, "success", true);
    this.note(`Finished ${this.title(definition)}.`);
    return OK;
  }

  /** Type=simple, exec and notify: the command is the main process. Returns an outcome only on failure. */
  private async startMain(definition: ServiceDefinition, context: RunContext): Promise<JobOutcome | undefined> {
    const launched = await this.launch(definition.execStart[0]!, context);
    if (!launched.ok) return this.mainLaunchFailed(definition, launched.status, launched.message);
    this.watchMain(launched.process);
    return undefined;
  }

  /** Type=oneshot: each ExecStart= runs to completion in turn, as the main process. */
  private async startOneshot(definition: ServiceDefinition, context: RunContext, deadline: number): Promise<JobOutcome | undefined> {
    for (const command of definition.execStart) {
      const launched = await this.launch(command, context);
      if (!launched.ok) return this.mainLaunchFailed(definition, launched.status, launched.message);
      const process = launched.process;
      this.setMain(process);
      const { exit, timedOut } = await this.exitOrKill(process, deadline, "Start operation");
      this.recordMainExit(process, exit);
      if (timedOut) return this.finish(definition, "timeout", false);
      const result = commandResult(exit);
      if (result !== "success" && !command.ignoreFailure) return this.finish(definition, result, false);
    }
    return undefined;
  }

  /** Type=forking: ExecStart= exits once its daemon runs; the daemon (PIDFile= or the one left) is the main process. */
  private async startForking(definition: ServiceDefinition, context: RunContext, deadline: number): Promise<JobOutcome | undefined> {
    // The start command is a control process: its daemon becomes the main process.
    const { result, process: parent } = await this.runControl(definition.execStart[0]!, context, deadline);
    if (result !== "success" || !parent) return this.finish(definition, result === "success" ? "protocol" : result, false);
    const pid = await this.forkedMainPid(definition, parent);
    const daemon = pid === undefined ? undefined : adoptProcess(pid);
    if (!daemon) {
      this.note(definition.pidFile ? `Can't open PID file ${definition.pidFile} (yet?) after start: No such process` : "New main PID could not be determined.");
      return this.finish(definition, "protocol", false);
    }
    this.watchMain(daemon);
    return undefined;
  }

  private async forkedMainPid(definition: ServiceDefinition, parent: ServiceProcess): Promise<number | undefined> {
    if (definition.pidFile) {
      const text = await readFile(definition.pidFile, "utf8").catch(() => "");
      const pid = Number(text.trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    }
    // Without PIDFile=, guess as systemd does when one process is left: the lowest PID left in the group.
    const members = processGroupMembers(parent.processGroup, parent.groupLeaderStartTime);
    return members.map((member) => member.pid).sort((a, b) => a - b)[0];
  }

  /** The main process could not be started: systemd reports that as the main process exiting with `status`. */
  private mainLaunchFailed(definition: ServiceDefinition, status: number, message: string): Promise<JobOutcome> {
    this.note(message);
    const exit = { code: status, signal: null };
    const now = new Date();
    this.execMain = { pid: 0, startedAt: now, exitedAt: now, exit };
    this.note(`Main process exited, ${describeExit(exit)}`);
    // Type=simple's start job is done once the process is forked, so the start itself succeeds.
    return this.finish(definition, "exit-code", definition.type === "simple");
  }

  private watchMain(process: ServiceProcess): void {
    this.setMain(process);
    void process.exited.then((exit) => this.enqueue(() => this.mainExited(process, exit)));
  }

  private async mainExited(process: ServiceProcess, exit: ProcessExit): Promise<void> {
    if (this.main !== process) return;
    this.recordMainExit(process, exit);
    const definition = this.definition;
    if (!definition) return;
    const result = exitResult(exit);
    if (result === "success" && definition.remainAfterExit) {
      this.setSub("exited");
      return;
    }
    await this.finish(definition, result, true);
  }

  /**
   * The service ends: ExecStop= (if it was running), remaining processes signalled, ExecStopPost=; then
   * inactive or failed, and an automatic restart if Restart= asks for one and no stop was requested.
   */
  private async finish(definition: ServiceDefinition, result: ServiceResult, startSucceeded: boolean): Promise<JobOutcome> {
    const cancelled = this.stopRequested;
    const final = await this.stopProcesses(cancelled ? "success" : result);
    this.enterDead(final);
    if (!this.stopRequested && restartWanted(definition.restart, final)) this.scheduleRestart(definition);
    return startSucceeded || cancelled ? OK : { ok: false, result: final };
  }

  private enterDead(result: ServiceResult): void {
    this.result = result;
    this.setSub(result === "success" ? "dead" : "failed");
    this.note(result === "success" ? "Deactivated successfully." : `Failed with result '${result}'.`);
  }

  private scheduleRestart(definition: ServiceDefinition): void {
    this.setSub("auto-restart");
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.enqueue(async () => {
        if (this.sub !== "auto-restart") return;
        this.restarts++;
        this.note(`Scheduled restart job, restart counter is at ${this.restarts}.`);
        await this.runStart("automatic");
      }).catch(() => undefined);
    }, definition.restartMs);
  }

  private async runStop(): Promise<JobOutcome> {
    try {
      if (this.sub === "auto-restart") this.setSub("dead");
      if (this.activeState === "inactive" || this.activeState === "failed") return OK;
      const definition = this.definition;
      this.note(`Stopping ${this.title(definition)}...`);
      this.enterDead(await this.stopProcesses("success"));
      this.note(`Stopped ${this.title(definition)}.`);
      return OK;
    } finally {
      this.stopRequested = false;
    }
  }

  private async runReload(): Promise<JobOutcome> {
    const definition = this.definition;
    const context = this.context;
    const previous = this.sub;
    if (!definition || !context || (previous !== "running" && previous !== "exited")) return { ok: false, result: "resources" };
    this.note(`Reloading ${this.title(definition)}...`);
    const deadline = deadlineAfter(definition.timeoutStartMs);
    const result = await this.runCommands("reload", definition.execReload, context, deadline, this.mainPidEnvironment());
    if (this.sub === "reload") this.setSub(previous);
    this.note(result === "success" ? `Reloaded ${this.title(definition)}.` : `Reload failed with result '${result}'.`);
    return result === "success" ? OK : { ok: false, result };
  }

  /**
   * Sends the stop signal, or the final SIGKILL, where KillMode= says: control-group, the whole groups;
   * mixed, the main process first and the groups at the final kill; process, the main process only.
   */
  private signalForStop(targets: readonly ServiceProcess[], mode: KillMode, signal: NodeJS.Signals, final: boolean): void {
    for (const target of targets) {
      const isMain = target === this.main;
      const scope = mode === "control-group" || (mode === "mixed" && final) ? "group" : isMain ? "process" : undefined;
      if (scope === undefined) continue;
      target.signal(signal, scope);
      // A stopped process must be able to act on the signal.
      if (!final) target.signal("SIGCONT", scope);
    }
  }

  /** Waits until the targets are gone: their whole groups, unless KillMode=process looks at the main process only. */
  private async gone(targets: readonly ServiceProcess[], mode: KillMode, deadline: number): Promise<boolean> {
    for (const target of targets) if ((await before(target.exited, deadline)) === undefined) return false;
    if (mode === "process") return true;
    while (targets.some((target) => target.groupAlive())) {
      if (Date.now() >= deadline) return false;
      await sleep(GROUP_POLL_MS);
    }
    return true;
  }

  /** ExecStop=, then KillSignal= to what is left, SIGKILL after TimeoutStopSec=, then ExecStopPost=. */
  private async stopProcesses(initial: ServiceResult): Promise<ServiceResult> {
    let result = initial;
    const fail = (next: ServiceResult) => {
      if (result === "success") result = next;
    };
    const definition = this.definition;
    const context = this.context;
    if (!definition) return result;
    const deadline = deadlineAfter(definition.timeoutStopMs);
    if (this.reachedRunning && context) fail(await this.runCommands("stop", definition.execStop, context, deadline, this.mainPidEnvironment()));
    this.reachedRunning = false;
    const mode = definition.killMode;
    const targets = [this.main, ...this.lingering].filter((process): process is ServiceProcess => process?.groupAlive() === true);
    // KillMode=none leaves the processes alone.
    if (targets.length > 0 && mode !== "none") {
      this.setSub("stop-sigterm");
      this.signalForStop(targets, mode, definition.killSignal, false);
      if (!(await this.gone(targets, mode, deadline))) {
        this.note("State 'stop-sigterm' timed out. Killing.");
        this.setSub("stop-sigkill");
        this.signalForStop(targets, mode, "SIGKILL", true);
        fail("timeout");
        if (!(await this.gone(targets, mode, Date.now() + AFTER_SIGKILL_WAIT_MS))) this.note("Processes still around after SIGKILL. Ignoring.");
      }
    }
    const main = this.main;
    if (main?.exit) {
      this.recordMainExit(main, main.exit);
      fail(exitResult(main.exit));
    } else if (main) {
      // Still there after everything (KillMode=none, or unkillable): no longer the main process, still ours to stop.
      this.lingering.push(main);
      this.main = undefined;
    }
    this.lingering = this.lingering.filter((process) => process.groupAlive());
    this.host.processesChanged();
    if (context) fail(await this.runCommands("stop-post", definition.execStopPost, context, deadlineAfter(definition.timeoutStopMs)));
    return result;
  }
}
