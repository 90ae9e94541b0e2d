import type { DebugLogEntry } from "../../local-model/debug-log.js";
import { sum } from "./stats.js";

/** One action of the charm's reconcile loop inside a hook, from its "info" log line on stderr. */
export interface Step {
  readonly action: string;
  readonly start: number;
  /** Until the next step or the hook's end (so the last one includes the final observe and status-set). */
  readonly ms: number;
}

export interface HookRun {
  readonly unit: string;
  readonly name: string;
  readonly start: number;
  readonly ms: number;
  readonly steps: readonly Step[];
}

/** Hook runs of the debug log (actions left out), in start order, with their reconcile steps. */
export function hookRuns(entries: readonly DebugLogEntry[]): HookRun[] {
  return entries
    .filter((entry) => entry.kind === "hook")
    .map((entry) => {
      const start = Date.parse(entry.time);
      const end = start + entry.durationMs;
      const marks = entry.stderr.split("\n").flatMap((line) => {
        try {
          const record = JSON.parse(line) as { time?: unknown; action?: unknown };
          return typeof record.time === "number" && typeof record.action === "string" ? [{ action: record.action, start: record.time }] : [];
        } catch {
          return [];
        }
      });
      const steps = marks.map((mark, i) => ({ ...mark, ms: (marks[i + 1]?.start ?? end) - mark.start }));
      return { unit: entry.unit, name: entry.name, start, ms: entry.durationMs, steps };
    })
    .sort((a, b) => a.start - b.start);
}

/** Hooks the controller ran together: it starts a round's hooks at once and the next round after all ended. */
export interface Round {
  readonly runs: readonly HookRun[];
  readonly slowest: HookRun;
}

export function rounds(runs: readonly HookRun[]): Round[] {
  const result: Round[] = [];
  let current: HookRun[] = [];
  let end = -Infinity;
  for (const run of runs) {
    if (current.length > 0 && run.start >= end) {
      result.push(toRound(current));
      current = [];
    }
    current.push(run);
    end = Math.max(end, run.start + run.ms);
  }
  if (current.length > 0) result.push(toRound(current));
  return result;
}

const toRound = (runs: HookRun[]): Round => ({ runs, slowest: runs.reduce((a, b) => (b.ms > a.ms ? b : a)) });

/** What a stretch of hook activity cost. */
export interface HookCost {
  readonly runs: number;
  readonly rounds: number;
  /** Sum of all hook durations (hooks of a round overlap). */
  readonly hookMs: number;
  /** Sum of each round's slowest hook: the time the model spent waiting for hooks. */
  readonly criticalMs: number;
  readonly longest: { readonly hook: string; readonly ms: number } | undefined;
  readonly byUnit: Readonly<Record<string, number>>;
  readonly byName: Readonly<Record<string, number>>;
  /** criticalMs split by what the slowest hook of each round was doing (see README). */
  readonly criticalBy: Readonly<Record<string, number>>;
}

const PRE_ACTION = "hook start → first action (Node, bundle, reading Juju, observing)";
const NO_ACTION = "hooks that changed nothing (observe + status only)";

export function hookCost(runs: readonly HookRun[]): HookCost {
  const count = (key: (run: HookRun) => string) => {
    const counts: Record<string, number> = {};
    for (const run of runs) counts[key(run)] = (counts[key(run)] ?? 0) + 1;
    return counts;
  };
  const criticalBy: Record<string, number> = {};
  const add = (category: string, ms: number) => {
    criticalBy[category] = (criticalBy[category] ?? 0) + ms;
  };
  const all = rounds(runs);
  for (const { slowest } of all) {
    if (slowest.steps.length === 0) add(NO_ACTION, slowest.ms);
    else add(PRE_ACTION, slowest.steps[0]!.start - slowest.start);
    for (const step of slowest.steps) add(`action ${step.action}`, step.ms);
  }
  const longest = runs.reduce<HookRun | undefined>((a, b) => (a && a.ms >= b.ms ? a : b), undefined);
  return {
    runs: runs.length,
    rounds: all.length,
    hookMs: sum(runs.map((run) => run.ms)),
    criticalMs: sum(all.map((round) => round.slowest.ms)),
    longest: longest ? { hook: `${longest.name}@${longest.unit}`, ms: longest.ms } : undefined,
    byUnit: count((run) => run.unit),
    byName: count((run) => run.name),
    criticalBy,
  };
}
