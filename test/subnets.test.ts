import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../scripts/build.js";
import { isClusterFile } from "./cluster-files.js";

/**
 * Test files run side by side, and a local model refuses a subnet another live model holds (as etcd refuses an
 * address in use): two files naming the same model subnet (`"127.a.b"`) or the same hand-started member
 * address (`127.0.0.2xx`) fail each other at random, depending on which runs when.
 */

const SUBNET = /["'`](127\.\d{1,3}\.\d{1,3})["'`]/g;
const MEMBER_ADDRESS = /\b(127\.0\.0\.2\d\d)\b/g;

async function testSources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith(".ts")).map((entry) => path.join(entry.parentPath, entry.name));
}

describe("what test files running side by side share", () => {
  it("no two test files use the same model subnet or the same hand-started member address", async () => {
    const users = new Map<string, Set<string>>();
    for (const file of [...(await testSources(path.join(repoRoot, "test"))), ...(await testSources(path.join(repoRoot, "bench")))]) {
      const text = await readFile(file, "utf8");
      for (const match of [...text.matchAll(SUBNET), ...text.matchAll(MEMBER_ADDRESS)]) {
        const address = match[1] ?? "";
        if (address === "127.0.0") continue;
        users.set(address, (users.get(address) ?? new Set()).add(path.relative(repoRoot, file)));
      }
    }
    const shared = [...users].filter(([, files]) => files.size > 1).map(([address, files]) => `${address}: ${[...files].sort().join(", ")}`);
    expect(shared).toEqual([]);
    expect(users.size).toBeGreaterThan(40);
  });

  it("every file that deploys the packed etcd charm is a cluster file and takes its turn (oneClusterFileAtATime)", async () => {
    const files = (await testSources(path.join(repoRoot, "test"))).filter((file) => file.endsWith(".test.ts") && !file.endsWith("subnets.test.ts"));
    const deploying: string[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8");
      const relative = path.relative(repoRoot, file);
      if (/inject\("packedCharms"\)/.test(text) && /LocalModelFixture\.create|soakRun/.test(text)) deploying.push(relative);
      expect(text.includes("oneClusterFileAtATime();"), relative).toBe(isClusterFile(relative));
    }
    expect(deploying.filter((file) => !isClusterFile(file))).toEqual([]);
    expect(deploying.length).toBeGreaterThan(8);
  });
});
