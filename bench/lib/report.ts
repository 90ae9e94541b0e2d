import type { HookCost } from "./hooklog.js";
import { median, summarize } from "./stats.js";
import { fmt, seconds, type Row, type Table } from "./table.js";

/** "4.2 s (3.9–5.0)": median and range of durations in ms. */
export function spread(samples: readonly number[]): string {
  const s = summarize(samples.filter(Number.isFinite));
  if (s.n === 0) return "–";
  return s.n === 1 ? `${seconds(s.median)} s` : `${seconds(s.median)} s (${seconds(s.min)}–${seconds(s.max)})`;
}

/** "etcd/0 4, etcd/3 9" */
export const counts = (record: Readonly<Record<string, number>>): string =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([key, value]) => `${key} ${value}`)
    .join(", ");

/**
 * Where the model waited for hooks: the critical chain of hooks (bench/lib/hooklog.ts) split into what it was doing, median over
 * the runs measured (one HookCost each), largest first.
 */
export function criticalPathTable(title: string, costs: readonly HookCost[]): Table {
  const categories = [...new Set(costs.flatMap((cost) => Object.keys(cost.criticalBy)))];
  const total = median(costs.map((cost) => cost.criticalMs));
  const rows = categories
    .map((category): [string, number] => [category, median(costs.map((cost) => cost.criticalBy[category] ?? 0))])
    .sort((a, b) => b[1] - a[1])
    .map(([category, ms]): Row => [category, seconds(ms), `${fmt((100 * ms) / total)}%`]);
  return {
    title,
    columns: ["critical chain was in", "median s", "share"],
    rows: [...rows, ["critical path (time some hook was running)", seconds(total), "100%"]],
    notes: ["An action runs until the next one starts or the hook ends, so the last one of a hook includes its final observe and status-set."],
  };
}
