import { execa } from "execa";
import type { Base } from "./base.js";
import { type CommandResult, type MachinePackages, type PackageArchive, PackageNotFound } from "./packages.js";

/**
 * A machine's `apt-get` and `dpkg-query` (each unit's tools dir has both, as it has `systemctl`): the archive's
 * packages are the machine's own (packages.ts); any other package is the host's, handed to the host's tools with
 * the same arguments.
 */

/** "etcd-server" of "etcd-server=3.5.16-4". */
const packageOf = (spec: string): string => spec.split("=")[0] ?? spec;

async function host(command: string, args: readonly string[]): Promise<CommandResult> {
  const result = await execa(command, [...args], { reject: false });
  return { code: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr || (result.exitCode === undefined ? `${result.message}\n` : "") };
}

/** apt-get's options that take a value (`-o Dpkg::Lock::Timeout=600`). */
const APT_VALUE_OPTIONS = new Set(["-o", "--option", "-c", "--config-file", "-t", "--target-release"]);

function aptWords(args: readonly string[]): { command: string | undefined; names: string[] } {
  const words: string[] = [];
  let value = false;
  for (const arg of args) {
    if (value) value = false;
    else if (APT_VALUE_OPTIONS.has(arg)) value = true;
    else if (!arg.startsWith("-")) words.push(arg);
  }
  return { command: words[0], names: words.slice(1) };
}

export async function aptGet(archive: PackageArchive, machine: MachinePackages, base: Base, args: readonly string[]): Promise<CommandResult> {
  const { command, names } = aptWords(args);
  const known = await archive.knownNames();
  const ours = names.filter((spec) => known.has(packageOf(spec)));
  if (command !== "install" || ours.length === 0) {
    // update reads the host's lists too; the archive's own need no update.
    return host("apt-get", args);
  }
  const others = names.filter((spec) => !ours.includes(spec));
  if (others.length > 0) {
    const result = await host(
      "apt-get",
      args.filter((arg) => !ours.includes(arg)),
    );
    if (result.code !== 0) return result;
  }
  const available = await archive.packages(base);
  for (const spec of ours) {
    const [name = "", version] = spec.split("=");
    const pkg = available.get(name);
    if (version !== undefined && pkg && pkg.version !== version) {
      return { code: 100, stdout: "", stderr: `E: Version '${version}' for '${name}' was not found\n` };
    }
  }
  try {
    const changes = await machine.install(base, ours.map(packageOf));
    const lines = ["Reading package lists...", ...changes.map((c) => `Setting up ${c.name} (${c.to}) ...`)];
    return { code: 0, stdout: `${lines.join("\n")}\n`, stderr: "" };
  } catch (error) {
    if (error instanceof PackageNotFound) return { code: 100, stdout: "Reading package lists...\n", stderr: `E: ${error.message}\n` };
    throw error;
  }
}

/** dpkg-query's backslash escapes in a format (`\n`, `\t`, `\\`). */
const withEscapes = (format: string) => format.replace(/\\(.)/g, (_whole, c: string) => ({ n: "\n", t: "\t" })[c] ?? c);
/** dpkg's own default format; `${…}` are dpkg-query's fields, not template strings. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's field syntax
const DEFAULT_FORMAT = "${binary:Package}\\t${Version}\\n";

export async function dpkgQuery(archive: PackageArchive, machine: MachinePackages, args: readonly string[]): Promise<CommandResult> {
  let format = DEFAULT_FORMAT;
  let show = false;
  const names: string[] = [];
  let formatNext = false;
  for (const arg of args) {
    if (formatNext) {
      format = arg;
      formatNext = false;
    } else if (arg === "-W" || arg === "--show") show = true;
    else if (arg === "-f" || arg === "--showformat") formatNext = true;
    else if (arg.startsWith("-f=") || arg.startsWith("--showformat=")) format = arg.slice(arg.indexOf("=") + 1);
    else if (!arg.startsWith("-")) names.push(arg);
  }
  const known = await archive.knownNames();
  if (!show || names.length === 0 || !names.every((name) => known.has(name))) return host("dpkg-query", args);
  const installed = await machine.installed();
  let stdout = "";
  let stderr = "";
  for (const name of names) {
    const record = installed[name];
    if (!record) {
      stderr += `dpkg-query: no packages found matching ${name}\n`;
      continue;
    }
    const fields: Record<string, string> = {
      Package: name,
      "binary:Package": name,
      Version: record.version,
      Status: "install ok installed",
      "db:Status-Abbrev": "ii ",
    };
    stdout += withEscapes(format).replace(/\$\{([^}]+)\}/g, (_whole, field: string) => fields[field] ?? "");
  }
  return { code: stderr ? 1 : 0, stdout, stderr };
}
