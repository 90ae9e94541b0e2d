import { readFile } from "node:fs/promises";
import { commandResult, type ServiceResult } from "./exit-status.js";
import { processGroupMembers } from "./proc.js";
import type { RunContext } from "./run-context.js";
import type { ServiceDefinition } from "./service-definition.js";
import { adoptProcess, EXIT_EXEC, type ServiceProcess } from "./service-process.js";
import type { UnitProcesses } from "./unit-processes.js";

/**
 * How ExecStart= runs for each Type= (systemd.service(5)), between ExecStartPre= and ExecStartPost=, and
 * StartLimitIntervalSec=/StartLimitBurst=. The unit's state machine acts on the outcome.
 */

export type StartStep =
  /** The service runs with this main process, which the unit now watches. */
  | { readonly step: "running"; readonly main: ServiceProcess }
  /** A Type=oneshot service ran its commands to completion. */
  | { readonly step: "finished" }
  /** The start failed with this result. */
  | { readonly step: "failed"; readonly result: ServiceResult }
  /** The main process could not be started; `status` is the exit status systemd reports for that. */
  | { readonly step: "launch-failed"; readonly status: number; readonly message: string };

/** Runs ExecStart= as the definition's Type= says; `note` writes to the unit's journal. */
export function startByType(
  definition: ServiceDefinition,
  context: RunContext,
  deadline: number,
  processes: UnitProcesses,
  note: (message: string) => void,
): Promise<StartStep> {
  if (definition.type === "oneshot") return startOneshot(definition, context, deadline, processes);
  if (definition.type === "forking") return startForking(definition, context, deadline, processes, note);
  return startMain(definition, context, processes);
}

/** A loaded service other than Type=oneshot always has an ExecStart= (see serviceDefinition); this reports one that does not. */
const NO_EXEC_START: StartStep = { step: "launch-failed", status: EXIT_EXEC, message: "Service has no ExecStart= setting." };

/** Type=simple, exec and notify: the command is the main process. */
async function startMain(definition: ServiceDefinition, context: RunContext, processes: UnitProcesses): Promise<StartStep> {
  const command = definition.execStart[0];
  if (!command) return NO_EXEC_START;
  const launched = await processes.launch(command, context);
  if (!launched.ok) return { step: "launch-failed", status: launched.status, message: launched.message };
  return { step: "running", main: launched.process };
}

/** Type=oneshot: each ExecStart= runs to completion in turn, as the main process. */
async function startOneshot(definition: ServiceDefinition, context: RunContext, deadline: number, processes: UnitProcesses): Promise<StartStep> {
  for (const command of definition.execStart) {
    const launched = await processes.launch(command, context);
    if (!launched.ok) return { step: "launch-failed", status: launched.status, message: launched.message };
    const process = launched.process;
    processes.setMain(process);
    const { exit, timedOut } = await processes.exitOrKill(process, deadline, "Start operation");
    processes.recordMainExit(process, exit);
    if (timedOut) return { step: "failed", result: "timeout" };
    const result = commandResult(exit);
    if (result !== "success" && !command.ignoreFailure) return { step: "failed", result };
  }
  return { step: "finished" };
}

/** Type=forking: ExecStart= exits once its daemon runs; the daemon (PIDFile= or the one left) is the main process. */
async function startForking(
  definition: ServiceDefinition,
  context: RunContext,
  deadline: number,
  processes: UnitProcesses,
  note: (message: string) => void,
): Promise<StartStep> {
  const command = definition.execStart[0];
  if (!command) return NO_EXEC_START;
  // The start command is a control process: its daemon becomes the main process.
  const { result, process: parent } = await processes.runControl(command, context, deadline);
  if (result !== "success" || !parent) return { step: "failed", result: result === "success" ? "protocol" : result };
  const pid = await forkedMainPid(definition, parent);
  const daemon = pid === undefined ? undefined : adoptProcess(pid);
  if (!daemon) {
    note(definition.pidFile ? `Can't open PID file ${definition.pidFile} (yet?) after start: No such process` : "New main PID could not be determined.");
    return { step: "failed", result: "protocol" };
  }
  return { step: "running", main: daemon };
}

async function forkedMainPid(definition: ServiceDefinition, parent: ServiceProcess): Promise<number | undefined> {
  if (definition.pidFile) {
    const text = await readFile(definition.pidFile, "utf8").catch(() => "");
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }
  // Without PIDFile=, guess as systemd does when one process is left: the lowest PID left in the group.
  const members = processGroupMembers(parent.processGroup, parent.groupLeaderStartTime);
  return members.map((member) => member.pid).sort((a, b) => a - b)[0];
}

/** StartLimitIntervalSec= and StartLimitBurst=: too many starts within the interval are refused. */
export class StartRateLimit {
  private attempts: number[] = [];

  /** Counts a start; true when it is one too many (and is then not counted). */
  hit(limit: ServiceDefinition["startLimit"]): boolean {
    if (!limit || limit.intervalMs === 0 || limit.burst === 0) return false;
    const now = Date.now();
    this.attempts = this.attempts.filter((at) => now - at < limit.intervalMs);
    if (this.attempts.length >= limit.burst) return true;
    this.attempts.push(now);
    return false;
  }

  reset(): void {
    this.attempts = [];
  }
}
