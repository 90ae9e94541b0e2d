import { appendFile, chmod, mkdir, readdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { drawHookFault, withHookFault, type FaultKind } from "./faults.js";
import { HookContext } from "./hook-context.js";
import { findHandler, runHookProcess, type HookProcessResult, type RunningHook } from "./hook-runner.js";
import { linkCharmTree, type Model, ModelError } from "./model.js";
import { nextOperation, type Operation } from "./resolver.js";
import { saveModelState, shuffled, statusRecord, type ActionRecord, type HookSpec, type ModelState, type UnitState } from "./state.js";
import { remoteAppOf } from "./topology.js";
import type { ServiceManager } from "./systemd/service-manager.js";
import { HOOK_TOOL_NAMES, runHookTool } from "./tools/index.js";
import type { ToolInvocation, ToolResult } from "./tools/types.js";

/** The Juju version the model reports to charms (JUJU_VERSION, status). */
export const SIMULATED_JUJU_VERSION = "3.6.4";
const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 300_000;

export interface ControllerPaths {
  readonly socket: string;
  /** The hook-tool client (jujuc.pl), executable, named `jujuc`. */
  readonly jujuc: string;
}

export interface DebugLogEntry {
  /** When the hook process started. */
  readonly time: string;
  readonly unit: string;
  readonly kind: "hook" | "action" | "exec";
  readonly name: string;
  readonly relation?: string;
  readonly remoteUnit?: string;
  readonly exitCode: number;
  readonly signal: string | null;
  readonly found: boolean;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly logs: ReadonlyArray<{ level: string; message: string }>;
  /** Hook tools the run called, in order (what it cost in tool processes, and what it wrote). */
  readonly tools: readonly string[];
  /** A fault the model injected into the run (model-config fault-injection, faults.ts). */
  readonly injected?: FaultKind;
}

interface Running {
  readonly unit: string;
  readonly label: string;
  readonly started: number;
  process?: RunningHook;
}

/** Go-style durations for model config: "5m", "30s", "1h30m", "250ms". */
export function parseDurationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const trimmed = text.trim();
  if (!/^([0-9.]+(ms|s|m|h))+$/.test(trimmed)) throw new ModelError(`invalid duration "${text}"`);
  let total = 0;
  for (const [, value, unit] of trimmed.matchAll(/([0-9.]+)(ms|s|m|h)/g)) total += Number(value) * units[unit!]!;
  return total;
}

/**
 * The unit agents of every unit: each round it asks every unit for its next operation (contract §5.1),
 * runs them concurrently (one per unit), then commits their results in a seeded order. Hooks of a round see
 * the model as it was when the round began, so a seed replays the same interleaving.
 */
export class Controller {
  private readonly contexts = new Map<string, HookContext>();
  private readonly running = new Map<string, Running>();
  private idleWaiters: Array<() => void> = [];
  private readonly actionWaiters = new Map<string, Array<() => void>>();
  private wake: (() => void) | undefined;
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  /** Last operation per unit, to name what a timed-out wait is stuck on. */
  private readonly lastLabel = new Map<string, string>();
  idle = false;

  constructor(
    readonly model: Model,
    readonly services: ServiceManager,
    private readonly paths: ControllerPaths,
  ) {}

  get state() {
    return this.model.state;
  }

  start(): void {
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const run of this.running.values()) run.process?.kill("SIGKILL");
    this.notify();
    await this.loopDone;
  }

  /** Something changed (an operator verb, a leader-set, a timer): look for work again. */
  notify(): void {
    this.idle = false;
    this.wake?.();
  }

  private persisting: Promise<void> = Promise.resolve();

  /** Saves the state; saves are queued so that a later one never lands before an earlier one. */
  persist(): Promise<void> {
    this.persisting = this.persisting.then(() => saveModelState(this.model.dir, this.state));
    return this.persisting;
  }

  // --- waiting ---------------------------------------------------------------------------------------------

  /** Resolves once no hook can run (a unit in error counts as idle); the timeout names what is stuck. */
  waitIdle(timeoutMs: number): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        reject(new ModelError(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for the model to be idle: ${this.describeBusy()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  private describeBusy(): string {
    const now = Date.now();
    const running = [...this.running.values()].map((run) => `${run.unit} is running "${run.label}" (for ${Math.round((now - run.started) / 1000)}s)`);
    if (running.length > 0) return running.join("; ");
    const recent = [...this.lastLabel.entries()].map(([unit, label]) => `${unit} last ran "${label}"`);
    return recent.length > 0 ? `hooks keep being queued: ${recent.join("; ")}` : "no progress";
  }

  waitAction(id: string, timeoutMs: number): Promise<ActionRecord> {
    const record = this.state.actions[id];
    if (!record) return Promise.reject(new ModelError(`action ${id} not found`));
    if (record.status === "completed" || record.status === "failed") return Promise.resolve(record);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ModelError(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for action ${id} on ${record.unit}: ${this.describeBusy()}`)),
        timeoutMs,
      );
      const list = this.actionWaiters.get(id) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve(this.state.actions[id]!);
      });
      this.actionWaiters.set(id, list);
    });
  }

  enqueueAction(unitName: string, name: string, params: Record<string, unknown>): ActionRecord {
    const unit = this.model.unit(unitName);
    const id = String(this.state.nextActionId++);
    const record: ActionRecord = {
      id,
      kind: "action",
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

  /** `juju exec`: a shell command run in a hook context of the unit, queued like an action. */
  enqueueExec(unitName: string, command: string, relationId: number | undefined, remoteUnit: string | undefined): ActionRecord {
    if (relationId !== undefined) {
      const relation = this.state.relations[String(relationId)];
      const unit = this.model.unit(unitName);
      if (!relation?.endpoints.some((end) => end.app === unit.app)) throw new ModelError(`unit "${unitName}" is not in relation ${relationId}`);
    }
    const record = this.enqueueAction(unitName, "exec", {});
    record.kind = "exec";
    record.command = command;
    if (relationId !== undefined) record.relationId = relationId;
    if (remoteUnit !== undefined) record.remoteUnit = remoteUnit;
    return record;
  }

  // --- hook tools ------------------------------------------------------------------------------------------

  async handleTool(contextId: string, invocation: ToolInvocation): Promise<ToolResult> {
    const context = this.contexts.get(contextId);
    if (!context) return { code: 1, stdout: "", stderr: `ERROR bad request: bad context: ${contextId}\n` };
    context.toolCalls.push(invocation.tool);
    return runHookTool(context, invocation);
  }

  // --- the loop ----------------------------------------------------------------------------------------------

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.model.settle();
      const round = await this.planRound();
      if (round.length === 0) {
        await this.persist();
        this.idle = true;
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const waiter of waiters) waiter();
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
    return Math.max(50, next);
  }

  private async planRound(): Promise<Array<{ unit: UnitState; op: Operation }>> {
    const now = Date.now();
    const interval = this.updateStatusIntervalMs();
    const names = Object.keys(this.state.units).sort();
    const round: Array<{ unit: UnitState; op: Operation }> = [];
    for (const name of shuffled(this.state, names)) {
      const unit = this.state.units[name]!;
      const charm = await this.model.charmOf(unit.app);
      const op = nextOperation({ state: this.state, unit, charm, now, updateStatusIntervalMs: interval, relationOrder: this.model.relationOrder(unit) });
      if (op) round.push({ unit, op });
    }
    return round;
  }

  private async runRound(round: Array<{ unit: UnitState; op: Operation }>): Promise<void> {
    const prepared = [];
    for (const { unit, op } of round) prepared.push(await this.prepare(unit, op));
    const results = await Promise.all(prepared.map((p) => p.run()));
    for (let i = 0; i < prepared.length; i++) await prepared[i]!.finish(results[i]!);
  }

  private async prepare(unit: UnitState, op: Operation) {
    const charm = await this.model.charmOf(unit.app);
    const action = op.kind === "action" ? this.state.actions[op.actionId] : undefined;
    const exec = action?.kind === "exec" ? action : undefined;
    const hook = op.kind === "hook" ? op.hook : undefined;
    const label = hook ? hook.name : exec ? "exec" : `action ${action!.name}`;
    const contextId = `${unit.name}-${label.replace(/\s/g, "-")}-${++this.state.hookCounter}`;
    // exec runs in a hook context without a hook: its relation (if any) is the context's default.
    const execSpec = exec ? execHookSpec(this.state, unit, exec) : undefined;
    const context = new HookContext(
      this.state,
      unit,
      charm,
      hook ?? execSpec,
      { leaderSettingsChanged: () => this.notify(), statusChanged: () => {} },
      exec ? undefined : action,
    );
    this.lastLabel.set(unit.name, label);

    if (hook?.name === "upgrade-charm") await this.refreshUnitCharm(unit);
    if (hook) this.beforeHook(unit, hook);
    if (action) {
      action.status = "running";
      action.started = new Date().toISOString();
    }
    const charmDir = path.join(unit.dir, "charm");
    const handler = hook ? await findHandler(charmDir, "hooks", hook.name) : exec ? "/bin/sh" : await findHandler(charmDir, "actions", action!.name);
    const env = exec ? await this.execEnvironment(unit, contextId, execSpec!) : await this.hookEnvironment(unit, contextId, hook, action);
    const args = exec ? ["-c", exec.command ?? ""] : [];
    const entry: Running = { unit: unit.name, label, started: Date.now() };
    // Fault injection (faults.ts): hook runs only, drawn here so that the round's order fixes the draws.
    const fault = hook && handler ? drawHookFault(this.state) : undefined;

    const run = async (): Promise<HookProcessResult> => {
      this.contexts.set(contextId, context);
      this.running.set(unit.name, entry);
      if (hook?.name !== "update-status") unit.agent = statusRecord("executing", action ? `running action ${action.name}` : `running ${hook!.name} hook`);
      entry.process = withHookFault(runHookProcess(handler, charmDir, env, args), fault);
      try {
        return await entry.process.done;
      } finally {
        this.running.delete(unit.name);
      }
    };
    const finish = async (result: HookProcessResult) => {
      this.contexts.delete(contextId);
      if (action) await this.finishAction(unit, action, context, result);
      else await this.finishHook(unit, hook!, context, result);
      await this.appendDebugLog(unit, hook, action, context, result);
    };
    return { run, finish };
  }

  /** Statuses Juju sets around hooks when the charm has not (contract §1.4). */
  private beforeHook(unit: UnitState, hook: HookSpec): void {
    const set = (current: string, message: string) => {
      unit.workload = statusRecord(current, message);
    };
    if (hook.name === "install" && !unit.statusSet) set("maintenance", "installing charm software");
    if (hook.name === "stop") set("maintenance", "stopping charm software");
    if (hook.name === "remove") set("maintenance", "cleaning up prior to charm deletion");
  }

  private async finishHook(unit: UnitState, hook: HookSpec, context: HookContext, result: HookProcessResult): Promise<void> {
    if (result.signal === "SIGTERM" || result.signal === "SIGKILL") {
      // Killed (not failed): Juju re-queues the hook (ErrTerminated); nothing is committed.
      unit.agent = statusRecord("idle");
      return;
    }
    if (result.exitCode !== 0) {
      const attempts = (unit.failed?.attempts ?? 0) + 1;
      const retry = this.state.modelConfig["automatically-retry-hooks"];
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempts - 1));
      unit.failed = { hook, attempts, retryAt: retry ? Date.now() + delay : null };
      unit.agent = statusRecord("error", `hook failed: "${hook.name}"`);
      unit.agent.data = {
        hook: hook.name,
        ...(hook.relationId !== undefined ? { "relation-id": hook.relationId } : {}),
        ...(hook.remoteUnit ? { "remote-unit": hook.remoteUnit } : {}),
      };
      return;
    }
    unit.failed = null;
    if (result.found) this.model.commitCharmChanges(unit, context);
    this.model.applyHookTransition(unit, hook);
    unit.agent = statusRecord("idle");
    if (hook.name === "start" && !unit.statusSet) unit.workload = statusRecord("unknown");
    if (hook.name === "stop") unit.workload = statusRecord("maintenance");
    if (hook.name === "remove") await this.destroyMachine(unit);
  }

  private async finishAction(unit: UnitState, action: ActionRecord, context: HookContext, result: HookProcessResult): Promise<void> {
    unit.actions = unit.actions.filter((id) => id !== action.id);
    action.stdout = result.stdout;
    action.stderr = result.stderr;
    action.returnCode = result.exitCode;
    action.completed = new Date().toISOString();
    if (action.kind === "exec") {
      action.status = result.exitCode === 0 ? "completed" : "failed";
      if (result.exitCode !== 0) action.message = result.signal ? `terminated by ${result.signal}` : `exit status ${result.exitCode}`;
      else this.model.commitCharmChanges(unit, context);
    } else if (!result.found) {
      action.status = "failed";
      action.message = `action not implemented on unit "${unit.name}"`;
    } else if (result.exitCode !== 0) {
      action.status = "failed";
      action.message = result.signal ? `action terminated by ${result.signal}` : `exit status ${result.exitCode}`;
    } else {
      if (action.status !== "failed") action.status = "completed";
      this.model.commitCharmChanges(unit, context);
    }
    if (unit.failed === null) unit.agent = statusRecord("idle");
    else unit.agent = statusRecord("error", `hook failed: "${unit.failed.hook.name}"`);
    for (const waiter of this.actionWaiters.get(action.id) ?? []) waiter();
    this.actionWaiters.delete(action.id);
  }

  /** The unit's machine goes away with it: its services stop and its files are removed. */
  private async destroyMachine(unit: UnitState): Promise<void> {
    await this.services.stopMachine({ name: unit.name, root: path.join(unit.dir, "root") });
    await rm(unit.dir, { recursive: true, force: true });
  }

  private async refreshUnitCharm(unit: UnitState): Promise<void> {
    const app = this.model.app(unit.app);
    const charmDir = path.join(unit.dir, "charm");
    await rm(charmDir, { recursive: true, force: true });
    await linkCharmTree(app.charmDir, charmDir);
  }

  // --- the hook's environment (contract §1.3) -------------------------------------------------------------

  private async toolsDir(unit: UnitState): Promise<string> {
    const dir = path.join(unit.dir, "tools");
    // Named after the client: a model created by an older controller gets its wrappers rewritten.
    const markerName = ".complete-jujuc-pl";
    const present = await readdir(dir).catch(() => [] as string[]);
    if (present.includes(markerName)) return dir;
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
    // Like Juju's: every hook tool is a symlink to the one client, which reads the tool's name from argv[0].
    for (const tool of HOOK_TOOL_NAMES) await symlink(this.paths.jujuc, path.join(dir, tool));
    await writeFile(
      path.join(dir, "systemctl"),
      `#!/bin/sh\nLOCAL_MODEL_SOCKET=${quote(this.paths.socket)} exec ${quote(this.paths.jujuc)} systemctl ${quote(unit.name)} "$@"\n`,
    );
    await chmod(path.join(dir, "systemctl"), 0o755);
    await writeFile(path.join(dir, markerName), "");
    return dir;
  }

  private async hookEnvironment(
    unit: UnitState,
    contextId: string,
    hook: HookSpec | undefined,
    action: ActionRecord | undefined,
  ): Promise<Record<string, string>> {
    const charmDir = path.join(unit.dir, "charm");
    const env: Record<string, string> = {
      PATH: `${await this.toolsDir(unit)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      CHARM_DIR: charmDir,
      JUJU_CHARM_DIR: charmDir,
      JUJU_CONTEXT_ID: contextId,
      JUJU_HOOK_NAME: hook?.name ?? "",
      JUJU_AGENT_SOCKET_ADDRESS: this.paths.socket,
      JUJU_AGENT_SOCKET_NETWORK: "unix",
      JUJU_UNIT_NAME: unit.name,
      JUJU_MODEL_UUID: this.state.uuid,
      JUJU_MODEL_NAME: this.state.name,
      JUJU_API_ADDRESSES: "127.0.0.1:17070",
      JUJU_SLA: "unsupported",
      JUJU_MACHINE_ID: unit.name.replace("/", "-"),
      JUJU_PRINCIPAL_UNIT: "",
      JUJU_AVAILABILITY_ZONE: "",
      JUJU_VERSION: SIMULATED_JUJU_VERSION,
      CLOUD_API_VERSION: "",
      JUJU_CHARM_HTTP_PROXY: "",
      JUJU_CHARM_HTTPS_PROXY: "",
      JUJU_CHARM_FTP_PROXY: "",
      JUJU_CHARM_NO_PROXY: "",
      APT_LISTCHANGES_FRONTEND: "none",
      DEBIAN_FRONTEND: "noninteractive",
      LANG: "C.UTF-8",
      TERM: "tmux-256color",
      // The simulated machine's filesystem root (see local-model/README.md).
      UNIT_FS_ROOT: path.join(unit.dir, "root"),
    };
    if (hook?.relationId !== undefined) {
      const relation = this.state.relations[String(hook.relationId)];
      const endpoint = relation?.endpoints.find((end) => end.app === unit.app)?.endpoint ?? hook.name.replace(/-relation-.*$/, "");
      env.JUJU_RELATION = endpoint;
      env.JUJU_RELATION_ID = `${endpoint}:${hook.relationId}`;
      env.JUJU_REMOTE_UNIT = hook.remoteUnit ?? "";
      env.JUJU_REMOTE_APP = hook.remoteApp ?? "";
      if (hook.departingUnit) env.JUJU_DEPARTING_UNIT = hook.departingUnit;
    }
    if (action) {
      env.JUJU_ACTION_NAME = action.name;
      env.JUJU_ACTION_UUID = action.id;
      env.JUJU_ACTION_TAG = `action-${action.id}`;
    }
    env.JUJU_DISPATCH_PATH = action ? `actions/${action.name}` : `hooks/${hook?.name ?? ""}`;
    return env;
  }

  /** juju exec's context: a hook environment without a hook (no JUJU_DISPATCH_PATH, empty JUJU_HOOK_NAME). */
  private async execEnvironment(unit: UnitState, contextId: string, spec: HookSpec): Promise<Record<string, string>> {
    const env = await this.hookEnvironment(unit, contextId, spec, undefined);
    delete env.JUJU_DISPATCH_PATH;
    env.JUJU_HOOK_NAME = "";
    return env;
  }

  private async appendDebugLog(
    unit: UnitState,
    hook: HookSpec | undefined,
    action: ActionRecord | undefined,
    context: HookContext,
    result: HookProcessResult,
  ): Promise<void> {
    const entry: DebugLogEntry = {
      time: new Date(result.startedAt).toISOString(),
      unit: unit.name,
      kind: hook ? "hook" : action!.kind,
      name: hook ? hook.name : action!.kind === "exec" ? (action!.command ?? "") : action!.name,
      ...(hook?.relationId !== undefined ? { relation: String(hook.relationId) } : {}),
      ...(hook?.remoteUnit ? { remoteUnit: hook.remoteUnit } : {}),
      exitCode: result.exitCode,
      signal: result.signal,
      found: result.found,
      durationMs: result.durationMs,
      stdout: result.stdout,
      stderr: result.stderr,
      logs: context.logLines,
      tools: context.toolCalls,
      ...(result.injected ? { injected: result.injected } : {}),
    };
    await appendFile(path.join(this.model.dir, "debug-log.jsonl"), `${JSON.stringify(entry)}\n`);
  }
}

function execHookSpec(state: ModelState, unit: UnitState, exec: ActionRecord): HookSpec {
  if (exec.relationId === undefined) return { name: "" };
  const relation = state.relations[String(exec.relationId)];
  const remoteApp = relation ? remoteAppOf(relation, unit.app) : undefined;
  return { name: "", relationId: exec.relationId, ...(remoteApp ? { remoteApp } : {}), ...(exec.remoteUnit ? { remoteUnit: exec.remoteUnit } : {}) };
}
