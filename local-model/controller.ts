import { ActionQueue } from "./action-queue.js";
import { Activity } from "./activity.js";
import { IndependentAgents } from "./agents-independent.js";
import { RoundAgents } from "./agents-rounds.js";
import type { HookContext } from "./hook-context.js";
import { HookEnvironment, type ControllerPaths } from "./hook-environment.js";
import { removeUnitAtOnce } from "./hook-outcome.js";
import type { RunDependencies } from "./hook-run.js";
import type { Model } from "./model.js";
import type { RelationCache } from "./relation-cache.js";
import { saveModelState, type ActionRecord, type ModelState } from "./state.js";
import type { ServiceManager } from "./systemd/service-manager.js";
import { runHookTool } from "./tools/index.js";
import type { ToolInvocation, ToolResult } from "./tools/types.js";
import type { AgentHost, UnitAgents } from "./unit-work.js";
import { Waiters } from "./waiters.js";

/**
 * The model's controller side: the unit agents (independent ones, agents-independent.ts, or the seeded
 * rounds of `--scheduling rounds`, agents-rounds.ts), the hook tools' server, actions and idle waits.
 */
export class Controller {
  private readonly contexts = new Map<string, HookContext>();
  private readonly activity = new Activity();
  private readonly waiters = new Waiters(() => this.activity.describeBusy());
  private readonly actions: ActionQueue;
  private readonly runs: RunDependencies;
  private readonly agents: UnitAgents;
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
      relationCaches: new Map<string, RelationCache>(),
      notify: () => this.notify(),
    };
    const host: AgentHost = {
      model,
      runs: this.runs,
      persist: () => this.persist(),
      idleReached: () => {
        this.idle = true;
        this.waiters.idleReached();
      },
      busy: () => {
        this.idle = false;
      },
    };
    this.agents = model.state.scheduling === "rounds" ? new RoundAgents(host) : new IndependentAgents(host);
  }

  get state(): ModelState {
    return this.model.state;
  }

  start(): void {
    this.agents.start();
  }

  async stop(): Promise<void> {
    const stopped = this.agents.stop();
    this.activity.killAll();
    await stopped;
  }

  /** Something changed (an operator verb, a leader-set, a timer): look for work again. */
  notify(): void {
    this.idle = false;
    this.agents.notify();
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

  /**
   * `remove-unit --force --no-wait`: each unit goes at once: its running hook or action is killed (nothing of
   * it commits), its queued actions fail, none of its teardown hooks run, its services stop and its machine
   * goes. The other units see it depart (contract §5.5) as it leaves its relations' scope.
   */
  async removeUnitsNow(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const unit = this.state.units[name];
      if (!unit) continue;
      this.activity.kill(name);
      for (const id of unit.actions) {
        const record = this.state.actions[id];
        if (record?.status === "pending") this.actions.abandon(record);
      }
      this.runs.relationCaches.delete(name);
      await removeUnitAtOnce(this.state, this.services, this.model.network, unit);
    }
    this.notify();
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
}
