/** status-set, status-get and application-version-set (contract §3.9–§3.11). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goQuote } from "./go-text.js";
import { fromData, goMap, type OutputValue } from "./output-value.js";
import { ToolRunError, type StatusValue } from "./types.js";

/** The statuses a charm may set; error, unknown and terminated are Juju's own. */
const SETTABLE_STATUSES = ["maintenance", "blocked", "waiting", "active"];

/** core/status ErrIsNotLeader. */
const NOT_LEADER = "this unit is not the leader";

export const statusSet: HookToolSpec = {
  name: "status-set",
  args: "<maintenance | blocked | waiting | active> [message]",
  purpose: "set status information",
  setup(flags, ctx) {
    const application = flags.bool(["application"], "set this status for the application to which the unit belongs if the unit is the leader");
    return (positionals) => {
      const [status, message = "", ...extra] = positionals;
      if (status === undefined) throw new UsageError("invalid args, require <status> [message]");
      if (!SETTABLE_STATUSES.includes(status)) {
        throw new UsageError(`invalid status ${goQuote(status)}, expected one of [${SETTABLE_STATUSES.join(" ")}]`);
      }
      checkEmpty(extra);
      return () => {
        const value: StatusValue = { status, message, data: {} };
        if (!application.value) {
          ctx.setUnitStatus(value);
          return;
        }
        if (!ctx.isLeader()) throw new ToolRunError(NOT_LEADER);
        ctx.setApplicationStatus(value);
      };
    };
  },
};

/** jujuc toDetails: the status, plus its message and data with --include-data. */
function statusDetails(value: StatusValue, includeData: boolean): Record<string, OutputValue> {
  if (!includeData) return { status: value.status };
  return { status: value.status, message: value.message, "status-data": fromData(value.data) };
}

export const statusGet: HookToolSpec = {
  name: "status-get",
  args: "[--include-data] [--application]",
  purpose: "Print status information.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    const includeData = flags.bool(["include-data"], "print all status data");
    const application = flags.bool(["application"], "print status for all units of this application if this unit is the leader");
    return (positionals) => {
      checkEmpty(positionals);
      return (io) => {
        const smartWord = !includeData.value && output.format === "smart";
        if (!application.value) {
          const unit = ctx.unitStatus();
          output.write(io, smartWord ? unit.status : goMap(statusDetails(unit, includeData.value)));
          return;
        }
        if (!ctx.isLeader()) throw new ToolRunError(`finding application status: ${NOT_LEADER}`);
        const { application: appStatus, units } = ctx.applicationStatus();
        if (smartWord) {
          output.write(io, appStatus.status);
          return;
        }
        const unitDetails = Object.fromEntries(Object.entries(units).map(([name, value]) => [name, goMap(statusDetails(value, includeData.value))]));
        const details = goMap({ ...statusDetails(appStatus, includeData.value), units: goMap(unitDetails) });
        output.write(io, goMap({ "application-status": details }));
      };
    };
  },
};

export const applicationVersionSet: HookToolSpec = {
  name: "application-version-set",
  args: "<new-version>",
  purpose: "specify which version of the application is deployed",
  setup(_flags, ctx) {
    return (positionals) => {
      const [version, ...extra] = positionals;
      if (version === undefined) throw new UsageError("no version specified");
      checkEmpty(extra);
      return () => ctx.setWorkloadVersion(version);
    };
  },
};
