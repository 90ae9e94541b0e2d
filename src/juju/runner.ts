import { runProgram } from "../run-program.js";

export interface ToolOutcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/**
 * Runs one hook tool. The only process-spawning seam of src/juju/: tests substitute fake tools on PATH,
 * never this function, so the client is always exercised through real processes.
 */
export type ToolRunner = (tool: string, args: readonly string[], stdin?: string) => Promise<ToolOutcome>;

/** Spawns the tool found on PATH, without a shell, so no argument is ever interpreted. */
export function processToolRunner(env: NodeJS.ProcessEnv = process.env): ToolRunner {
  return async (tool, args, stdin) => {
    const result = await runProgram(tool, args, { env, replaceEnv: true, stripFinalNewline: false, ...(stdin === undefined ? {} : { input: stdin }) });
    if (result.exitCode === undefined) {
      // Not started at all (ENOENT) or killed by a signal: report it like Juju's client would, exit 1.
      return { stdout: result.stdout, stderr: `ERROR ${result.reason}\n`, exitCode: 1 };
    }
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
  };
}
