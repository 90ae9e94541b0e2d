import { prepareRun } from "./hook-run.js";
import { settleModel } from "./model-settle.js";
import type { Operation } from "./resolver.js";
import type { UnitState } from "./state.js";
import { nextOperationOf, nextTimerMs, unitsByName, type AgentHost, type UnitAgents } from "./unit-work.js";

/**
 * Juju's unit agents, each on its own (the default, `--scheduling agents`): a unit with nothing running asks
 * the resolver for its next operation (contract §5.1) and runs it; when it ends it is committed at once and
 * the unit, with every unit the commit gave work to, goes on while other units' hooks keep running. A unit
 * busy for minutes in one hook delays only itself. Hooks read committed state at the time of each call,
 * through the unit's relation cache (§3.1, relation-cache.ts), so reads within a hook stay stable.
 */
export class IndependentAgents implements UnitAgents {
  /** Units with an operation in flight, until it is committed. */
  private readonly running = new Map<string, Promise<void>>();
  private pumping = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: AgentHost) {}

  start(): void {
    this.notify();
  }

  notify(): void {
    void this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.running.values()]);
  }

  /** One pass at a time; a request during a pass runs another pass after it. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.startWork();
      } while (this.again && !this.stopped);
    } finally {
      this.pumping = false;
    }
  }

  /** Starts the next operation of every unit that has one and runs nothing; idle when no unit runs anything. */
  private async startWork(): Promise<void> {
    if (this.stopped) return;
    const { model } = this.host;
    const state = model.state;
    settleModel(state);
    const now = Date.now();
    for (const unit of unitsByName(state)) {
      if (this.stopped) return;
      if (this.running.has(unit.name)) continue;
      const op = await nextOperationOf(model, unit, now);
      // The state may have moved on while the charm was read: the unit may have started or gone.
      if (!op || this.running.has(unit.name) || state.units[unit.name] !== unit) continue;
      this.host.busy();
      this.running.set(unit.name, this.runOperation(unit, op));
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => this.notify(),
      nextTimerMs(state, (name) => this.running.has(name)),
    );
    if (this.running.size > 0) return;
    await this.host.persist();
    if (this.running.size === 0 && !this.again && !this.stopped) this.host.idleReached();
  }

  /** The unit's operation from preparation to commit; then the unit (and any other) looks for work again. */
  private async runOperation(unit: UnitState, op: Operation): Promise<void> {
    try {
      const prepared = await prepareRun(this.host.runs, unit, op);
      await prepared.finish(await prepared.run());
      await this.host.persist();
    } finally {
      this.running.delete(unit.name);
      if (!this.stopped) this.notify();
    }
  }
}
