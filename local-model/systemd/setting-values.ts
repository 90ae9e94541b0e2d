import { constants as osConstants } from "node:os";
import { z } from "zod";

/**
 * Values of unit file settings: %-specifiers, booleans, signals and resource limits. Each parser throws
 * for a value systemd would ignore with a warning.
 */

/** A setting's value is invalid; the setting is ignored with a warning. */
export class UnitSettingError extends Error {
  override readonly name = "UnitSettingError";
}

/** What identifies a unit for %-specifiers. */
export interface UnitIdentity {
  /** Full unit name, e.g. "etcd.service" or "worker@3.service". */
  readonly unitName: string;
  /** The machine's host name, for %H and %l. */
  readonly hostName: string;
}

/** Expands the %-specifiers a charm is likely to use (%n %N %p %i %I %H %l %t %%); others are an error. */
export function expandSpecifiers(text: string, identity: UnitIdentity): string {
  const withoutSuffix = identity.unitName.replace(/\.[^.]+$/, "");
  const at = withoutSuffix.indexOf("@");
  const values: Readonly<Record<string, string>> = {
    n: identity.unitName,
    N: withoutSuffix,
    p: at < 0 ? withoutSuffix : withoutSuffix.slice(0, at),
    i: at < 0 ? "" : withoutSuffix.slice(at + 1),
    I: at < 0 ? "" : withoutSuffix.slice(at + 1),
    H: identity.hostName,
    l: identity.hostName.split(".")[0] ?? identity.hostName,
    t: "/run",
    "%": "%",
  };
  return text.replace(/%(.?)/gs, (whole, letter: string) => {
    const value = values[letter];
    if (value === undefined) throw new UnitSettingError(`unsupported specifier "${whole}"`);
    return value;
  });
}

export const ResourceLimitSchema = z.object({ soft: z.number().int().nonnegative().nullable(), hard: z.number().int().nonnegative().nullable() });
export type ResourceLimit = z.infer<typeof ResourceLimitSchema>;

const BOOLEANS: Readonly<Record<string, boolean>> = {
  yes: true,
  y: true,
  true: true,
  t: true,
  on: true,
  "1": true,
  no: false,
  n: false,
  false: false,
  f: false,
  off: false,
  "0": false,
};

/** A boolean setting: yes/no, true/false, on/off, 1/0 and their abbreviations, in any case. */
export function parseBoolean(text: string): boolean {
  return z.boolean().parse(BOOLEANS[text.toLowerCase()]);
}

/** "SIGTERM", "TERM" or "15" as a signal name known to Node ("SIGTERM"). */
export function parseSignal(text: string): NodeJS.Signals {
  const signals = osConstants.signals as Readonly<Record<string, number>>;
  const upper = text.trim().toUpperCase();
  const name = /^\d+$/.test(upper)
    ? Object.keys(signals).find((candidate) => signals[candidate] === Number(upper))
    : upper.startsWith("SIG")
      ? upper
      : `SIG${upper}`;
  if (name === undefined || !(name in signals)) throw new UnitSettingError(`unknown signal ${JSON.stringify(text)}`);
  return name as NodeJS.Signals;
}

function parseLimitValue(text: string): number | null {
  if (text === "infinity") return null;
  if (!/^\d+$/.test(text)) throw new UnitSettingError(`invalid resource limit ${JSON.stringify(text)}`);
  return Number(text);
}

/** LimitNOFILE=: "N" sets both limits, "SOFT:HARD" each. */
export function parseResourceLimit(text: string): ResourceLimit {
  const [soft = "", hard = soft] = text.split(":");
  return { soft: parseLimitValue(soft), hard: parseLimitValue(hard) };
}
