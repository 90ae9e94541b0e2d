/** juju-log (contract §3.12). */
import type { HookToolSpec } from "./command.js";
import { UsageError } from "./flags.js";
import { goQuote } from "./go-text.js";
import { fakeId, hookRelation } from "./relation-views.js";
import type { LogLevel } from "./types.js";

/** loggo.ParseLevel, case-insensitive; UNSPECIFIED parses but is below every logger's level. */
const LEVELS: Readonly<Record<string, LogLevel | "UNSPECIFIED">> = {
  UNSPECIFIED: "UNSPECIFIED",
  TRACE: "TRACE",
  DEBUG: "DEBUG",
  INFO: "INFO",
  WARN: "WARNING",
  WARNING: "WARNING",
  ERROR: "ERROR",
  CRITICAL: "CRITICAL",
};

export const jujuLog: HookToolSpec = {
  name: "juju-log",
  args: "<message>",
  purpose: "write a message to the juju log",
  setup(flags, ctx) {
    const debug = flags.bool(["debug"], "log at debug level");
    const level = flags.string(["l", "log-level"], "INFO", "Send log message at the given level");
    const format = flags.string(["format"], "", "deprecated format flag");
    return (positionals) => {
      if (positionals.length === 0) throw new UsageError("no message specified");
      const message = positionals.join(" ");
      return (io) => {
        if (format.value !== "") io.stderr += '--format flag deprecated for command "juju-log"';
        let chosen: LogLevel | "UNSPECIFIED" = "INFO";
        if (debug.value) chosen = "DEBUG";
        else if (level.value !== "") {
          const parsed = LEVELS[level.value.toUpperCase()];
          if (parsed === undefined) ctx.log("WARNING", `Specified log level of ${goQuote(level.value)} is not valid`);
          chosen = parsed ?? "INFO";
        }
        // loggo drops a message logged at UNSPECIFIED.
        if (chosen === "UNSPECIFIED") return;
        const relation = hookRelation(ctx);
        ctx.log(chosen, `${relation === undefined ? "" : `${fakeId(relation)}: `}${message}`);
      };
    };
  },
};
