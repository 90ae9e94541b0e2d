import { parseDurationMs } from "./duration.js";
import type { RunDependencies } from "./hook-run.js";
import type { Model } from "./model.js";
import { shuffled } from "./random.js";
import { nextOperation, type Operation } from "./resolver.js";
import { nextSecretDue } from "./secret-hooks.js";
import type { ModelState, RelationState, UnitState } from "./state.js";
import { isPeer, relationsOfUnit } from "./topology.js";

/**
 * What both ways of running the unit agents (agents-independent.ts, agents-rounds.ts) share: asking a unit
 * for its next operation, and when the next timer-driven one (update-status, a hook retry) becomes due.
 */

/** What the unit agents use of the controller. */
export interface AgentHost {
  readonly model: Model;
  readonly runs: RunDependencies;
  /** Saves the state (queued after earlier saves). */
  persist(): Promise<void>;
  /** No hook can run: idle waits end. */
  idleReached(): void;
  /** A hook runs or is about to: the model is not idle. */
  busy(): void;
}

/** How the controller drives the unit agents. */
export interface UnitAgents {
  start(): void;
  /** Something changed (an operator verb, a leader-set, a timer): look for work again. */
  notify(): void;
  /** Stops starting operations and resolves once the running ones have ended (the caller kills them). */
  stop(): Promise<void>;
}

export function updateStatusIntervalMs(state: ModelState): number {
  return parseDurationMs(state.modelConfig["update-status-hook-interval"]);
}

/** Units by name: the order the seeded shuffles start from, so a seed replays the same choices. */
export function unitsByName(state: ModelState): UnitState[] {
  return Object.values(state.units).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The unit's next operation (contract §5.1), its relations looked at in a seeded order. */
export async function nextOperationOf(model: Model, unit: UnitState, now: number): Promise<Operation | undefined> {
  const charm = await model.charmOf(unit.app);
  const state = model.state;
  return nextOperation({ state, unit, charm, now, updateStatusIntervalMs: updateStatusIntervalMs(state), relationOrder: relationOrder(state, unit) });
}

/** Relations in the order a unit looks at them this time: non-peer first, each group shuffled (§5.3). */
function relationOrder(state: ModelState, unit: UnitState): RelationState[] {
  const relations = relationsOfUnit(state, unit);
  return [
    ...shuffled(
      state,
      relations.filter((relation) => !isPeer(relation)),
    ),
    ...shuffled(state, relations.filter(isPeer)),
  ];
}

/** Milliseconds until the next timer-driven operation of a unit not excluded (busy units are asked again when they finish). */
export function nextTimerMs(state: ModelState, excluded: (unit: string) => boolean = () => false): number {
  const now = Date.now();
  let next = 60_000;
  const interval = updateStatusIntervalMs(state);
  for (const unit of Object.values(state.units)) {
    if (excluded(unit.name)) continue;
    if (unit.started && !unit.failed) next = Math.min(next, unit.lastUpdateStatus + interval - now);
    if (unit.failed?.retryAt != null) next = Math.min(next, unit.failed.retryAt - now);
  }
  // A secret's rotation or expiry falls due (interfaces §6.2).
  const secretDue = nextSecretDue(state);
  if (secretDue !== undefined) next = Math.min(next, secretDue - now);
  return Math.max(50, next);
}
