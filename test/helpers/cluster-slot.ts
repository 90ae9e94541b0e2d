import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { slowestVerbs } from "../local-model/harness.js";

/**
 * Test files that run whole etcd clusters of the packed charm (test/cluster-files.ts names them) take turns: two
 * at once on a two-core machine would slow each other's etcd into elections and write gaps their assertions
 * count. Other files run beside them (vitest runs two files at a time; test/sequencer.ts interleaves them).
 * The slot is a directory created atomically, naming its holder's pid, so that a holder that died (a killed
 * run) does not keep it.
 */

const SLOT = path.join(tmpdir(), "etcd-charm-tests.cluster-slot");
const POLL_MS = 500;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

async function take(): Promise<void> {
  for (;;) {
    try {
      await mkdir(SLOT);
      await writeFile(path.join(SLOT, "pid"), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(await readFile(path.join(SLOT, "pid"), "utf8").catch(() => ""));
    // No pid yet: its holder is between mkdir and writeFile; a dead holder's slot is free.
    if (holder > 0 && !alive(holder)) await rm(SLOT, { recursive: true, force: true });
    else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Call at a cluster test file's top level: the file's tests run while it holds the slot. */
export function oneClusterFileAtATime(): void {
  let asked = 0;
  let taken = 0;
  beforeAll(async () => {
    asked = Date.now();
    await take();
    taken = Date.now();
  }, 3_600_000);
  afterAll(async () => {
    const holder = Number(await readFile(path.join(SLOT, "pid"), "utf8").catch(() => ""));
    if (holder === process.pid) await rm(SLOT, { recursive: true, force: true });
    // The files that hold the slot longest are the suite's critical path: its duration is about their sum.
    const file = path.relative(process.cwd(), expect.getState().testPath ?? "");
    const slowest = slowestVerbs(6).map((line) => `\n  ${line}`);
    console.log(`cluster slot: ${file} held it ${seconds(Date.now() - taken)} s after waiting ${seconds(taken - asked)} s; slowest verbs:${slowest.join("")}`);
  });
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
