import { ActionQueue } from "./action-queue.js";
import { Activity } from "./activity.js";
import type { HookContext } from "./hook-context.js";
import { parseDurationMs } from "./duration.js";
import { HookEnvironment, type ControllerPaths } from "./hook-environment.js";
import { prepareRun, type RunDependencies } from "./hook-run.js";
import type { Model } from "./model.js";
import { settleModel } from "./model-settle.js";
import { nextOperation, type Operation } from "./resolver.js";
import { shuffled } from "./random.js";
import { nextSecretDue } from "./secret-hooks.js";
import { saveModelState, type ActionRecord, type ModelState, type RelationState, type UnitState } from "./state.js";
import type { ServiceManager } from "./systemd/service-manager.js";
import { isPeer, relationsOfUnit } from "./topology.js";
import { runHookTool } from "./tools/index.js";
import type { ToolInvocation, ToolResult } from "./tools/types.js";
import { Waiters } from "./waiters.js";

// Kept importable from here, where bench/ and soak/ import them.

/**
 * The unit agents of every unit: each round it asks every unit for its next operation (contract §5.1),
 * runs them concurrently (one per unit), then commits their results in a seeded order. Hooks of a round see
 * the model as it was when the round began, so a seed replays the same interleaving.
 */
export class Controller {
  private readonly contexts = new Map<string, HookContext>();
  private readonly activity = new Activity();
  private readonly waiters = new Waiters(() => this.activity.describeBusy());
  private readonly actions: ActionQueue;
  private readonly runs: RunDependencies;
  private wake: (() => void) | undefined;
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private persisting: Promise<void> = Promise.resolve();
  /** No hook can run (a unit in error counts as idle). */
  idle = false;

  constructor(
    readonly model: Model,
    readonly services: ServiceManager,
    paths: ControllerPaths,
  ) {
    this.actions = new ActionQueue(model, this.waiters, () => this.notify());
    this.runs = {
      model,
      services,
      environment: new HookEnvironment(model.state, paths),
      actions: this.actions,
      activity: this.activity,
      contexts: this.contexts,
      notify: () => this.notify(),
    };
  }

  get state(): ModelState {
    return this.model.state;
  }

  start(): void {
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.activity.killAll();
    this.notify();
    await this.loopDone;
  }

  /** Something changed (an operator verb, a leader-set, a timer): look for work again. */
  notify(): void {
    this.idle = false;
    this.wake?.();
  }

  /** Saves the state; saves are queued so that a later one never lands before an earlier one. */
  persist(): Promise<void> {
    this.persisting = this.persisting.then(() => saveModelState(this.model.dir, this.state));
    return this.persisting;
  }

  /** Resolves once no hook can run; the timeout names what is stuck. */
  waitIdle(timeoutMs: number): Promise<void> {
    return this.idle ? Promise.resolve() : this.waiters.untilIdle(timeoutMs);
  }

  /** `juju run`: queues the action (its arguments validated first) and resolves with its record once it ended. */
  async runAction(unit: string, action: string, args: readonly string[], timeoutMs: number): Promise<ActionRecord> {
    const record = await this.actions.enqueueAction(unit, action, args);
    return this.actions.waitFor(record.id, timeoutMs);
  }

  /** `juju exec`: runs the command in a hook context of the unit, optionally a relation's ("db:3"). */
  runExec(unit: string, command: string, relation: string | undefined, remoteUnit: string | undefined, timeoutMs: number): Promise<ActionRecord> {
    const record = this.actions.enqueueExec(unit, command, relation, remoteUnit);
    return this.actions.waitFor(record.id, timeoutMs);
  }

  /** A hook tool called from a running hook, which names itself by its JUJU_CONTEXT_ID. */
  async handleTool(contextId: string, invocation: ToolInvocation): Promise<ToolResult> {
    const context = this.contexts.get(contextId);
    if (!context) return { code: 1, stdout: "", stderr: `ERROR bad request: bad context: ${contextId}\n` };
    context.toolCalls.push(invocation.tool);
    const result = await runHookTool(context, invocation);
    // `juju-reboot --now` does not return to its hook: Juju kills the hook, reboots, and runs it again (§3.17).
    if (invocation.tool === "juju-reboot" && context.pending.reboot === "now") this.activity.kill(context.unitName);
    return result;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      settleModel(this.state);
      const round = await this.planRound();
      if (round.length === 0) {
        await this.persist();
        this.idle = true;
        this.waiters.idleReached();
        await this.sleep(this.nextTimerMs());
        continue;
      }
      this.idle = false;
      await this.runRound(round);
      await this.persist();
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

  private updateStatusIntervalMs(): number {
    return parseDurationMs(this.state.modelConfig["update-status-hook-interval"]);
  }

  /** When the next timer-driven operation (update-status, a hook retry) becomes due. */
  private nextTimerMs(): number {
    const now = Date.now();
    let next = 60_000;
    const interval = this.updateStatusIntervalMs();
    for (const unit of Object.values(this.state.units)) {
      if (unit.started && !unit.failed) next = Math.min(next, unit.lastUpdateStatus + interval - now);
      if (unit.failed?.retryAt != null) next = Math.min(next, unit.failed.retryAt - now);
    }
    // A secret's rotation or expiry falls due (interfaces §6.2).
    const secretDue = nextSecretDue(this.state);
    if (secretDue !== undefined) next = Math.min(next, secretDue - now);
    return Math.max(50, next);
  }

  /** Every unit with work and its next operation, units in a seeded order. */
  private async planRound(): Promise<Array<{ unit: UnitState; op: Operation }>> {
    const now = Date.now();
    const interval = this.updateStatusIntervalMs();
    const units = Object.values(this.state.units).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const round: Array<{ unit: UnitState; op: Operation }> = [];
    for (const unit of shuffled(this.state, units)) {
      const charm = await this.model.charmOf(unit.app);
      const op = nextOperation({ state: this.state, unit, charm, now, updateStatusIntervalMs: interval, relationOrder: this.relationOrder(unit) });
      if (op) round.push({ unit, op });
    }
    return round;
  }

  /** Relations in the order a unit looks at them this round: non-peer first, each group shuffled (§5.3). */
  private relationOrder(unit: UnitState): RelationState[] {
    const relations = relationsOfUnit(this.state, unit);
    return [
      ...shuffled(
        this.state,
        relations.filter((relation) => !isPeer(relation)),
      ),
      ...shuffled(this.state, relations.filter(isPeer)),
    ];
  }

  /** Prepared in the round's order, run concurrently, finished (committed) in the round's order. */
  private async runRound(round: Array<{ unit: UnitState; op: Operation }>): Promise<void> {
    const prepared = [];
    for (const { unit, op } of round) prepared.push(await prepareRun(this.runs, unit, op));
    const ended = await Promise.all(prepared.map(async (run) => ({ run, result: await run.run() })));
    for (const { run, result } of ended) await run.finish(result);
  }
}
