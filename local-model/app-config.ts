import { CharmError, parseConfigArgument, type CharmSpec } from "./charm.js";
import { ModelError } from "./model-error.js";
import type { AppState } from "./state.js";
import type { ConfigValue } from "./tools/types.js";

/** An application's config as the operator sees it: `key=value` assignments checked against the charm, and `config <app>`'s view. */

/** Parses `key=value` assignments into typed values; every key must be one of the charm's options. */
export function parseConfigAssignments(charm: CharmSpec, assignments: readonly string[]): Record<string, ConfigValue> {
  const values: Record<string, ConfigValue> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf("=");
    if (at <= 0) throw new ModelError(`expected "key=value", got "${assignment}"`);
    const key = assignment.slice(0, at);
    const option = charm.config[key];
    if (!option) throw new ModelError(`unknown option "${key}"`);
    try {
      values[key] = parseConfigArgument(key, option, assignment.slice(at + 1));
    } catch (error) {
      throw new ModelError(error instanceof CharmError ? error.message : String(error));
    }
  }
  return values;
}

export interface ConfigSetting {
  readonly default?: ConfigValue;
  readonly description: string;
  readonly source: "user" | "default";
  readonly type: string;
  readonly value?: ConfigValue;
}

/** What `juju config <app>` shows. */
export interface ConfigView {
  readonly application: string;
  readonly charm: string;
  readonly settings: Record<string, ConfigSetting>;
}

export function configView(app: AppState, charm: CharmSpec): ConfigView {
  const settings = Object.fromEntries(
    Object.entries(charm.config).map(([name, option]): [string, ConfigSetting] => {
      const set = Object.hasOwn(app.config, name);
      const value = set ? app.config[name] : option.default;
      return [
        name,
        {
          default: option.default,
          description: option.description ?? "",
          source: set ? "user" : "default",
          type: option.type,
          ...(value !== undefined ? { value } : {}),
        },
      ];
    }),
  );
  return { application: app.name, charm: charm.name, settings };
}
