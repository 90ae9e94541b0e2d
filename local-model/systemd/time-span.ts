/**
 * Time values as systemd reads and writes them (systemd.time(7)): spans like "5", "100ms", "1min 30s" or
 * "infinity", and timestamps like "Thu 2024-05-02 10:11:12 UTC". Spans are kept in milliseconds; `null`
 * stands for infinity.
 */

const MILLISECONDS_PER_UNIT: Readonly<Record<string, number>> = {
  usec: 0.001,
  us: 0.001,
  µs: 0.001,
  msec: 1,
  ms: 1,
  seconds: 1000,
  second: 1000,
  sec: 1000,
  s: 1000,
  minutes: 60_000,
  minute: 60_000,
  min: 60_000,
  m: 60_000,
  hours: 3_600_000,
  hour: 3_600_000,
  hr: 3_600_000,
  h: 3_600_000,
  days: 86_400_000,
  day: 86_400_000,
  d: 86_400_000,
  weeks: 604_800_000,
  week: 604_800_000,
  w: 604_800_000,
  months: 2_629_800_000,
  month: 2_629_800_000,
  M: 2_629_800_000,
  years: 31_557_600_000,
  year: 31_557_600_000,
  y: 31_557_600_000,
};

export class TimeSpanError extends Error {
  override readonly name = "TimeSpanError";
}

/** Parses a span; a bare number is seconds. Returns milliseconds, or null for "infinity". */
export function parseTimeSpan(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "infinity") return null;
  const part = /\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Zµ]*)/y;
  let total = 0;
  let parts = 0;
  while (part.lastIndex < trimmed.length) {
    const match = part.exec(trimmed);
    if (!match) throw new TimeSpanError(`invalid time span ${JSON.stringify(text)}`);
    const unit = match[2] || "s";
    const factor = MILLISECONDS_PER_UNIT[unit];
    if (factor === undefined) throw new TimeSpanError(`unknown time unit "${unit}" in ${JSON.stringify(text)}`);
    total += Number(match[1]) * factor;
    parts++;
  }
  if (parts === 0) throw new TimeSpanError(`empty time span`);
  return total;
}

const FORMAT_UNITS: ReadonlyArray<readonly [string, number]> = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["min", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/** Formats a span the way `systemctl show` prints one: "1min 30s", "100ms", "infinity". */
export function formatTimeSpan(milliseconds: number | null): string {
  if (milliseconds === null) return "infinity";
  if (milliseconds === 0) return "0";
  let rest = Math.round(milliseconds);
  const parts: string[] = [];
  for (const [unit, size] of FORMAT_UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.length > 0 ? parts.join(" ") : `${Math.round(milliseconds * 1000)}us`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** A timestamp as systemd prints one, always in UTC: "Thu 2024-05-02 10:11:12 UTC"; "n/a" for none. */
export function formatTimestamp(date: Date | undefined): string {
  if (date === undefined) return "n/a";
  const iso = date.toISOString();
  return `${WEEKDAYS[date.getUTCDay()]} ${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** "5s ago", "2min 3s ago": how long ago, to the second, as `systemctl status` says it. */
export function formatAge(since: Date, now: Date): string {
  const elapsed = Math.max(0, now.getTime() - since.getTime());
  return `${elapsed < 1000 ? `${elapsed}ms` : formatTimeSpan(Math.floor(elapsed / 1000) * 1000)} ago`;
}
