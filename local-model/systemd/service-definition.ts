import { constants as osConstants } from "node:os";
import path from "node:path";
import { z } from "zod";
import { ExecCommandSchema, parseExecCommand, type ExecCommand } from "./exec-command.js";
import { expandSpecifiers, parseBoolean, parseResourceLimit, parseSignal, ResourceLimitSchema, UnitSettingError, type UnitIdentity } from "./setting-values.js";
import { parseTimeSpan } from "./time-span.js";
import { InstallInfoSchema, installInfo, settingList, settingValue, type UnitAssignment, type UnitFile } from "./unit-file.js";
import { isEnvironmentName, splitWords } from "./unit-words.js";

/**
 * The service definition the service manager runs (systemd.service(5), systemd.exec(5), systemd.kill(5)),
 * extracted from a parsed unit file with systemd's defaults.
 */

const SERVICE_TYPES = ["simple", "exec", "notify", "forking", "oneshot"] as const;
const RESTART_POLICIES = ["no", "always", "on-success", "on-failure", "on-abnormal", "on-abort", "on-watchdog"] as const;
const KILL_MODES = ["control-group", "mixed", "process", "none"] as const;

export type ServiceType = (typeof SERVICE_TYPES)[number];
export type RestartPolicy = (typeof RESTART_POLICIES)[number];
export type KillMode = (typeof KILL_MODES)[number];

const Milliseconds = z.number().nonnegative();
/** null = infinity. */
const Timeout = Milliseconds.nullable();

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
  const remainAfterExit = parsed(value("Service", "RemainAfterExit"), parseBoolean) ?? false;
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
