import path from "node:path";
import { execHookSpec, type ActionQueue } from "./action-queue.js";
import type { Activity } from "./activity.js";
import { replaceUnitCharm } from "./charm-store.js";
import { appendDebugLog, debugLogEntry } from "./debug-log.js";
import { drawHookFault, withHookFault } from "./faults.js";
import { HookContext } from "./hook-context.js";
import type { HookEnvironment } from "./hook-environment.js";
import { beforeHook, finishHook } from "./hook-outcome.js";
import { findHandler, runHookProcess, type HookProcessResult } from "./hook-runner.js";
import { machineOf } from "./machine-boot.js";
import type { Model } from "./model.js";
import { RelationCache } from "./relation-cache.js";
import type { Operation } from "./resolver.js";
import { statusRecord, type ActionRecord, type HookSpec, type ModelState, type UnitState } from "./state.js";
import type { ServiceManager } from "./systemd/service-manager.js";

/**
 * One unit's operation, from start to commit: its hook context, handler and environment are prepared (in a
 * round's order under `--scheduling rounds`, so that order fixes every seeded draw), its process runs
 * concurrently with the other units', and its outcome is finished (committed) when the unit agent says so:
 * at once for independent agents, in the round's commit order for rounds.
 */

export interface PreparedRun {
  run(): Promise<HookProcessResult>;
  finish(result: HookProcessResult): Promise<void>;
}

/** What preparing, running and finishing a unit's operation uses of the controller. */
export interface RunDependencies {
  readonly model: Model;
  readonly services: ServiceManager;
  readonly environment: HookEnvironment;
  readonly actions: ActionQueue;
  readonly activity: Activity;
  /** Hook contexts by JUJU_CONTEXT_ID, where the hook tools' server finds them. */
  readonly contexts: Map<string, HookContext>;
  /** Each unit agent's relation cache, kept across its hooks (contract §3.1). */
  readonly relationCaches: Map<string, RelationCache>;
  /** Something changed that may give units work (a leader-set). */
  notify(): void;
}

/** A hook, an action, or an `exec` command (which runs in a hook context without a hook). */
type RunTarget = { kind: "hook"; hook: HookSpec } | { kind: "action"; record: ActionRecord } | { kind: "exec"; record: ActionRecord; spec: HookSpec };

function runTarget(state: ModelState, unit: UnitState, op: Operation): RunTarget {
  if (op.kind === "hook") return { kind: "hook", hook: op.hook };
  const record = state.actions[op.actionId];
  if (!record) throw new Error(`action ${op.actionId} queued on ${unit.name} has no record`);
  return record.kind === "exec" ? { kind: "exec", record, spec: execHookSpec(state, unit, record) } : { kind: "action", record };
}

/** The operation's process: the charm's handler (undefined when it has none: nothing runs) or sh for exec, with its environment and arguments. */
async function processOf(
  environment: HookEnvironment,
  unit: UnitState,
  charmDir: string,
  contextId: string,
  target: RunTarget,
): Promise<{ handler: string | undefined; env: Record<string, string>; args: string[] }> {
  switch (target.kind) {
    case "hook":
      return {
        handler: await findHandler(charmDir, "hooks", target.hook.name),
        env: await environment.forHook(unit, contextId, target.hook, undefined),
        args: [],
      };
    case "action":
      return {
        handler: await findHandler(charmDir, "actions", target.record.name),
        env: await environment.forHook(unit, contextId, undefined, target.record),
        args: [],
      };
    case "exec":
      return { handler: "/bin/sh", env: await environment.forExec(unit, contextId, target.spec), args: ["-c", target.record.command ?? ""] };
  }
}

export async function prepareRun(deps: RunDependencies, unit: UnitState, op: Operation): Promise<PreparedRun> {
  const { model, environment } = deps;
  const state = model.state;
  const charm = await model.charmOf(unit.app);
  const target = runTarget(state, unit, op);
  const hook = target.kind === "hook" ? target.hook : undefined;
  const record = target.kind === "hook" ? undefined : target.record;
  const label = target.kind === "hook" ? target.hook.name : target.kind === "exec" ? "exec" : `action ${target.record.name}`;
  const contextId = `${unit.name}-${label.replace(/\s/g, "-")}-${++state.hookCounter}`;
  // Only a hook about a remote unit reads it afresh; Juju's command contexts (exec) do not invalidate it.
  const cache = relationCacheOf(deps, unit, hook);
  const context = new HookContext(
    state,
    unit,
    charm,
    target.kind === "exec" ? target.spec : hook,
    { leaderSettingsChanged: () => deps.notify(), statusChanged: () => {} },
    target.kind === "action" ? target.record : undefined,
    cache,
  );
  deps.activity.preparing(unit.name, label);

  if (hook?.name === "upgrade-charm") await replaceUnitCharm(unit.dir, model.app(unit.app).charmDir);
  if (hook) beforeHook(unit, hook);
  if (record) {
    record.status = "running";
    record.started = new Date().toISOString();
  }
  const charmDir = path.join(unit.dir, "charm");
  const { handler, env, args } = await processOf(environment, unit, charmDir, contextId, target);
  // Fault injection (faults.ts): hook runs only, drawn here so that the round's order fixes the draws.
  const fault = hook && handler ? drawHookFault(state) : undefined;

  let skipped = false;
  const run = async (): Promise<HookProcessResult> => {
    if (state.units[unit.name] !== unit) {
      // Removed (remove-unit --force --no-wait) after it was prepared: it never starts.
      skipped = true;
      return { found: false, exitCode: 0, signal: "SIGKILL", stdout: "", stderr: "", durationMs: 0, startedAt: Date.now() };
    }
    deps.contexts.set(contextId, context);
    if (hook?.name !== "update-status") unit.agent = statusRecord("executing", record ? `running action ${record.name}` : `running ${label} hook`);
    return deps.activity.track(unit.name, label, withHookFault(runHookProcess(handler, charmDir, env, args, machineOf(unit).networkNamespace), fault));
  };
  const finish = async (result: HookProcessResult) => {
    deps.contexts.delete(contextId);
    const removedWhileRunning = state.units[unit.name] !== unit;
    // Removed while it ran (remove-unit --force --no-wait): nothing of the run is committed.
    if (state.units[unit.name] !== unit) {
      if (record) deps.actions.abandon(record, result);
    } else if (target.kind === "hook") await finishHook(state, deps.services, model.network, unit, target.hook, context, result);
    else deps.actions.finish(unit, target.record, context, result);
    // A unit that went (its remove hook, a forced removal) needs its relation cache no more.
    if (state.units[unit.name] !== unit) deps.relationCaches.delete(unit.name);
    if (skipped) return;
    await appendDebugLog(
      model.dir,
      debugLogEntry(unit, target.kind === "hook" ? { hook: target.hook } : { action: target.record }, context, result, removedWhileRunning),
    );
  };
  return { run, finish };
}

/** The unit's relation cache, pruned for the hook about to run (contract §3.1). */
function relationCacheOf(deps: RunDependencies, unit: UnitState, hook: HookSpec | undefined): RelationCache {
  let cache = deps.relationCaches.get(unit.name);
  if (!cache) {
    cache = new RelationCache();
    deps.relationCaches.set(unit.name, cache);
  }
  const members = new Map(Object.entries(unit.relations).map(([id, local]) => [Number(id), new Set(Object.keys(local.known))]));
  cache.prune(members, hook);
  return cache;
}
