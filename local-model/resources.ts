import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { copyFile, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import type { CharmSpec } from "./charm.js";
import { ModelError } from "./model-error.js";
import type { AppState, StoredResource } from "./state.js";

/**
 * File resources (interfaces §9): an upload (`deploy --resource`, `attach-resource`) is copied into the model,
 * `<model>/resources/<app>/<name>/<revision>/<filename>`; a unit's `resource-get` copies the application's
 * current revision into the unit's agent dir, `<unit dir>/resources/<name>/<filename>`, on first use and
 * again whenever the application has moved on to another revision.
 */

/** `name=path` arguments, checked against the charm's resources. */
export function parseResourceArguments(charm: CharmSpec, args: readonly string[]): Array<{ name: string; file: string }> {
  return args.map((arg) => {
    const equals = arg.indexOf("=");
    if (equals <= 0 || equals === arg.length - 1) throw new ModelError(`invalid resource "${arg}": expected <name>=<path>`);
    const name = arg.slice(0, equals);
    if (!charm.resources[name]) throw new ModelError(`charm "${charm.name}" has no resource "${name}"`);
    return { name, file: path.resolve(arg.slice(equals + 1)) };
  });
}

/** Stores a copy of the file as the resource's next revision. */
export async function uploadResource(modelDir: string, app: AppState, charm: CharmSpec, name: string, file: string): Promise<StoredResource> {
  const spec = charm.resources[name];
  if (!spec) throw new ModelError(`charm "${charm.name}" has no resource "${name}"`);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new ModelError(`resource "${name}": file "${file}" not found`);
  const revision = (app.resources?.[name]?.revision ?? 0) + 1;
  const stored = path.join(modelDir, "resources", app.name, name, String(revision), spec.filename);
  await mkdir(path.dirname(stored), { recursive: true });
  await copyFile(file, stored);
  const resource: StoredResource = { revision, file: stored, filename: spec.filename, size: info.size };
  app.resources = { ...app.resources, [name]: resource };
  return resource;
}

/**
 * The unit-local path of the resource, synced to the application's current revision; undefined when the
 * charm does not declare it or nothing (or only an empty placeholder, interfaces §9) was uploaded.
 */
export function syncUnitResource(unitDir: string, app: AppState, charm: CharmSpec, name: string): string | undefined {
  const stored = charm.resources[name] ? app.resources?.[name] : undefined;
  if (!stored || stored.size === 0) return undefined;
  const dir = path.join(unitDir, "resources", name);
  const local = path.join(dir, stored.filename);
  const marker = path.join(dir, ".revision");
  const have = (() => {
    try {
      return readFileSync(marker, "utf8");
    } catch {
      return "";
    }
  })();
  if (have !== String(stored.revision) || statSync(local, { throwIfNoEntry: false }) === undefined) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(stored.file, local);
    writeFileSync(marker, String(stored.revision));
  }
  return local;
}
