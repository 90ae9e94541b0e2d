import { lstat, mkdir, readdir, readFile, symlink, unlink } from "node:fs/promises";
import path from "node:path";
import { combineUnitFiles, installInfo, parseUnitFile, type InstallInfo } from "./unit-file.js";
import { adminUnitDirectory, isMaskLink, locateUnit, type Machine, type UnitLocation } from "./unit-lookup.js";

/**
 * Unit file state on disk, as `systemctl enable|disable|mask|unmask|is-enabled` manage it: symlinks under
 * <root>/etc/systemd/system. Links point to the unit file by a relative path, so they resolve both on the
 * host and inside the machine's root.
 */

export type UnitFileState = "enabled" | "disabled" | "static" | "masked";

/** What an install operation did, one line each, as systemctl reports on stderr; or why it failed. */
export interface InstallOutcome {
  readonly messages: string[];
  readonly error?: string;
}

export const NO_INSTALL_INFO_WARNING = [
  "The unit files have no installation config (WantedBy=, RequiredBy=, UpheldBy=,",
  "Also=, or Alias= settings in the [Install] section, and DefaultInstance= for",
  "template units). This means they are not meant to be enabled or disabled using systemctl.",
].join("\n");

async function isSymlink(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined))?.isSymbolicLink() ?? false;
}

async function readInstallInfo(location: UnitLocation): Promise<InstallInfo> {
  const files = [location.fragmentPath, ...location.dropInPaths].filter((file): file is string => file !== undefined);
  const parsed = await Promise.all(files.map(async (file) => parseUnitFile(await readFile(file, "utf8"), file)));
  return installInfo(combineUnitFiles(parsed));
}

const hasInstallInfo = (info: InstallInfo) => [info.wantedBy, info.requiredBy, info.alias, info.also].some((list) => list.length > 0);

/** Every `<target>.wants/<name>` and `<target>.requires/<name>` link that enables the unit. */
async function dependencyLinks(machine: Machine, name: string): Promise<string[]> {
  const directory = adminUnitDirectory(machine);
  const entries = await readdir(directory).catch(() => [] as string[]);
  const links: string[] = [];
  for (const entry of entries.filter((entry) => entry.endsWith(".wants") || entry.endsWith(".requires"))) {
    const link = path.join(directory, entry, name);
    if (await isSymlink(link)) links.push(link);
  }
  return links;
}

/** The unit's file state, or undefined when it has no unit file. */
export async function unitFileState(machine: Machine, name: string): Promise<UnitFileState | undefined> {
  const location = await locateUnit(machine, name);
  if (location.masked) return "masked";
  if (location.fragmentPath === undefined) return undefined;
  if ((await dependencyLinks(machine, name)).length > 0) return "enabled";
  const info = await readInstallInfo(location);
  for (const alias of info.alias) if (await isSymlink(path.join(adminUnitDirectory(machine), alias))) return "enabled";
  return hasInstallInfo(info) ? "disabled" : "static";
}

/** Links the unit into the targets of its [Install] section, its aliases, and enables its Also= units. */
export async function enableUnit(machine: Machine, name: string, seen = new Set<string>()): Promise<InstallOutcome> {
  seen.add(name);
  const location = await locateUnit(machine, name);
  if (location.masked) return { messages: [], error: `Unit file ${location.fragmentPath} is masked.` };
  const fragmentPath = location.fragmentPath;
  if (fragmentPath === undefined) return { messages: [], error: `Unit file ${name} does not exist.` };
  const info = await readInstallInfo(location);
  if (!hasInstallInfo(info)) return { messages: [NO_INSTALL_INFO_WARNING] };
  const directory = adminUnitDirectory(machine);
  const messages: string[] = [];
  const links = [
    ...info.wantedBy.map((target) => path.join(directory, `${target}.wants`, name)),
    ...info.requiredBy.map((target) => path.join(directory, `${target}.requires`, name)),
    ...info.alias.map((alias) => path.join(directory, alias)),
  ];
  for (const link of links) {
    if (await lstat(link).catch(() => undefined)) continue;
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(path.relative(path.dirname(link), fragmentPath), link);
    messages.push(`Created symlink ${link} → ${fragmentPath}.`);
  }
  for (const also of info.also.filter((unit) => !seen.has(unit))) {
    const outcome = await enableUnit(machine, also, seen);
    if (outcome.error) return { messages: [...messages, ...outcome.messages], error: outcome.error };
    messages.push(...outcome.messages);
  }
  return { messages };
}

/** Removes the links that enable the unit (and its Also= units). */
export async function disableUnit(machine: Machine, name: string, seen = new Set<string>()): Promise<InstallOutcome> {
  seen.add(name);
  const location = await locateUnit(machine, name);
  if (location.fragmentPath === undefined) return { messages: [], error: `Unit file ${name} does not exist.` };
  const info = location.masked ? { wantedBy: [], requiredBy: [], alias: [], also: [] } : await readInstallInfo(location);
  const aliasLinks: string[] = [];
  for (const alias of info.alias) {
    const link = path.join(adminUnitDirectory(machine), alias);
    if ((await isSymlink(link)) && !(await isMaskLink(link))) aliasLinks.push(link);
  }
  const messages: string[] = [];
  for (const link of [...(await dependencyLinks(machine, name)), ...aliasLinks]) {
    await unlink(link);
    messages.push(`Removed "${link}".`);
  }
  for (const also of info.also.filter((unit) => !seen.has(unit))) messages.push(...(await disableUnit(machine, also, seen)).messages);
  return { messages };
}

/** Masks the unit: <root>/etc/systemd/system/<name> → /dev/null. A unit file in that place is not replaced. */
export async function maskUnit(machine: Machine, name: string): Promise<InstallOutcome> {
  const link = path.join(adminUnitDirectory(machine), name);
  if (await isMaskLink(link)) return { messages: [] };
  if (await lstat(link).catch(() => undefined)) return { messages: [], error: `File ${link} already exists.` };
  await mkdir(path.dirname(link), { recursive: true });
  await symlink("/dev/null", link);
  return { messages: [`Created symlink ${link} → /dev/null.`] };
}

export async function unmaskUnit(machine: Machine, name: string): Promise<InstallOutcome> {
  const link = path.join(adminUnitDirectory(machine), name);
  if (!(await isMaskLink(link))) return { messages: [] };
  await unlink(link);
  return { messages: [`Removed "${link}".`] };
}
