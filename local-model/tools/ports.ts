/** open-port, close-port and opened-ports (contract §3.16). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, type FlagSet, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goAtoi, goQuote, goStringOrder, goTrimSpace } from "./go-text.js";
import { StringSlice } from "./output-value.js";
import type { HookToolContext, OpenedPort, PortRange } from "./types.js";

/** core/network PortRange.String: `80/tcp`, `8000-8100/udp`, `icmp`. */
function describeRange(range: PortRange): string {
  if (range.protocol === "icmp") return "icmp";
  return range.from === range.to ? `${range.from}/${range.protocol}` : `${range.from}-${range.to}/${range.protocol}`;
}

function parsePort(text: string, shownAs: string): number {
  try {
    return goAtoi(text);
  } catch (error) {
    throw new UsageError(`invalid port ${goQuote(shownAs)}: ${(error as Error).message}`);
  }
}

/**
 * core/network ParsePortRange on the lower-cased argument, with Validate's checks in its order. ICMP has
 * no ports; like Juju, the range carries -1 for both bounds.
 */
export function parsePortRange(arg: string): PortRange {
  const slash = arg.indexOf("/");
  const ports = slash < 0 ? arg : arg.slice(0, slash);
  let protocol = slash < 0 ? "tcp" : arg.slice(slash + 1);
  const bounds = ports.split("-");
  let from: number;
  let to: number;
  if (bounds.length > 2) throw new UsageError(`invalid port range ${goQuote(ports)}`);
  if (bounds.length === 2) {
    from = parsePort(bounds[0] ?? "", bounds[0] ?? "");
    to = parsePort(bounds[1] ?? "", bounds[1] ?? "");
  } else if (ports === "icmp") {
    from = to = -1;
    protocol = "icmp";
  } else {
    from = to = parsePort(ports, ports);
  }

  if (protocol !== "tcp" && protocol !== "udp" && protocol !== "icmp") {
    throw new UsageError(`invalid protocol ${goQuote(protocol)}, expected "tcp", "udp", or "icmp"`);
  }
  if (protocol === "icmp") {
    if (from === -1 && to === -1) return { protocol, from, to };
    throw new UsageError(`protocol "icmp" doesn't support any ports; got "${from}"`);
  }
  if (from > to) throw new UsageError(`invalid port range ${from}-${to}/${protocol}`);
  if (from < 0 || from > 65535 || to < 0 || to > 65535) {
    throw new UsageError(`port range bounds must be between 0 and 65535, got ${from}-${to}`);
  }
  return { protocol, from, to };
}

type PortChange = (ctx: HookToolContext, range: PortRange, endpoints: readonly string[]) => void;

/** open-port and close-port share jujuc's portCommand; they differ in purpose and in the change they make. */
function portCommand(name: "open-port" | "close-port", purpose: string, change: PortChange): HookToolSpec {
  return {
    name,
    args: "<port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp",
    purpose,
    setup(flags: FlagSet, ctx) {
      const format = flags.string(["format"], "", "deprecated format flag");
      const endpoints = flags.string(["endpoints"], "", "a comma-delimited list of application endpoints to target with this operation");
      return (positionals) => {
        const [arg, ...extra] = positionals;
        if (arg === undefined) throw new UsageError("no port or range specified");
        const range = parsePortRange(arg.toLowerCase());
        checkEmpty(extra);
        return (io) => {
          if (format.value !== "") io.stderr += `--format flag deprecated for command "${name}"`;
          // One request per endpoint as Juju makes them; "" (no --endpoints) means every endpoint.
          const targets = endpoints.value === "" ? [""] : endpoints.value.split(",").map(goTrimSpace);
          for (const endpoint of targets) change(ctx, range, endpoint === "" ? [] : [endpoint]);
        };
      };
    },
  };
}

export const openPort = portCommand("open-port", "Register a request to open a port or port range.", (ctx, range, endpoints) => ctx.openPort(range, endpoints));

export const closePort = portCommand("close-port", "Register a request to close a port or port range.", (ctx, range, endpoints) =>
  ctx.closePort(range, endpoints),
);

/** network.SortPortRanges: by protocol, then from, then to. */
function compareRanges(a: PortRange, b: PortRange): number {
  if (a.protocol !== b.protocol) return a.protocol < b.protocol ? -1 : 1;
  return a.from !== b.from ? a.from - b.from : a.to - b.to;
}

/** Each distinct range with the endpoints it is opened for; "" stands for all endpoints, as in Juju. */
function endpointsByRange(opened: readonly OpenedPort[]): Map<string, { range: PortRange; endpoints: Set<string> }> {
  const grouped = new Map<string, { range: PortRange; endpoints: Set<string> }>();
  for (const port of opened) {
    const key = describeRange(port);
    const entry = grouped.get(key) ?? { range: port, endpoints: new Set<string>() };
    for (const endpoint of port.endpoints.length === 0 ? [""] : port.endpoints) entry.endpoints.add(endpoint);
    grouped.set(key, entry);
  }
  return grouped;
}

export const openedPorts: HookToolSpec = {
  name: "opened-ports",
  args: "",
  purpose: "List all ports or port ranges opened by the unit.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    const showEndpoints = flags.bool(["endpoints"], "display the list of target application endpoints for each port range");
    return (positionals) => {
      checkEmpty(positionals);
      return (io) => {
        const entries = [...endpointsByRange(ctx.openedPorts()).values()].sort((a, b) => compareRanges(a.range, b.range));
        const lines = entries.map(({ range, endpoints }) => {
          if (!showEndpoints.value) return describeRange(range);
          const shown = endpoints.has("") ? "*" : [...endpoints].sort(goStringOrder).join(", ");
          return `${describeRange(range)} (${shown})`;
        });
        output.write(io, new StringSlice(lines));
      };
    };
  },
};
