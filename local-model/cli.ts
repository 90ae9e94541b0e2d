import path from "node:path";
import { Command, Option } from "commander";
import { SCHEDULINGS } from "./state.js";
import { ModelClient } from "./client.js";
import { type CliConnection, type GlobalOptions, VerbInput } from "./verb.js";
import { verbs } from "./verbs.js";

/**
 * local-model: Juju's verbs for a model that runs on this machine (see local-model/README.md). State lives
 * in the model directory (-m, default ./.local-model); a controller process started on first use runs the
 * unit agents and the units' services until `destroy`. The commands come from the verb table (verbs.ts).
 */
const program = new Command()
  .name("local-model")
  .description("Run Juju charms on this machine without a controller: Juju's verbs, real hooks, real services")
  .option("-m, --model <dir>", "model directory", process.env.LOCAL_MODEL_DIR ?? ".local-model")
  .option("--seed <n>", "seed for leader choice and hook interleaving, when the model is created", (v) => Number.parseInt(v, 10))
  .option("--subnet <a.b.c>", "the 127.x.y.0/24 the model's machines get addresses from, when the model is created", "127.0.0")
  .addOption(
    new Option("--scheduling <how>", "when the model is created: independent unit agents as in Juju, or seeded rounds that replay by --seed")
      .choices(SCHEDULINGS)
      .default("agents"),
  )
  .option("--timeout <seconds>", "how long mutating verbs wait for the model to become idle", (v) => Number(v) * 1000)
  .showHelpAfterError();

/** The model's controller as the verbs reach it, once the global options are parsed. */
function connection(): CliConnection {
  const globals = program.opts<GlobalOptions>();
  const modelDir = path.resolve(globals.model);
  const client = new ModelClient(modelDir);
  return {
    globals,
    modelDir,
    isRunning: () => client.isRunning(),
    ensureController: () => client.ensureController({ seed: globals.seed, subnet: globals.subnet, scheduling: globals.scheduling }),
    send: (request, timeoutMs) => client.send(request, timeoutMs),
  };
}

for (const { command: spec } of verbs) {
  if (!spec) continue;
  const command = spec.hidden ? program.command(spec.usage, { hidden: true }) : program.command(spec.usage);
  if (spec.description) command.description(spec.description);
  if (spec.alias) command.alias(spec.alias);
  spec.configure?.(command);
  command.action(() => spec.run(VerbInput.of(command), connection()));
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`ERROR ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
