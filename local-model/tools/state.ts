/** state-get, state-set and state-delete: the unit's server-side charm state (contract §3.18). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, keyArgument, parseKeyValues } from "./flags.js";
import { outputFlags } from "./format.js";
import { goQuote } from "./go-text.js";
import { GoMap } from "./output-value.js";
import { fileFlag, settingsWithFile } from "./settings-file.js";
import { ToolRunError } from "./types.js";

/** core/quota limits on charm state entries, in bytes. */
const MAX_KEY_BYTES = 256;
const MAX_VALUE_BYTES = 64 * 1024;

export const stateGet: HookToolSpec = {
  name: "state-get",
  args: "[<key>]",
  purpose: "print server-side-state value",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    const strict = flags.bool(["strict"], "Return an error if the requested key does not exist");
    return (positionals) => {
      const [keyArg, ...extra] = positionals;
      const key = keyArgument(keyArg);
      checkEmpty(extra);
      return (io) => {
        const state = ctx.charmState();
        const entries = Object.entries(state);
        if (key === "") {
          // The context hands back a nil map when the state is empty: null in JSON, {} otherwise.
          output.write(io, new GoMap(entries.length === 0 ? null : new Map(entries)));
          return;
        }
        if (!Object.hasOwn(state, key) && strict.value) throw new ToolRunError(`${goQuote(key)} not found`);
        output.write(io, state[key] ?? "");
      };
    };
  },
};

export const stateSet: HookToolSpec = {
  name: "state-set",
  args: "key=value [key=value ...]",
  purpose: "set server-side-state values",
  setup(flags, ctx) {
    const file = fileFlag(flags);
    return (positionals) => {
      const overrides = parseKeyValues(positionals);
      return (io) => {
        const values = settingsWithFile(io, file, overrides);
        // Checked for every entry before any is set; Juju sets them in map order, stopping at the first bad one.
        for (const [key, value] of values) {
          if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new ToolRunError(`max allowed key length (${MAX_KEY_BYTES}) exceeded`);
          if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new ToolRunError(`max allowed value length (${MAX_VALUE_BYTES}) exceeded`);
        }
        if (values.size > 0) ctx.setCharmState(Object.fromEntries(values));
      };
    };
  },
};

export const stateDelete: HookToolSpec = {
  name: "state-delete",
  args: "<key>",
  purpose: "delete server-side-state key value pair",
  setup(_flags, ctx) {
    return (positionals) => {
      const [key = "", ...extra] = positionals;
      checkEmpty(extra);
      // No key is a no-op, as is deleting a key that is not there.
      return () => {
        if (key !== "") ctx.deleteCharmState(key);
      };
    };
  },
};
