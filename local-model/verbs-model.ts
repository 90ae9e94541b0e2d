import { rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Option } from "commander";
import { stringify as toYaml } from "yaml";
import { z } from "zod";
import { debugLogText, readDebugLog } from "./debug-log.js";
import { collect, defineLocalVerb, defineVerb, parseInteger } from "./verb.js";

/** Verbs about the model as a whole: its status, its units' agents, its log, its controller and its end. */

/** Whether the controller answers (the client's liveness check); not a command. */
export const ping = defineVerb({
  name: "ping",
  request: z.object({}),
  result: z.object({ pid: z.number() }),
  handle: () => ({ pid: process.pid }),
});

export const status = defineVerb({
  name: "status",
  request: z.object({}),
  result: z.object({ json: z.record(z.string(), z.unknown()), table: z.string() }),
  handle: (host) => host.model.status(),
  command: {
    usage: "status",
    configure: (command) => command.addOption(new Option("--format <format>", "output format").choices(["tabular", "json", "yaml"]).default("tabular")),
    toRequest: () => ({}),
    print: (result, input) => {
      const format = input.string("format");
      if (format === "json") console.log(JSON.stringify(result.json));
      else if (format === "yaml") process.stdout.write(toYaml(result.json));
      else process.stdout.write(result.table);
    },
  },
});

export const resolved = defineVerb({
  name: "resolved",
  request: z.object({ unit: z.string(), retry: z.boolean() }),
  result: z.void(),
  handle: async (host, request) => {
    host.model.resolved(request.unit, request.retry);
    await host.settle();
  },
  command: {
    usage: "resolved <unit>",
    configure: (command) => command.option("--no-retry", "mark the failed hook done without running it again"),
    toRequest: (input) => ({ unit: input.string("unit"), retry: input.boolean("retry") }),
  },
});

export const elect = defineVerb({
  name: "elect",
  request: z.object({ unit: z.string() }),
  result: z.void(),
  handle: async (host, request) => {
    host.model.elect(request.unit);
    await host.settle();
  },
  command: {
    usage: "elect <unit>",
    description: "fault injection, not a Juju verb: move the application's leadership to <unit> (leader-elected there, leader-settings-changed elsewhere)",
    toRequest: (input) => ({ unit: input.string("unit") }),
  },
});

export const wait = defineVerb({
  name: "wait",
  request: z.object({}),
  result: z.void(),
  handle: (host) => host.settle(),
  command: {
    usage: "wait",
    description: "wait until no hook can run",
    toRequest: () => ({}),
  },
});

/** Reads the model's debug log itself: no controller is needed (or started). */
export const debugLog = defineLocalVerb({
  name: "debug-log",
  command: {
    usage: "debug-log",
    description: "every hook and action run: unit, hook, exit code, duration, output and juju-log lines",
    configure: (command) =>
      command
        .option("--include <unit>", "only this unit (repeatable)", collect, [])
        .option("-n, --lines <n>", "only the last n runs", parseInteger)
        .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text")),
    run: async (input, cli) => {
      const include = input.strings("include");
      const lines = input.optionalNumber("lines");
      let entries = await readDebugLog(cli.modelDir);
      if (include.length > 0) entries = entries.filter((entry) => include.includes(entry.unit));
      if (lines !== undefined) entries = entries.slice(-lines);
      for (const entry of entries) {
        if (input.string("format") === "json") console.log(JSON.stringify(entry));
        else for (const line of debugLogText(entry)) console.log(line);
      }
    },
  },
});

export const destroy = defineVerb({
  name: "destroy",
  request: z.object({}),
  result: z.literal("destroyed"),
  handle: (host) => {
    host.destroyAfterReply();
    return "destroyed" as const;
  },
  command: {
    usage: "destroy",
    description: "stop every process the model started and remove its state",
    // Works without a controller too: it kills the services a dead controller left behind.
    run: async (_, cli, send) => {
      if (await cli.isRunning()) {
        await send({});
        for (let i = 0; i < 200 && (await cli.isRunning()); i++) await sleep(50);
      }
      // Loaded only where needed: every other verb starts faster without the controller's code.
      const { ServiceManager } = await import("./systemd/service-manager.js");
      await ServiceManager.killRecorded(path.join(cli.modelDir, "services"));
      // A controller that died leaves its storage mounts behind; none may outlive the model.
      const { unmountUnder } = await import("./storage-mounts.js");
      unmountUnder(cli.modelDir);
      // The namespaces, veths and bridge a dead controller left behind.
      const { loadModelState } = await import("./state.js");
      const { removeModelNetwork } = await import("./network/model-network.js");
      const state = await loadModelState(cli.modelDir).catch(() => undefined);
      if (state) await removeModelNetwork(state.uuid);
      await rm(cli.modelDir, { recursive: true, force: true });
      console.error(`destroyed model ${cli.modelDir}`);
    },
  },
});

/** The controller process itself, started in the background by the first verb (see client.ts). */
export const controllerProcess = defineLocalVerb({
  name: "__controller",
  command: {
    usage: "__controller <dir>",
    hidden: true,
    run: async (input, cli) => {
      const { seed = 0, subnet, scheduling } = cli.globals;
      const { runDaemon } = await import("./daemon.js");
      await runDaemon({ modelDir: path.resolve(input.string("dir")), seed, subnet, scheduling });
    },
  },
});
