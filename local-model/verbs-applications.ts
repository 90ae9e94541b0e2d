import path from "node:path";
import { z } from "zod";
import { ModelError } from "./model-error.js";
import { collect, defineVerb, parseInteger } from "./verb.js";

/** `name=path` with the path made absolute (the controller runs elsewhere). */
export function resourceArgument(arg: string): string {
  const equals = arg.indexOf("=");
  return equals <= 0 || equals === arg.length - 1 ? arg : `${arg.slice(0, equals)}=${path.resolve(arg.slice(equals + 1))}`;
}

/** Verbs that add and remove applications, units and relations; each returns once the model has settled. */

export const deploy = defineVerb({
  name: "deploy",
  request: z.object({
    source: z.string(),
    app: z.string().optional(),
    count: z.number().int(),
    config: z.array(z.string()),
    base: z.string().optional(),
    storage: z.array(z.string()).optional(),
    resources: z.array(z.string()).optional(),
  }),
  /** The application's name. */
  result: z.string(),
  handle: async (host, request) => {
    const app = await host.model.deploy(request.source, request.app, request.count, request.config, request.base, {
      storage: request.storage ?? [],
      resources: request.resources ?? [],
    });
    await host.settle();
    return app.name;
  },
  command: {
    usage: "deploy <charm> [application]",
    description: "deploy a charm directory or .charm file",
    configure: (command) =>
      command
        .option("-n, --num-units <n>", "number of units", parseInteger, 1)
        .option("--config <key=value>", "config value (repeatable)", collect, [])
        .option("--base <base>", "the machines' base, e.g. ubuntu@24.04 (one the charm's manifest lists; its first by default)")
        .option("--storage <label=directive>", "storage directive <label>=<pool>,<count>,<size> (repeatable)", collect, [])
        .option("--resource <name=path>", "a file for one of the charm's resources (repeatable)", collect, []),
    toRequest: (input) => {
      const app = input.optionalString("application");
      const base = input.optionalString("base");
      return {
        source: path.resolve(input.string("charm")),
        ...(app ? { app } : {}),
        count: input.number("numUnits"),
        config: input.strings("config"),
        ...(base ? { base } : {}),
        storage: input.strings("storage"),
        // Paths are the operator's, relative to where the CLI runs.
        resources: input.strings("resource").map((arg) => resourceArgument(arg)),
      };
    },
    print: (name, input) => console.error(`Deployed "${name}" from local charm ${input.string("charm")}`),
  },
});

export const refresh = defineVerb({
  name: "refresh",
  request: z.object({ app: z.string(), source: z.string() }),
  /** The new charm revision. */
  result: z.number(),
  handle: async (host, request) => {
    const revision = await host.model.refresh(request.app, request.source);
    await host.settle();
    return revision;
  },
  command: {
    usage: "refresh <application>",
    description: "upgrade an application to a new revision of its charm",
    configure: (command) => command.requiredOption("--path <charm>", "charm directory or .charm file"),
    toRequest: (input) => ({ app: input.string("application"), source: path.resolve(input.string("path")) }),
    print: (revision, input) => console.error(`Added local charm "${input.string("application")}", revision ${revision}, to the model`),
  },
});

export const addUnit = defineVerb({
  name: "add-unit",
  request: z.object({ app: z.string(), count: z.number().int(), attachStorage: z.array(z.string()).optional() }),
  /** The new units' names. */
  result: z.array(z.string()),
  handle: async (host, request) => {
    const added = await host.model.addUnits(request.app, request.count, request.attachStorage ?? []);
    await host.settle();
    return added;
  },
  command: {
    usage: "add-unit <application>",
    configure: (command) =>
      command
        .option("-n, --num-units <n>", "number of units", parseInteger, 1)
        .option("--attach-storage <id>", "attach this detached storage to the new unit (repeatable)", collect, []),
    toRequest: (input) => ({ app: input.string("application"), count: input.number("numUnits"), attachStorage: input.strings("attachStorage") }),
  },
});

export const removeUnit = defineVerb({
  name: "remove-unit",
  request: z.object({
    units: z.array(z.string()),
    force: z.boolean().optional(),
    noWait: z.boolean().optional(),
    destroyStorage: z.boolean().optional(),
  }),
  result: z.void(),
  handle: async (host, request) => {
    // Juju's own check and message (cmd/juju/application/removeunit.go).
    if (request.noWait && !request.force) throw new ModelError("--no-wait without --force not valid");
    host.model.removeUnits(request.units, request.force === true, request.destroyStorage === true);
    if (request.noWait) await host.controller.removeUnitsNow(request.units);
    await host.settle();
  },
  command: {
    usage: "remove-unit <units...>",
    configure: (command) =>
      command
        .option("--force", "remove the units even if their teardown hooks fail (the rest are skipped)", false)
        .option("--no-wait", "with --force: remove the units at once, killing a running hook and skipping the rest")
        .option("--destroy-storage", "destroy the units' storage instead of detaching it", false),
    toRequest: (input) => ({
      units: input.strings("units"),
      ...(input.boolean("force") ? { force: true } : {}),
      ...(input.boolean("wait") ? {} : { noWait: true }),
      ...(input.boolean("destroyStorage") ? { destroyStorage: true } : {}),
    }),
    print: (_, input) => {
      for (const unit of input.strings("units")) console.error(`removing unit ${unit}`);
    },
  },
});

export const removeApplication = defineVerb({
  name: "remove-application",
  request: z.object({ app: z.string() }),
  result: z.void(),
  handle: async (host, request) => {
    host.model.removeApplication(request.app);
    await host.settle();
  },
  command: {
    usage: "remove-application <application>",
    toRequest: (input) => ({ app: input.string("application") }),
    print: (_, input) => console.error(`removing application ${input.string("application")}`),
  },
});

const relationRequest = z.object({ a: z.string(), b: z.string() });

export const integrate = defineVerb({
  name: "integrate",
  request: relationRequest,
  /** The relation's id. */
  result: z.number(),
  handle: async (host, request) => {
    const relation = await host.model.integrate(request.a, request.b);
    await host.settle();
    return relation.id;
  },
  command: {
    usage: "integrate <a> <b>",
    alias: "relate",
    toRequest: (input) => ({ a: input.string("a"), b: input.string("b") }),
  },
});

export const removeRelation = defineVerb({
  name: "remove-relation",
  request: relationRequest,
  /** The relation's id. */
  result: z.number(),
  handle: async (host, request) => {
    const relation = await host.model.removeRelation(request.a, request.b);
    await host.settle();
    return relation.id;
  },
  command: {
    usage: "remove-relation <a> <b>",
    toRequest: (input) => ({ a: input.string("a"), b: input.string("b") }),
  },
});
