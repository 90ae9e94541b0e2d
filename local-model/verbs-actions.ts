import { Option } from "commander";
import { stringify as toYaml } from "yaml";
import { z } from "zod";
import { defineVerb } from "./verb.js";

/** `run` (an action, as `juju run`) and `exec` (a command in a hook context, as `juju exec`): each waits for its run to end. */

/** An action's or exec's record (state.ts's ActionRecord) as the controller returns it. */
const ActionRecord = z.object({
  id: z.string(),
  kind: z.enum(["action", "exec"]),
  unit: z.string(),
  name: z.string(),
  command: z.string().optional(),
  relationId: z.number().optional(),
  remoteUnit: z.string().optional(),
  params: z.record(z.string(), z.unknown()),
  status: z.enum(["pending", "running", "completed", "failed"]),
  message: z.string(),
  results: z.record(z.string(), z.unknown()),
  logs: z.array(z.string()),
  stdout: z.string(),
  stderr: z.string(),
  returnCode: z.number().nullable(),
  enqueued: z.string(),
  started: z.string().nullable(),
  completed: z.string().nullable(),
});
type ActionRecord = z.infer<typeof ActionRecord>;

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

export const run = defineVerb({
  name: "run",
  request: z.object({ unit: z.string(), action: z.string(), args: z.array(z.string()) }),
  result: ActionRecord,
  handle: (host, request) => host.controller.runAction(request.unit, request.action, request.args, host.waitMs),
  command: {
    usage: "run <unit> <action> [params...]",
    description: "run an action on a unit (or <app>/leader) and wait for its result",
    configure: (command) => command.addOption(new Option("--format <format>", "output format").choices(["yaml", "json", "plain"]).default("plain")),
    toRequest: (input) => ({ unit: input.string("unit"), action: input.string("action"), args: input.strings("params") }),
    print: (record, input) => {
      const format = input.string("format");
      if (format === "json") {
        console.log(JSON.stringify({ [record.unit]: actionJson(record) }));
      } else if (format === "yaml") {
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
    },
  },
});

export const exec = defineVerb({
  name: "exec",
  request: z.object({ unit: z.string(), command: z.string(), relation: z.string().optional(), remoteUnit: z.string().optional() }),
  result: ActionRecord,
  handle: (host, request) => host.controller.runExec(request.unit, request.command, request.relation, request.remoteUnit, host.waitMs),
  command: {
    usage: "exec",
    description: "run a shell command on a unit in a hook context, as `juju exec` does",
    configure: (command) =>
      command
        .requiredOption("-u, --unit <unit>", "the unit to run on (or <app>/leader)")
        .option("-r, --relation <id>", "relation context (e.g. db:3)")
        .option("--remote-unit <unit>", "remote unit of the relation context")
        .addOption(new Option("--format <format>", "output format").choices(["plain", "json"]).default("plain"))
        .argument("<command...>", "the command (put it after --)"),
    toRequest: (input) => {
      const relation = input.optionalString("relation");
      const remoteUnit = input.optionalString("remoteUnit");
      return {
        unit: input.string("unit"),
        command: input.strings("command").join(" "),
        ...(relation ? { relation } : {}),
        ...(remoteUnit ? { remoteUnit } : {}),
      };
    },
    print: (record, input) => {
      if (input.string("format") === "json") {
        const results = { "return-code": record.returnCode ?? 0, stdout: record.stdout, stderr: record.stderr };
        console.log(JSON.stringify({ [record.unit]: { id: record.id, results, status: record.status, unit: record.unit } }));
      } else {
        process.stdout.write(record.stdout);
        process.stderr.write(record.stderr);
      }
      process.exitCode = record.returnCode ?? 1;
    },
  },
});
