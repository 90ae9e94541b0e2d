import type { ToolResult } from "../../../local-model/tools/types.js";

/** The results the hook-tool tests expect, in the shapes juju/cmd's Main produces. */

/** A success with exactly this stdout and nothing on stderr. */
export function ok(stdout = ""): ToolResult {
  return { code: 0, stdout, stderr: "" };
}

/** A failure as cmd.Main reports it: `ERROR <message>` on stderr, exit 2 for usage errors, 1 for Run errors. */
export function usageError(message: string): ToolResult {
  return { code: 2, stdout: "", stderr: `ERROR ${message}\n` };
}

export function runError(message: string): ToolResult {
  return { code: 1, stdout: "", stderr: `ERROR ${message}\n` };
}
