/**
 * Go's time.Duration text ("1h30m", "4.86ms", "850µs"): how etcd reads durations in its config and how
 * etcdctl and Juju print them. One parser for all of them.
 */

const NS_PER_UNIT: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION = /^(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const PART = /([0-9.]+)(ns|us|µs|μs|ms|s|m|h)/g;

/** A non-negative Go duration ("0" included, as Go accepts it) in nanoseconds, or undefined when Go would not parse it. */
export function goDurationNs(text: string): number | undefined {
  if (text === "0") return 0;
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(PART)) total += Number(value) * (NS_PER_UNIT[unit ?? ""] ?? Number.NaN);
  return Number.isFinite(total) ? total : undefined;
}

/** The same in milliseconds, rounded to the microsecond. */
export function goDurationMs(text: string): number | undefined {
  const ns = goDurationNs(text);
  return ns === undefined ? undefined : Math.round(ns / 1000) / 1000;
}

export const NANOSECONDS_PER_HOUR = NS_PER_UNIT.h ?? 3600e9;
export const NANOSECONDS_PER_SECOND = NS_PER_UNIT.s ?? 1e9;
