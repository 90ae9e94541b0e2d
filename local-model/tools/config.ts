/** config-get (contract §3.6). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goQuote } from "./go-text.js";
import { GoMap, valueAt, type OutputValue } from "./output-value.js";

export const configGet: HookToolSpec = {
  name: "config-get",
  args: "[<key>]",
  purpose: "Print application configuration.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    const all = flags.bool(["a", "all"], "print all keys");
    return (positionals) => {
      const [key = "", ...extra] = positionals;
      if (key !== "" && all.value) throw new UsageError(`cannot use argument --all together with key ${goQuote(key)}`);
      checkEmpty(extra);
      return (io) => {
        const values = ctx.config();
        if (key !== "") {
          output.write(io, valueAt(values, key));
          return;
        }
        // Juju's settings hold every option, nil when unset without default; only --all keeps those.
        const settings = new Map<string, OutputValue>(Object.entries(values));
        if (all.value) {
          for (const option of Object.keys(ctx.configSpec())) if (!settings.has(option)) settings.set(option, null);
        }
        output.write(io, new GoMap(settings));
      };
    };
  },
};
