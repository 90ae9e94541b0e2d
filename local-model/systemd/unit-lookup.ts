import { lstat, readdir, readFile, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { serviceDefinition, type ServiceDefinition } from "./service-definition.js";
import { combineUnitFiles, parseUnitFile, type UnitFile } from "./unit-file.js";

/**
 * Finding and loading a machine's unit files, as systemd's unit search path does (systemd.unit(5)): each
 * machine has its own filesystem root, and a name is looked up in its unit directories in order; a
 * symlink to /dev/null masks the unit. Drop-ins (`<name>.d/*.conf`) are applied after the main file.
 */

/** A simulated machine: a name and the directory that is its "/". */
export interface Machine {
  readonly name: string;
  readonly root: string;
  /** The network namespace file its processes run in (entered with nsenter); undefined: the host's network. */
  readonly networkNamespace?: string;
}

/** The administrator's unit directory, where `enable`, `disable` and `mask` write. */
const ADMIN_UNIT_DIRECTORY = "etc/systemd/system";
/** The unit directories under a machine's root, highest priority first. */
const UNIT_DIRECTORIES = [ADMIN_UNIT_DIRECTORY, "run/systemd/system", "lib/systemd/system", "usr/lib/systemd/system"];

export function unitDirectories(machine: Machine): string[] {
  return UNIT_DIRECTORIES.map((dir) => path.join(machine.root, dir));
}

/** Where `enable`, `disable` and `mask` write: <root>/etc/systemd/system. */
export function adminUnitDirectory(machine: Machine): string {
  return path.join(machine.root, ADMIN_UNIT_DIRECTORY);
}

export type LoadState = "loaded" | "not-found" | "masked" | "bad-setting";

export interface UnitLocation {
  /** The unit file, or the /dev/null symlink that masks the unit. */
  readonly fragmentPath: string | undefined;
  readonly masked: boolean;
  readonly dropInPaths: readonly string[];
}

/** The template a unit instance comes from: "worker@3.service" → "worker@.service". */
function templateOf(name: string): string | undefined {
  const match = /^([^@]+)@[^@]+(\.[^.]+)$/.exec(name);
  return match ? `${match[1]}@${match[2]}` : undefined;
}

/** Whether the file is a symlink to /dev/null: a mask. */
export async function isMaskLink(file: string): Promise<boolean> {
  const link = await readlink(file).catch(() => undefined);
  return link === "/dev/null";
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

/** Finds the unit's file and drop-ins on the machine. */
export async function locateUnit(machine: Machine, name: string): Promise<UnitLocation> {
  const directories = unitDirectories(machine);
  const names = [name, templateOf(name)].filter((candidate): candidate is string => candidate !== undefined);
  let fragmentPath: string | undefined;
  let masked = false;
  search: for (const candidate of names) {
    for (const directory of directories) {
      const file = path.join(directory, candidate);
      if ((await lstat(file).catch(() => undefined)) === undefined) continue;
      if (await isMaskLink(file)) {
        masked = true;
        fragmentPath = file;
        break search;
      }
      if (await exists(file)) {
        fragmentPath = file;
        break search;
      }
    }
  }
  // A drop-in in a higher-priority directory hides one of the same name in a lower one.
  const dropIns = new Map<string, string>();
  for (const directory of directories) {
    for (const candidate of names) {
      const dropInDirectory = path.join(directory, `${candidate}.d`);
      for (const entry of (await readdir(dropInDirectory).catch(() => [] as string[])).sort()) {
        if (entry.endsWith(".conf") && !dropIns.has(entry)) dropIns.set(entry, path.join(dropInDirectory, entry));
      }
    }
  }
  const dropInPaths = [...dropIns.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, file]) => file);
  return { fragmentPath, masked, dropInPaths };
}

async function fingerprintOf(location: UnitLocation): Promise<string> {
  const files = [location.fragmentPath, ...location.dropInPaths].filter((file): file is string => file !== undefined);
  const stamps = await Promise.all(
    files.map(async (file) => {
      const info = await stat(file).catch(() => undefined);
      return `${file}:${info?.mtimeMs ?? "-"}:${info?.size ?? "-"}`;
    }),
  );
  return `${location.masked ? "masked" : ""}|${stamps.join("|")}`;
}

/** Changes whenever the unit's files change: a loaded unit whose fingerprint differs needs a daemon-reload. */
export async function unitFingerprint(machine: Machine, name: string): Promise<string> {
  return fingerprintOf(await locateUnit(machine, name));
}

/** A unit as the service manager has loaded it. */
export interface LoadedUnit {
  readonly name: string;
  readonly loadState: LoadState;
  readonly fragmentPath: string | undefined;
  readonly dropInPaths: readonly string[];
  /** The parsed files, main file and drop-ins combined; unknown keys are kept here. */
  readonly file: UnitFile | undefined;
  /** Present when loadState is "loaded". */
  readonly definition: ServiceDefinition | undefined;
  /** Why the unit is bad-setting. */
  readonly loadError: string | undefined;
  readonly warnings: readonly string[];
  readonly fingerprint: string;
}

/** Only services are managed; other unit types are never found. */
export function isServiceName(name: string): boolean {
  return name.endsWith(".service") && !name.startsWith("@") && !name.includes("/");
}

/** Loads the unit from the machine's files as they are now. */
export async function loadUnit(machine: Machine, name: string): Promise<LoadedUnit> {
  const location = await locateUnit(machine, name);
  const fingerprint = await fingerprintOf(location);
  const base = {
    name,
    fragmentPath: location.fragmentPath,
    dropInPaths: location.dropInPaths,
    fingerprint,
    file: undefined,
    definition: undefined,
    loadError: undefined,
    warnings: [],
  };
  if (!isServiceName(name)) return { ...base, loadState: "not-found" };
  if (location.masked) return { ...base, loadState: "masked" };
  if (location.fragmentPath === undefined) return { ...base, loadState: "not-found" };
  const files = await Promise.all([location.fragmentPath, ...location.dropInPaths].map(async (file) => parseUnitFile(await readFile(file, "utf8"), file)));
  const file = combineUnitFiles(files);
  const extracted = serviceDefinition(file, { unitName: name, hostName: machine.name });
  if (!extracted.ok) return { ...base, file, loadState: "bad-setting", loadError: extracted.error, warnings: extracted.warnings };
  return { ...base, file, loadState: "loaded", definition: extracted.definition, warnings: extracted.warnings };
}
