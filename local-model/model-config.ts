import { parseDurationMs } from "./duration.js";
import { formatFaultInjection, parseFaultInjection } from "./faults.js";
import { ModelError } from "./model-error.js";
import type { ModelConfig } from "./state.js";

/**
 * `model-config key=value …`: every assignment is validated before any applies, so a bad one changes
 * nothing. Keys: update-status-hook-interval (a positive Go duration), automatically-retry-hooks (true or
 * false) and, not Juju's, fault-injection (faults.ts).
 */
export function applyModelConfig(config: ModelConfig, assignments: readonly string[]): void {
  const next: ModelConfig = { ...config };
  for (const assignment of assignments) {
    const at = assignment.indexOf("=");
    if (at <= 0) throw new ModelError(`expected "key=value", got "${assignment}"`);
    const key = assignment.slice(0, at);
    const value = assignment.slice(at + 1);
    switch (key) {
      case "update-status-hook-interval":
        if (parseDurationMs(value) <= 0) throw new ModelError(`update-status-hook-interval: must be more than 0, got "${value}"`);
        next[key] = value;
        break;
      case "automatically-retry-hooks":
        if (!["true", "false"].includes(value)) throw new ModelError(`automatically-retry-hooks: expected true or false, got "${value}"`);
        next[key] = value === "true";
        break;
      case "fault-injection":
        next[key] = formatFaultInjection(parseFaultInjection(value));
        break;
      default:
        throw new ModelError(`unknown model config key "${key}"`);
    }
  }
  Object.assign(config, next);
}
