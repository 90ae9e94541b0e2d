import { createHash } from "node:crypto";
import type { CharmSpec } from "./charm.js";
import type { ConfigValue } from "./tools/types.js";

/** Effective config: the operator's values over the charm's defaults; options with neither are absent. */
export function effectiveConfig(charm: CharmSpec, values: Readonly<Record<string, ConfigValue>>): Record<string, ConfigValue> {
  const config: Record<string, ConfigValue> = {};
  for (const [name, option] of Object.entries(charm.config)) {
    const value = Object.hasOwn(values, name) ? values[name] : option.default;
    if (value !== undefined) config[name] = value;
  }
  return config;
}

/** What config-changed delivers; a change of digest queues config-changed (§5.1). */
export function configDigest(charm: CharmSpec, values: Readonly<Record<string, ConfigValue>>): string {
  const config = effectiveConfig(charm, values);
  const sorted = Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 16);
}
