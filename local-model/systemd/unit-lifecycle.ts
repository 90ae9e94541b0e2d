import { deadlineAfter } from "./deadline.js";
import { EnvironmentFileError } from "./environment-file.js";
import type { ExecCommand } from "./exec-command.js";
import { exitResult, restartWanted, type ServiceResult } from "./exit-status.js";
import { resolveRunContext, type RunContext } from "./run-context.js";
import type { ServiceDefinition } from "./service-definition.js";
import { EXIT_USER, type ProcessExit, type ServiceProcess } from "./service-process.js";
import { StartRateLimit, startByType } from "./service-start.js";
import type { UnitLog } from "./unit-log.js";
import type { LoadedUnit } from "./unit-lookup.js";
import { UnitProcesses } from "./unit-processes.js";
import {
  ACTIVE_STATE_OF,
  JOB_DONE,
  stampTransition,
  type ActiveState,
  type JobOutcome,
  type StateTimestamps,
  type SubState,
  type UnitSnapshot,
} from "./unit-state.js";
import { CredentialsError } from "./users.js";

/**
 * The state machine of one service (systemd.service(5)): start through running, exit, automatic restart
 * and stop, with the state, result and restart count `show` reports. Its operations are meant to run as
 * ServiceUnit's jobs, one at a time; a main process's exit and an automatic restart are queued as jobs too.
 */

/** Queues an operation behind the unit's other jobs. */
export type EnqueueJob = <T>(job: () => Promise<T>) => Promise<T>;

export class UnitLifecycle {
  loaded: LoadedUnit;
  readonly processes: UnitProcesses;
  /** The definition the unit last started with; stop and kill use it when the unit no longer loads. */
  private startedDefinition: ServiceDefinition | undefined;
  private context: RunContext | undefined;
  private sub: SubState = "dead";
  private result: ServiceResult = "success";
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly startLimit = new StartRateLimit();
  /** A stop was asked for: no automatic restart until it is done. */
  private stopRequested = false;
  /** ExecStop= runs only for a service that got as far as running. */
  private reachedRunning = false;
  private readonly timestamps: StateTimestamps = {};

  constructor(
    loaded: LoadedUnit,
    private readonly log: UnitLog,
    processesChanged: () => void,
    private readonly enqueue: EnqueueJob,
    /** The machine's network namespace file, which every command of the unit runs in. */
    networkNamespace?: string,
  ) {
    this.loaded = loaded;
    this.processes = new UnitProcesses(log, (message) => this.note(message), processesChanged, networkNamespace);
  }

  /** The definition stop, kill and ExecStop= use: the current one if the unit still loads (as systemd does). */
  get definition(): ServiceDefinition | undefined {
    return this.loaded.definition ?? this.startedDefinition;
  }

  get activeState(): ActiveState {
    return ACTIVE_STATE_OF[this.sub];
  }

  /** Writes a line about the unit to its journal. */
  note(message: string): void {
    this.log.note(this.loaded.name, message);
  }

  resetFailed(): void {
    if (this.sub === "failed") this.setSub("dead");
    this.result = "success";
    this.restarts = 0;
    this.startLimit.reset();
  }

  snapshot(): UnitSnapshot {
    return {
      loaded: this.loaded,
      definition: this.definition,
      activeState: this.activeState,
      subState: this.sub,
      result: this.result,
      mainPid: this.processes.mainPid,
      controlPid: this.processes.controlPid,
      nRestarts: this.restarts,
      execMain: this.processes.lastMain,
      timestamps: { ...this.timestamps },
    };
  }

  /** A stop was asked for (before its job runs): no more automatic restarts, and a start in progress is cut short. */
  requestStop(): void {
    this.stopRequested = true;
    this.clearRestartTimer();
    if (this.sub === "start-pre" || this.sub === "start" || this.sub === "start-post") this.processes.interruptStart(this.definition?.type === "oneshot");
  }

  async start(trigger: "manual" | "automatic"): Promise<JobOutcome> {
    if (this.activeState === "active" || this.activeState === "reloading") return JOB_DONE;
    this.clearRestartTimer();
    const definition = this.loaded.definition;
    if (!definition) return { ok: false, result: "resources" };
    this.startedDefinition = definition;
    if (trigger === "manual") this.restarts = 0;
    if (this.startLimit.hit(definition.startLimit)) {
      this.note("Start request repeated too quickly.");
      this.enterDead("start-limit-hit");
      return { ok: false, result: "start-limit-hit" };
    }
    this.result = "success";
    this.processes.pruneLingering();
    if (trigger === "manual") this.note(`Starting ${this.title(definition)}...`);
    const startDeadline = deadlineAfter(definition.timeoutStartMs);
    try {
      this.context = await resolveRunContext(definition, (message) => this.note(message));
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
    const started = await startByType(definition, context, startDeadline, this.processes, (message) => this.note(message));
    if (started.step === "launch-failed") return this.mainLaunchFailed(definition, started.status, started.message);
    if (started.step === "failed") return this.finish(definition, started.result, false);
    if (started.step === "running") this.watchMain(started.main);
    const postResult = await this.runCommands("start-post", definition.execStartPost, context, startDeadline);
    if (postResult !== "success") return this.finish(definition, postResult, false);
    this.reachedRunning = true;
    if (definition.type !== "oneshot") {
      this.setSub("running");
      this.note(`Started ${this.title(definition)}.`);
      return JOB_DONE;
    }
    if (definition.remainAfterExit) this.setSub("exited");
    // A finished oneshot without RemainAfterExit= ends like any service whose processes are gone.
    else await this.finish(definition, "success", true);
    this.note(`Finished ${this.title(definition)}.`);
    return JOB_DONE;
  }

  async stop(): Promise<JobOutcome> {
    try {
      if (this.sub === "auto-restart") this.setSub("dead");
      if (this.activeState === "inactive" || this.activeState === "failed") return JOB_DONE;
      const definition = this.definition;
      this.note(`Stopping ${this.title(definition)}...`);
      this.enterDead(await this.stopProcesses("success"));
      this.note(`Stopped ${this.title(definition)}.`);
      return JOB_DONE;
    } finally {
      this.stopRequested = false;
    }
  }

  /** Runs ExecReload=; the caller has checked the unit is active and has it. */
  async reload(): Promise<JobOutcome> {
    const definition = this.definition;
    const context = this.context;
    const previous = this.sub;
    if (!definition || !context || (previous !== "running" && previous !== "exited")) return { ok: false, result: "resources" };
    this.note(`Reloading ${this.title(definition)}...`);
    const deadline = deadlineAfter(definition.timeoutStartMs);
    const result = await this.runCommands("reload", definition.execReload, context, deadline, this.processes.mainPidEnvironment());
    if (this.sub === "reload") this.setSub(previous);
    this.note(result === "success" ? `Reloaded ${this.title(definition)}.` : `Reload failed with result '${result}'.`);
    return result === "success" ? JOB_DONE : { ok: false, result };
  }

  private title(definition: ServiceDefinition | undefined): string {
    return definition?.description || this.loaded.name;
  }

  private setSub(next: SubState): void {
    stampTransition(this.timestamps, this.sub, next);
    this.sub = next;
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
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
      const { result } = await this.processes.runControl(command, context, deadline, extraEnvironment);
      if (result !== "success") return result;
    }
    return "success";
  }

  /** The main process could not be started: systemd reports that as the main process exiting with `status`. */
  private mainLaunchFailed(definition: ServiceDefinition, status: number, message: string): Promise<JobOutcome> {
    this.processes.recordLaunchFailure(status, message);
    // Type=simple's start job is done once the process is forked, so the start itself succeeds.
    return this.finish(definition, "exit-code", definition.type === "simple");
  }

  private watchMain(process: ServiceProcess): void {
    this.processes.setMain(process);
    void process.exited.then((exit) => this.enqueue(() => this.mainExited(process, exit)));
  }

  private async mainExited(process: ServiceProcess, exit: ProcessExit): Promise<void> {
    if (this.processes.main !== process) return;
    this.processes.recordMainExit(process, exit);
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
    return startSucceeded || cancelled ? JOB_DONE : { ok: false, result: final };
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
        await this.start("automatic");
      }).catch(() => undefined);
    }, definition.restartMs);
  }

  /** ExecStop=, then KillSignal= to what is left, SIGKILL after TimeoutStopSec=, then ExecStopPost=; the first failure is the result. */
  private async stopProcesses(initial: ServiceResult): Promise<ServiceResult> {
    let result = initial;
    const fail = (next: ServiceResult) => {
      if (result === "success") result = next;
    };
    const definition = this.definition;
    const context = this.context;
    if (!definition) return result;
    const deadline = deadlineAfter(definition.timeoutStopMs);
    if (this.reachedRunning && context) fail(await this.runCommands("stop", definition.execStop, context, deadline, this.processes.mainPidEnvironment()));
    this.reachedRunning = false;
    fail(await this.processes.terminate(definition, deadline, (state) => this.setSub(state)));
    if (context) fail(await this.runCommands("stop-post", definition.execStopPost, context, deadlineAfter(definition.timeoutStopMs)));
    return result;
  }
}
