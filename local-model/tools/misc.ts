/** juju-reboot, goal-state, credential-get and resource-get (contract §3.17, §3.20; interfaces §9). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goMap, GoStruct } from "./output-value.js";
import { ToolRunError } from "./types.js";

export const jujuReboot: HookToolSpec = {
  name: "juju-reboot",
  args: "",
  purpose: "Reboot the host machine.",
  setup(flags, ctx) {
    const now = flags.bool(["now"], "reboot immediately, killing the invoking process");
    return (positionals) => {
      checkEmpty(positionals);
      return () => {
        if (ctx.action !== undefined) throw new ToolRunError("juju-reboot is not supported when running an action.");
        ctx.requestReboot(now.value);
      };
    };
  },
};

/** cmd/juju/common FormatTime(t, true): UTC, "2006-01-02 15:04:05Z". Text that is no time is shown as is. */
function formatSince(since: string): string {
  const time = new Date(since);
  if (since === "" || Number.isNaN(time.getTime())) return since;
  return `${time.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

function goalStatus(entries: Readonly<Record<string, { status: string; since: string }>>) {
  return goMap(
    Object.fromEntries(
      Object.entries(entries).map(([name, { status, since }]) => {
        // `since` is omitempty.
        const shownSince = formatSince(since);
        return [
          name,
          new GoStruct(
            shownSince === ""
              ? [["status", status]]
              : [
                  ["status", status],
                  ["since", shownSince],
                ],
          ),
        ];
      }),
    ),
  );
}

export const goalState: HookToolSpec = {
  name: "goal-state",
  args: "",
  purpose: "print the status of the charm's peers and related units",
  setup(flags, ctx) {
    // goal-state offers only yaml (its default) and json.
    const output = outputFlags(flags, "yaml", ["yaml", "json"]);
    return (positionals) => {
      checkEmpty(positionals);
      return (io) => {
        const { units, relations } = ctx.goalState();
        const relationGoals = Object.fromEntries(Object.entries(relations).map(([endpoint, members]) => [endpoint, goalStatus(members)]));
        output.write(
          io,
          new GoStruct([
            ["units", goalStatus(units)],
            ["relations", goMap(relationGoals)],
          ]),
        );
      };
    };
  },
};

export const credentialGet: HookToolSpec = {
  name: "credential-get",
  args: "",
  purpose: "access cloud credentials",
  setup(flags) {
    outputFlags(flags, "smart");
    return (positionals) => {
      checkEmpty(positionals);
      // The local model deploys nothing with --trust, so the controller refuses, as it does for untrusted apps.
      return () => {
        throw new ToolRunError("cannot access cloud credentials: permission denied");
      };
    };
  },
};

export const resourceGet: HookToolSpec = {
  name: "resource-get",
  args: "<resource name>",
  purpose: "Get the path to the locally cached resource file.",
  setup(_flags, ctx) {
    return (positionals) => {
      const [name, ...extra] = positionals;
      if (name === undefined) throw new UsageError("missing required resource name");
      checkEmpty(extra);
      return (io) => {
        io.stdout += `${ctx.resourcePath(name)}\n`;
      };
    };
  },
};
