#!/usr/bin/env node
// The local-model command. The CLI is TypeScript; loading it through tsx costs about 0.6 s on every
// invocation (tests and benchmarks invoke it hundreds of times), so it runs from an esbuild bundle, rebuilt
// when a source file is newer than it. Code splitting keeps the controller's code and its packages out of
// the client verbs' start-up; packages stay external and load from node_modules.
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const sourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function newestSource(dir) {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestSource(file));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, (await stat(file)).mtimeMs);
  }
  return newest;
}

// One directory per source state; a concurrent first invocation builds its own and the rename picks one.
const bundleDir = path.join(sourceDir, ".bundle", String(Math.floor(await newestSource(sourceDir))));
const entry = path.join(bundleDir, "cli.mjs");
if (!(await stat(entry).catch(() => undefined))) {
  const { build } = await import("esbuild");
  const temporary = `${bundleDir}.${process.pid}.tmp`;
  await mkdir(temporary, { recursive: true });
  await build({
    entryPoints: [path.join(sourceDir, "cli.ts")],
    outdir: temporary,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  await rename(temporary, bundleDir).catch(() => rm(temporary, { recursive: true, force: true }));
}
await import(entry);
