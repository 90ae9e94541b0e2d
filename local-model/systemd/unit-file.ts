import { constants as osConstants } from "node:os";
import path from "node:path";
import { z } from "zod";
import { ExecCommandSchema, parseExecCommand, type ExecCommand } from "./exec-command.js";
import { parseTimeSpan } from "./time-span.js";
import { isEnvironmentName, splitWords } from "./unit-words.js";

/**
 * A systemd unit file (systemd.syntax(7), systemd.unit(5), systemd.service(5)): parsing the text into
 * assignments, and extracting the service definition the service manager runs.
 */

export interface UnitAssignment {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  /** "file:line", for warnings. */
  readonly origin: string;
}

export interface UnitFile {
  /** Every assignment in file order, unknown keys included; drop-ins follow the main file. */
  readonly assignments: readonly UnitAssignment[];
  readonly warnings: readonly string[];
}

/**
 * Parses unit file text. A line ending in an odd number of backslashes continues on the next line (the
 * backslash becomes a space); comment lines inside a continuation are skipped; whitespace around keys and
 * values is dropped.
 */
export function parseUnitFile(text: string, origin = "unit"): UnitFile {
  const assignments: UnitAssignment[] = [];
  const warnings: string[] = [];
  let section: string | undefined;
  let pending: { text: string; line: number } | undefined;
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, "");
    const stripped = line.trimStart();
    if (stripped.startsWith("#") || stripped.startsWith(";")) return;
    const joined = pending ? `${pending.text}${line}` : stripped;
    const startLine = pending?.line ?? index + 1;
    const trailingBackslashes = /\\*$/.exec(joined)![0].length;
    if (trailingBackslashes % 2 === 1 && index < lines.length - 1) {
      pending = { text: `${joined.slice(0, -1)} `, line: startLine };
      return;
    }
    pending = undefined;
    const content = joined.trim();
    const where = `${origin}:${startLine}`;
    if (content === "") return;
    if (content.startsWith("[")) {
      if (!content.endsWith("]")) warnings.push(`${where}: invalid section header ${JSON.stringify(content)}, ignoring`);
      else section = content.slice(1, -1);
      return;
    }
    const equals = content.indexOf("=");
    if (equals < 0) {
      warnings.push(`${where}: missing '=', ignoring line`);
      return;
    }
    if (section === undefined) {
      warnings.push(`${where}: assignment outside of section, ignoring`);
      return;
    }
    assignments.push({ section, key: content.slice(0, equals).trim(), value: content.slice(equals + 1).trim(), origin: where });
  });
  return { assignments, warnings };
}

/** The main file followed by its drop-ins, as systemd applies them. */
export function combineUnitFiles(files: readonly UnitFile[]): UnitFile {
  return { assignments: files.flatMap((file) => file.assignments), warnings: files.flatMap((file) => file.warnings) };
}

function assignmentsOf(file: UnitFile, section: string, keys: readonly string[]): UnitAssignment[] {
  return file.assignments.filter((assignment) => assignment.section === section && keys.includes(assignment.key));
}

/** A single-valued setting: the last assignment wins and an empty one resets it to its default. */
function settingValue(file: UnitFile, section: string, ...keys: string[]): UnitAssignment | undefined {
  const last = assignmentsOf(file, section, keys).at(-1);
  return last && last.value !== "" ? last : undefined;
}

/** A list setting: assignments accumulate and an empty one clears what came before it. */
function settingList(file: UnitFile, section: string, ...keys: string[]): UnitAssignment[] {
  const list: UnitAssignment[] = [];
  for (const assignment of assignmentsOf(file, section, keys)) {
    if (assignment.value === "") list.length = 0;
    else list.push(assignment);
  }
  return list;
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

export class UnitSettingError extends Error {
  override readonly name = "UnitSettingError";
}

const SERVICE_TYPES = ["simple", "exec", "notify", "forking", "oneshot"] as const;
const RESTART_POLICIES = ["no", "always", "on-success", "on-failure", "on-abnormal", "on-abort", "on-watchdog"] as const;
const KILL_MODES = ["control-group", "mixed", "process", "none"] as const;

export type ServiceType = (typeof SERVICE_TYPES)[number];
export type RestartPolicy = (typeof RESTART_POLICIES)[number];
export type KillMode = (typeof KILL_MODES)[number];

const Milliseconds = z.number().nonnegative();
/** null = infinity. */
const Timeout = Milliseconds.nullable();

const ResourceLimitSchema = z.object({ soft: z.number().int().nonnegative().nullable(), hard: z.number().int().nonnegative().nullable() });
export type ResourceLimit = z.infer<typeof ResourceLimitSchema>;

export const InstallInfoSchema = z.object({
  wantedBy: z.array(z.string()),
  requiredBy: z.array(z.string()),
  alias: z.array(z.string()),
  also: z.array(z.string()),
});
export type InstallInfo = z.infer<typeof InstallInfoSchema>;

export const ServiceDefinitionSchema = z.object({
  unitName: z.string(),
  description: z.string(),
  type: z.enum(SERVICE_TYPES),
  execStartPre: z.array(ExecCommandSchema),
  execStart: z.array(ExecCommandSchema),
  execStartPost: z.array(ExecCommandSchema),
  execReload: z.array(ExecCommandSchema),
  execStop: z.array(ExecCommandSchema),
  execStopPost: z.array(ExecCommandSchema),
  /** Environment= assignments in order; later ones win. */
  environment: z.array(z.tuple([z.string().refine(isEnvironmentName), z.string()])),
  environmentFiles: z.array(z.object({ path: z.string(), optional: z.boolean() })),
  user: z.string().optional(),
  group: z.string().optional(),
  /** "~" is the user's home directory. */
  workingDirectory: z.object({ path: z.string(), optional: z.boolean() }).optional(),
  remainAfterExit: z.boolean(),
  pidFile: z.string().optional(),
  restart: z.enum(RESTART_POLICIES),
  restartMs: Milliseconds,
  timeoutStartMs: Timeout,
  timeoutStopMs: Timeout,
  killMode: z.enum(KILL_MODES),
  killSignal: z.custom<NodeJS.Signals>((name) => typeof name === "string" && name in osConstants.signals),
  limitNoFile: ResourceLimitSchema.optional(),
  /** Unset unless StartLimitIntervalSec= or StartLimitBurst= is given (see service-manager.ts). */
  startLimit: z.object({ intervalMs: Milliseconds, burst: z.number().int().nonnegative() }).optional(),
  install: InstallInfoSchema,
});
export type ServiceDefinition = z.infer<typeof ServiceDefinitionSchema>;

const DEFAULT_RESTART_MS = 100;
const DEFAULT_TIMEOUT_MS = 90_000;
const DEFAULT_START_LIMIT_INTERVAL_MS = 10_000;
const DEFAULT_START_LIMIT_BURST = 5;

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
function parseResourceLimit(text: string): ResourceLimit {
  const [soft, hard = soft] = text.split(":");
  return { soft: parseLimitValue(soft!), hard: parseLimitValue(hard!) };
}

/** The [Install] section's lists, which `enable`, `disable` and `is-enabled` act on. */
export function installInfo(file: UnitFile): InstallInfo {
  const words = (key: string) => settingList(file, "Install", key).flatMap((assignment) => splitWords(assignment.value));
  return { wantedBy: words("WantedBy"), requiredBy: words("RequiredBy"), alias: words("Alias"), also: words("Also") };
}

export type DefinitionResult =
  | { readonly ok: true; readonly definition: ServiceDefinition; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly warnings: readonly string[] };

/**
 * Extracts the service definition. As systemd does, a setting with an invalid value is ignored with a
 * warning (its default applies), while a service that cannot run at all (no ExecStart=, several ExecStart=
 * outside Type=oneshot) is refused: the unit's load state becomes bad-setting.
 */
export function serviceDefinition(file: UnitFile, identity: UnitIdentity): DefinitionResult {
  const warnings = [...file.warnings];
  /** Runs `read` for the setting; on failure warns and returns undefined, so the default applies. */
  const attempt = <T>(assignment: UnitAssignment, read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      warnings.push(`${assignment.origin}: failed to parse ${assignment.key}=${assignment.value}, ignoring: ${(error as Error).message}`);
      return undefined;
    }
  };
  const parsed = <T>(assignment: UnitAssignment | undefined, parse: (value: string) => T): T | undefined =>
    assignment && attempt(assignment, () => parse(expandSpecifiers(assignment.value, identity)));
  const value = (section: string, ...keys: string[]) => settingValue(file, section, ...keys);
  const list = <T>(section: string, key: string, parse: (value: string) => T): T[] =>
    settingList(file, section, key).flatMap((assignment) => {
      const result = parsed(assignment, parse);
      return result === undefined ? [] : [result];
    });
  const oneOf =
    <T extends string>(options: readonly [T, ...T[]]) =>
    (text: string): T => {
      const checked = z.enum(options).safeParse(text);
      if (!checked.success) throw new UnitSettingError(`expected one of ${options.join(", ")}`);
      return checked.data;
    };
  const commands = (key: string): ExecCommand[] =>
    settingList(file, "Service", key).flatMap((assignment) => {
      // Specifiers are expanded in each word, after quoting and prefixes are taken apart.
      const command = attempt(assignment, () => parseExecCommand(assignment.value, (word) => expandSpecifiers(word, identity)));
      return command ? [command] : [];
    });
  const optionalPath = (text: string) => ({ path: text.replace(/^-/, ""), optional: text.startsWith("-") });
  const timeout = (text: string) => {
    const span = parseTimeSpan(text);
    return span === 0 ? null : span;
  };

  const execStart = commands("ExecStart");
  const explicitType = parsed(value("Service", "Type"), oneOf(SERVICE_TYPES));
  const type: ServiceType = explicitType ?? (execStart.length > 0 ? "simple" : "oneshot");
  const remainAfterExit = parsed(value("Service", "RemainAfterExit"), (text) => z.boolean().parse(BOOLEANS[text.toLowerCase()])) ?? false;
  const restart = parsed(value("Service", "Restart"), oneOf(RESTART_POLICIES)) ?? "no";
  const bothTimeouts = parsed(value("Service", "TimeoutSec"), timeout);
  const environment = list("Service", "Environment", (text) =>
    splitWords(text).flatMap((word) => {
      const equals = word.indexOf("=");
      if (equals > 0 && isEnvironmentName(word.slice(0, equals))) return [[word.slice(0, equals), word.slice(equals + 1)] as [string, string]];
      warnings.push(`invalid environment assignment ${JSON.stringify(word)}, ignoring`);
      return [];
    }),
  ).flat();
  const intervalAssignment = value("Unit", "StartLimitIntervalSec") ?? value("Service", "StartLimitInterval");
  const burstAssignment = value("Unit", "StartLimitBurst") ?? value("Service", "StartLimitBurst");
  const startLimitInterval = parsed(intervalAssignment, (text) => parseTimeSpan(text) ?? 0);
  const startLimitBurst = parsed(burstAssignment, (text) => z.coerce.number().int().nonnegative().parse(text));

  const refuse = (error: string): DefinitionResult => ({ ok: false, error, warnings });
  const execStop = commands("ExecStop");
  if (execStart.length === 0 && execStop.length === 0) return refuse("Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.");
  if (execStart.length === 0 && !remainAfterExit)
    return refuse("Service has no ExecStart= setting, which is only allowed for RemainAfterExit=yes services. Refusing.");
  if (execStart.length > 1 && type !== "oneshot") {
    return refuse("Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.");
  }
  if (type === "oneshot" && (restart === "always" || restart === "on-success")) {
    return refuse("Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.");
  }

  const candidate: ServiceDefinition = {
    unitName: identity.unitName,
    description: value("Unit", "Description")?.value ?? "",
    type,
    execStartPre: commands("ExecStartPre"),
    execStart,
    execStartPost: commands("ExecStartPost"),
    execReload: commands("ExecReload"),
    execStop,
    execStopPost: commands("ExecStopPost"),
    environment,
    environmentFiles: list("Service", "EnvironmentFile", (text) => {
      const file = optionalPath(text);
      if (!path.isAbsolute(file.path)) throw new UnitSettingError(`path is not absolute`);
      return file;
    }),
    user: parsed(value("Service", "User"), (text) => text),
    group: parsed(value("Service", "Group"), (text) => text),
    workingDirectory: parsed(value("Service", "WorkingDirectory"), (text) => {
      const directory = optionalPath(text);
      if (directory.path !== "~" && !path.isAbsolute(directory.path)) throw new UnitSettingError(`path is not absolute`);
      return directory;
    }),
    remainAfterExit,
    pidFile: parsed(value("Service", "PIDFile"), (text) => text),
    restart,
    restartMs: parsed(value("Service", "RestartSec"), (text) => parseTimeSpan(text) ?? DEFAULT_RESTART_MS) ?? DEFAULT_RESTART_MS,
    timeoutStartMs: parsed(value("Service", "TimeoutStartSec"), timeout) ?? bothTimeouts ?? (type === "oneshot" ? null : DEFAULT_TIMEOUT_MS),
    timeoutStopMs: parsed(value("Service", "TimeoutStopSec"), timeout) ?? bothTimeouts ?? DEFAULT_TIMEOUT_MS,
    killMode: parsed(value("Service", "KillMode"), oneOf(KILL_MODES)) ?? "control-group",
    killSignal: parsed(value("Service", "KillSignal"), parseSignal) ?? "SIGTERM",
    limitNoFile: parsed(value("Service", "LimitNOFILE"), parseResourceLimit),
    startLimit:
      startLimitInterval === undefined && startLimitBurst === undefined
        ? undefined
        : { intervalMs: startLimitInterval ?? DEFAULT_START_LIMIT_INTERVAL_MS, burst: startLimitBurst ?? DEFAULT_START_LIMIT_BURST },
    install: installInfo(file),
  };
  const checked = ServiceDefinitionSchema.safeParse(candidate);
  if (!checked.success) return refuse(`invalid service definition: ${z.prettifyError(checked.error)}`);
  return { ok: true, definition: checked.data, warnings };
}
