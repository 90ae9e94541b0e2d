import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runProgram } from "../run-program.js";
import { z } from "zod";
import { fileSha256 } from "../domain/file-sha256.js";
import { SNAPSHOT_NAME, SnapshotDescription } from "../domain/snapshot-name.js";
import { utcStamp } from "../domain/utc-stamp.js";
import { EtcdctlError, firstErrorLine } from "./etcdctl.js";
import type { EtcdTools } from "./paths.js";
import { snapshotTool } from "./snapshot-tool.js";

/**
 * Snapshots on this machine: each taken into a temporary file, verified with `etcdctl snapshot status` (it reads
 * the whole file and checks its hash), then renamed to a name that sorts by time, with a JSON description beside
 * it. Only verified snapshots are ever listed. The directory is root's alone: a snapshot holds every key.
 */

export interface SnapshotFacts {
  /** `etcd-snapshot-<UTC time>-rev<revision>.db`: sorts by time. */
  readonly name: string;
  readonly path: string;
  readonly revision: number;
  readonly keys: number;
  readonly sizeBytes: number;
  /** etcd's own hash of the snapshot's contents, as `snapshot status` prints it. */
  readonly hash: number;
  readonly sha256: string;
  readonly takenAt: string;
  /** The member it was taken from. */
  readonly member: string;
  /** Taken by the schedule (snapshot-interval): only those are pruned to snapshot-retention. */
  readonly scheduled: boolean;
}

const Status = z.object({ hash: z.number(), revision: z.number(), totalKey: z.number(), totalSize: z.number() });

/** etcd's verdict on a snapshot file (`snapshot status`, same JSON from etcdctl 3.4 and etcdutl 3.5): it fails on a truncated or corrupted one. */
export async function snapshotStatus(file: string, tools: EtcdTools): Promise<z.output<typeof Status>> {
  const result = await runProgram(await snapshotTool(tools), ["snapshot", "status", file, "-w", "json"], { env: { ETCDCTL_API: "3" }, timeoutMs: 600_000 });
  if (result.exitCode !== 0) throw new EtcdctlError(["snapshot", "status", file], result.exitCode, result.stderr || result.reason);
  return Status.parse(JSON.parse(result.stdout));
}

export class SnapshotStore {
  constructor(
    readonly dir: string,
    /** The machine's etcd programs: snapshots are verified with its etcdctl or etcdutl (snapshot-tool.ts). */
    private readonly tools: EtcdTools,
  ) {}

  /** Takes a snapshot with `save` (into the file it is given), verifies it and keeps it; throws, keeping nothing, if it is not sound. */
  async take(save: (file: string) => Promise<void>, member: string, now: Date, scheduled = false): Promise<SnapshotFacts> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const taking = path.join(this.dir, `.taking-${process.pid}.db`);
    try {
      await save(taking);
      const status = await snapshotStatus(taking, this.tools);
      const name = `etcd-snapshot-${utcStamp(now)}-rev${status.revision}.db`;
      const facts: SnapshotFacts = {
        name,
        path: path.join(this.dir, name),
        revision: status.revision,
        keys: status.totalKey,
        sizeBytes: status.totalSize,
        hash: status.hash,
        sha256: await fileSha256(taking),
        takenAt: now.toISOString(),
        member,
        scheduled,
      };
      return await this.keep(taking, facts);
    } finally {
      // A snapshot that failed half-way or did not verify is a partial copy, never data anyone relies on.
      await rm(taking, { force: true });
    }
  }

  /** Gives a verified file its name, root's alone, and writes its description beside it (after it: a described snapshot is whole). */
  private async keep(file: string, facts: SnapshotFacts): Promise<SnapshotFacts> {
    await chmod(file, 0o600);
    await rename(file, facts.path);
    const { path: _where, ...description } = facts;
    await writeFile(`${facts.path}.json`, `${JSON.stringify(description, null, 1)}\n`, { mode: 0o600 });
    return facts;
  }

  /**
   * Checks a kept snapshot again before it is used: etcd's verdict on the file now (it reads it whole and checks
   * its hash) and the same sha256 as when it was taken. Undefined when sound, else what is wrong.
   */
  async verify(facts: SnapshotFacts): Promise<string | undefined> {
    try {
      const status = await snapshotStatus(facts.path, this.tools);
      if (status.hash !== facts.hash || status.revision !== facts.revision)
        return `etcd reads hash ${status.hash} at revision ${status.revision}, not the ${facts.hash} at ${facts.revision} it was taken with`;
    } catch (error) {
      return error instanceof EtcdctlError ? `etcdctl snapshot status: ${firstErrorLine(error.stderr)}` : String(error);
    }
    const sha256 = await fileSha256(facts.path);
    return sha256 === facts.sha256 ? undefined : `its sha256 is ${sha256}, not the ${facts.sha256} it was taken with`;
  }

  /**
   * Keeps a copy of a snapshot file from elsewhere (the `snapshot` resource an operator attached), once etcd
   * verifies it, as `take` keeps one it saved: the copy is what is restored and listed from then on.
   */
  importFile(file: string, source: string, now: Date): Promise<SnapshotFacts> {
    return this.take((target) => copyFile(file, target), source, now);
  }

  /**
   * Keeps a snapshot fetched from elsewhere (the S3 bucket) under its own name, once etcd reads it as the one its
   * description names (same hash and revision) with the same sha256: the copy is what is restored from then on.
   */
  async adopt(fetch: (file: string) => Promise<void>, described: Omit<SnapshotFacts, "path">): Promise<SnapshotFacts> {
    if (!SNAPSHOT_NAME.test(described.name)) throw new Error(`${JSON.stringify(described.name)} is not a snapshot name`);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const fetching = path.join(this.dir, `.fetching-${process.pid}.db`);
    try {
      await fetch(fetching);
      const facts: SnapshotFacts = { ...described, path: path.join(this.dir, described.name) };
      const problem = await this.verify({ ...facts, path: fetching });
      if (problem) throw new Error(`${described.name} is not the snapshot its description names: ${problem}`);
      return await this.keep(fetching, facts);
    } finally {
      await rm(fetching, { force: true });
    }
  }

  /**
   * Deletes scheduled snapshots (file and description) beyond the newest `keep`, and returns their names. The
   * snapshot action's are never pruned: an operator took those on purpose.
   */
  async prune(keep: number): Promise<string[]> {
    const scheduled = (await this.list()).filter((s) => s.scheduled);
    const old = scheduled.slice(0, Math.max(0, scheduled.length - keep));
    for (const snapshot of old) {
      await rm(`${snapshot.path}.json`, { force: true });
      await rm(snapshot.path, { force: true });
    }
    return old.map((s) => s.name);
  }

  /** Verified snapshots, oldest first; a description that does not parse is skipped. */
  async list(): Promise<SnapshotFacts[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: SnapshotFacts[] = [];
    for (const entry of names.filter((n) => n.endsWith(".db.json")).sort()) {
      const parsed = SnapshotDescription.safeParse(parseJson(await readFile(path.join(this.dir, entry), "utf8").catch(() => "")));
      if (parsed.success) found.push({ ...parsed.data, path: path.join(this.dir, parsed.data.name) });
    }
    return found;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
