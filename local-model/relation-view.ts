import type { PendingChanges } from "./hook-context.js";
import type { RelationCache } from "./relation-cache.js";
import type { HookSpec, ModelState, RelationState, UnitState } from "./state.js";
import { compareUnitNames, isBrokenFor, localEndpoint, remoteAppOf } from "./topology.js";
import { ToolRunError, type Databag, type RelationView } from "./tools/types.js";

/**
 * One relation as a running hook's tools see it (relation-get, relation-set, relation-list): its own bags
 * with the hook's own writes, the others' committed bags through the unit's relation cache (contract §3.1).
 */

/** What the view needs of the hook it belongs to. */
export interface RelationViewer {
  readonly state: ModelState;
  readonly unit: UnitState;
  readonly hook: HookSpec | undefined;
  readonly pending: PendingChanges;
  readonly cache: RelationCache;
  isLeader(): boolean;
}

/** The bag with the changes applied; "" deletes a key. */
export function mergeBag(base: Databag, changes: Databag | undefined): Databag {
  const merged = { ...base };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === "") delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

export function relationView(viewer: RelationViewer, relation: RelationState): RelationView {
  const { state, unit, pending, cache } = viewer;
  const endpoint = localEndpoint(relation, unit.app);
  // relationsOfUnit only lists relations the unit's application is in.
  if (!endpoint) throw new ToolRunError(`unit "${unit.name}" is not in relation ${relation.id}`);
  const peer = relation.endpoints.length === 1;
  const apps = new Set(relation.endpoints.map((end) => end.app));
  return {
    id: relation.id,
    endpoint: endpoint.endpoint,
    isPeer: peer,
    remoteApp: remoteAppOf(relation, unit.app),
    broken: isBrokenFor(relation, unit),
    remoteModelUuid: state.uuid,
    members(): string[] {
      const local = unit.relations[String(relation.id)];
      const members = new Set(Object.keys(local?.known ?? {}));
      const hook = viewer.hook;
      if (hook?.relationId === relation.id && hook.remoteUnit) {
        if (hook.name.endsWith("-relation-joined")) members.add(hook.remoteUnit);
        if (hook.name.endsWith("-relation-departed")) members.delete(hook.remoteUnit);
      }
      if (hook?.relationId === relation.id && hook.name.endsWith("-relation-broken")) members.clear();
      return [...members].sort(compareUnitNames);
    },
    readUnit(name: string): Databag {
      if (name === unit.name) return mergeBag(relation.unitData[name]?.data ?? {}, pending.unitData.get(relation.id));
      const other = state.units[name]?.app ?? name.split("/")[0];
      if (!other || !apps.has(other)) throw new ToolRunError("permission denied");
      return cache.unitSettings(relation.id, name, () => relation.unitData[name]?.data ?? {});
    },
    readApp(name: string): Databag {
      if (!apps.has(name)) throw new ToolRunError("permission denied");
      if (name === unit.app) {
        if (viewer.isLeader()) return mergeBag(relation.appData[name]?.data ?? {}, pending.appData.get(relation.id));
        if (!peer) throw new ToolRunError("permission denied");
      }
      return cache.appSettings(relation.id, name, () => relation.appData[name]?.data ?? {});
    },
    writeUnit(changes: Databag): void {
      pending.unitData.set(relation.id, { ...pending.unitData.get(relation.id), ...changes });
    },
    writeApp(changes: Databag): void {
      pending.appData.set(relation.id, { ...pending.appData.get(relation.id), ...changes });
    },
  };
}
