import { formatBase } from "./base.js";
import { configDigest } from "./config-values.js";
import type { CharmSpec } from "./charm.js";
import { nextSecretHook } from "./secret-hooks.js";
import type { HookSpec, ModelState, RelationState, UnitState } from "./state.js";
import { nextStorageHook } from "./storage.js";
import { compareUnitNames, isPeer, localEndpoint, remoteAppOf, remoteMembers } from "./topology.js";

export type Operation = { kind: "hook"; hook: HookSpec } | { kind: "action"; actionId: string };

export interface ResolverInput {
  readonly state: ModelState;
  readonly unit: UnitState;
  readonly charm: CharmSpec;
  readonly now: number;
  readonly updateStatusIntervalMs: number;
  /** Relation ids in the order this unit considers them this round (seeded; non-peer first). */
  readonly relationOrder: readonly RelationState[];
}

/**
 * What the unit agent does next, in the order Juju's uniter resolver asks (contract §5.1): a failed hook
 * blocks everything but actions; then storage-attached and install, relation-created, leadership, secrets (§5.9), actions,
 * storage (attached/detaching), queued hooks,
 * teardown of a dying unit, upgrade-charm, config-changed, relation hooks (§5.3), update-status.
 */
export function nextOperation(input: ResolverInput): Operation | undefined {
  const { state, unit, now } = input;
  const app = state.applications[unit.app];
  // A unit's application outlives it (model-settle.ts removes an application once it has no units).
  if (!app) return undefined;
  const hook = (spec: HookSpec): Operation => ({ kind: "hook", hook: spec });
  const [nextAction] = unit.actions;

  if (unit.failed) {
    if (nextAction !== undefined) return { kind: "action", actionId: nextAction };
    if (unit.failed.retryAt !== null && now >= unit.failed.retryAt) return hook(unit.failed.hook);
    return undefined;
  }
  // Storage (contract §5.1): every storage-attached of deploy-time storage runs before install (§5.2).
  const storageHook = nextStorageHook(state, unit);
  if (!unit.installed) return hook(storageHook ?? { name: "install" });
  // Between upgrade-machine prepare and complete only the series-upgrade hooks run, and actions (interfaces §8.1).
  if (unit.seriesUpgrade) {
    const { hook: pending, target } = unit.seriesUpgrade;
    if (pending) return hook({ name: pending, targetBase: formatBase(target) });
    return nextAction !== undefined ? { kind: "action", actionId: nextAction } : undefined;
  }

  if (unit.life === "alive") {
    for (const relation of input.relationOrder) {
      const local = unit.relations[String(relation.id)];
      const endpoint = localEndpoint(relation, unit.app)?.endpoint;
      if (relation.life === "alive" && !local?.created && endpoint !== undefined) {
        return hook({ name: `${endpoint}-relation-created`, relationId: relation.id, remoteApp: remoteAppOf(relation, unit.app) });
      }
    }
  }

  if (app.leader === unit.name) {
    if (!unit.leaderElectedRun) return hook({ name: "leader-elected" });
  } else if (unit.leaderSettingsSeen !== app.leaderSettingsVersion && unit.life === "alive") {
    return hook({ name: "leader-settings-changed", version: app.leaderSettingsVersion });
  }

  const secretHook = nextSecretHook(state, unit, now);
  if (secretHook) return hook(secretHook);

  if (nextAction !== undefined) return { kind: "action", actionId: nextAction };
  // storage-detaching therefore runs before a dying unit's relation teardown and stop; hook.md's teardown list
  // puts it after stop, the resolver's order before (contract §5.5, interfaces §7.3 note the conflict).
  if (storageHook) return hook(storageHook);
  const digest = configDigest(input.charm, app.config);
  const queued = unit.queued[0];
  if (queued) return hook(queued.name === "config-changed" ? { ...queued, configDigest: digest } : queued);

  if (unit.life === "dying") {
    for (const relation of input.relationOrder) {
      const next = nextRelationHook(state, relation, unit);
      if (next) return hook(next);
    }
    if (unit.started) return hook({ name: "stop" });
    return hook({ name: "remove" });
  }

  // A new charm revision, or a new resource revision (charm-modified version, interfaces §9).
  const modifiedVersion = app.charmModifiedVersion ?? 0;
  if (unit.charmRevision !== app.charmRevision || (unit.charmModifiedVersion ?? 0) !== modifiedVersion) {
    return hook({ name: "upgrade-charm", revision: app.charmRevision, modifiedVersion });
  }
  if (unit.configSeen !== digest) return hook({ name: "config-changed", configDigest: digest });

  for (const relation of input.relationOrder) {
    const next = nextRelationHook(state, relation, unit);
    if (next) return hook(next);
  }

  if (unit.started && now - unit.lastUpdateStatus >= input.updateStatusIntervalMs) return hook({ name: "update-status" });
  return undefined;
}

/** The next hook of one relation for one unit, by the priorities of contract §5.3. */
export function nextRelationHook(state: ModelState, relation: RelationState, unit: UnitState): HookSpec | undefined {
  const local = unit.relations[String(relation.id)];
  const endpoint = localEndpoint(relation, unit.app)?.endpoint;
  if (!local?.created || local.broken || endpoint === undefined) return undefined;
  const remoteApp = remoteAppOf(relation, unit.app);
  const base = { relationId: relation.id, remoteApp };
  const members = remoteMembers(state, relation, unit);
  const known = Object.keys(local.known).sort(compareUnitNames);
  const versionOf = (name: string) => relation.unitData[name]?.version ?? 0;

  // 1. relation-changed right after relation-joined for the same unit.
  if (local.changedPending && members.includes(local.changedPending)) {
    const name = local.changedPending;
    return { name: `${endpoint}-relation-changed`, ...base, remoteUnit: name, version: versionOf(name) };
  }
  // 2. departed for every known member that left (the departing unit is this one when it is dying).
  const [gone] = known.filter((name) => !members.includes(name));
  if (gone !== undefined) {
    const leaving = unit.life === "dying" || state.applications[unit.app]?.life === "dying" ? unit.name : gone;
    return { name: `${endpoint}-relation-departed`, ...base, remoteUnit: gone, departingUnit: leaving };
  }
  // 3. broken, never for peers, once every member departed.
  if (!isPeer(relation) && (unit.life === "dying" || relation.life === "dying")) {
    return { name: `${endpoint}-relation-broken`, ...base };
  }
  // 4. application-level changed (the leader never gets its own peer application's changes).
  const appVersion = relation.appData[remoteApp]?.version ?? 0;
  const isLeader = state.applications[unit.app]?.leader === unit.name;
  if (appVersion !== 0 && appVersion !== local.appVersion && !(isPeer(relation) && isLeader)) {
    return { name: `${endpoint}-relation-changed`, ...base, version: appVersion };
  }
  // 5. joined, in unit order.
  const joining = members.find((name) => !(name in local.known));
  if (joining) return { name: `${endpoint}-relation-joined`, ...base, remoteUnit: joining };
  // 6. changed for members whose settings moved on.
  const changed = known.find((name) => local.known[name] !== versionOf(name));
  if (changed) return { name: `${endpoint}-relation-changed`, ...base, remoteUnit: changed, version: versionOf(changed) };
  return undefined;
}
