/**
 * Bundles the charm program into one ESM file, dist/charm.mjs, so a hook loads a single file and the charm
 * carries no node_modules. Runs on the host's Node 20 and on the Node packed into the charm.
 */
import { build } from "esbuild";
import { chmod } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const bundlePath = path.join(repoRoot, "dist", "charm.mjs");

export async function buildCharmBundle(): Promise<string> {
  await build({
    entryPoints: [path.join(repoRoot, "src", "main.ts")],
    outfile: bundlePath,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    keepNames: true,
    legalComments: "none",
    logLevel: "warning",
    // CommonJS dependencies (commander, pino) call require(); give the ESM bundle a real one.
    banner: {
      js: '#!/usr/bin/env node\nimport { createRequire as __charmCreateRequire } from "node:module"; const require = __charmCreateRequire(import.meta.url);',
    },
  });
  // Executable, so charmcraft's entrypoint linter accepts the last token of dispatch.
  await chmod(bundlePath, 0o755);
  return bundlePath;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = await buildCharmBundle();
  console.log(`built ${path.relative(repoRoot, file)}`);
}
