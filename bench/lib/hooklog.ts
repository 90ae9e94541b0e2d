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

/**
 * A stretch of time in which some hook was always running (hooks that overlap, directly or through others).
 * Unit agents run independently, so a stretch is not a round: it ends when the last of its hooks ends.
 */
export interface Stretch {
  readonly runs: readonly HookRun[];
  readonly start: number;
  readonly end: number;
}

export function stretches(runs: readonly HookRun[]): Stretch[] {
  const result: Stretch[] = [];
  let current: HookRun[] = [];
  let start = 0;
  let end = -Infinity;
  for (const run of runs) {
    if (current.length > 0 && run.start >= end) {
      result.push({ runs: current, start, end });
      current = [];
    }
    if (current.length === 0) start = run.start;
    current.push(run);
    end = Math.max(end, run.start + run.ms);
  }
  if (current.length > 0) result.push({ runs: current, start, end });
  return result;
}

/**
 * The critical chain of a stretch: each moment charged to the running hook that ends last, the one the stretch
 * is waiting for then. Its pieces add up to the stretch's length: the time the model was waiting for hooks.
 */
function criticalChain(stretch: Stretch): Array<{ run: HookRun; from: number; to: number }> {
  const moments = [...new Set(stretch.runs.flatMap((run) => [run.start, run.start + run.ms]))].sort((x, y) => x - y);
  const chain: Array<{ run: HookRun; from: number; to: number }> = [];
  for (const [i, from] of moments.slice(0, -1).entries()) {
    const to = moments[i + 1]!;
    const running = stretch.runs.filter((run) => run.start <= from && run.start + run.ms >= to);
    if (running.length > 0) chain.push({ run: running.reduce((x, y) => (y.start + y.ms > x.start + x.ms ? y : x)), from, to });
  }
  return chain;
}

/** What a stretch of hook activity cost. */
export interface HookCost {
  readonly runs: number;
  /** Stretches of overlapping hooks (see stretches). */
  readonly stretches: number;
  /** Sum of all hook durations (hooks overlap). */
  readonly hookMs: number;
  /** Time in which at least one hook ran: the time the model spent waiting for hooks. */
  readonly criticalMs: number;
  readonly longest: { readonly hook: string; readonly ms: number } | undefined;
  readonly byUnit: Readonly<Record<string, number>>;
  readonly byName: Readonly<Record<string, number>>;
  /** criticalMs split by what the hook on the critical chain was doing at each moment (see README). */
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
    if (ms <= 0) return;
    criticalBy[category] = (criticalBy[category] ?? 0) + ms;
  };
  const all = stretches(runs);
  for (const stretch of all) {
    for (const { run, from, to } of criticalChain(stretch)) {
      // The part of [from, to) that each of the run's phases covers.
      const overlap = (start: number, end: number) => Math.max(0, Math.min(end, to) - Math.max(start, from));
      if (run.steps.length === 0) add(NO_ACTION, overlap(run.start, run.start + run.ms));
      else add(PRE_ACTION, overlap(run.start, run.steps[0]!.start));
      for (const step of run.steps) add(`action ${step.action}`, overlap(step.start, step.start + step.ms));
    }
  }
  const longest = runs.reduce<HookRun | undefined>((a, b) => (a && a.ms >= b.ms ? a : b), undefined);
  return {
    runs: runs.length,
    stretches: all.length,
    hookMs: sum(runs.map((run) => run.ms)),
    criticalMs: sum(all.map((stretch) => stretch.end - stretch.start)),
    longest: longest ? { hook: `${longest.name}@${longest.unit}`, ms: longest.ms } : undefined,
    byUnit: count((run) => run.unit),
    byName: count((run) => run.name),
    criticalBy,
  };
}
