import { appendFile, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { FAULT_KINDS } from "./faults.js";
import type { HookContext } from "./hook-context.js";
import type { HookProcessResult } from "./hook-runner.js";
import type { ActionRecord, HookSpec, UnitState } from "./state.js";

/**
 * The model's debug log, <model>/debug-log.jsonl: one JSON line per hook, action or exec run. The controller
 * appends to it; the CLI's `debug-log` reads it directly (no controller needed), so this module imports
 * nothing of the controller's.
 */

export const DebugLogEntry = z.object({
  /** When the hook process started. */
  time: z.string(),
  unit: z.string(),
  kind: z.enum(["hook", "action", "exec"]),
  name: z.string(),
  relation: z.string().optional(),
  remoteUnit: z.string().optional(),
  exitCode: z.number(),
  signal: z.string().nullable(),
  found: z.boolean(),
  durationMs: z.number(),
  stdout: z.string(),
  stderr: z.string(),
  logs: z.array(z.object({ level: z.string(), message: z.string() })),
  /** Hook tools the run called, in order (what it cost in tool processes, and what it wrote). */
  tools: z.array(z.string()),
  /** A fault the model injected into the run (model-config fault-injection, faults.ts). */
  injected: z.enum(FAULT_KINDS).optional(),
  /** The unit was removed at once (remove-unit --force --no-wait) while this ran: it was killed, not failed. */
  removedWhileRunning: z.literal(true).optional(),
});
export type DebugLogEntry = z.infer<typeof DebugLogEntry>;

const debugLogFile = (modelDir: string) => path.join(modelDir, "debug-log.jsonl");

/** What one run of a hook, or of an action or exec (the operation), leaves in the log. */
export function debugLogEntry(
  unit: UnitState,
  operation: { readonly hook: HookSpec } | { readonly action: ActionRecord },
  context: HookContext,
  result: HookProcessResult,
  removedWhileRunning = false,
): DebugLogEntry {
  const hook = "hook" in operation ? operation.hook : undefined;
  const action = "action" in operation ? operation.action : undefined;
  return {
    time: new Date(result.startedAt).toISOString(),
    unit: unit.name,
    kind: action ? action.kind : "hook",
    name: action ? (action.kind === "exec" ? (action.command ?? "") : action.name) : (hook?.name ?? ""),
    ...(hook?.relationId !== undefined ? { relation: String(hook.relationId) } : {}),
    ...(hook?.remoteUnit ? { remoteUnit: hook.remoteUnit } : {}),
    exitCode: result.exitCode,
    signal: result.signal,
    found: result.found,
    durationMs: result.durationMs,
    stdout: result.stdout,
    stderr: result.stderr,
    logs: context.logLines,
    tools: context.toolCalls,
    ...(result.injected ? { injected: result.injected } : {}),
    ...(removedWhileRunning ? { removedWhileRunning: true as const } : {}),
  };
}

export async function appendDebugLog(modelDir: string, entry: DebugLogEntry): Promise<void> {
  await appendFile(debugLogFile(modelDir), `${JSON.stringify(entry)}\n`);
}

/** Every entry, oldest first; none when the model has not run anything yet. */
export async function readDebugLog(modelDir: string): Promise<DebugLogEntry[]> {
  const text = await readFile(debugLogFile(modelDir), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => DebugLogEntry.parse(JSON.parse(line)));
}

/** The text form: a line for the run, then its juju-log lines, stdout and stderr, indented. */
export function debugLogText(entry: DebugLogEntry): string[] {
  const what = entry.kind === "action" ? `action ${entry.name}` : entry.name;
  const outcome = entry.found
    ? `exit ${entry.exitCode}${entry.signal ? ` (${entry.signal})` : ""}${entry.injected ? ` [injected ${entry.injected}]` : ""}`
    : "skipped (missing)";
  return [
    `${entry.time} unit-${entry.unit.replace("/", "-")}: ${what} ${outcome} in ${entry.durationMs}ms`,
    ...entry.logs.map((log) => `  ${log.level} juju-log: ${log.message}`),
    ...entry.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => `  DEBUG stdout: ${line}`),
    ...entry.stderr
      .split("\n")
      .filter(Boolean)
      .map((line) => `  WARNING stderr: ${line}`),
  ];
}
