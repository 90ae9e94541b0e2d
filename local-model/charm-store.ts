import { link, mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";

/**
 * Deployed charms on disk: each application revision under <model>/charms/<app>-<revision>, hard-linked into
 * every unit's own charm dir (each unit has its own directory; the runtime is not copied).
 */

/** Hard-links a charm tree into a unit's charm dir. */
export async function linkCharmTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await linkCharmTree(source, target);
    else await link(source, target);
  }
}

/** Where a charm being deployed or refreshed is extracted before it gets its place. */
export function stagingDir(modelDir: string): string {
  return path.join(modelDir, "charms", `staging-${Date.now()}`);
}

/** Keeps an extracted charm (or links a directory's) under charms/<app>-<revision>. */
export async function placeCharm(modelDir: string, loadedDir: string, staging: string, app: string, revision: number): Promise<string> {
  const target = path.join(modelDir, "charms", `${app}-${revision}`);
  await rm(target, { recursive: true, force: true });
  if (loadedDir === staging) {
    await rename(staging, target);
  } else {
    await linkCharmTree(loadedDir, target);
  }
  return target;
}

/** The unit's charm dir becomes a copy of the application's current charm (before upgrade-charm). */
export async function relinkUnitCharm(unitDir: string, appCharmDir: string): Promise<void> {
  const charmDir = path.join(unitDir, "charm");
  await rm(charmDir, { recursive: true, force: true });
  await linkCharmTree(appCharmDir, charmDir);
}
