import { access, chmod, chown, lstat, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { runProgram } from "../run-program.js";
import { z } from "zod";
import { utcStamp } from "../domain/utc-stamp.js";
import type { EtcdPaths } from "./paths.js";

/** uid and gid of a system account, from /etc/passwd and /etc/group (Node has no getpwnam). */
export async function systemAccount(name: string): Promise<{ uid: number; gid: number }> {
  const field = async (file: string, index: number) => {
    const line = (await readFile(file, "utf8")).split("\n").find((l) => l.split(":")[0] === name);
    const value = Number(line?.split(":")[index]);
    if (!line || !Number.isInteger(value)) throw new Error(`no ${name} entry in ${file}: is etcd installed?`);
    return value;
  };
  return { uid: await field("/etc/passwd", 2), gid: await field("/etc/group", 2) };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function readIfRegular(file: string): Promise<string | undefined> {
  try {
    const info = await lstat(file);
    return info.isFile() ? await readFile(file, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

/** Writes whole or not at all (temporary file, then rename), replacing a symlink (a mask) rather than following it. */
async function writeAtomically(file: string, text: string, mode: number, owner?: { uid: number; gid: number }): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  const temporary = `${file}.charm-new`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  if (owner) await chown(temporary, owner.uid, owner.gid);
  const current = await lstat(file).catch(() => undefined);
  if (current?.isSymbolicLink()) await unlink(file);
  await rename(temporary, file);
}

export const RunningFiles = z.object({ configText: z.string(), unitText: z.string() });
export type RunningFiles = z.infer<typeof RunningFiles>;

/** The files of etcd's member on this unit: its config, our unit file and its data dir. */
export class EtcdFiles {
  constructor(readonly paths: EtcdPaths) {}

  readConfig(): Promise<string | undefined> {
    return readIfRegular(this.paths.configFile);
  }

  readUnit(): Promise<string | undefined> {
    return readIfRegular(this.paths.unitFile);
  }

  /** Something occupies our unit's path: our unit, or the mask that keeps the packaged unit from starting. */
  async unitPathTaken(): Promise<boolean> {
    return (await lstat(this.paths.unitFile).catch(() => undefined)) !== undefined;
  }

  /** The config is readable by etcd's group only: root owns it, etcd reads it. */
  async writeConfig(text: string): Promise<void> {
    const etcd = await systemAccount("etcd");
    await writeAtomically(this.paths.configFile, text, 0o640, { uid: 0, gid: etcd.gid });
  }

  async writeUnit(text: string): Promise<void> {
    await writeAtomically(this.paths.unitFile, text, 0o644);
  }

  /**
   * What the running etcd was started with. Written after a start or restart succeeded, so a hook that
   * wrote new files but failed before its restart finished leaves the old record behind, and the next hook
   * restarts: files on disk alone cannot tell whether the running process has them.
   */
  async readRunning(): Promise<RunningFiles | undefined> {
    const text = await readIfRegular(this.paths.runningFile);
    if (text === undefined) return undefined;
    try {
      const parsed = RunningFiles.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Same owner and mode as the config: it holds the config. */
  async writeRunning(running: RunningFiles): Promise<void> {
    const etcd = await systemAccount("etcd");
    await writeAtomically(this.paths.runningFile, JSON.stringify(running), 0o640, { uid: 0, gid: etcd.gid });
  }

  /** The data dir exists, belongs to etcd and is private (0700) before etcd starts; its contents are never touched. */
  async ensureDataDir(): Promise<void> {
    const etcd = await systemAccount("etcd");
    const parent = path.dirname(this.paths.dataDir);
    // Ancestors (/var/lib) are world-traversable as on any machine; only etcd's own dirs are private.
    await mkdir(path.dirname(parent), { recursive: true, mode: 0o755 });
    for (const dir of [parent, this.paths.dataDir]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chown(dir, etcd.uid, etcd.gid);
      await chmod(dir, 0o700);
    }
  }

  /**
   * Moves the data dir aside, whole, to `<data-dir>.removed-<UTC time>` beside it (a rename: nothing is copied or
   * deleted), and returns where it went. For data of a member the cluster no longer has: etcd would refuse to
   * start on it, and the unit joins afresh with an empty data dir. An operator may still read it or restore from it.
   */
  async setAsideMemberData(now: Date): Promise<string> {
    const stamp = utcStamp(now);
    let target = `${this.paths.dataDir}.removed-${stamp}`;
    for (let n = 2; await exists(target); n++) target = `${this.paths.dataDir}.removed-${stamp}-${n}`;
    await rename(this.paths.dataDir, target);
    return target;
  }

  /**
   * Copies the data dir, whole, to `<data-dir>.before-rebuild-<UTC time>` beside it (`cp -a`: owners, modes and
   * times kept) and returns where. For a rebuild, which rewrites the member list in the member's own data: the
   * copy is the data exactly as the lost cluster left it, for an operator who needs to go back.
   */
  async copyMemberData(now: Date): Promise<string> {
    const stamp = utcStamp(now);
    let target = `${this.paths.dataDir}.before-rebuild-${stamp}`;
    for (let n = 2; await exists(target); n++) target = `${this.paths.dataDir}.before-rebuild-${stamp}-${n}`;
    const copied = await runProgram("cp", ["-a", "--", this.paths.dataDir, target]);
    if (copied.exitCode !== 0) {
      // A partial copy is no one's data (the original is untouched): it would only mislead an operator.
      await rm(target, { recursive: true, force: true });
      throw new Error(`could not copy ${this.paths.dataDir} to ${target}: ${copied.stderr.trim() || copied.reason}`);
    }
    return target;
  }

  /**
   * Puts restored data in place of the data dir: `restore` writes it into a new dir beside it first (so that a
   * restore that fails changes nothing), then the current data dir is moved aside (setAsideMemberData) and the new
   * one takes its name, owned by etcd and private. Returns where the previous data went.
   */
  async replaceMemberData(restore: (dir: string) => Promise<void>, now: Date): Promise<string> {
    const restoring = `${this.paths.dataDir}.restoring`;
    await rm(restoring, { recursive: true, force: true });
    try {
      await restore(restoring);
    } catch (error) {
      // A partial restore is no one's data: it was written just now from the snapshot, which is still there.
      await rm(restoring, { recursive: true, force: true });
      throw error;
    }
    const etcd = await systemAccount("etcd");
    await chownTree(restoring, etcd.uid, etcd.gid);
    await chmod(restoring, 0o700);
    const aside = await this.setAsideMemberData(now);
    await rename(restoring, this.paths.dataDir);
    return aside;
  }

  /** etcd keeps its WAL and snapshots in <data-dir>/member once it has started as a member. */
  hasMemberData(): Promise<boolean> {
    return exists(path.join(this.paths.dataDir, "member"));
  }
}

/** chown -R, without following symlinks (etcd's data dir holds none). */
async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(full, uid, gid);
    else if (!entry.isSymbolicLink()) await chown(full, uid, gid);
  }
}
