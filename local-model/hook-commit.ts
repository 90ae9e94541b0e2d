import type { HookContext } from "./hook-context.js";
import { applySecretHookTransition } from "./secret-hooks.js";
import { commitSecretOps } from "./secret-session.js";
import type { HookSpec, ModelState, RelationState, UnitRelationState, UnitState } from "./state.js";
import { addStorage, applyStorageHookTransition, directiveFor, modelDirOf, releaseUnitStorage } from "./storage.js";

/**
 * What a hook that ran changes in the model (contract §5.1 commit rules, §5.3): the charm's buffered writes
 * when it exited 0, and what having run it means for the unit agent.
 */

/** Applies the charm's buffered writes of a hook that exited 0 (contract §1.4). */
export function commitCharmChanges(state: ModelState, unit: UnitState, context: HookContext): void {
  for (const [id, changes] of context.pending.unitData) {
    const relation = state.relations[String(id)];
    if (!relation) continue;
    const current = relation.unitData[unit.name] ?? { data: {}, version: 0 };
    relation.unitData[unit.name] = bumpIfChanged(current, changes);
  }
  for (const [id, changes] of context.pending.appData) {
    const relation = state.relations[String(id)];
    if (!relation) continue;
    const current = relation.appData[unit.app] ?? { data: {}, version: 0 };
    relation.appData[unit.app] = bumpIfChanged(current, changes);
  }
  for (const [key, value] of context.pending.charmState) {
    if (value === null) delete unit.charmState[key];
    else unit.charmState[key] = value;
  }
  unit.ports = [...context.openedPorts()];
  const app = state.applications[unit.app];
  for (const request of context.pending.storageAdds) {
    if (!app) break;
    try {
      addStorage(state, modelDirOf(unit), context.charmSpec, unit, request.name, directiveFor(app, context.charmSpec, request.name, request.count));
    } catch (error) {
      // Checked when storage-add ran; another commit of this round may have taken the room since.
      context.log("ERROR", `storage-add ${request.name}=${request.count}: ${(error as Error).message}`);
    }
  }
  if (context.secretOps.length > 0) {
    state.secrets ??= {};
    commitSecretOps(state.secrets, context.secretOps);
  }
}

/** What running the hook means for the unit agent, whether the hook succeeded or was skipped (--no-retry). */
export function applyHookTransition(state: ModelState, unit: UnitState, hook: HookSpec): void {
  if (unit.queued[0]?.name === hook.name) unit.queued.shift();
  const relation = hook.relationId === undefined ? undefined : state.relations[String(hook.relationId)];
  const kind = /-relation-(created|joined|changed|departed|broken)$/.exec(hook.name)?.[1];
  if (relation && kind) {
    applyRelationHookTransition(relation, unit, kind, hook);
    return;
  }
  if (hook.storageId !== undefined) {
    applyStorageHookTransition(state, unit, hook);
    return;
  }
  switch (hook.name) {
    case "install":
      unit.installed = true;
      return;
    case "start":
      unit.started = true;
      return;
    case "stop":
      unit.started = false;
      return;
    case "leader-elected":
      unit.leaderElectedRun = true;
      return;
    case "leader-settings-changed":
      unit.leaderSettingsSeen = hook.version ?? 0;
      return;
    case "config-changed":
      unit.configSeen = hook.configDigest ?? null;
      if (!unit.started && !unit.queued.some((q) => q.name === "start")) unit.queued.push({ name: "start" });
      return;
    case "upgrade-charm":
      unit.charmRevision = hook.revision ?? unit.charmRevision;
      unit.charmModifiedVersion = hook.modifiedVersion ?? unit.charmModifiedVersion;
      unit.queued.push({ name: "config-changed" });
      return;
    case "update-status":
      unit.lastUpdateStatus = Date.now();
      return;
    case "pre-series-upgrade":
      // Prepared: no hook runs until upgrade-machine complete (machine-upgrade.ts).
      if (unit.seriesUpgrade) delete unit.seriesUpgrade.hook;
      return;
    case "post-series-upgrade":
      delete unit.seriesUpgrade;
      return;
    case "remove":
      forgetUnit(state, unit);
      return;
    case "secret-changed":
    case "secret-rotate":
    case "secret-expired":
    case "secret-remove":
      applySecretHookTransition(state, unit, hook, Date.now());
      return;
  }
}

function applyRelationHookTransition(relation: RelationState, unit: UnitState, kind: string, hook: HookSpec): void {
  const local = unitRelationState(unit, relation.id);
  const remote = hook.remoteUnit;
  switch (kind) {
    case "created":
      local.created = true;
      if (unit.life === "alive" && !relation.scope.includes(unit.name)) enterScope(relation, unit);
      return;
    case "joined":
      // Joined and departed hooks always name their remote unit (resolver.ts).
      if (remote === undefined) return;
      local.known[remote] = -1;
      local.changedPending = remote;
      return;
    case "changed":
      if (remote) {
        local.known[remote] = hook.version ?? 0;
        if (local.changedPending === remote) local.changedPending = null;
      } else {
        local.appVersion = hook.version ?? 0;
      }
      return;
    case "departed":
      if (remote === undefined) return;
      delete local.known[remote];
      if (local.changedPending === remote) local.changedPending = null;
      return;
    case "broken":
      local.broken = true;
      return;
  }
}

/** The unit's record of the relation, created the first time the unit runs one of its hooks. */
function unitRelationState(unit: UnitState, relationId: number): UnitRelationState {
  const key = String(relationId);
  const existing = unit.relations[key];
  if (existing) return existing;
  const created: UnitRelationState = { created: false, known: {}, appVersion: 0, changedPending: null, broken: false };
  unit.relations[key] = created;
  return created;
}

/** Juju seeds a unit's bag with its addresses as it enters scope (contract §3.1). */
function enterScope(relation: RelationState, unit: UnitState): void {
  relation.scope.push(unit.name);
  const addresses = { "private-address": unit.address, "ingress-address": unit.address, "egress-subnets": `${unit.address}/32` };
  relation.unitData[unit.name] = bumpIfChanged(relation.unitData[unit.name] ?? { data: {}, version: 0 }, addresses);
}

export function forgetUnit(state: ModelState, unit: UnitState): void {
  releaseUnitStorage(state, unit);
  const app = state.applications[unit.app];
  if (app) {
    app.units = app.units.filter((name) => name !== unit.name);
    if (app.leader === unit.name) app.leader = null;
  }
  for (const relation of Object.values(state.relations)) {
    relation.scope = relation.scope.filter((name) => name !== unit.name);
  }
  delete state.units[unit.name];
}

/** The bag with the changes applied ("" deletes a key); its version moves on only when its content changed. */
function bumpIfChanged(current: { data: Record<string, string>; version: number }, changes: Record<string, string>) {
  const data = { ...current.data };
  for (const [key, value] of Object.entries(changes)) {
    if (value === "") delete data[key];
    else data[key] = value;
  }
  const changed = JSON.stringify(data) !== JSON.stringify(current.data);
  return changed ? { data, version: current.version + 1 } : current;
}
