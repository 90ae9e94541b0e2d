import { mkdir, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { z } from "zod";
import { type Base, formatBase } from "./base.js";

/**
 * The machines' packages (`apt-get install` and `dpkg-query` in a hook): each machine installs from its own
 * base's archive, as a real machine installs from its release's (interfaces §8.2). The archive is a directory of
 * .deb files per base (`<archive>/ubuntu@26.04/etcd-server_3.5.16-4_amd64.deb`; scripts/archive.sh fills it). A
 * package installed on a machine puts its programs (usr/bin, usr/sbin, bin, sbin) under the machine's root as
 * links into the .deb's contents, extracted once per archive; its maintainer scripts do not run (the host's own
 * packages made the users they create). Packages the archive has for no base are the host's, as before: asked
 * of and installed by the host's dpkg and apt.
 */

export const DEFAULT_ARCHIVE = "/var/cache/local-model/archive";
const PROGRAM_DIRS = ["usr/bin", "usr/sbin", "bin", "sbin"];

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface ArchivePackage {
  readonly name: string;
  readonly version: string;
  readonly deb: string;
}

const Installed = z.record(z.string(), z.object({ version: z.string(), base: z.string(), files: z.array(z.string()) }));
type Installed = z.output<typeof Installed>;

/** `etcd-server_3.5.16-4_amd64.deb` → name and version (an epoch's colon is written %3a in file names). */
function parseDebName(file: string): { name: string; version: string } | undefined {
  const match = /^([a-z0-9][a-z0-9+.-]*)_([^_]+)_[a-z0-9]+\.deb$/.exec(file);
  const [, name, version] = match ?? [];
  return name && version ? { name, version: decodeURIComponent(version) } : undefined;
}

export class PackageArchive {
  private readonly extracting = new Map<string, Promise<string>>();

  constructor(readonly dir: string = process.env.LOCAL_MODEL_ARCHIVE || DEFAULT_ARCHIVE) {}

  /** The packages a base's archive has, by name. */
  async packages(base: Base): Promise<Map<string, ArchivePackage>> {
    const baseDir = path.join(this.dir, formatBase(base));
    const files = await readdir(baseDir).catch(() => [] as string[]);
    const found = new Map<string, ArchivePackage>();
    for (const file of files.sort()) {
      const parsed = parseDebName(file);
      if (parsed) found.set(parsed.name, { ...parsed, deb: path.join(baseDir, file) });
    }
    return found;
  }

  /** Every package name some base's archive has: these are the archive's, never the host's. */
  async knownNames(): Promise<Set<string>> {
    const bases = await readdir(this.dir).catch(() => [] as string[]);
    const names = new Set<string>();
    for (const entry of bases.filter((b) => b.includes("@"))) {
      for (const file of await readdir(path.join(this.dir, entry)).catch(() => [] as string[])) {
        const parsed = parseDebName(file);
        if (parsed) names.add(parsed.name);
      }
    }
    return names;
  }

  /** The .deb's contents, extracted once (into a temporary dir renamed into place, so a half-extracted tree is never used). */
  extracted(pkg: ArchivePackage): Promise<string> {
    const target = path.join(this.dir, ".extracted", path.relative(this.dir, pkg.deb).replace(/\.deb$/, ""));
    let pending = this.extracting.get(target);
    if (!pending) {
      pending = (async () => {
        if (await readdir(target).catch(() => undefined)) return target;
        const temporary = `${target}.tmp-${process.pid}`;
        await rm(temporary, { recursive: true, force: true });
        await mkdir(temporary, { recursive: true });
        await execa("dpkg-deb", ["-x", pkg.deb, temporary]);
        await rename(temporary, target);
        return target;
      })();
      pending.catch(() => this.extracting.delete(target));
      this.extracting.set(target, pending);
    }
    return pending;
  }
}

/** One machine's packages from the archive: what is installed is recorded on the machine's own disk, as dpkg's status is. */
export class MachinePackages {
  constructor(
    private readonly archive: PackageArchive,
    private readonly root: string,
  ) {}

  private get statusFile(): string {
    return path.join(this.root, "var", "lib", "dpkg", "local-model-status.json");
  }

  async installed(): Promise<Installed> {
    const text = await readFile(this.statusFile, "utf8").catch(() => undefined);
    return text === undefined ? {} : Installed.parse(JSON.parse(text));
  }

  private async save(installed: Installed): Promise<void> {
    await mkdir(path.dirname(this.statusFile), { recursive: true });
    await writeFile(`${this.statusFile}.tmp`, `${JSON.stringify(installed, null, 2)}\n`);
    await rename(`${this.statusFile}.tmp`, this.statusFile);
  }

  /** Installs (or replaces with the base's version) each package; its programs are linked under the machine's root. */
  async install(base: Base, names: readonly string[]): Promise<{ name: string; from?: string; to: string }[]> {
    const available = await this.archive.packages(base);
    const installed = await this.installed();
    const changes: { name: string; from?: string; to: string }[] = [];
    const wanted = names.map((name) => ({ name, pkg: available.get(name) }));
    for (const { name, pkg } of wanted) if (!pkg) throw new PackageNotFound(name);
    for (const { name, pkg } of wanted) {
      if (!pkg) continue;
      const before = installed[name];
      if (before?.version === pkg.version && before.base === formatBase(base)) continue;
      const contents = await this.archive.extracted(pkg);
      const files: string[] = [];
      for (const dir of PROGRAM_DIRS) {
        for (const file of await readdir(path.join(contents, dir)).catch(() => [] as string[])) {
          const rel = path.join(dir, file);
          const link = path.join(this.root, rel);
          await mkdir(path.dirname(link), { recursive: true });
          // Replaced in one rename, as dpkg replaces a file: a running program keeps the one it started from.
          await rm(`${link}.dpkg-new`, { force: true });
          await symlink(path.join(contents, rel), `${link}.dpkg-new`);
          await rename(`${link}.dpkg-new`, link);
          files.push(rel);
        }
      }
      for (const stale of before?.files.filter((file) => !files.includes(file)) ?? []) await rm(path.join(this.root, stale), { force: true });
      installed[name] = { version: pkg.version, base: formatBase(base), files };
      changes.push({ name, ...(before ? { from: before.version } : {}), to: pkg.version });
    }
    await this.save(installed);
    return changes;
  }

  /** A release upgrade of the machine (do-release-upgrade): every installed archive package moves to the new base's version. */
  async upgradeTo(base: Base): Promise<{ name: string; from?: string; to: string }[]> {
    const installed = await this.installed();
    const available = await this.archive.packages(base);
    return this.install(
      base,
      Object.keys(installed).filter((name) => available.has(name)),
    );
  }
}

export class PackageNotFound extends Error {
  constructor(readonly packageName: string) {
    super(`Unable to locate package ${packageName}`);
  }
}
