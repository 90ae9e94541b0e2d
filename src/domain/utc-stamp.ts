/** A moment as a compact UTC stamp, `20261201T070000Z` (ISO 8601 basic format, to the second): sorts by time in names. */
export function utcStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}
