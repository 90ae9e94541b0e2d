/**
 * Bundles the charm: the whole program in one ESM file (dist/charm-main.mjs), so the charm carries no
 * node_modules, behind a 1 kB entry (dist/charm.mjs) that ends ignored events before the program loads.
 * Runs on the host's Node 20 and on the Node packed into the charm.
 */
import { build, type Plugin, stop as stopEsbuild } from "esbuild";
import { chmod } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HANDLED_HOOKS } from "../src/names.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const bundlePath = path.join(repoRoot, "dist", "charm.mjs");
export const mainBundlePath = path.join(repoRoot, "dist", "charm-main.mjs");
/** Certificate issuing (@peculiar/x509 and its polyfill): a file of its own, loaded only by hooks that issue. */
export const pkiBundlePath = path.join(repoRoot, "dist", "charm-pki.mjs");
/** Snapshot backups to S3 (the AWS SDK): a file of its own, loaded only by hooks that talk to the bucket (src/s3/load.ts). */
export const s3BundlePath = path.join(repoRoot, "dist", "charm-s3.mjs");
export const BUNDLE_PATHS = [bundlePath, mainBundlePath, pkiBundlePath, s3BundlePath] as const;

/**
 * zod's `z` namespace re-exports all of its ~45 message locales (`z.locales`), so a bundle of any schema carries
 * them all: about 300 kB of the program's 970 kB, read, decoded and compiled by every hook. The charm speaks
 * English only (zod configures `en` itself, from its own file), so zod's locale index becomes English alone.
 */
const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
        ? { path: path.resolve(path.dirname(args.importer), "..", "locales", "en.js"), namespace: "zod-locales" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
      loader: "js",
    }));
  },
};

/**
 * dist/charm.mjs, a small entry that lets ignored events exit before anything else loads; dist/charm-main.mjs,
 * the program in one bundle (no node_modules on the unit); and the bundles of the heavy libraries beside it
 * (certificate issuing, the S3 client), imported only by the hooks that use them.
 */
export async function buildCharmBundle(): Promise<string> {
  const common = { bundle: true, platform: "node", format: "esm", target: "node20", minify: true, logLevel: "warning" } as const;
  // CommonJS dependencies (commander, pino, the AWS SDK) call require(); give each ESM bundle a real one.
  const withRequire = {
    ...common,
    legalComments: "none",
    banner: { js: 'import { createRequire as __charmCreateRequire } from "node:module"; const require = __charmCreateRequire(import.meta.url);' },
  } as const;
  await build({
    ...withRequire,
    entryPoints: [path.join(repoRoot, "src", "main.ts")],
    outfile: mainBundlePath,
    keepNames: true,
    // Imported at run time from the file next to it, never bundled in.
    plugins: [
      zodEnglishOnly,
      { name: "pki-bundle", setup: (b) => b.onResolve({ filter: /\/tls\/pki\.js$/ }, () => ({ path: "./charm-pki.mjs", external: true })) },
      { name: "s3-bundle", setup: (b) => b.onResolve({ filter: /\/s3\/object-store\.js$/ }, () => ({ path: "./charm-s3.mjs", external: true })) },
    ],
  });
  // The heavy libraries, each a bundle of its own that only the hooks needing it load.
  for (const [entry, outfile] of [
    [["tls", "pki.ts"], pkiBundlePath],
    [["s3", "object-store.ts"], s3BundlePath],
  ] as const) {
    await build({ ...withRequire, entryPoints: [path.join(repoRoot, "src", ...entry)], outfile, plugins: [zodEnglishOnly] });
  }
  await build({
    ...common,
    entryPoints: [path.join(repoRoot, "src", "entry.ts")],
    outfile: bundlePath,
    define: { HANDLED_HOOKS: JSON.stringify([...HANDLED_HOOKS].sort()) },
    // The entry imports the program bundle next to it at run time, never bundling it in.
    plugins: [{ name: "main-bundle", setup: (b) => b.onResolve({ filter: /^\.\/main\.js$/ }, () => ({ path: "./charm-main.mjs", external: true })) }],
    banner: { js: "#!/usr/bin/env node" },
  });
  // Executable, so charmcraft's entrypoint linter accepts the last token of dispatch.
  await chmod(bundlePath, 0o755);
  return bundlePath;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = await buildCharmBundle();
  console.log(`built ${path.relative(repoRoot, file)}`);
  await stopEsbuild();
}
