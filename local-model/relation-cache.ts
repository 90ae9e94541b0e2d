import type { HookSpec } from "./state.js";
import type { Databag } from "./tools/types.js";

/**
 * A unit agent's relation cache, as Juju's (contract §3.1, `context/cache.go`): it lives across the unit's
 * hooks. Before each hook it is pruned: settings of units that are no longer members are dropped, and
 * application settings are dropped (re-read at the first relation-get of the hook); a hook about remote unit
 * U reads U afresh. A remote unit's settings, once read, are served from here until a hook about that unit
 * runs, so reads within one hook are stable while other units commit.
 */
export class RelationCache {
  private readonly units = new Map<number, Map<string, Databag>>();
  private readonly apps = new Map<number, Map<string, Databag>>();

  /** Before a hook: `members` are the remote units the unit knows in each of its relations. */
  prune(members: ReadonlyMap<number, ReadonlySet<string>>, hook: HookSpec | undefined): void {
    this.apps.clear();
    for (const [id, cached] of this.units) {
      const current = members.get(id);
      for (const name of cached.keys()) if (!current?.has(name)) cached.delete(name);
    }
    if (hook?.relationId !== undefined && hook.remoteUnit) this.units.get(hook.relationId)?.delete(hook.remoteUnit);
  }

  unitSettings(relationId: number, unit: string, read: () => Databag): Databag {
    return { ...cached(this.units, relationId, unit, read) };
  }

  appSettings(relationId: number, app: string, read: () => Databag): Databag {
    return { ...cached(this.apps, relationId, app, read) };
  }
}

function cached(store: Map<number, Map<string, Databag>>, relationId: number, key: string, read: () => Databag): Databag {
  let relation = store.get(relationId);
  if (!relation) {
    relation = new Map();
    store.set(relationId, relation);
  }
  let bag = relation.get(key);
  if (!bag) {
    bag = { ...read() };
    relation.set(key, bag);
  }
  return bag;
}
