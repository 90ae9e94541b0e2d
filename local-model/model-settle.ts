import { nextRandom } from "./random.js";
import { settleSecrets } from "./secret-hooks.js";
import type { ModelState } from "./state.js";
import { isPeer, localEndpoint } from "./topology.js";

/**
 * Transitions that need no hook: a dying unit that departed everyone leaves the relation's scope (so the
 * others get relation-departed), leaderless applications elect a leader, finished relations and
 * applications go away. Deterministic: every choice comes from the seeded generator.
 */
export function settleModel(state: ModelState): void {
  for (const unit of Object.values(state.units)) {
    if (unit.life !== "dying") continue;
    for (const relation of Object.values(state.relations)) {
      const local = unit.relations[String(relation.id)];
      if (relation.scope.includes(unit.name) && Object.keys(local?.known ?? {}).length === 0) {
        relation.scope = relation.scope.filter((name) => name !== unit.name);
      }
    }
  }
  for (const relation of Object.values(state.relations)) {
    if (relation.life !== "dying") continue;
    const involved = Object.values(state.units).filter((unit) => localEndpoint(relation, unit.app));
    const done = involved.every((unit) => {
      const local = unit.relations[String(relation.id)];
      return !local?.created || local.broken || isPeer(relation);
    });
    if (done) {
      delete state.relations[String(relation.id)];
      for (const unit of involved) delete unit.relations[String(relation.id)];
    }
  }
  for (const app of Object.values(state.applications)) {
    if (app.life === "dying" && app.units.length === 0) {
      delete state.applications[app.name];
      for (const relation of Object.values(state.relations)) {
        if (localEndpoint(relation, app.name) && isPeer(relation)) delete state.relations[String(relation.id)];
      }
    }
  }
  electLeaders(state);
  settleSecrets(state);
}

/** An application without a leader gets one among its alive units, chosen by the seeded generator. */
export function electLeaders(state: ModelState): void {
  for (const app of Object.values(state.applications)) {
    if (app.leader && state.units[app.leader]) continue;
    const alive = app.units.flatMap((name) => {
      const unit = state.units[name];
      return unit?.life === "alive" ? [unit] : [];
    });
    // Drawn even for a single candidate: the generator's sequence must not depend on how many there are.
    const leader = alive.length > 0 ? alive[Math.floor(nextRandom(state) * alive.length)] : undefined;
    app.leader = leader?.name ?? null;
    if (leader) leader.leaderElectedRun = false;
  }
}
