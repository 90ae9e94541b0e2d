import { prepareRun } from "./hook-run.js";
import { settleModel } from "./model-settle.js";
import { shuffled } from "./random.js";
import type { Operation } from "./resolver.js";
import type { UnitState } from "./state.js";
import { nextOperationOf, nextTimerMs, unitsByName, type AgentHost, type UnitAgents } from "./unit-work.js";

/**
 * The deterministic schedule (`--scheduling rounds`, not Juju's): each round asks every unit for its next
 * operation (contract §5.1), runs them concurrently (one per unit), waits for the slowest, then commits their
 * results in a seeded order. Hooks of a round see the model as it was when the round began, so the same seed
 * replays the same global order of hook runs for charms that behave the same.
 */
export class RoundAgents implements UnitAgents {
  private wake: (() => void) | undefined;
  private stopped = false;
  private loopDone: Promise<void> | undefined;

  constructor(private readonly host: AgentHost) {}

  start(): void {
    this.loopDone = this.loop();
  }

  notify(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const { host } = this;
    while (!this.stopped) {
      settleModel(host.model.state);
      const round = await this.planRound();
      if (round.length === 0) {
        await host.persist();
        host.idleReached();
        await this.sleep(nextTimerMs(host.model.state));
        continue;
      }
      host.busy();
      await this.runRound(round);
      await host.persist();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Every unit with work and its next operation, units in a seeded order. */
  private async planRound(): Promise<Array<{ unit: UnitState; op: Operation }>> {
    const now = Date.now();
    const state = this.host.model.state;
    const round: Array<{ unit: UnitState; op: Operation }> = [];
    for (const unit of shuffled(state, unitsByName(state))) {
      const op = await nextOperationOf(this.host.model, unit, now);
      if (op) round.push({ unit, op });
    }
    return round;
  }

  /** Prepared in the round's order, run concurrently, finished (committed) in the round's order. */
  private async runRound(round: Array<{ unit: UnitState; op: Operation }>): Promise<void> {
    const prepared = [];
    for (const { unit, op } of round) prepared.push(await prepareRun(this.host.runs, unit, op));
    const ended = await Promise.all(prepared.map(async (run) => ({ run, result: await run.run() })));
    for (const { run, result } of ended) await run.finish(result);
  }
}
