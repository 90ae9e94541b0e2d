import { ModelError } from "./model-error.js";

const MS_PER_UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations for model config: "5m", "30s", "1h30m", "250ms". */
export function parseDurationMs(text: string): number {
  const trimmed = text.trim();
  if (!/^([0-9.]+(ms|s|m|h))+$/.test(trimmed)) throw new ModelError(`invalid duration "${text}"`);
  let total = 0;
  for (const [, value, unit = ""] of trimmed.matchAll(/([0-9.]+)(ms|s|m|h)/g)) {
    const msPerUnit = MS_PER_UNIT[unit];
    if (msPerUnit === undefined) throw new ModelError(`invalid duration "${text}"`);
    total += Number(value) * msPerUnit;
  }
  return total;
}
