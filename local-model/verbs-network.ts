import { z } from "zod";
import type { CutPair } from "./network/partitions.js";
import { defineVerb } from "./verb.js";

/**
 * Fault injection on the model's network, not Juju verbs: partitions between machines and their healing
 * (network/partitions.ts). The host reaches every machine throughout.
 */

const Pairs = z.array(z.tuple([z.string(), z.string()]));
const printPairs = (verb: string) => (pairs: ReadonlyArray<CutPair>) => {
  for (const [a, b] of pairs) console.log(`${verb} ${a} <-> ${b}`);
};
/** `--from a/0,b/1 --from c/2`: every unit named, in order. */
const collectUnits = (value: string, previous: string[]) => [...previous, ...value.split(",").filter((name) => name !== "")];

export const partition = defineVerb({
  name: "partition",
  request: z.object({ units: z.array(z.string()).min(1), from: z.array(z.string()) }),
  result: Pairs,
  handle: async (host, request) => {
    const added = await host.model.partition(request.units, request.from);
    await host.controller.persist();
    return added.map(([a, b]) => [a, b] as [string, string]);
  },
  command: {
    usage: "partition <units...>",
    description:
      "fault injection, not a Juju verb: the units' machines stop reaching the other units' machines (or only those --from names), both ways; " +
      "the named units still reach each other, and the host reaches every machine",
    configure: (command) => command.option("--from <units>", "cut off only from these units (comma-separated, repeatable)", collectUnits, []),
    toRequest: (input) => ({ units: input.strings("units"), from: input.strings("from") }),
    print: printPairs("cut"),
  },
});

export const heal = defineVerb({
  name: "heal",
  request: z.object({ units: z.array(z.string()) }),
  result: Pairs,
  handle: async (host, request) => {
    const mended = await host.model.heal(request.units);
    await host.controller.persist();
    return mended.map(([a, b]) => [a, b] as [string, string]);
  },
  command: {
    usage: "heal [units...]",
    description: "fault injection, not a Juju verb: mend the partitions of the named units (every partition when none is named)",
    toRequest: (input) => ({ units: input.strings("units") }),
    print: printPairs("healed"),
  },
});
