import type { HookProcessResult, RunningHook } from "./hook-runner.js";

/**
 * Which unit runs what right now, and what each unit ran last: what stop() kills, and what a wait that
 * timed out reports as stuck.
 */

interface Run {
  readonly unit: string;
  readonly label: string;
  readonly started: number;
  readonly process: RunningHook;
}

export class Activity {
  private readonly running = new Map<string, Run>();
  /** Last operation per unit, to name what a timed-out wait is stuck on. */
  private readonly lastLabel = new Map<string, string>();

  /** The unit is about to run this operation ("install", "action backup", "exec"). */
  preparing(unit: string, label: string): void {
    this.lastLabel.set(unit, label);
  }

  /** Tracks the unit's process until it ends, and returns how it ended. */
  async track(unit: string, label: string, process: RunningHook): Promise<HookProcessResult> {
    this.running.set(unit, { unit, label, started: Date.now(), process });
    try {
      return await process.done;
    } finally {
      this.running.delete(unit);
    }
  }

  /** Kills what the unit runs now, with everything it started (its process group). */
  kill(unit: string): void {
    this.running.get(unit)?.process.kill("SIGKILL");
  }

  killAll(): void {
    for (const run of this.running.values()) run.process.kill("SIGKILL");
  }

  describeBusy(): string {
    const now = Date.now();
    const running = [...this.running.values()].map((run) => `${run.unit} is running "${run.label}" (for ${Math.round((now - run.started) / 1000)}s)`);
    if (running.length > 0) return running.join("; ");
    const recent = [...this.lastLabel.entries()].map(([unit, label]) => `${unit} last ran "${label}"`);
    return recent.length > 0 ? `hooks keep being queued: ${recent.join("; ")}` : "no progress";
  }
}
