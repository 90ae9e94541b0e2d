import { Option } from "commander";
import { z } from "zod";
import { defineVerb } from "./verb.js";
import { resourceArgument } from "./verbs-applications.js";

/** Storage and resource verbs (interfaces §7.2, §9); the mutating ones return once the model has settled. */

export const storage = defineVerb({
  name: "storage",
  request: z.object({}),
  result: z.object({ json: z.record(z.string(), z.unknown()), table: z.string() }),
  handle: (host) => host.model.storage(),
  command: {
    usage: "storage",
    description: "list the model's storage instances",
    configure: (command) => command.addOption(new Option("--format <format>", "output format").choices(["tabular", "json"]).default("tabular")),
    toRequest: () => ({}),
    print: (result, input) => {
      if (input.string("format") === "json") console.log(JSON.stringify(result.json));
      else process.stdout.write(result.table);
    },
  },
});

export const attachStorageVerb = defineVerb({
  name: "attach-storage",
  request: z.object({ unit: z.string(), ids: z.array(z.string()) }),
  result: z.void(),
  handle: async (host, request) => {
    await host.model.attachStorage(request.unit, request.ids);
    await host.settle();
  },
  command: {
    usage: "attach-storage <unit> <ids...>",
    description: "attach detached storage to a unit (its <name>-storage-attached runs)",
    toRequest: (input) => ({ unit: input.string("unit"), ids: input.strings("ids") }),
  },
});

export const detachStorageVerb = defineVerb({
  name: "detach-storage",
  request: z.object({ ids: z.array(z.string()) }),
  result: z.void(),
  handle: async (host, request) => {
    host.model.detachStorage(request.ids);
    await host.settle();
  },
  command: {
    usage: "detach-storage <ids...>",
    description: "detach storage from its unit (its <name>-storage-detaching runs); the storage stays in the model",
    toRequest: (input) => ({ ids: input.strings("ids") }),
    print: (_, input) => {
      for (const id of input.strings("ids")) console.error(`detaching ${id}`);
    },
  },
});

export const addStorageVerb = defineVerb({
  name: "add-storage",
  request: z.object({ unit: z.string(), directives: z.array(z.string()) }),
  /** The new instances' ids. */
  result: z.array(z.string()),
  handle: async (host, request) => {
    const added = await host.model.addStorage(request.unit, request.directives);
    await host.settle();
    return added;
  },
  command: {
    usage: "add-storage <unit> <directives...>",
    description: "add storage instances to a unit: <label>=<count> (or <label>=<pool>,<count>,<size>)",
    toRequest: (input) => ({ unit: input.string("unit"), directives: input.strings("directives") }),
    print: (ids) => {
      for (const id of ids) console.error(`added storage ${id}`);
    },
  },
});

export const attachResource = defineVerb({
  name: "attach-resource",
  request: z.object({ app: z.string(), resources: z.array(z.string()) }),
  result: z.void(),
  handle: async (host, request) => {
    await host.model.attachResources(request.app, request.resources);
    await host.settle();
  },
  command: {
    usage: "attach-resource <application> <resources...>",
    description: "upload files for the application's resources (<name>=<path>); every unit runs upgrade-charm",
    toRequest: (input) => ({ app: input.string("application"), resources: input.strings("resources").map(resourceArgument) }),
  },
});
