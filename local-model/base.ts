import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ModelError } from "./model-error.js";

/** A machine's base ("ubuntu@24.04"): what `deploy --base` asks for, the charm's manifest allows and status shows. */
export interface Base {
  readonly name: string;
  readonly channel: string;
}

export const DEFAULT_BASE: Base = { name: "ubuntu", channel: "24.04" };

/** A unit's machine's base: its own once upgrade-machine moved it, else the one its application gave it. */
export function machineBase(state: { applications: Record<string, { base?: Base }> }, unit: { app: string; base?: Base }): Base {
  return unit.base ?? state.applications[unit.app]?.base ?? DEFAULT_BASE;
}

export const formatBase = (base: Base): string => `${base.name}@${base.channel}`;

export function parseBase(text: string): Base {
  const match = /^([a-z]+)@([0-9]+\.[0-9]+)$/.exec(text);
  if (!match) throw new ModelError(`invalid base "${text}": expected <os>@<version>, e.g. ubuntu@24.04`);
  return { name: match[1] ?? "", channel: match[2] ?? "" };
}

const Manifest = z.object({
  bases: z.array(z.object({ name: z.string(), channel: z.union([z.string(), z.number()]).transform(String) })).optional(),
});

/** The bases a packed charm's manifest.yaml lists; none for a charm directory without one (any base then). */
export async function manifestBases(charmDir: string): Promise<Base[]> {
  const text = await readFile(path.join(charmDir, "manifest.yaml"), "utf8").catch(() => undefined);
  if (text === undefined) return [];
  const parsed = Manifest.safeParse(parseYaml(text));
  if (!parsed.success) throw new ModelError(`invalid manifest.yaml: ${z.prettifyError(parsed.error)}`);
  return (parsed.data.bases ?? []).map(({ name, channel }) => ({ name, channel }));
}

/** The base a deploy gets: the one asked for if the charm supports it, else the charm's first (Juju's choice). */
export function chooseBase(requested: Base | undefined, supported: readonly Base[]): Base {
  const allowed = (base: Base) => supportsBase(supported, base);
  if (requested && !allowed(requested)) {
    throw new ModelError(`base "${formatBase(requested)}" is not supported by the charm; it supports ${supported.map(formatBase).join(", ")}`);
  }
  return requested ?? supported[0] ?? DEFAULT_BASE;
}

const UBUNTU_CODENAMES: Readonly<Record<string, string>> = { "20.04": "focal", "22.04": "jammy", "24.04": "noble", "26.04": "resolute" };

/** A base's series name (JUJU_TARGET_SERIES in Juju 3.x, interfaces §8.1): "noble"; the channel when unknown. */
export const seriesOf = (base: Base): string => UBUNTU_CODENAMES[base.channel] ?? base.channel;

/** Whether the charm's manifest lists the base (a charm without a manifest runs anywhere). */
export const supportsBase = (supported: readonly Base[], base: Base): boolean =>
  supported.length === 0 || supported.some((s) => s.name === base.name && s.channel === base.channel);

/** Negative, zero or positive as `a` is older than, the same as or newer than `b` (same OS; versions compared as numbers). */
export function compareBases(a: Base, b: Base): number {
  const [aMajor = 0, aMinor = 0] = a.channel.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.channel.split(".").map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/** /etc/os-release of a machine of this base, which is how a charm on a real machine learns its base. */
export function osRelease(base: Base): string {
  if (base.name !== "ubuntu") return `ID=${base.name}\nVERSION_ID="${base.channel}"\n`;
  const codename = UBUNTU_CODENAMES[base.channel];
  const lts = /^[0-9]*[02468]\.04$/.test(base.channel) ? " LTS" : "";
  return [
    `PRETTY_NAME="Ubuntu ${base.channel}${lts}"`,
    'NAME="Ubuntu"',
    `VERSION_ID="${base.channel}"`,
    ...(codename ? [`VERSION_CODENAME=${codename}`, `UBUNTU_CODENAME=${codename}`] : []),
    "ID=ubuntu",
    "ID_LIKE=debian",
    "",
  ].join("\n");
}
