import { closeSync, mkdirSync, openSync, rmSync, ftruncateSync } from "node:fs";
import path from "node:path";
import type { CharmSpec } from "./charm.js";
import { ModelError } from "./model-error.js";
import type { AppState, HookSpec, ModelState, StorageInstance, UnitState } from "./state.js";
import { attachAt, detachFrom } from "./storage-mounts.js";
import { defaultPool, defaultSizeMiB, filesystemMountPoint, type StorageDirective, type StorageSpec } from "./storage-spec.js";

/**
 * The model's storage instances (interfaces §7): provisioned in the model directory
 * (`<model>/storage/<name>-<n>`, a directory, or for block storage a sparse file of the requested size),
 * attached to a unit by mounting them at their location under the unit's filesystem root (storage-mounts.ts),
 * detached by unmounting. Ids are `<name>/<n>` from one model-wide counter, never reused.
 */

/** Where a block instance appears on its machine: a device path, as Juju reports a volume's. */
const blockLocation = (id: string) => `/dev/local-model/${id.replace("/", "-")}`;

const idNumber = (id: string) => Number(id.slice(id.indexOf("/") + 1));
const byId = (a: StorageInstance, b: StorageInstance) => idNumber(a.id) - idNumber(b.id);

export function storageInstances(state: ModelState): Record<string, StorageInstance> {
  state.storage ??= {};
  return state.storage;
}

/** The instances attached to the unit, in id order. */
export function unitStorage(state: ModelState, unit: string): StorageInstance[] {
  return Object.values(storageInstances(state))
    .filter((instance) => instance.unit === unit)
    .sort(byId);
}

export function storageInstance(state: ModelState, id: string): StorageInstance {
  const instance = storageInstances(state)[id];
  if (!instance) throw new ModelError(`storage "${id}" not found`);
  return instance;
}

/** Creates an instance (its directory or sparse file in the model), not yet attached. */
function provision(state: ModelState, modelDir: string, name: string, spec: StorageSpec, directive: StorageDirective): StorageInstance {
  const number = state.nextStorageId ?? 0;
  state.nextStorageId = number + 1;
  const id = `${name}/${number}`;
  const source = path.join(modelDir, "storage", `${name}-${number}${spec.type === "block" ? ".img" : ""}`);
  mkdirSync(path.dirname(source), { recursive: true });
  if (spec.type === "filesystem") mkdirSync(source, { recursive: true });
  else {
    const fd = openSync(source, "w");
    ftruncateSync(fd, directive.sizeMiB * 1024 * 1024);
    closeSync(fd);
  }
  const instance: StorageInstance = {
    id,
    name,
    kind: spec.type,
    pool: directive.pool,
    sizeMiB: directive.sizeMiB,
    source,
    unit: null,
    location: "",
    attachedHookRun: false,
    detaching: false,
    destroyOnDetach: false,
    since: new Date().toISOString(),
  };
  storageInstances(state)[id] = instance;
  return instance;
}

/** Mounts the instance in the unit's root; <name>-storage-attached then runs (resolver). */
function attach(unit: UnitState, spec: StorageSpec, instance: StorageInstance): void {
  const location = instance.kind === "block" ? blockLocation(instance.id) : filesystemMountPoint(spec, instance.id);
  attachAt(instance.source, path.join(unit.dir, "root", location), instance.kind, spec.readOnly);
  instance.unit = unit.name;
  instance.location = location;
  instance.attachedHookRun = false;
  instance.detaching = false;
  instance.since = new Date().toISOString();
}

function specOf(charm: CharmSpec, name: string): StorageSpec {
  const spec = charm.storage[name];
  if (!spec) throw new ModelError(`charm "${charm.name}" has no store called "${name}"`);
  return spec;
}

/** Checks that the unit can take `adding` more instances of `name` (the charm's count range). */
function checkRoom(state: ModelState, charm: CharmSpec, unit: UnitState, name: string, adding: number): StorageSpec {
  const spec = specOf(charm, name);
  const current = unitStorage(state, unit.name).filter((instance) => instance.name === name).length;
  if (spec.countMax !== -1 && current + adding > spec.countMax) {
    throw new ModelError(`adding ${adding} "${name}" storage to ${unit.name}: at most ${spec.countMax} instances supported, ${current} attached`);
  }
  return spec;
}

/** `add-unit --attach-storage`: existing detached instances first, then what the directives still ask for. */
export function provisionUnitStorage(
  state: ModelState,
  modelDir: string,
  charm: CharmSpec,
  unit: UnitState,
  directives: Readonly<Record<string, StorageDirective>>,
  reuse: readonly string[],
): void {
  for (const id of reuse) attachExisting(state, charm, unit, id);
  for (const [name, directive] of Object.entries(directives)) {
    const spec = specOf(charm, name);
    const have = unitStorage(state, unit.name).filter((instance) => instance.name === name).length;
    for (let i = have; i < directive.count; i++) attach(unit, spec, provision(state, modelDir, name, spec, directive));
  }
}

/** Checks, before anything is created, that each instance can be attached to a new unit. */
export function checkReusable(state: ModelState, charm: CharmSpec, ids: readonly string[]): void {
  for (const id of ids) {
    const instance = storageInstance(state, id);
    if (instance.unit !== null) throw new ModelError(`storage "${id}" is attached to ${instance.unit}`);
    if (!charm.storage[instance.name]) throw new ModelError(`charm "${charm.name}" has no store called "${instance.name}"`);
  }
}

/** `attach-storage <unit> <id>`: a detached instance. */
export function attachExisting(state: ModelState, charm: CharmSpec, unit: UnitState, id: string): void {
  const instance = storageInstance(state, id);
  if (instance.unit !== null) throw new ModelError(`storage "${id}" is attached to ${instance.unit}`);
  if (unit.life !== "alive") throw new ModelError(`cannot attach storage "${id}" to ${unit.name}: unit is not alive`);
  attach(unit, checkRoom(state, charm, unit, instance.name, 1), instance);
}

/** The model directory a unit's machine lives in (<model>/units/<unit>). */
export const modelDirOf = (unit: UnitState) => path.dirname(path.dirname(unit.dir));

/** `count` more instances as the application's directive for `name` says (pool, size), else the defaults. */
export function directiveFor(app: AppState, charm: CharmSpec, name: string, count: number): StorageDirective {
  const spec = specOf(charm, name);
  const given = app.storage?.[name];
  return { pool: given?.pool ?? defaultPool(spec), sizeMiB: given?.sizeMiB ?? defaultSizeMiB(spec), count };
}

/** Whether the unit can take `adding` more instances of `name`; the reason when not. */
export function roomError(state: ModelState, charm: CharmSpec, unit: UnitState, name: string, adding: number): string | undefined {
  try {
    checkRoom(state, charm, unit, name, adding);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** `add-storage <unit> <name>=<count>` and a committed `storage-add`: new instances, the application's directive or the defaults. */
export function addStorage(state: ModelState, modelDir: string, charm: CharmSpec, unit: UnitState, name: string, directive: StorageDirective): string[] {
  if (unit.life !== "alive") throw new ModelError(`cannot add storage to ${unit.name}: unit is not alive`);
  const spec = checkRoom(state, charm, unit, name, directive.count);
  const added: string[] = [];
  for (let i = 0; i < directive.count; i++) {
    const instance = provision(state, modelDir, name, spec, directive);
    attach(unit, spec, instance);
    added.push(instance.id);
  }
  return added;
}

/**
 * `detach-storage` and `remove-unit`: the unit runs <name>-storage-detaching, then the attachment goes; one
 * whose storage-attached never ran goes at once, with no hook.
 */
export function requestDetach(state: ModelState, unit: UnitState, instance: StorageInstance, destroy: boolean): void {
  instance.detaching = true;
  instance.destroyOnDetach = destroy;
  if (!instance.attachedHookRun) releaseStorage(state, unit.dir, instance);
}

/** The attachment goes: unmounted, and the instance kept detached or, when asked, destroyed with its data. */
export function releaseStorage(state: ModelState, unitDir: string, instance: StorageInstance): void {
  if (instance.location !== "") detachFrom(path.join(unitDir, "root", instance.location));
  if (instance.destroyOnDetach) {
    rmSync(instance.source, { recursive: true, force: true });
    delete storageInstances(state)[instance.id];
    return;
  }
  instance.unit = null;
  instance.location = "";
  instance.attachedHookRun = false;
  instance.detaching = false;
  instance.since = new Date().toISOString();
}

/** A unit that goes lets go of its storage (kept unless remove-unit asked to destroy it). */
export function releaseUnitStorage(state: ModelState, unit: UnitState): void {
  for (const instance of unitStorage(state, unit.name)) releaseStorage(state, unit.dir, instance);
}

/**
 * The storage resolver's next hook (contract §5.1 "storage", §5.2, interfaces §7.3): detaching for an
 * attachment being removed, attached for a new one of an alive unit, in id order.
 */
export function nextStorageHook(state: ModelState, unit: UnitState): HookSpec | undefined {
  const attached = unitStorage(state, unit.name);
  const detaching = attached.find((instance) => instance.detaching && instance.attachedHookRun);
  if (detaching) return { name: `${detaching.name}-storage-detaching`, storageId: detaching.id };
  if (unit.life !== "alive") return undefined;
  const attaching = attached.find((instance) => !instance.attachedHookRun && !instance.detaching);
  return attaching ? { name: `${attaching.name}-storage-attached`, storageId: attaching.id } : undefined;
}

/** What running a storage hook means (hook-commit.ts). */
export function applyStorageHookTransition(state: ModelState, unit: UnitState, hook: HookSpec): void {
  const instance = hook.storageId === undefined ? undefined : storageInstances(state)[hook.storageId];
  if (!instance || instance.unit !== unit.name) return;
  if (hook.name.endsWith("-storage-attached")) instance.attachedHookRun = true;
  else if (hook.name.endsWith("-storage-detaching")) releaseStorage(state, unit.dir, instance);
}
