import { constants as osConstants } from "node:os";
import type { RestartPolicy } from "./service-definition.js";
import type { ProcessExit } from "./service-process.js";

/** How systemd judges and describes the end of a service's processes (systemd.service(5), systemd.exec(5)). */

/** A unit's Result= property. */
export type ServiceResult = "success" | "resources" | "protocol" | "timeout" | "exit-code" | "signal" | "start-limit-hit";

const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: "SUCCESS",
  1: "FAILURE",
  2: "INVALIDARGUMENT",
  3: "NOTIMPLEMENTED",
  4: "NOPERMISSION",
  5: "NOTINSTALLED",
  6: "NOTCONFIGURED",
  7: "NOTRUNNING",
  200: "CHDIR",
  203: "EXEC",
  217: "USER",
};

/** Signals after which a main process counts as having exited cleanly. */
const CLEAN_SIGNALS: ReadonlySet<string> = new Set(["SIGHUP", "SIGINT", "SIGTERM", "SIGPIPE"]);

export function signalNumber(signal: NodeJS.Signals): number {
  return (osConstants.signals as Readonly<Record<string, number>>)[signal] ?? 0;
}

/** ExecMainCode=/ExecMainStatus= as systemd shows them: 1 = exited with a status, 2 = killed by a signal. */
export function exitCodeAndStatus(exit: ProcessExit): { code: number; status: number } {
  if (exit.signal !== null) return { code: 2, status: signalNumber(exit.signal) };
  return { code: 1, status: exit.code ?? 0 };
}

/** "1/FAILURE", "9/KILL": the status part of an exit's description. */
export function exitStatusText(exit: ProcessExit): string {
  if (exit.signal !== null) return `${signalNumber(exit.signal)}/${exit.signal.replace(/^SIG/, "")}`;
  if (exit.code === null) return "unknown (not a child of the service manager)";
  const name = STATUS_NAMES[exit.code];
  return name ? `${exit.code}/${name}` : String(exit.code);
}

/** "code=exited, status=1/FAILURE" or "code=killed, status=9/KILL", as in the journal and `status`. */
export function describeExit(exit: ProcessExit): string {
  return `code=${exit.signal !== null ? "killed" : "exited"}, status=${exitStatusText(exit)}`;
}

/**
 * The result a main process's end gives the unit: exit status 0 or a clean signal is success. A process
 * whose status cannot be known (a Type=forking daemon is not our child) counts as a failed exit.
 */
export function exitResult(exit: ProcessExit): ServiceResult {
  if (exit.signal !== null) return CLEAN_SIGNALS.has(exit.signal) ? "success" : "signal";
  return exit.code === 0 ? "success" : "exit-code";
}

/** The result of a control command (ExecStartPre=, ExecStop=, …) or a Type=oneshot command: any signal fails it. */
export function commandResult(exit: ProcessExit): ServiceResult {
  if (exit.signal !== null) return "signal";
  return exit.code === 0 ? "success" : "exit-code";
}

/** Whether Restart= asks for an automatic restart after the unit ended with `result`. */
export function restartWanted(policy: RestartPolicy, result: ServiceResult): boolean {
  if (result === "start-limit-hit") return false;
  switch (policy) {
    case "no":
      return false;
    case "always":
      return true;
    case "on-success":
      return result === "success";
    case "on-failure":
      return result !== "success";
    case "on-abnormal":
      return result === "signal" || result === "timeout";
    case "on-abort":
      return result === "signal";
    case "on-watchdog":
      return false;
  }
}
