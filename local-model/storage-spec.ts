import { z } from "zod";

/**
 * A charm's storage as metadata.yaml declares it (interfaces §7.1), and the operator's storage directives
 * `<label>=<pool>,<count>,<size>` checked against it (interfaces §7.2).
 */

export interface StorageSpec {
  readonly type: "filesystem" | "block";
  readonly description: string;
  /** "" when the charm gives none (Juju then mounts under /var/lib/juju/storage). */
  readonly location: string;
  readonly shared: boolean;
  readonly readOnly: boolean;
  readonly countMin: number;
  /** -1: no upper bound. */
  readonly countMax: number;
  /** MiB; 0 when the charm sets no minimum. */
  readonly minimumSizeMiB: number;
  readonly properties: readonly string[];
}

/** A directive as the application keeps it: every field resolved. */
export interface StorageDirective {
  pool: string;
  count: number;
  sizeMiB: number;
}

export class StorageDirectiveError extends Error {
  override readonly name = "StorageDirectiveError";
}

const SIZE = /^([0-9]+(?:\.[0-9]+)?)([MGTPE])?(?:i?B)?$/i;
const RANGE = /^([0-9]+)(?:(-)([0-9]+)?|(\+))?$/;
const UNITS = ["M", "G", "T", "P", "E"];

/** juju/utils ParseSize: a number with an optional M/G/T/P/E suffix (powers of 1024, MiB by default), in MiB. */
export function parseSizeMiB(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const power = UNITS.indexOf((match[2] ?? "M").toUpperCase());
  return Math.ceil(Number(match[1]) * 1024 ** power);
}

/** Sizes as `juju storage` shows them. */
export function formatSizeMiB(mib: number): string {
  return mib < 1024 ? `${mib} MiB` : `${(mib / 1024).toFixed(1)} GiB`;
}

/** `multiple.range`: `m`, `m-n`, `m+` or `m-` (interfaces §7.1). */
function parseRange(text: string): { min: number; max: number } | undefined {
  const match = RANGE.exec(text.trim());
  if (!match) return undefined;
  const min = Number(match[1]);
  if (match[4] === "+" || (match[2] === "-" && match[3] === undefined)) return { min, max: -1 };
  if (match[2] === "-") {
    const max = Number(match[3]);
    return max >= min && max > 0 ? { min, max } : undefined;
  }
  return min > 0 ? { min, max: min } : undefined;
}

const StorageEntry = z.object({
  type: z.enum(["filesystem", "block"]),
  description: z.string().optional(),
  location: z.string().optional(),
  shared: z.boolean().optional(),
  "read-only": z.boolean().optional(),
  multiple: z.object({ range: z.union([z.string(), z.number()]) }).optional(),
  "minimum-size": z.union([z.string(), z.number()]).optional(),
  properties: z.array(z.literal("transient")).optional(),
});
export const StorageMetadata = z.record(z.string(), StorageEntry).nullable().optional();

/** The charm's storage, its ranges and sizes parsed; throws Error with Juju-like text for bad values. */
export function storageOf(charm: string, raw: z.infer<typeof StorageMetadata>): Record<string, StorageSpec> {
  const specs: Record<string, StorageSpec> = {};
  for (const [name, entry] of Object.entries(raw ?? {})) {
    const range = entry.multiple === undefined ? { min: 1, max: 1 } : parseRange(String(entry.multiple.range));
    if (!range) throw new Error(`charm "${charm}" storage "${name}": invalid count range "${entry.multiple?.range}"`);
    const minimum = entry["minimum-size"] === undefined ? 0 : parseSizeMiB(String(entry["minimum-size"]));
    if (minimum === undefined) throw new Error(`charm "${charm}" storage "${name}": invalid minimum-size "${entry["minimum-size"]}"`);
    specs[name] = {
      type: entry.type,
      description: entry.description ?? "",
      location: entry.location ?? "",
      shared: entry.shared ?? false,
      readOnly: entry["read-only"] ?? false,
      countMin: range.min,
      countMax: range.max,
      minimumSizeMiB: minimum,
      properties: entry.properties ?? [],
    };
  }
  return specs;
}

/** Machine models' storage pools (Juju's default providers). */
const POOLS: Readonly<Record<string, readonly StorageSpec["type"][]>> = { rootfs: ["filesystem"], tmpfs: ["filesystem"], loop: ["filesystem", "block"] };

export const defaultPool = (spec: StorageSpec) => (spec.type === "block" ? "loop" : "rootfs");

/** The size of an instance no directive sized: the charm's minimum, at least 1 GiB (interfaces §7.2). */
export const defaultSizeMiB = (spec: StorageSpec) => Math.max(spec.minimumSizeMiB, 1024);

/** `<pool>,<count>,<size>` in any order, any of them left out (interfaces §7.2). */
export function parseDirective(text: string): { pool?: string; count?: number; sizeMiB?: number } {
  const parsed: { pool?: string; count?: number; sizeMiB?: number } = {};
  for (const part of text.split(",")) {
    const field = part.trim();
    if (field === "") throw new StorageDirectiveError(`cannot parse storage directive "${text}": empty field`);
    if (/^[0-9]+$/.test(field)) parsed.count = Number(field);
    else if (/^[0-9]/.test(field)) {
      const size = parseSizeMiB(field);
      if (size === undefined) throw new StorageDirectiveError(`cannot parse storage directive "${text}": invalid size "${field}"`);
      parsed.sizeMiB = size;
    } else parsed.pool = field;
  }
  return parsed;
}

/** `--storage label=directive` options, by label. */
export function parseStorageOptions(options: readonly string[]): Record<string, string> {
  const byLabel: Record<string, string> = {};
  for (const option of options) {
    const equals = option.indexOf("=");
    if (equals <= 0) throw new StorageDirectiveError(`expected "<label>=<directive>", got "${option}"`);
    byLabel[option.slice(0, equals)] = option.slice(equals + 1);
  }
  return byLabel;
}

/** Checks a directive against the charm's storage: pool, count range, minimum size (interfaces §7.2, §10). */
export function resolveDirective(
  charm: string,
  label: string,
  spec: StorageSpec,
  given: { pool?: string; count?: number; sizeMiB?: number },
): StorageDirective {
  const pool = given.pool ?? defaultPool(spec);
  const kinds = POOLS[pool];
  if (!kinds) throw new StorageDirectiveError(`pool "${pool}" not found`);
  if (!kinds.includes(spec.type)) throw new StorageDirectiveError(`pool "${pool}" does not support ${spec.type} storage`);
  const count = given.count ?? Math.max(spec.countMin, 1);
  if (count < spec.countMin) throw new StorageDirectiveError(`charm "${charm}" store "${label}": ${spec.countMin} instances required, ${count} specified`);
  if (spec.countMax !== -1 && count > spec.countMax) {
    throw new StorageDirectiveError(`charm "${charm}" store "${label}": at most ${spec.countMax} instances supported, ${count} specified`);
  }
  const sizeMiB = given.sizeMiB ?? defaultSizeMiB(spec);
  if (sizeMiB < spec.minimumSizeMiB) {
    throw new StorageDirectiveError(
      `charm "${charm}" store "${label}": minimum storage size is ${formatSizeMiB(spec.minimumSizeMiB)}, ${formatSizeMiB(sizeMiB)} specified`,
    );
  }
  return { pool, count, sizeMiB };
}

/**
 * The application's directives: every label given is checked; mandatory storage the operator left out gets
 * its defaults (the charm's minimum count and size, or one instance of 1 GiB), optional storage none.
 */
export function applicationDirectives(
  charm: string,
  specs: Readonly<Record<string, StorageSpec>>,
  options: readonly string[],
): Record<string, StorageDirective> {
  const given = parseStorageOptions(options);
  for (const label of Object.keys(given)) {
    if (!specs[label]) throw new StorageDirectiveError(`charm "${charm}" has no store called "${label}"`);
  }
  // In the charm's order, as the instances are then provisioned.
  const directives: Record<string, StorageDirective> = {};
  for (const [label, spec] of Object.entries(specs)) {
    const text = given[label];
    if (text !== undefined) directives[label] = resolveDirective(charm, label, spec, parseDirective(text));
    else if (spec.countMin > 0) directives[label] = resolveDirective(charm, label, spec, {});
  }
  return directives;
}

/** Where Juju mounts a filesystem instance on the machine (storage FilesystemMountPoint). */
export function filesystemMountPoint(spec: StorageSpec, id: string): string {
  if (spec.location !== "" && spec.countMax === 1) return spec.location;
  return `${(spec.location || "/var/lib/juju/storage").replace(/\/+$/, "")}/${id}`;
}
