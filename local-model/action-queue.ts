import { parseActionArguments, validateActionParams } from "./action-params.js";
import { commitCharmChanges } from "./hook-commit.js";
import type { HookContext } from "./hook-context.js";
import type { HookProcessResult } from "./hook-runner.js";
import type { Model } from "./model.js";
import { ModelError } from "./model-error.js";
import { statusRecord, type ActionRecord, type HookSpec, type ModelState, type UnitState } from "./state.js";
import { remoteAppOf } from "./topology.js";
import type { Waiters } from "./waiters.js";

/**
 * Actions and `exec` commands: queued on a unit (the resolver runs them between hooks, contract §5.1), and
 * their outcome recorded in the action's record when they end.
 */
export class ActionQueue {
  constructor(
    private readonly model: Model,
    private readonly waiters: Waiters,
    /** Called when there is new work for the unit agents. */
    private readonly notify: () => void,
  ) {}

  private get state(): ModelState {
    return this.model.state;
  }

  /** `juju run`: the `key=value` arguments are validated against the charm's actions.yaml before anything is queued. */
  async enqueueAction(unitName: string, actionName: string, args: readonly string[]): Promise<ActionRecord> {
    const unit = this.model.unitOrLeader(unitName);
    const charm = await this.model.charmOf(unit.app);
    const params = validateActionParams(unit.name, actionName, charm.actions[actionName], parseActionArguments(args));
    return this.enqueue(unit, "action", actionName, params);
  }

  /** `juju exec`: a shell command run in a hook context of the unit, in a relation's context when one is given ("db:3" or "3"). */
  enqueueExec(unitName: string, command: string, relation: string | undefined, remoteUnit: string | undefined): ActionRecord {
    const relationId = relation === undefined ? undefined : Number(relation.split(":").pop());
    if (relationId !== undefined && !Number.isInteger(relationId)) throw new ModelError(`invalid relation id "${relation}"`);
    const unit = this.model.unitOrLeader(unitName);
    if (relationId !== undefined && !this.state.relations[String(relationId)]?.endpoints.some((end) => end.app === unit.app)) {
      throw new ModelError(`unit "${unitName}" is not in relation ${relationId}`);
    }
    const record = this.enqueue(unit, "exec", "exec", {});
    record.command = command;
    if (relationId !== undefined) record.relationId = relationId;
    if (remoteUnit !== undefined) record.remoteUnit = remoteUnit;
    return record;
  }

  private enqueue(unit: UnitState, kind: ActionRecord["kind"], name: string, params: Record<string, unknown>): ActionRecord {
    const id = String(this.state.nextActionId++);
    const record: ActionRecord = {
      id,
      kind,
      unit: unit.name,
      name,
      params,
      status: "pending",
      message: "",
      results: {},
      logs: [],
      stdout: "",
      stderr: "",
      returnCode: null,
      enqueued: new Date().toISOString(),
      started: null,
      completed: null,
    };
    this.state.actions[id] = record;
    unit.actions.push(id);
    this.notify();
    return record;
  }

  /** Resolves with the record once the action has completed or failed. */
  waitFor(id: string, timeoutMs: number): Promise<ActionRecord> {
    const record = this.state.actions[id];
    if (!record) return Promise.reject(new ModelError(`action ${id} not found`));
    if (record.status === "completed" || record.status === "failed") return Promise.resolve(record);
    return this.waiters.untilActionEnds(record, timeoutMs);
  }

  /** The unit was removed (`remove-unit --force --no-wait`) before the action ended or ran: it failed, nothing commits. */
  abandon(action: ActionRecord, result?: HookProcessResult): void {
    action.status = "failed";
    action.message = `unit "${action.unit}" was removed`;
    if (result) {
      action.stdout = result.stdout;
      action.stderr = result.stderr;
      action.returnCode = result.exitCode;
    }
    action.completed = new Date().toISOString();
    this.waiters.actionEnded(action);
  }

  /** Records how the action or exec ended; its writes commit only when it succeeded (contract §1.4). */
  finish(unit: UnitState, action: ActionRecord, context: HookContext, result: HookProcessResult): void {
    unit.actions = unit.actions.filter((id) => id !== action.id);
    action.stdout = result.stdout;
    action.stderr = result.stderr;
    action.returnCode = result.exitCode;
    action.completed = new Date().toISOString();
    if (action.kind === "exec") {
      action.status = result.exitCode === 0 ? "completed" : "failed";
      if (result.exitCode !== 0) action.message = result.signal ? `terminated by ${result.signal}` : `exit status ${result.exitCode}`;
      else commitCharmChanges(this.state, unit, context);
    } else if (!result.found) {
      action.status = "failed";
      action.message = `action not implemented on unit "${unit.name}"`;
    } else if (result.exitCode !== 0) {
      action.status = "failed";
      action.message = result.signal ? `action terminated by ${result.signal}` : `exit status ${result.exitCode}`;
    } else {
      if (action.status !== "failed") action.status = "completed";
      commitCharmChanges(this.state, unit, context);
    }
    if (unit.failed === null) unit.agent = statusRecord("idle");
    else unit.agent = statusRecord("error", `hook failed: "${unit.failed.hook.name}"`);
    this.waiters.actionEnded(action);
  }
}

/** exec runs in a hook context without a hook: its relation, if it names one, is the context's default relation. */
export function execHookSpec(state: ModelState, unit: UnitState, exec: ActionRecord): HookSpec {
  if (exec.relationId === undefined) return { name: "" };
  const relation = state.relations[String(exec.relationId)];
  const remoteApp = relation ? remoteAppOf(relation, unit.app) : undefined;
  return { name: "", relationId: exec.relationId, ...(remoteApp ? { remoteApp } : {}), ...(exec.remoteUnit ? { remoteUnit: exec.remoteUnit } : {}) };
}
