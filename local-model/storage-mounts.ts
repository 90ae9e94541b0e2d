import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, readFileSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * How a storage instance appears in a unit's filesystem root: a bind mount of its directory (or, for block
 * storage, of its sparse image file) at the location, as Juju's machine agent mounts a filesystem there.
 * Where bind mounts are not permitted (not root, no CAP_SYS_ADMIN), a symlink at the location is the closest
 * stand-in: the charm reads and writes the same files, but `findmnt` shows no mount.
 *
 * Synchronous on purpose: a mount takes milliseconds, and attach/detach happen inside state transitions that
 * must be complete before the next hook is planned.
 */

/** Mount points in /proc/self/mountinfo (field 5), with its octal escapes (\040 for a space) decoded. */
export function mountPoints(): string[] {
  const text = readFileSync("/proc/self/mountinfo", "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => (line.split(" ")[4] ?? "").replace(/\\([0-7]{3})/g, (_, code: string) => String.fromCharCode(Number.parseInt(code, 8))));
}

const isUnder = (candidate: string, dir: string) => candidate === dir || candidate.startsWith(`${dir}/`);

/**
 * Mounts `source` (a directory, or a file for block storage) at `target`, creating the mount point; read-only
 * storage (metadata `read-only: true`) is remounted read-only, as Juju mounts it.
 */
export function attachAt(source: string, target: string, kind: "filesystem" | "block", readOnly = false): void {
  mkdirSync(path.dirname(target), { recursive: true });
  if (kind === "filesystem") mkdirSync(target, { recursive: true });
  else writeFileSync(target, "", { flag: "a" });
  if (mountPoints().includes(target)) return;
  try {
    execFileSync("mount", ["--bind", source, target], { stdio: "pipe" });
    if (readOnly) execFileSync("mount", ["-o", "remount,bind,ro", target], { stdio: "pipe" });
  } catch {
    if (kind === "filesystem") rmdirSync(target);
    else unlinkSync(target);
    symlinkSync(source, target);
  }
}

/** Undoes attachAt: unmounts (or removes the symlink) and removes the now empty mount point. */
export function detachFrom(target: string): void {
  const stat = lstatSync(target, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isSymbolicLink()) {
    unlinkSync(target);
    return;
  }
  // A bind mount can be stacked more than once on the same point; take every layer off.
  while (mountPoints().includes(target)) unmount(target);
  if (stat.isDirectory()) rmdirSync(target);
  else unlinkSync(target);
}

/** Unmounts everything mounted at or below `dir`, deepest first (before the directory is removed). */
export function unmountUnder(dir: string): void {
  const resolved = path.resolve(dir);
  const under = mountPoints()
    .filter((point) => isUnder(point, resolved))
    .sort((a, b) => b.length - a.length);
  for (const point of under) unmount(point);
}

/**
 * umount, or when something still uses the mount (a service's open file or working directory: EBUSY) a lazy
 * umount: the mount leaves the unit's root at once and goes when its last user does.
 */
function unmount(point: string): void {
  try {
    execFileSync("umount", [point], { stdio: "pipe" });
  } catch {
    try {
      execFileSync("umount", ["-l", point], { stdio: "pipe" });
    } catch (error) {
      // Gone already is done: something else unmounted it since mountinfo was read (a lazy umount of a
      // parent takes its children with it).
      if (mountPoints().includes(point)) throw error;
    }
  }
}
