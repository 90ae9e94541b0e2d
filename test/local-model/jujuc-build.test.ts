import { copyFile, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtJujuc } from "../../local-model/jujuc-build.js";
import { repoRoot } from "../../scripts/build.js";
import { ModelError } from "../../local-model/model-error.js";

/** The hook-tool client is compiled by the controller, once per source, never left half-written. */
describe("building the hook-tool client", () => {
  const homes: string[] = [];
  const home = async (source?: string) => {
    const dir = await mkdtemp(path.join(tmpdir(), "jujuc-home-"));
    homes.push(dir);
    if (source === undefined) await copyFile(path.join(repoRoot, "local-model", "jujuc.c"), path.join(dir, "jujuc.c"));
    else await writeFile(path.join(dir, "jujuc.c"), source);
    return dir;
  };
  afterAll(async () => {
    for (const dir of homes) await rm(dir, { recursive: true, force: true });
  });

  it("compiles jujuc.c once: the second call finds the same executable", async () => {
    const dir = await home();
    const first = await builtJujuc(dir);
    expect(path.basename(first)).toMatch(/^jujuc-[0-9a-f]{16}$/);
    expect((await stat(first)).mode & 0o111).not.toBe(0);
    const built = (await stat(first)).mtimeMs;
    expect(await builtJujuc(dir)).toBe(first);
    expect((await stat(first)).mtimeMs).toBe(built);
  });

  it("a source that does not compile is a ModelError naming the compiler's complaint and the fix; nothing is left behind", async () => {
    const dir = await home("int main(void) { return missing; }\n");
    const error = await builtJujuc(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toMatch(/^cannot build the hook-tool client \(.+jujuc\.c\): .*missing.*; install a C compiler \(apt-get install gcc/);
    expect(await readdir(path.join(dir, ".bundle"))).toEqual([]);
  });

  it("without cc on PATH it says so", async () => {
    const dir = await home();
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
      await expect(builtJujuc(dir)).rejects.toThrow("no `cc` on PATH; install a C compiler (apt-get install gcc, or run scripts/setup.sh)");
    } finally {
      process.env.PATH = saved;
    }
  });
});
