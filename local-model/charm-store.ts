import { constants } from "node:fs";
import { copyFile, link, lstat, mkdir, readdir, readlink, rename, rm, symlink } from "node:fs/promises";
import path from "node:path";

/**
 * Deployed charms on disk. At deploy and refresh the model keeps its own snapshot of the charm under
 * <model>/charms/<app>-<revision> (an extracted .charm, or a copy of a charm directory), so later edits of
 * the source never reach the units. Each unit gets a private charm dir, as Juju gives each unit its own copy:
 * every file copied, except large ones (a bundled runtime binary), which are hard-linked from the model's
 * snapshot (never from the source) because copying them cost most of a unit's join.
 */

/** Files larger than this are hard-linked from the model's snapshot into a unit's charm dir instead of copied. */
export const LINK_ABOVE_BYTES = 1024 * 1024;

type LargeFiles = "copy" | "link";

/** Copies a charm tree; symlinks stay symlinks. With `large: "link"`, large files are hard-linked instead. */
async function copyCharmTree(from: string, to: string, large: LargeFiles): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const source = path.join(from, entry.name);
      const target = path.join(to, entry.name);
      if (entry.isDirectory()) return copyCharmTree(source, target, large);
      if (entry.isSymbolicLink()) return symlink(await readlink(source), target);
      if (large === "link" && (await lstat(source)).size > LINK_ABOVE_BYTES) return shareLargeFile(source, target);
      // A copy-on-write clone where the filesystem has them, else a plain copy (mode bits kept either way).
      return copyFile(source, target, constants.COPYFILE_FICLONE);
    }),
  );
}

/** A clone where the filesystem can make one (private and cheap), else a hard link to the snapshot's file. */
async function shareLargeFile(source: string, target: string): Promise<void> {
  try {
    await copyFile(source, target, constants.COPYFILE_FICLONE_FORCE);
  } catch {
    await link(source, target);
  }
}

/** Where a charm being deployed or refreshed is extracted before it gets its place. */
export function stagingDir(modelDir: string): string {
  return path.join(modelDir, "charms", `staging-${Date.now()}`);
}

/** Keeps the model's snapshot of a charm under charms/<app>-<revision>: the extracted archive, or a copy of a directory. */
export async function placeCharm(modelDir: string, loadedDir: string, staging: string, app: string, revision: number): Promise<string> {
  const target = path.join(modelDir, "charms", `${app}-${revision}`);
  await rm(target, { recursive: true, force: true });
  if (loadedDir === staging) {
    await rename(staging, target);
  } else {
    await copyCharmTree(loadedDir, target, "copy");
  }
  return target;
}

/** A unit's private charm dir, made from the model's snapshot of the application's charm. */
export async function makeUnitCharm(unitDir: string, appCharmDir: string): Promise<void> {
  await copyCharmTree(appCharmDir, path.join(unitDir, "charm"), "link");
}

/** The unit's charm dir becomes a private copy of the application's current charm (before upgrade-charm). */
export async function replaceUnitCharm(unitDir: string, appCharmDir: string): Promise<void> {
  await rm(path.join(unitDir, "charm"), { recursive: true, force: true });
  await makeUnitCharm(unitDir, appCharmDir);
}
