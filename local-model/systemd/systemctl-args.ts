/**
 * systemctl's command line: options anywhere (getopt with permutation), short options clustered ("-qa"),
 * values as "--opt=v", "--opt v", "-pv" or "-p v". The first operand is the verb.
 */

export interface SystemctlOptions {
  quiet: boolean;
  noBlock: boolean;
  now: boolean;
  value: boolean;
  all: boolean;
  force: boolean;
  noReload: boolean;
  noLegend: boolean;
  /** -p/--property, comma-separated values split; empty = all. */
  properties: string[];
  signal: string | undefined;
  killWhom: string;
  lines: number | undefined;
}

export type ParsedSystemctlArgs =
  | { readonly ok: true; readonly verb: string | undefined; readonly operands: string[]; readonly options: SystemctlOptions }
  | { readonly ok: false; readonly message: string };

type BooleanOption = "quiet" | "noBlock" | "now" | "value" | "all" | "force" | "noReload" | "noLegend";
type ValueOption = "property" | "signal" | "kill-whom" | "lines" | "ignored";

/** Flags without a value; null = accepted and without effect here. */
const LONG_FLAGS: Readonly<Record<string, BooleanOption | null>> = {
  quiet: "quiet",
  "no-block": "noBlock",
  now: "now",
  value: "value",
  all: "all",
  force: "force",
  "no-reload": "noReload",
  "no-legend": "noLegend",
  system: null,
  "no-pager": null,
  "no-ask-password": null,
  "no-wall": null,
  plain: null,
  full: null,
  runtime: null,
};

const LONG_VALUED: Readonly<Record<string, ValueOption>> = {
  property: "property",
  signal: "signal",
  "kill-whom": "kill-whom",
  lines: "lines",
  type: "ignored",
  state: "ignored",
  output: "ignored",
  "job-mode": "ignored",
};

const SHORT_FLAGS: Readonly<Record<string, BooleanOption | null>> = { q: "quiet", a: "all", f: "force", l: null };
const SHORT_VALUED: Readonly<Record<string, ValueOption>> = { p: "property", s: "signal", n: "lines", t: "ignored", o: "ignored" };

export function parseSystemctlArgs(args: readonly string[]): ParsedSystemctlArgs {
  const options: SystemctlOptions = {
    quiet: false,
    noBlock: false,
    now: false,
    value: false,
    all: false,
    force: false,
    noReload: false,
    noLegend: false,
    properties: [],
    signal: undefined,
    killWhom: "all",
    lines: undefined,
  };
  const operands: string[] = [];
  const setValue = (option: ValueOption, value: string): string | undefined => {
    switch (option) {
      case "property":
        options.properties.push(...value.split(",").filter((name) => name !== ""));
        return undefined;
      case "signal":
        options.signal = value;
        return undefined;
      case "kill-whom":
        if (!["all", "main", "control"].includes(value)) return `Unknown kill-whom value: ${value}`;
        options.killWhom = value;
        return undefined;
      case "lines":
        if (!/^\d+$/.test(value)) return `Failed to parse lines '${value}'`;
        options.lines = Number(value);
        return undefined;
      case "ignored":
        return undefined;
    }
  };
  // Options that take a value take it from the next argument when it is not attached.
  const pending = [...args];
  for (let arg = pending.shift(); arg !== undefined; arg = pending.shift()) {
    if (arg === "--") {
      operands.push(...pending);
      break;
    }
    if (arg === "--version" || arg === "--help" || arg === "-h") {
      operands.unshift(arg);
      continue;
    }
    if (arg.startsWith("--")) {
      const equals = arg.indexOf("=");
      const name = arg.slice(2, equals < 0 ? undefined : equals);
      const flag = LONG_FLAGS[name];
      const valued = LONG_VALUED[name];
      if (flag !== undefined && equals < 0) {
        if (flag !== null) options[flag] = true;
      } else if (valued !== undefined) {
        const value = equals >= 0 ? arg.slice(equals + 1) : pending.shift();
        if (value === undefined) return { ok: false, message: `systemctl: option '--${name}' requires an argument` };
        const error = setValue(valued, value);
        if (error) return { ok: false, message: error };
      } else {
        return { ok: false, message: `systemctl: unrecognized option '${arg}'` };
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let at = 1; at < arg.length; at++) {
        const letter = arg.charAt(at);
        const flag = SHORT_FLAGS[letter];
        const valued = SHORT_VALUED[letter];
        if (flag !== undefined) {
          if (flag !== null) options[flag] = true;
        } else if (valued !== undefined) {
          const value = at + 1 < arg.length ? arg.slice(at + 1) : pending.shift();
          if (value === undefined) return { ok: false, message: `systemctl: option requires an argument -- '${letter}'` };
          const error = setValue(valued, value);
          if (error) return { ok: false, message: error };
          break;
        } else {
          return { ok: false, message: `systemctl: invalid option -- '${letter}'` };
        }
      }
      continue;
    }
    operands.push(arg);
  }
  const [verb, ...rest] = operands;
  return { ok: true, verb, operands: rest, options };
}

const UNIT_SUFFIXES = [".service", ".socket", ".target", ".timer", ".mount", ".automount", ".path", ".slice", ".scope", ".device", ".swap"];

/** A unit name as systemctl completes it: without a unit type suffix, ".service" is added. */
export function completeUnitName(argument: string): string {
  return UNIT_SUFFIXES.some((suffix) => argument.endsWith(suffix)) ? argument : `${argument}.service`;
}
