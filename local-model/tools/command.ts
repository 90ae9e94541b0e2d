/**
 * One hook tool and juju/cmd's Main around it (contract §0 item 2, §2.2): parse flags, Init with the
 * positionals, Run. A flag or Init error prints `ERROR <msg>` and exits 2, a Run error exits 1, `-h/--help`
 * prints the help on stdout and exits 0.
 */
import { FlagSet, UsageError } from "./flags.js";
import { ToolIO } from "./io.js";
import { ToolRunError, type HookToolContext, type ToolInvocation, type ToolResult } from "./types.js";

/** Run: does the work, writing to io; throws ToolRunError to fail with exit 1. */
export type ToolRun = (io: ToolIO) => void;

/** Init: checks the positionals (throwing UsageError, exit 2) and returns the Run step. */
export type ToolInit = (positionals: readonly string[]) => ToolRun;

export interface HookToolSpec {
  readonly name: string;
  /** The positionals as help shows them; some tools show different ones inside relation hooks. */
  readonly args: string | ((ctx: HookToolContext) => string);
  readonly purpose: string;
  /** Declares the tool's options on `flags` and returns its Init. */
  setup(flags: FlagSet, ctx: HookToolContext): ToolInit;
}

/** cmd.Info.Help as juju/cmd renders it for a hook tool (options "known as" options). */
function helpText(spec: HookToolSpec, flags: FlagSet, ctx: HookToolContext): string {
  const args = typeof spec.args === "string" ? spec.args : spec.args(ctx);
  let text = `Usage: ${spec.name}${flags.isEmpty ? "" : " [options]"}${args === "" ? "" : ` ${args}`}\n`;
  text += `\nSummary:\n${spec.purpose}\n`;
  if (!flags.isEmpty) text += `\nOptions:\n${flags.describe()}`;
  return text;
}

function failure(code: 1 | 2, io: ToolIO, error: Error): ToolResult {
  return { code, stdout: io.stdout, stderr: `${io.stderr}ERROR ${error.message}\n` };
}

/** cmd.Main for one invocation. Errors other than UsageError and ToolRunError are bugs and propagate. */
export function runTool(spec: HookToolSpec, ctx: HookToolContext, invocation: ToolInvocation): ToolResult {
  const io = new ToolIO(invocation.stdin);
  const flags = new FlagSet();
  const init = spec.setup(flags, ctx);
  let run: ToolRun;
  try {
    const outcome = flags.parse(invocation.args);
    if (outcome.help) return { code: 0, stdout: helpText(spec, flags, ctx), stderr: "" };
    run = init(outcome.positionals);
  } catch (error) {
    // Whatever fails before Run is reported as a usage error, as handleCommandError does.
    if (error instanceof UsageError || error instanceof ToolRunError) return failure(2, io, error);
    throw error;
  }
  try {
    run(io);
  } catch (error) {
    if (error instanceof ToolRunError) return failure(1, io, error);
    throw error;
  }
  return { code: 0, stdout: io.stdout, stderr: io.stderr };
}
