/** action-get, action-set, action-fail and action-log (contract §3.13). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goQuote } from "./go-text.js";
import { fromData } from "./output-value.js";
import { ToolRunError, type ActionState, type HookToolContext } from "./types.js";

/** The running action; every action tool fails at Run outside one (3.x builds them for all hooks). */
export function runningAction(ctx: HookToolContext): ActionState {
  if (ctx.action === undefined) throw new ToolRunError("not running an action");
  return ctx.action;
}

/** jujuc recurseMapOnKeys: walks nested maps; anything missing or not a map on the way is nil. */
function valueAtPath(params: Readonly<Record<string, unknown>>, keys: readonly string[]): unknown {
  let current: unknown = params;
  for (const key of keys) {
    if (current === null || typeof current !== "object" || Array.isArray(current) || !Object.hasOwn(current, key)) return null;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export const actionGet: HookToolSpec = {
  name: "action-get",
  args: "[<key>[.<key>.<key>...]]",
  purpose: "Get action parameters.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    return (positionals) => {
      const [path, ...extra] = positionals;
      checkEmpty(extra);
      const keys = path === undefined ? [] : path.split(".");
      return (io) => {
        const { params } = runningAction(ctx);
        output.write(io, fromData(keys.length === 0 ? params : valueAtPath(params, keys)));
      };
    };
  },
};

/** charm.GetActionNameRule: what each dotted segment of an action-set key must look like. */
const KEY_SEGMENT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Result keys Juju fills in itself from the action's process. */
const RESERVED_KEYS = ["stdout", "stdout-encoding", "stderr", "stderr-encoding"];

export const actionSet: HookToolSpec = {
  name: "action-set",
  args: "<key>=<value> [<key>=<value> ...]",
  purpose: "Set action results.",
  setup(_flags, ctx) {
    return (positionals) => {
      const results = positionals.map((arg) => {
        const equals = arg.indexOf("=");
        if (equals < 0) throw new UsageError(`argument ${goQuote(arg)} must be of the form key...=value`);
        const key = arg.slice(0, equals);
        for (const segment of key.split(".")) {
          if (!KEY_SEGMENT.test(segment)) {
            throw new UsageError(
              `key ${goQuote(segment)} must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods`,
            );
          }
          if (RESERVED_KEYS.includes(segment)) throw new UsageError(`cannot set reserved action key "${segment}"`);
        }
        return { [key]: arg.slice(equals + 1) };
      });
      // One update per argument, in order, as Juju applies them: later ones overwrite earlier ones.
      return () => {
        for (const result of results) runningAction(ctx).setResults(result);
      };
    };
  },
};

export const actionFail: HookToolSpec = {
  name: "action-fail",
  args: '["<failure message>"]',
  purpose: "Set action fail status with message.",
  setup(_flags, ctx) {
    return (positionals) => {
      const [message = "action failed without reason given, check action for errors", ...extra] = positionals;
      checkEmpty(extra);
      return () => runningAction(ctx).fail(message);
    };
  },
};

export const actionLog: HookToolSpec = {
  name: "action-log",
  args: "<message>",
  purpose: "record a progress message for the current action",
  setup(_flags, ctx) {
    return (positionals) => {
      if (positionals.length === 0) throw new UsageError("no message specified");
      const message = positionals.join(" ");
      return () => runningAction(ctx).log(message);
    };
  },
};
