import type { ServiceResult } from "./exit-status.js";
import type { ServiceDefinition } from "./service-definition.js";
import type { ProcessExit } from "./service-process.js";
import type { LoadedUnit } from "./unit-lookup.js";

/**
 * The states a service unit goes through (systemd.service(5)'s sub-states and the active states they map
 * to), the timestamps systemd keeps of them, and the snapshot of a unit that `show`, `status` and
 * `list-units` render.
 */

export type SubState =
  | "dead"
  | "start-pre"
  | "start"
  | "start-post"
  | "running"
  | "exited"
  | "reload"
  | "stop"
  | "stop-sigterm"
  | "stop-sigkill"
  | "stop-post"
  | "failed"
  | "auto-restart";

export type ActiveState = "active" | "reloading" | "inactive" | "failed" | "activating" | "deactivating";

export const ACTIVE_STATE_OF: Readonly<Record<SubState, ActiveState>> = {
  dead: "inactive",
  "start-pre": "activating",
  start: "activating",
  "start-post": "activating",
  running: "active",
  exited: "active",
  reload: "reloading",
  stop: "deactivating",
  "stop-sigterm": "deactivating",
  "stop-sigkill": "deactivating",
  "stop-post": "deactivating",
  failed: "failed",
  "auto-restart": "activating",
};

/** The last main process: ExecMainPID=, ExecMainStartTimestamp=, ExecMainStatus= and friends. */
export interface ExecMainRecord {
  readonly pid: number;
  readonly startedAt: Date;
  readonly exitedAt?: Date;
  readonly exit?: ProcessExit;
}

export interface StateTimestamps {
  stateChange?: Date;
  activeEnter?: Date;
  activeExit?: Date;
  inactiveEnter?: Date;
  inactiveExit?: Date;
}

const isInactive = (state: ActiveState) => state === "inactive" || state === "failed";

/** Records a change of sub-state in the timestamps: StateChangeTimestamp= always, the others when the active state changes. */
export function stampTransition(timestamps: StateTimestamps, from: SubState, to: SubState, now = new Date()): void {
  const before = ACTIVE_STATE_OF[from];
  const after = ACTIVE_STATE_OF[to];
  timestamps.stateChange = now;
  if (before === after) return;
  if (after === "active") timestamps.activeEnter = now;
  if (before === "active") timestamps.activeExit = now;
  if (isInactive(after) && !isInactive(before)) timestamps.inactiveEnter = now;
  if (isInactive(before) && !isInactive(after)) timestamps.inactiveExit = now;
}

/** A unit's state at one moment, for `show`, `status` and `list-units`. */
export interface UnitSnapshot {
  readonly loaded: LoadedUnit;
  /** The definition in force: the loaded one, or the one the unit last started with if it no longer loads. */
  readonly definition: ServiceDefinition | undefined;
  readonly activeState: ActiveState;
  readonly subState: SubState;
  readonly result: ServiceResult;
  readonly mainPid: number;
  readonly controlPid: number;
  readonly nRestarts: number;
  readonly execMain: ExecMainRecord | undefined;
  readonly timestamps: Readonly<StateTimestamps>;
}

/** The snapshot of a unit the manager holds no state for (never started, or not found). */
export function idleSnapshot(loaded: LoadedUnit): UnitSnapshot {
  return {
    loaded,
    definition: loaded.definition,
    activeState: "inactive",
    subState: "dead",
    result: "success",
    mainPid: 0,
    controlPid: 0,
    nRestarts: 0,
    execMain: undefined,
    timestamps: {},
  };
}

/** How a job (start, stop, restart, reload) ended: the result is the reason systemctl reports for a failure. */
export type JobOutcome = { readonly ok: true } | { readonly ok: false; readonly result: ServiceResult };

export const JOB_DONE: JobOutcome = { ok: true };

/** Whether systemctl counts the state as running (is-active, status, reload). */
export const isActive = (state: ActiveState): boolean => state === "active" || state === "reloading";
