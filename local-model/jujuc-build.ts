import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { ModelError } from "./model-error.js";

/**
 * The hook-tool client (jujuc.c), compiled with the machine's `cc` the first time a controller starts after the
 * source changed: `.bundle/jujuc-<hash of the source>` beside the CLI's bundle, so every model of a checkout
 * shares one build, and a build is never half-written (compiled to a temporary name, then renamed).
 */
export async function builtJujuc(home: string): Promise<string> {
  const source = path.join(home, "jujuc.c");
  const hash = createHash("sha256")
    .update(await readFile(source))
    .update(process.arch)
    .digest("hex")
    .slice(0, 16);
  const dir = path.join(home, ".bundle");
  const binary = path.join(dir, `jujuc-${hash}`);
  if (existsSync(binary)) return binary;
  await mkdir(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  const compiled = await execa("cc", ["-O2", "-Wall", "-o", partial, source], { reject: false });
  if (compiled.exitCode !== 0) {
    await rm(partial, { force: true });
    const reason = compiled.code === "ENOENT" ? "no `cc` on PATH" : compiled.stderr.trim().split("\n").slice(-3).join("; ");
    throw new ModelError(`cannot build the hook-tool client (${source}): ${reason}; install a C compiler (apt-get install gcc, or run scripts/setup.sh)`);
  }
  await rename(partial, binary);
  return binary;
}
