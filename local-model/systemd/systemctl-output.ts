import type { ServiceResult } from "./exit-status.js";

/** What one `systemctl` call prints and its exit status, with systemctl's exit codes and job failure message. */

export interface SystemctlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** systemctl's exit status for "unit not found/not loaded" (EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN). */
export const EXIT_NOT_FOUND = 5;
/** is-active and status: "program is not running". */
export const EXIT_NOT_RUNNING = 3;
export const EXIT_STATUS_UNKNOWN = 4;

/** Collects what one systemctl call prints; the first failure decides the exit status. */
export class CallOutput {
  stdout = "";
  stderr = "";
  code = 0;

  constructor(private readonly quiet: boolean) {}

  print(text: string): void {
    if (!this.quiet) this.stdout += text;
  }

  /** Informational stderr lines (symlink changes); --quiet suppresses them. */
  inform(text: string): void {
    if (!this.quiet) this.stderr += text.endsWith("\n") ? text : `${text}\n`;
  }

  /** A warning on stderr that --quiet does not suppress and that leaves the exit status alone. */
  warn(line: string): void {
    this.stderr += `${line}\n`;
  }

  fail(code: number, message: string): void {
    this.stderr += message.endsWith("\n") ? message : `${message}\n`;
    if (this.code === 0) this.code = code;
  }

  result(): SystemctlResult {
    return { code: this.code, stdout: this.stdout, stderr: this.stderr };
  }
}

/** What systemctl prints when a job it waited for failed. */
export function jobFailedMessage(name: string, result: ServiceResult): string {
  const reasons: Partial<Record<ServiceResult, string>> = {
    "start-limit-hit": "start of the service was attempted too often",
    timeout: "a timeout was exceeded",
    signal: "a fatal signal was delivered to the control process",
    resources: "of unavailable resources or another system error",
    protocol: "the service did not take the steps required by its unit configuration",
  };
  const lines = [
    `Job for ${name} failed because ${reasons[result] ?? "the control process exited with error code"}.`,
    `See "systemctl status ${name}" and "journalctl -xeu ${name}" for details.`,
  ];
  if (result === "start-limit-hit") lines.push(`To force a start use "systemctl reset-failed ${name}" followed by "systemctl start ${name}" again.`);
  return lines.join("\n");
}
