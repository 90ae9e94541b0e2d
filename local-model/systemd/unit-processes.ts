import { setTimeout as sleep } from "node:timers/promises";
import { before, deadlineAfter } from "./deadline.js";
import type { ExecCommand } from "./exec-command.js";
import { commandResult, describeExit, exitResult, type ServiceResult } from "./exit-status.js";
import type { RunContext } from "./run-context.js";
import type { KillMode, ServiceDefinition } from "./service-definition.js";
import { launchProcess, type LaunchResult, type ProcessExit, type ServiceProcess } from "./service-process.js";
import type { UnitLog } from "./unit-log.js";
import type { ExecMainRecord } from "./unit-state.js";

/**
 * The processes one service unit is responsible for: its main process, the control process running now
 * (ExecStartPre=, ExecStop=, …), and the process groups of finished commands that left processes behind.
 * Launching and judging commands, and killing what is left when the service stops (KillMode=,
 * KillSignal=, TimeoutStopSec=), happen here; the unit's state machine decides when.
 */

/** How long to wait for processes after SIGKILL before giving up on them, as systemd does after its final kill. */
const AFTER_SIGKILL_WAIT_MS = 5_000;
const GROUP_POLL_MS = 25;

/** The sub-states a stop goes through while signalling what is left. */
export type KillState = "stop-sigterm" | "stop-sigkill";

export class UnitProcesses {
  private mainProcess: ServiceProcess | undefined;
  private control: ServiceProcess | undefined;
  /** Process groups of finished commands that left processes behind; stopped with the service. */
  private lingering: ServiceProcess[] = [];
  private execMain: ExecMainRecord | undefined;

  constructor(
    private readonly log: UnitLog,
    /** Writes a line about the unit to its journal. */
    private readonly note: (message: string) => void,
    /** Called whenever the processes change, to keep the record of running processes current. */
    private readonly changed: () => void,
    /** The machine's network namespace file, which every command runs in (undefined: the host's network). */
    private readonly networkNamespace?: string,
  ) {}

  get main(): ServiceProcess | undefined {
    return this.mainProcess;
  }

  get mainPid(): number {
    return this.mainProcess?.pid ?? 0;
  }

  get controlPid(): number {
    return this.control?.pid ?? 0;
  }

  /** The last main process, for ExecMain*= properties. */
  get lastMain(): ExecMainRecord | undefined {
    return this.execMain;
  }

  /** The processes still alive, for the record that outlives the daemon. */
  alive(): ServiceProcess[] {
    return [this.mainProcess, this.control, ...this.lingering].filter((process): process is ServiceProcess => process?.groupAlive() === true);
  }

  /** `systemctl kill`: signals without changing state; false when nobody was there to signal. */
  signal(signal: NodeJS.Signals, whom: "all" | "main" | "control"): boolean {
    let signalled = false;
    if (whom !== "control" && this.mainProcess) signalled = this.mainProcess.signal(signal, whom === "main" ? "process" : "group") || signalled;
    if (whom !== "main" && this.control) signalled = this.control.signal(signal, whom === "control" ? "process" : "group") || signalled;
    if (whom === "all") for (const leftover of this.lingering) signalled = leftover.signal(signal, "group") || signalled;
    return signalled;
  }

  /** A stop cuts short a start in progress: the command it waits for (a oneshot's main process too) is terminated. */
  interruptStart(includeMain: boolean): void {
    this.control?.signal("SIGTERM", "group");
    if (includeMain) this.mainProcess?.signal("SIGTERM", "group");
  }

  /** Forgets the leftover groups that have gone meanwhile. */
  pruneLingering(): void {
    this.lingering = this.lingering.filter((process) => process.groupAlive());
  }

  /** $MAINPID for ExecStop= and ExecReload=, while there is a main process. */
  mainPidEnvironment(): Record<string, string> {
    return this.mainProcess ? { MAINPID: String(this.mainProcess.pid) } : {};
  }

  setMain(process: ServiceProcess | undefined): void {
    this.mainProcess = process;
    if (process) this.execMain = { pid: process.pid, startedAt: process.startedAt };
    this.changed();
  }

  recordMainExit(process: ServiceProcess, exit: ProcessExit): void {
    this.execMain = { pid: process.pid, startedAt: process.startedAt, exitedAt: new Date(), exit };
    // Like systemd, only an unclean end is worth a line in the journal.
    if (exitResult(exit) !== "success") this.note(`Main process exited, ${describeExit(exit)}`);
    if (process.groupAlive()) this.lingering.push(process);
    if (this.mainProcess === process) this.mainProcess = undefined;
    this.changed();
  }

  /** The main process could not be started: systemd reports that as the main process exiting with `status`. */
  recordLaunchFailure(status: number, message: string): void {
    this.note(message);
    const exit = { code: status, signal: null };
    const now = new Date();
    this.execMain = { pid: 0, startedAt: now, exitedAt: now, exit };
    this.note(`Main process exited, ${describeExit(exit)}`);
  }

  launch(command: ExecCommand, context: RunContext, extraEnvironment: Record<string, string> = {}): Promise<LaunchResult> {
    return launchProcess({
      command,
      environment: { ...context.environment, ...extraEnvironment },
      credentials: command.elevated ? undefined : context.credentials,
      workingDirectory: context.workingDirectory,
      limitNoFile: context.limitNoFile,
      log: this.log,
      ...(this.networkNamespace ? { networkNamespace: this.networkNamespace } : {}),
    });
  }

  /** Waits for the process to exit; past the deadline it is killed (its whole group) and waited for. */
  async exitOrKill(process: ServiceProcess, deadline: number, what: string): Promise<{ exit: ProcessExit; timedOut: boolean }> {
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
  async runControl(
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
    this.changed();
    const { exit, timedOut } = await this.exitOrKill(process, deadline, `Control process ${command.executable}`);
    let result = timedOut ? "timeout" : commandResult(exit);
    if (!timedOut && result !== "success") this.note(`Control process exited, ${describeExit(exit)}`);
    if (!timedOut && command.ignoreFailure) result = "success";
    this.control = undefined;
    if (process.groupAlive()) this.lingering.push(process);
    this.changed();
    return { result, process };
  }

  /**
   * Stops what is left of the service: KillSignal=, SIGKILL once the deadline has passed (`enter` reports
   * each of those states), then the main process's exit is recorded. Returns "timeout" if SIGKILL was
   * needed, else how the main process ended ("success" without one).
   */
  async terminate(definition: ServiceDefinition, deadline: number, enter: (state: KillState) => void): Promise<ServiceResult> {
    let result: ServiceResult = "success";
    const mode = definition.killMode;
    const targets = [this.mainProcess, ...this.lingering].filter((process): process is ServiceProcess => process?.groupAlive() === true);
    // KillMode=none leaves the processes alone.
    if (targets.length > 0 && mode !== "none") {
      enter("stop-sigterm");
      this.signalForStop(targets, mode, definition.killSignal, false);
      if (!(await this.gone(targets, mode, deadline))) {
        this.note("State 'stop-sigterm' timed out. Killing.");
        enter("stop-sigkill");
        this.signalForStop(targets, mode, "SIGKILL", true);
        result = "timeout";
        if (!(await this.gone(targets, mode, deadlineAfter(AFTER_SIGKILL_WAIT_MS)))) this.note("Processes still around after SIGKILL. Ignoring.");
      }
    }
    const main = this.mainProcess;
    if (main?.exit) {
      this.recordMainExit(main, main.exit);
      if (result === "success") result = exitResult(main.exit);
    } else if (main) {
      // Still there after everything (KillMode=none, or unkillable): no longer the main process, still ours to stop.
      this.lingering.push(main);
      this.mainProcess = undefined;
    }
    this.pruneLingering();
    this.changed();
    return result;
  }

  /**
   * Sends the stop signal, or the final SIGKILL, where KillMode= says: control-group, the whole groups;
   * mixed, the main process first and the groups at the final kill; process, the main process only.
   */
  private signalForStop(targets: readonly ServiceProcess[], mode: KillMode, signal: NodeJS.Signals, final: boolean): void {
    for (const target of targets) {
      const isMain = target === this.mainProcess;
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
}
