import type { CharmSpec } from "./charm.js";
import type { Model } from "./model.js";
import { ModelError } from "./model-error.js";
import { uploadResource, parseResourceArguments } from "./resources.js";
import { addStorage, attachExisting, directiveFor, requestDetach, storageInstance } from "./storage.js";
import { applicationDirectives, parseDirective, parseStorageOptions, StorageDirectiveError, type StorageDirective } from "./storage-spec.js";

/** The operator's storage and resource verbs on the model (interfaces §7.2, §9). */

/** Runs `work`, a bad directive reported to the operator as a ModelError. */
function directiveErrorsAsModelErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof StorageDirectiveError) throw new ModelError(error.message);
    throw error;
  }
}

/** `deploy --storage` directives checked against the charm, as ModelErrors. */
export function deployStorageDirectives(charm: CharmSpec, options: readonly string[]): Record<string, StorageDirective> {
  return directiveErrorsAsModelErrors(() => applicationDirectives(charm.name, charm.storage, options));
}

/** `attach-storage <unit> <id>…`: each runs <name>-storage-attached on the unit. */
export async function attachStorage(model: Model, unitName: string, ids: readonly string[]): Promise<void> {
  const unit = model.unit(unitName);
  const charm = await model.charmOf(unit.app);
  for (const id of ids) attachExisting(model.state, charm, unit, id);
}

/** `detach-storage <id>…`: the unit runs <name>-storage-detaching; the instance stays in the model. */
export function detachStorage(model: Model, ids: readonly string[]): void {
  const instances = ids.map((id) => storageInstance(model.state, id));
  for (const instance of instances) if (instance.unit === null) throw new ModelError(`storage "${instance.id}" is not attached`);
  for (const instance of instances) {
    if (instance.unit !== null) requestDetach(model.state, model.unit(instance.unit), instance, false);
  }
}

/** `add-storage <unit> <label>=<count>` (or a full `<pool>,<count>,<size>` directive): new instances, attached. */
export async function addUnitStorage(model: Model, unitName: string, options: readonly string[]): Promise<string[]> {
  const unit = model.unit(unitName);
  const app = model.app(unit.app);
  const charm = await model.charmOf(unit.app);
  return directiveErrorsAsModelErrors(() =>
    Object.entries(parseStorageOptions(options)).flatMap(([label, text]) => {
      const given = parseDirective(text);
      const directive = directiveFor(app, charm, label, given.count ?? 1);
      return addStorage(model.state, model.dir, charm, unit, label, { ...directive, ...pick(given) });
    }),
  );
}

const pick = (given: { pool?: string; sizeMiB?: number }): Partial<StorageDirective> => ({
  ...(given.pool === undefined ? {} : { pool: given.pool }),
  ...(given.sizeMiB === undefined ? {} : { sizeMiB: given.sizeMiB }),
});

/**
 * `attach-resource <app> name=path…`: a new revision of each, which bumps the application's charm-modified
 * version, so every unit runs upgrade-charm, then config-changed (interfaces §9).
 */
export async function attachResources(model: Model, appName: string, args: readonly string[]): Promise<void> {
  const app = model.app(appName);
  const charm = await model.charmOf(appName);
  const resources = parseResourceArguments(charm, args);
  if (resources.length === 0) throw new ModelError("attach-resource needs at least one <name>=<path>");
  for (const resource of resources) await uploadResource(model.dir, app, charm, resource.name, resource.file);
  app.charmModifiedVersion = (app.charmModifiedVersion ?? 0) + 1;
}
