import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { Command, Option } from "commander";
import { stringify as toYaml } from "yaml";
import { ModelClient } from "./client.js";
import type { DebugLogEntry } from "./controller.js";
import type { ActionRecord } from "./state.js";

/**
 * local-model: Juju's verbs for a model that runs on this machine (see local-model/README.md). State lives
 * in the model directory (-m, default ./.local-model); a controller process started on first use runs the
 * unit agents and the units' services until `destroy`.
 */
const program = new Command()
  .name("local-model")
  .description("Run Juju charms on this machine without a controller: Juju's verbs, real hooks, real services")
  .option("-m, --model <dir>", "model directory", process.env.LOCAL_MODEL_DIR ?? ".local-model")
  .option("--seed <n>", "seed for leader choice and hook interleaving, when the model is created", (v) => Number.parseInt(v, 10))
  .option("--subnet <a.b.c>", "the 127.x.y.0/24 the model's machines get addresses from, when the model is created", "127.0.0")
  .option("--timeout <seconds>", "how long mutating verbs wait for the model to become idle", (v) => Number(v) * 1000)
  .showHelpAfterError();

interface GlobalOptions {
  model: string;
  seed?: number;
  subnet: string;
  timeout?: number;
}

async function client(): Promise<{ client: ModelClient; timeout: number | undefined }> {
  const options = program.opts<GlobalOptions>();
  const modelClient = new ModelClient(path.resolve(options.model));
  await modelClient.ensureController({ seed: options.seed, subnet: options.subnet });
  return { client: modelClient, timeout: options.timeout };
}

type Verb = Parameters<ModelClient["send"]>[0];
async function send(request: Verb): Promise<unknown> {
  const { client: c, timeout } = await client();
  return c.send(request, timeout);
}

const collect = (value: string, previous: string[]) => [...previous, value];

program
  .command("deploy <charm> [application]")
  .description("deploy a charm directory or .charm file")
  .option("-n, --num-units <n>", "number of units", (v) => Number.parseInt(v, 10), 1)
  .option("--config <key=value>", "config value (repeatable)", collect, [])
  .action(async (charm: string, application: string | undefined, opts: { numUnits: number; config: string[] }) => {
    const name = await send({
      verb: "deploy",
      source: path.resolve(charm),
      ...(application ? { app: application } : {}),
      count: opts.numUnits,
      config: opts.config,
    });
    console.error(`Deployed "${String(name)}" from local charm ${charm}`);
  });

program
  .command("refresh <application>")
  .description("upgrade an application to a new revision of its charm")
  .requiredOption("--path <charm>", "charm directory or .charm file")
  .action(async (application: string, opts: { path: string }) => {
    const revision = await send({ verb: "refresh", app: application, source: path.resolve(opts.path) });
    console.error(`Added local charm "${application}", revision ${String(revision)}, to the model`);
  });

program
  .command("add-unit <application>")
  .option("-n, --num-units <n>", "number of units", (v) => Number.parseInt(v, 10), 1)
  .action(async (application: string, opts: { numUnits: number }) => {
    await send({ verb: "add-unit", app: application, count: opts.numUnits });
  });

program.command("remove-unit <units...>").action(async (units: string[]) => {
  await send({ verb: "remove-unit", units });
  for (const unit of units) console.error(`removing unit ${unit}`);
});

program.command("remove-application <application>").action(async (application: string) => {
  await send({ verb: "remove-application", app: application });
  console.error(`removing application ${application}`);
});

program
  .command("integrate <a> <b>")
  .alias("relate")
  .action(async (a: string, b: string) => {
    await send({ verb: "integrate", a, b });
  });

program.command("remove-relation <a> <b>").action(async (a: string, b: string) => {
  await send({ verb: "remove-relation", a, b });
});

program
  .command("config <application> [settings...]")
  .description("show an application's config, or set (key=value) and reset options")
  .option("--reset <key>", "reset an option to its default (repeatable, comma-separated)", collect, [])
  .action(async (application: string, settings: string[], opts: { reset: string[] }) => {
    const reset = opts.reset.flatMap((keys) => keys.split(",")).filter(Boolean);
    const getOne = settings.length === 1 && !settings[0]!.includes("=") ? settings[0] : undefined;
    const result = await send({ verb: "config", app: application, set: getOne ? [] : settings, reset });
    if (getOne) {
      const setting = (result as { settings: Record<string, { value?: unknown }> }).settings[getOne];
      if (!setting) throw new Error(`key "${getOne}" not found in "${application}" application config or charm settings.`);
      console.log(setting.value ?? "");
    } else if (settings.length === 0 && reset.length === 0) {
      process.stdout.write(toYaml(result));
    }
  });

program.command("model-config [settings...]").action(async (settings: string[]) => {
  const result = await send({ verb: "model-config", set: settings });
  if (settings.length === 0) {
    for (const [key, value] of Object.entries(result as Record<string, unknown>)) console.log(`${key.padEnd(32)} ${String(value)}`);
  }
});

/** `juju run --format=json`'s per-unit shape. */
function actionJson(record: ActionRecord): Record<string, unknown> {
  const results: Record<string, unknown> = { ...record.results, "return-code": record.returnCode ?? 0 };
  if (record.stdout) results.stdout = record.stdout;
  if (record.stderr) results.stderr = record.stderr;
  return {
    id: record.id,
    ...(record.message ? { message: record.message } : {}),
    results,
    status: record.status,
    timing: { enqueued: record.enqueued, started: record.started, completed: record.completed },
    unit: record.unit,
    ...(record.logs.length > 0 ? { log: record.logs } : {}),
  };
}

program
  .command("run <unit> <action> [params...]")
  .description("run an action on a unit and wait for its result")
  .addOption(new Option("--format <format>", "output format").choices(["yaml", "json", "plain"]).default("plain"))
  .action(async (unit: string, action: string, params: string[], opts: { format: string }) => {
    const record = (await send({ verb: "run", unit, action, args: params })) as ActionRecord;
    if (opts.format === "json") {
      console.log(JSON.stringify({ [record.unit]: actionJson(record) }));
    } else if (opts.format === "yaml") {
      process.stdout.write(toYaml({ [record.unit]: actionJson(record) }));
    } else {
      console.error(`Running operation ${record.id} with 1 task\n  - task ${record.id} on unit-${record.unit.replace("/", "-")}\n`);
      for (const line of record.logs) console.error(line);
      if (Object.keys(record.results).length > 0) process.stdout.write(toYaml(record.results));
      if (record.stdout) process.stdout.write(record.stdout);
    }
    if (record.status === "failed") {
      console.error(`ERROR the task failed: ${record.message}`);
      process.exitCode = 1;
    }
  });

program
  .command("exec")
  .description("run a shell command on a unit in a hook context, as `juju exec` does")
  .requiredOption("-u, --unit <unit>", "the unit to run on")
  .option("-r, --relation <id>", "relation context (e.g. db:3)")
  .option("--remote-unit <unit>", "remote unit of the relation context")
  .addOption(new Option("--format <format>", "output format").choices(["plain", "json"]).default("plain"))
  .argument("<command...>", "the command (put it after --)")
  .action(async (command: string[], opts: { unit: string; relation?: string; remoteUnit?: string; format: string }) => {
    const record = (await send({
      verb: "exec",
      unit: opts.unit,
      command: command.join(" "),
      ...(opts.relation ? { relation: opts.relation } : {}),
      ...(opts.remoteUnit ? { remoteUnit: opts.remoteUnit } : {}),
    })) as ActionRecord;
    if (opts.format === "json") {
      console.log(
        JSON.stringify({
          [record.unit]: {
            id: record.id,
            results: { "return-code": record.returnCode ?? 0, stdout: record.stdout, stderr: record.stderr },
            status: record.status,
            unit: record.unit,
          },
        }),
      );
    } else {
      process.stdout.write(record.stdout);
      process.stderr.write(record.stderr);
    }
    process.exitCode = record.returnCode ?? 1;
  });

program
  .command("status")
  .addOption(new Option("--format <format>", "output format").choices(["tabular", "json", "yaml"]).default("tabular"))
  .action(async (opts: { format: string }) => {
    const result = (await send({ verb: "status" })) as { json: unknown; table: string };
    if (opts.format === "json") console.log(JSON.stringify(result.json));
    else if (opts.format === "yaml") process.stdout.write(toYaml(result.json));
    else process.stdout.write(result.table);
  });

program
  .command("resolved <unit>")
  .option("--no-retry", "mark the failed hook done without running it again")
  .action(async (unit: string, opts: { retry: boolean }) => {
    await send({ verb: "resolved", unit, retry: opts.retry });
  });

program
  .command("elect <unit>")
  .description("fault injection, not a Juju verb: move the application's leadership to <unit> (leader-elected there, leader-settings-changed elsewhere)")
  .action(async (unit: string) => {
    await send({ verb: "elect", unit });
  });

program
  .command("wait")
  .description("wait until no hook can run")
  .action(async () => {
    await send({ verb: "wait" });
  });

program
  .command("debug-log")
  .description("every hook and action run: unit, hook, exit code, duration, output and juju-log lines")
  .option("--include <unit>", "only this unit (repeatable)", collect, [])
  .option("-n, --lines <n>", "only the last n runs", (v) => Number.parseInt(v, 10))
  .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
  .action(async (opts: { include: string[]; lines?: number; format: string }) => {
    const file = path.join(path.resolve(program.opts<GlobalOptions>().model), "debug-log.jsonl");
    const text = await readFile(file, "utf8").catch(() => "");
    let entries = text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as DebugLogEntry);
    if (opts.include.length > 0) entries = entries.filter((entry) => opts.include.includes(entry.unit));
    if (opts.lines !== undefined) entries = entries.slice(-opts.lines);
    for (const entry of entries) {
      if (opts.format === "json") {
        console.log(JSON.stringify(entry));
        continue;
      }
      const what = entry.kind === "action" ? `action ${entry.name}` : entry.name;
      const outcome = entry.found
        ? `exit ${entry.exitCode}${entry.signal ? ` (${entry.signal})` : ""}${entry.injected ? ` [injected ${entry.injected}]` : ""}`
        : "skipped (missing)";
      console.log(`${entry.time} unit-${entry.unit.replace("/", "-")}: ${what} ${outcome} in ${entry.durationMs}ms`);
      for (const log of entry.logs) console.log(`  ${log.level} juju-log: ${log.message}`);
      for (const line of entry.stdout.split("\n").filter(Boolean)) console.log(`  DEBUG stdout: ${line}`);
      for (const line of entry.stderr.split("\n").filter(Boolean)) console.log(`  WARNING stderr: ${line}`);
    }
  });

program
  .command("destroy")
  .description("stop every process the model started and remove its state")
  .action(async () => {
    const modelDir = path.resolve(program.opts<GlobalOptions>().model);
    const modelClient = new ModelClient(modelDir);
    if (await modelClient.isRunning()) {
      await modelClient.send({ verb: "destroy" });
      for (let i = 0; i < 200 && (await modelClient.isRunning()); i++) await new Promise((r) => setTimeout(r, 50));
    }
    // Loaded only where needed: every other verb starts faster without the controller's code.
    const { ServiceManager } = await import("./systemd/service-manager.js");
    await ServiceManager.killRecorded(path.join(modelDir, "services"));
    await rm(modelDir, { recursive: true, force: true });
    console.error(`destroyed model ${modelDir}`);
  });

// The controller process itself, started in the background by the first verb (see client.ts).
program.command("__controller <dir>", { hidden: true }).action(async (dir: string) => {
  const { seed = 0, subnet } = program.opts<GlobalOptions>();
  const { runDaemon } = await import("./daemon.js");
  await runDaemon({ modelDir: path.resolve(dir), seed, subnet });
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`ERROR ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
