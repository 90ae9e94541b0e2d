/**
 * A hook tool that exited non-zero. Juju's tools print `ERROR <message>` on stderr and exit 2 for usage
 * errors (flag parsing, Init) and 1 for runtime errors (contract §2.2).
 */
export class HookToolError extends Error {
  override readonly name = "HookToolError";

  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly exitCode: number,
    /** The text after `ERROR ` on stderr, or the whole stderr when the tool did not follow the convention. */
    readonly jujuMessage: string,
  ) {
    super(`${tool} failed (exit ${exitCode}): ${jujuMessage || "no error message"}`);
  }

  /** Exit code 2: the call itself was malformed (a bug in the charm, not a state of the model). */
  get isUsageError(): boolean {
    return this.exitCode === 2;
  }

  /** The relation named with -r no longer exists (e.g. it was removed while the hook ran). */
  get isRelationNotFound(): boolean {
    return /relation not found|unknown relation id/.test(this.jujuMessage);
  }

  get isNotLeader(): boolean {
    return /not the leader|cannot write relation settings|cannot write leadership settings/.test(this.jujuMessage);
  }
}

/** A hook tool printed something that does not match what the contract says it prints. */
export class HookToolOutputError extends Error {
  override readonly name = "HookToolOutputError";

  constructor(
    readonly tool: string,
    readonly output: string,
    reason: string,
  ) {
    super(`${tool} printed unexpected output (${reason}): ${output.slice(0, 200)}`);
  }
}

/** The JUJU_* environment does not describe a valid event. */
export class EventContextError extends Error {
  override readonly name = "EventContextError";
}

/** Extracts Juju's message from a tool's stderr: the last `ERROR ...` line, else all of stderr. */
export function jujuErrorMessage(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trimEnd());
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? "";
    if (line.startsWith("ERROR ")) return line.slice("ERROR ".length);
  }
  return stderr.trim();
}
