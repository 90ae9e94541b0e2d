import { goDurationMs } from "../src/domain/go-duration.js";
import { ModelError } from "./model-error.js";

/** Model config durations ("5m", "30s", "1h30m", "250ms") are Go's time.Duration text, as Juju parses them. */
export function parseDurationMs(text: string): number {
  const ms = goDurationMs(text.trim());
  if (ms === undefined) throw new ModelError(`invalid duration "${text}"`);
  return ms;
}
