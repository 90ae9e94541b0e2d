/** is-leader, leader-get and leader-set (contract §3.7, §3.8). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, keyArgument, parseKeyValues, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goQuote } from "./go-text.js";
import { wholeOrKey } from "./output-value.js";
import { ToolRunError } from "./types.js";

export const isLeader: HookToolSpec = {
  name: "is-leader",
  args: "",
  purpose: "Print application leadership status.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    return (positionals) => {
      checkEmpty(positionals);
      return (io) => output.write(io, ctx.isLeader());
    };
  },
};

export const leaderGet: HookToolSpec = {
  name: "leader-get",
  args: "[<key>]",
  purpose: "print application leadership settings",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    return (positionals) => {
      const [keyArg, ...extra] = positionals;
      const key = keyArgument(keyArg);
      if (key.includes("=")) throw new UsageError(`invalid key ${goQuote(key)}`);
      checkEmpty(extra);
      return (io) => {
        const settings = ctx.leaderSettings();
        output.write(io, wholeOrKey(settings, key));
      };
    };
  },
};

export const leaderSet: HookToolSpec = {
  name: "leader-set",
  args: "<key>=<value> [...]",
  purpose: "Write application leadership settings.",
  setup(_flags, ctx) {
    return (positionals) => {
      const settings = parseKeyValues(positionals);
      return () => {
        // The context's "not the leader", annotated twice on its way out of Juju (contract §3.8).
        if (!ctx.isLeader()) throw new ToolRunError("cannot write leadership settings: cannot write settings: not the leader");
        if (settings.size > 0) ctx.setLeaderSettings(Object.fromEntries(settings));
      };
    };
  },
};
