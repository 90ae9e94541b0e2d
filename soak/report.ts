import { cp, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DebugLogEntry } from "../local-model/debug-log.js";
import { memberName } from "./cluster.js";
import type { StepKind } from "./steps.js";
import type { Unavailability, Writer } from "./writer.js";

/**
 * What a soak run reports: its steps, the writes and quorum losses, the hook errors from the model's
 * debug log, the invariants it broke; and the evidence a failed run leaves behind.
 */

export interface StepReport {
  readonly index: number;
  readonly kind: StepKind | "deploy";
  readonly detail: string;
  readonly started: number;
  readonly ended: number;
  /** From the end of the step's verb until the model was idle and converged. */
  readonly convergeMs: number;
}

/** A hook run that exited non-zero or was killed without the model injecting it. */
export interface GenuineHookError {
  readonly time: string;
  readonly unit: string;
  readonly hook: string;
  readonly exit: string;
  readonly stderrTail: string;
}

export interface HookErrors {
  readonly genuine: GenuineHookError[];
  readonly injectedFailures: number;
  readonly injectedKills: number;
  readonly hookRuns: number;
}

export interface RunReport {
  readonly seed: number;
  readonly subnet: string;
  readonly steps: StepReport[];
  readonly attempted: number;
  readonly acknowledged: number;
  /** Acknowledged keys that some member did not return with their value. */
  readonly lostKeys: string[];
  readonly quorumLosses: Array<Unavailability & { step: string }>;
  readonly longestGap: { ms: number; step: string };
  readonly hookErrors: HookErrors;
  /** `resolved` calls for units in error past the automatic retry horizon. */
  readonly resolved: number;
  /** `tls` steps taken: rolling switches between http and https. */
  readonly tlsSwitches: number;
  readonly converged: boolean;
  /** Broken invariants and anything that stopped the run. */
  readonly problems: string[];
  /** Charm behaviour worth a look that breaks no invariant (reported, not failing the run). */
  readonly anomalies: string[];
  readonly durationMs: number;
  readonly evidence?: string;
}

export const runFailed = (report: RunReport): boolean =>
  !report.converged || report.lostKeys.length > 0 || report.quorumLosses.length > 0 || report.problems.length > 0;

/**
 * The hook runs in the debug log that failed, told apart by whether the model injected the failure. A run killed
 * because its unit was removed at once (remove-unit --force --no-wait) did not fail: Juju reports no error for it.
 */
export function hookErrors(entries: readonly DebugLogEntry[]): HookErrors {
  const hooks = entries.filter((entry) => entry.kind === "hook");
  const failed = hooks.filter((entry) => (entry.exitCode !== 0 || entry.signal !== null) && !entry.removedWhileRunning);
  const genuine = failed
    .filter((entry) => !entry.injected)
    .map((entry) => ({
      time: entry.time,
      unit: entry.unit,
      hook: entry.name,
      exit: entry.signal ? `killed by ${entry.signal}` : `exit ${entry.exitCode}`,
      stderrTail: entry.stderr.trim().split("\n").slice(-3).join(" | "),
    }));
  return {
    genuine,
    injectedFailures: failed.filter((entry) => entry.injected === "hook-failure").length,
    injectedKills: failed.filter((entry) => entry.injected === "hook-kill").length,
    hookRuns: hooks.length,
  };
}

/** The step a moment (epoch ms) belongs to: the one running then, else the next one to start. */
export function stepAt(steps: readonly StepReport[], time: number): string {
  const step = steps.find((s) => time >= s.started && time <= s.ended) ?? steps.find((s) => time < s.started);
  return step ? `step ${step.index} ${step.kind} (${step.detail})` : "after the last step";
}

/** A unit being removed must not be (re-)added as a member: "added etcdN (…) as a learner" logged after its removal began. */
export function removalAnomalies(steps: readonly StepReport[], entries: readonly DebugLogEntry[]): string[] {
  return steps.flatMap((step) => {
    const victim = /^removed (\S+)/.exec(step.detail)?.[1];
    if (step.kind !== "remove-unit" || !victim) return [];
    return entries
      .filter((entry) => Date.parse(entry.time) >= step.started && entry.logs.some((line) => line.message.includes(`added ${memberName(victim)} (`)))
      .map(
        (entry) => `${entry.time} ${entry.unit} ${entry.name}: added ${memberName(victim)} as a learner while ${victim} was being removed (step ${step.index})`,
      );
  });
}

/** Copies what explains a failed run out of the model before it is destroyed. */
export async function saveEvidence(modelDir: string, target: string, report: RunReport, writer: Writer): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const name of ["debug-log.jsonl", "controller.log", "state.json"]) await cp(path.join(modelDir, name), path.join(target, name)).catch(() => undefined);
  await cp(path.join(modelDir, "services", "logs"), path.join(target, "service-logs"), { recursive: true }).catch(() => undefined);
  await writeFile(path.join(target, "report.json"), `${JSON.stringify(report, null, 1)}\n`);
  await writeFile(path.join(target, "writes.jsonl"), `${writer.attempts.map((a) => JSON.stringify(a)).join("\n")}\n`);
}
