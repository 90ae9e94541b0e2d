import { stringify as toYaml } from "yaml";
import { z } from "zod";
import { collect, defineVerb, type VerbInput } from "./verb.js";

/** `config` (an application's) and `model-config`: shown without arguments, set (and reset) with them. */

const configValue = z.union([z.string(), z.number(), z.boolean()]);

/** `juju config <app>`'s view; the keys in the order it prints them. */
const ConfigView = z.object({
  application: z.string(),
  charm: z.string(),
  settings: z.record(
    z.string(),
    z.object({
      default: configValue.optional(),
      description: z.string(),
      source: z.enum(["user", "default"]),
      type: z.string(),
      value: configValue.optional(),
    }),
  ),
});

/** `config <app> <key>` prints one value (the only setting given, without "="). */
function singleKey(input: VerbInput): string | undefined {
  const [first, ...others] = input.strings("settings");
  return first !== undefined && others.length === 0 && !first.includes("=") ? first : undefined;
}

const resetKeys = (input: VerbInput) =>
  input
    .strings("reset")
    .flatMap((keys) => keys.split(","))
    .filter(Boolean);

export const config = defineVerb({
  name: "config",
  request: z.object({ app: z.string(), set: z.array(z.string()), reset: z.array(z.string()) }),
  /** The view when nothing is set or reset. */
  result: ConfigView.optional(),
  handle: async (host, { app, set, reset }) => {
    if (set.length === 0 && reset.length === 0) return host.model.showConfig(app);
    if (reset.length > 0) await host.model.resetConfig(app, reset);
    if (set.length > 0) await host.model.setConfig(app, set);
    await host.settle();
    return undefined;
  },
  command: {
    usage: "config <application> [settings...]",
    description: "show an application's config, or set (key=value) and reset options",
    configure: (command) => command.option("--reset <key>", "reset an option to its default (repeatable, comma-separated)", collect, []),
    toRequest: (input) => ({ app: input.string("application"), set: singleKey(input) ? [] : input.strings("settings"), reset: resetKeys(input) }),
    print: (view, input) => {
      const key = singleKey(input);
      if (key) {
        const setting = view?.settings[key];
        if (!setting) throw new Error(`key "${key}" not found in "${input.string("application")}" application config or charm settings.`);
        console.log(setting.value ?? "");
      } else if (input.strings("settings").length === 0 && resetKeys(input).length === 0) {
        process.stdout.write(toYaml(view));
      }
    },
  },
});

export const modelConfig = defineVerb({
  name: "model-config",
  request: z.object({ set: z.array(z.string()) }),
  /** The model config when nothing is set, in its order. */
  result: z.record(z.string(), z.unknown()).optional(),
  handle: async (host, { set }) => {
    if (set.length === 0) return { ...host.model.state.modelConfig };
    host.model.configureModel(set);
    await host.settle();
    return undefined;
  },
  command: {
    usage: "model-config [settings...]",
    toRequest: (input) => ({ set: input.strings("settings") }),
    print: (shown, input) => {
      if (input.strings("settings").length > 0) return;
      for (const [key, value] of Object.entries(shown ?? {})) console.log(`${key.padEnd(32)} ${String(value)}`);
    },
  },
});
