import type { ServiceDefinition } from "./service-definition.js";
import type { ServiceProcess } from "./service-process.js";
import { UnitLifecycle } from "./unit-lifecycle.js";
import type { UnitLog } from "./unit-log.js";
import type { LoadedUnit, Machine } from "./unit-lookup.js";
import { JOB_DONE, type ActiveState, type JobOutcome, type UnitSnapshot } from "./unit-state.js";

/**
 * One service on one machine, as systemctl's verbs act on it. Operations that change state run one at a
 * time, in order (systemd's jobs); a process's exit is handled as such an operation too. The state machine
 * the jobs drive is UnitLifecycle's.
 */

/** What a unit needs from the service manager. */
export interface UnitHost {
  readonly machine: Machine;
  readonly log: UnitLog;
  /** Called whenever the unit's processes change, to keep the record of running processes current. */
  processesChanged(): void;
}

export class ServiceUnit {
  private readonly lifecycle: UnitLifecycle;
  private jobs: Promise<unknown> = Promise.resolve();

  constructor(host: UnitHost, loaded: LoadedUnit) {
    this.lifecycle = new UnitLifecycle(
      loaded,
      host.log,
      () => host.processesChanged(),
      (job) => this.enqueue(job),
      host.machine.networkNamespace,
    );
  }

  get name(): string {
    return this.lifecycle.loaded.name;
  }

  get loaded(): LoadedUnit {
    return this.lifecycle.loaded;
  }

  /** The definition stop, kill and ExecStop= use: the current one if the unit still loads (as systemd does). */
  get definition(): ServiceDefinition | undefined {
    return this.lifecycle.definition;
  }

  get activeState(): ActiveState {
    return this.lifecycle.activeState;
  }

  /** daemon-reload: the new definition applies from the next start; running processes are left alone. */
  replaceLoaded(loaded: LoadedUnit): void {
    this.lifecycle.loaded = loaded;
  }

  start(): Promise<JobOutcome> {
    return this.enqueue(() => this.lifecycle.start("manual"));
  }

  stop(): Promise<JobOutcome> {
    this.lifecycle.requestStop();
    return this.enqueue(() => this.lifecycle.stop());
  }

  restart(): Promise<JobOutcome> {
    this.lifecycle.requestStop();
    return this.enqueue(async () => {
      await this.lifecycle.stop();
      return this.lifecycle.start("manual");
    });
  }

  /** Restarts the unit only if it is active (or on its way there). */
  tryRestart(): Promise<JobOutcome> {
    return this.enqueue(async () => {
      if (this.activeState === "inactive" || this.activeState === "failed") return JOB_DONE;
      this.lifecycle.requestStop();
      await this.lifecycle.stop();
      return this.lifecycle.start("manual");
    });
  }

  /** Runs ExecReload=; the caller has checked the unit is active and has it. */
  reload(): Promise<JobOutcome> {
    return this.enqueue(() => this.lifecycle.reload());
  }

  /** `systemctl kill`: signals without changing state; what the processes do about it decides the rest. */
  kill(signal: NodeJS.Signals, whom: "all" | "main" | "control"): boolean {
    return this.lifecycle.processes.signal(signal, whom);
  }

  resetFailed(): void {
    this.lifecycle.resetFailed();
  }

  /** The processes the unit is responsible for, for the record that outlives the daemon. */
  liveProcesses(): ServiceProcess[] {
    return this.lifecycle.processes.alive();
  }

  snapshot(): UnitSnapshot {
    return this.lifecycle.snapshot();
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.jobs.then(job);
    this.jobs = run.catch((error: unknown) => this.lifecycle.note(`internal error: ${error instanceof Error ? error.message : String(error)}`));
    return run;
  }
}
