import type { ModelState, RelationEndpoint, RelationState, UnitState } from "./state.js";

/** Read-only questions about who relates to whom, shared by the resolver, the hook context and status. */

export function isPeer(relation: RelationState): boolean {
  return relation.endpoints.length === 1;
}

/** This application's end of the relation, or undefined when the app is not in it. */
export function localEndpoint(relation: RelationState, app: string): RelationEndpoint | undefined {
  return relation.endpoints.find((end) => end.app === app);
}

/** The application on the other side (the app itself for a peer relation). */
export function remoteAppOf(relation: RelationState, app: string): string {
  return isPeer(relation) ? app : (relation.endpoints.find((end) => end.app !== app)?.app ?? app);
}

/** Relations this unit's application takes part in, ordered by id. */
export function relationsOfUnit(state: ModelState, unit: UnitState): RelationState[] {
  return Object.values(state.relations)
    .filter((relation) => localEndpoint(relation, unit.app) !== undefined)
    .sort((a, b) => a.id - b.id);
}

/**
 * Remote units the unit should currently see in the relation: units of the other application (other
 * units of its own for peers) that entered the relation's scope. A dying unit or relation sees nobody, so
 * every known member gets relation-departed (§5.3, §5.5).
 */
export function remoteMembers(state: ModelState, relation: RelationState, unit: UnitState): string[] {
  if (unit.life === "dying" || relation.life === "dying") return [];
  const remoteApp = remoteAppOf(relation, unit.app);
  return relation.scope.filter((name) => name !== unit.name && state.units[name]?.app === remoteApp).sort(compareUnitNames);
}

/** Units sort by application, then by number (app/2 before app/10), as Juju sorts names for hooks. */
export function compareUnitNames(a: string, b: string): number {
  const [appA = "", numA = "0"] = a.split("/");
  const [appB = "", numB = "0"] = b.split("/");
  return appA === appB ? Number(numA) - Number(numB) : appA < appB ? -1 : 1;
}

/** The relation is torn down for this unit: relation-ids leaves it out (§3.3). */
export function isBrokenFor(relation: RelationState, unit: UnitState): boolean {
  const local = unit.relations[String(relation.id)];
  if (local?.broken) return true;
  return !isPeer(relation) && (relation.life === "dying" || unit.life === "dying") && Object.keys(local?.known ?? {}).length === 0;
}
