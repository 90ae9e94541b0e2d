/** unit-get and network-get (contract §3.14, §3.15). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, relationFlag, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goQuote } from "./go-text.js";
import { goMap, GoStruct, StringSlice, type OutputValue } from "./output-value.js";
import { ToolRunError, type NetworkInfo } from "./types.js";

export const unitGet: HookToolSpec = {
  name: "unit-get",
  args: "<setting>",
  purpose: "Print public-address or private-address.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    return (positionals) => {
      const [setting, ...extra] = positionals;
      if (setting === undefined) throw new UsageError("no setting specified");
      if (setting !== "private-address" && setting !== "public-address") throw new UsageError(`unknown setting ${goQuote(setting)}`);
      checkEmpty(extra);
      return (io) => {
        if (setting === "public-address") {
          const address = ctx.publicAddress();
          if (address === undefined) throw new ToolRunError("public address not found");
          output.write(io, address);
          return;
        }
        // The default binding's first address (its host name when it was resolved from one), else the
        // unit's private address: jujuc's NetworkInfo-then-fallback order.
        const first = ctx.networkInfo("", undefined)?.bindAddresses[0]?.addresses[0];
        output.write(io, first === undefined ? ctx.privateAddress() : first.hostname || first.value);
      };
    };
  },
};

/**
 * The default network-get output (jujuc networkInfoResultDisplay). Empty lists are omitted; YAML also
 * carries the `macaddress`, `interfacename` and `address` copies kept for old agents.
 */
function networkInfoDisplay(info: NetworkInfo, forYaml: boolean): GoStruct {
  const bindAddresses = info.bindAddresses.map((binding) => {
    const addresses = binding.addresses.map(
      (address) =>
        new GoStruct([
          ["hostname", address.hostname],
          ["value", address.value],
          ["cidr", address.cidr],
          ...(forYaml ? ([["address", address.value]] as const) : []),
        ]),
    );
    return new GoStruct([
      ["mac-address", binding.macAddress],
      ["interface-name", binding.interfaceName],
      ["addresses", addresses],
      ...(forYaml
        ? ([
            ["macaddress", binding.macAddress],
            ["interfacename", binding.interfaceName],
          ] as const)
        : []),
    ]);
  });
  const fields: Array<readonly [string, OutputValue]> = [];
  if (bindAddresses.length > 0) fields.push(["bind-addresses", bindAddresses]);
  if (info.egressSubnets.length > 0) fields.push(["egress-subnets", new StringSlice(info.egressSubnets)]);
  if (info.ingressAddresses.length > 0) fields.push(["ingress-addresses", new StringSlice(info.ingressAddresses)]);
  return new GoStruct(fields);
}

export const networkGet: HookToolSpec = {
  name: "network-get",
  args: "<binding-name> [--ingress-address] [--bind-address] [--egress-subnets]",
  purpose: "get network config",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    const primaryAddress = flags.bool(["primary-address"], "(deprecated) get the primary address for the binding");
    const bindAddress = flags.bool(["bind-address"], "get the address for the binding on which the unit should listen");
    const ingressAddress = flags.bool(["ingress-address"], "get the ingress address for the binding");
    const egressSubnets = flags.bool(["egress-subnets"], "get the egress subnets for the binding");
    const relation = relationFlag(flags, ctx, "specify a relation by id");
    return (positionals) => {
      const [binding, ...extra] = positionals;
      if (binding === undefined) throw new UsageError("no arguments specified");
      if (binding === "") throw new UsageError("no binding name specified");
      checkEmpty(extra);
      return (io) => {
        const info = ctx.networkInfo(binding, relation.id === -1 ? undefined : relation.id);
        if (info === undefined || info.bindAddresses.length === 0) throw new ToolRunError(`no network config found for binding ${goQuote(binding)}`);
        const noAddresses = new ToolRunError(`no addresses attached to space for binding ${goQuote(binding)}`);
        const firstAddress = info.bindAddresses[0]?.addresses[0]?.value;

        const wanted = [bindAddress.value, ingressAddress.value, egressSubnets.value].filter(Boolean).length;
        if (!primaryAddress.value && wanted === 0) {
          output.write(io, networkInfoDisplay(info, output.format !== "json"));
          return;
        }
        if (primaryAddress.value) {
          if (wanted > 0) throw new ToolRunError("--primary-address must be the only flag specified");
          if (firstAddress === undefined) throw noAddresses;
          output.write(io, firstAddress);
          return;
        }
        const values: Record<string, OutputValue> = {};
        // A nil slice when there are none: null in JSON, [] in YAML, nothing in smart output.
        if (egressSubnets.value) values["egress-subnets"] = new StringSlice(info.egressSubnets.length > 0 ? info.egressSubnets : null);
        if (ingressAddress.value) {
          const ingress = info.ingressAddresses[0] ?? firstAddress;
          if (ingress === undefined) throw noAddresses;
          values["ingress-address"] = ingress;
        }
        if (bindAddress.value) {
          if (firstAddress === undefined) throw noAddresses;
          values["bind-address"] = firstAddress;
        }
        const only = Object.values(values);
        output.write(io, wanted === 1 && only[0] !== undefined ? only[0] : goMap(values));
      };
    };
  },
};
