import type { AppState, ModelState, UnitState } from "./state.js";
import { localEndpoint, relationsOfUnit, remoteAppOf } from "./topology.js";

/** goal-state (contract §3.20): the units of the unit's application and of every application it relates to, by endpoint. */

type GoalStatus = { status: string; since: string };

export function goalState(state: ModelState, self: UnitState, app: AppState) {
  const since = new Date().toISOString();
  const goalOf = (unit: UnitState): GoalStatus => ({ status: unit.life === "dying" ? "dying" : unit.workload.current, since });
  const units: Record<string, GoalStatus> = {};
  for (const name of app.units) {
    const unit = state.units[name];
    if (unit) units[name] = goalOf(unit);
  }
  const relations: Record<string, Record<string, GoalStatus>> = {};
  for (const relation of relationsOfUnit(state, self)) {
    const endpoint = localEndpoint(relation, self.app)?.endpoint;
    if (endpoint === undefined) continue;
    const remoteApp = remoteAppOf(relation, self.app);
    const entry = relations[endpoint] ?? {};
    relations[endpoint] = entry;
    entry[remoteApp] = { status: relation.life === "dying" ? "dying" : "joined", since };
    for (const name of state.applications[remoteApp]?.units ?? []) {
      const unit = state.units[name];
      if (unit && name !== self.name) entry[name] = goalOf(unit);
    }
  }
  return { units, relations };
}
