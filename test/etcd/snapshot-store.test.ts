import { appendFile, copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Etcdctl } from "../../src/etcd/etcdctl.js";
import { etcdPaths } from "../../src/etcd/paths.js";
import { type SnapshotFacts, SnapshotStore } from "../../src/etcd/snapshots.js";
import { type EtcdMember, startSingleMember } from "../helpers/etcd-process.js";

/**
 * The snapshot store against a real etcd 3.4 member: a snapshot fetched from elsewhere (the S3 bucket) is kept
 * under its own name only when etcd reads it as the one its description names and its sha256 matches.
 */

/** This machine's etcd 3.4 programs, as on a real machine's root. */
const { tools } = etcdPaths("/");
let member: EtcdMember;
let work: string;
let taken: SnapshotFacts;
beforeAll(async () => {
  member = await startSingleMember("127.0.0.221");
  work = await mkdtemp(path.join(tmpdir(), "snapshot-store-"));
  const client = new Etcdctl({ endpoints: [member.clientUrl] });
  await client.put("adopted/key", "value");
  taken = await new SnapshotStore(path.join(work, "source"), tools).take((file) => client.snapshotSave(file), "etcd0", new Date("2026-12-01T07:00:00Z"));
});
afterAll(async () => {
  await member?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("SnapshotStore.adopt", () => {
  it("keeps a fetched snapshot under its own name, with its description, when it is the one described", async () => {
    const store = new SnapshotStore(path.join(work, "whole"), tools);
    const { path: _source, ...described } = taken;
    const kept = await store.adopt((file) => copyFile(taken.path, file), described);
    expect(kept).toEqual({ ...taken, path: path.join(work, "whole", taken.name) });
    expect(await store.list()).toEqual([kept]);
    expect(await readdir(path.join(work, "whole"))).toEqual([taken.name, `${taken.name}.json`]);
  });

  it("refuses a file that is not the one described and keeps nothing", async () => {
    const store = new SnapshotStore(path.join(work, "changed"), tools);
    const { path: _source, ...described } = taken;
    const changed = path.join(work, "changed.db");
    await copyFile(taken.path, changed);
    await appendFile(changed, "x");
    const refused = await store.adopt((file) => copyFile(changed, file), described).catch((error: unknown) => String(error));
    expect(refused).toMatch(new RegExp(`^Error: ${taken.name.replaceAll(".", "\\.")} is not the snapshot its description names: `));
    const otherHash = await store
      .adopt((file) => copyFile(taken.path, file), { ...described, sha256: "0".repeat(64) })
      .catch((error: unknown) => String(error));
    expect(otherHash).toContain(`its sha256 is ${taken.sha256}, not the ${"0".repeat(64)} it was taken with`);
    expect(await readdir(path.join(work, "changed"))).toEqual([]);
  });
});
