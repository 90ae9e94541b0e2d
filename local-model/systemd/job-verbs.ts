import type { MachineUnits } from "./machine-units.js";
import { parseSignal } from "./setting-values.js";
import type { SystemctlOptions } from "./systemctl-args.js";
import { type CallOutput, EXIT_NOT_FOUND, jobFailedMessage } from "./systemctl-output.js";
import { disableUnit, enableUnit, maskUnit, unmaskUnit, type InstallOutcome } from "./unit-install.js";
import type { Machine } from "./unit-lookup.js";
import { isActive, type JobOutcome } from "./unit-state.js";

/** The systemctl verbs that change units: start, stop and the restart and reload verbs; kill; enable, disable, mask, unmask. */

export const JOB_VERBS = [
  "start",
  "stop",
  "restart",
  "try-restart",
  "condrestart",
  "reload",
  "reload-or-restart",
  "try-reload-or-restart",
  "force-reload",
] as const;
export type JobVerb = (typeof JOB_VERBS)[number];

export const UNIT_FILE_VERBS = ["enable", "disable", "mask", "unmask"] as const;
export type UnitFileVerb = (typeof UNIT_FILE_VERBS)[number];

/** Runs one job verb on one unit; waits for the job unless --no-block. */
export async function runJob(units: MachineUnits, verb: JobVerb, name: string, options: SystemctlOptions, output: CallOutput): Promise<void> {
  const { unit } = await units.resolve(name);
  const loadState = unit?.loaded.loadState ?? "not-found";
  const failedTo = `Failed to ${verb} ${name}`;
  if (!unit || loadState === "not-found") {
    output.fail(EXIT_NOT_FOUND, `${failedTo}: Unit ${name} ${verb === "stop" ? "not loaded" : "not found"}.`);
    return;
  }
  if (await units.needsDaemonReload(unit)) {
    output.warn(
      `Warning: The unit file, source configuration file or drop-ins of ${unit.name} changed on disk. Run 'systemctl daemon-reload' to reload units.`,
    );
  }
  const starts = verb !== "stop";
  if (starts && loadState === "masked") return output.fail(1, `${failedTo}: Unit ${name} is masked.`);
  if (starts && loadState === "bad-setting") {
    return output.fail(1, `${failedTo}: Unit ${name} has a bad unit file setting.\nSee system logs and 'systemctl status ${name}' for details.`);
  }
  const active = isActive(unit.activeState);
  const canReload = (unit.definition?.execReload.length ?? 0) > 0;
  let job: Promise<JobOutcome>;
  switch (verb) {
    case "start":
      job = unit.start();
      break;
    case "stop":
      job = unit.stop();
      break;
    case "restart":
      job = unit.restart();
      break;
    case "try-restart":
    case "condrestart":
      job = unit.tryRestart();
      break;
    case "reload":
      if (!canReload) return output.fail(1, `${failedTo}: Job type reload is not applicable for unit ${name}.`);
      if (!active) return output.fail(1, `${failedTo}: Unit ${name} cannot be reloaded because it is inactive.`);
      job = unit.reload();
      break;
    case "reload-or-restart":
      job = active && canReload ? unit.reload() : unit.restart();
      break;
    default:
      // try-reload-or-restart, force-reload: only an active unit is touched.
      job = active && canReload ? unit.reload() : unit.tryRestart();
  }
  if (options.noBlock) {
    void job.catch(() => undefined);
    return;
  }
  const outcome = await job;
  if (!outcome.ok) output.fail(1, jobFailedMessage(name, outcome.result));
}

/** `systemctl kill`: only a loaded unit can be signalled. */
export function killUnit(units: MachineUnits, name: string, options: SystemctlOptions, output: CallOutput): void {
  let signal: NodeJS.Signals;
  try {
    signal = parseSignal(options.signal ?? "SIGTERM");
  } catch {
    output.fail(1, `Failed to parse signal string ${options.signal}.`);
    return;
  }
  const unit = units.units.get(name);
  if (!unit) output.fail(1, `Failed to kill unit ${name}: Unit ${name} not loaded.`);
  else if (!unit.kill(signal, options.killWhom as "all" | "main" | "control")) output.fail(1, `Failed to kill unit ${name}: No process to kill`);
}

const UNIT_FILE_OPERATIONS: Readonly<Record<UnitFileVerb, (machine: Machine, name: string) => Promise<InstallOutcome>>> = {
  enable: enableUnit,
  disable: disableUnit,
  mask: maskUnit,
  unmask: unmaskUnit,
};

/** enable, disable, mask, unmask: the links change, the machine's units are reloaded, and --now starts or stops them. */
export async function changeUnitFiles(
  units: MachineUnits,
  verb: UnitFileVerb,
  names: readonly string[],
  options: SystemctlOptions,
  output: CallOutput,
): Promise<void> {
  for (const name of names) {
    const outcome = await UNIT_FILE_OPERATIONS[verb](units.machine, name);
    for (const message of outcome.messages) output.inform(message);
    if (outcome.error) return output.fail(1, `Failed to ${verb} unit: ${outcome.error}`);
  }
  if (!options.noReload) await units.reload();
  if (!options.now || verb === "unmask") return;
  for (const name of names) await runJob(units, verb === "enable" ? "start" : "stop", name, { ...options, quiet: false }, output);
}
