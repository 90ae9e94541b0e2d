import { chmod, copyFile, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { Controller } from "./controller.js";
import { localModelHome } from "./home.js";
import { builtJujuc } from "./jujuc-build.js";
import { Model } from "./model.js";
import { CliEnvelope, PackagesRequest, SystemctlRequest, ToolRequest, controllerSocketPath, type CliResponse } from "./protocol.js";
import { aptGet, dpkgQuery } from "./package-commands.js";
import { MachinePackages } from "./packages.js";
import { machineBase } from "./base.js";
import { loadModelState, newModelState, type ModelState, type Scheduling } from "./state.js";
import { ServiceManager } from "./systemd/service-manager.js";
import type { VerbHost } from "./verb.js";
import { verbNamed } from "./verbs.js";
import { bootMachine, machineOf } from "./machine-boot.js";
import { unmountUnder } from "./storage-mounts.js";
import { ModelNetwork } from "./network/model-network.js";

const here = localModelHome(import.meta.url);
const DEFAULT_WAIT_MS = 10 * 60_000;

export interface DaemonOptions {
  readonly modelDir: string;
  readonly seed: number;
  readonly subnet: string;
  readonly scheduling: Scheduling;
  readonly waitTimeoutMs?: number;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function reply(res: ServerResponse, body: CliResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** A tool's answer as jujuc.c reads it: "<code> <stdout bytes> <stderr bytes>\n", stdout, stderr. */
function replyFramed(res: ServerResponse, answer: { code: number; stdout: string; stderr: string }): void {
  const stdout = Buffer.from(answer.stdout, "utf8");
  const stderr = Buffer.from(answer.stderr, "utf8");
  const body = Buffer.concat([Buffer.from(`${answer.code} ${stdout.length} ${stderr.length}\n`), stdout, stderr]);
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
  res.end(body);
}

/**
 * The model controller: one long-lived process per model that runs the unit agents, the hook tools'
 * server and the units' services, and answers the CLI over a Unix socket.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { modelDir } = options;
  await mkdir(path.join(modelDir, "bin"), { recursive: true });
  const socket = controllerSocketPath(modelDir);
  const jujuc = path.join(modelDir, "bin", "jujuc");
  await copyFile(await builtJujuc(here), jujuc);
  await chmod(jujuc, 0o755);

  const restored = await loadModelState(modelDir);
  const state: ModelState =
    restored ?? newModelState(path.basename(path.resolve(modelDir)).replace(/^\./, "") || "local", options.seed, options.subnet, options.scheduling);
  const servicesDir = path.join(modelDir, "services");
  if (restored) await ServiceManager.killRecorded(servicesDir);
  // Every machine in its own network namespace: refused here, before anything is saved, when the host cannot.
  const network = await ModelNetwork.open(state);
  const services = new ServiceManager({ stateDir: servicesDir });
  const model = new Model(modelDir, state, network);
  const controller = new Controller(model, services, { socket, jujuc });
  for (const app of Object.keys(state.applications)) await model.charmOf(app);
  if (restored) await bootMachines(state, services);

  const defaultWaitMs = options.waitTimeoutMs ?? DEFAULT_WAIT_MS;
  let shuttingDown = false;

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        if (req.url === "/tool") {
          const call = ToolRequest.parse(body);
          replyFramed(res, await controller.handleTool(call.contextId, { tool: call.tool, args: call.args, stdin: call.stdin }));
        } else if (req.url === "/systemctl") {
          const call = SystemctlRequest.parse(body);
          const unit = state.units[call.unit];
          if (!unit) return replyFramed(res, { code: 1, stdout: "", stderr: `Unit machine ${call.unit} is gone.\n` });
          replyFramed(res, await services.systemctl(machineOf(unit), call.args));
        } else if (req.url === "/packages") {
          const call = PackagesRequest.parse(body);
          const unit = state.units[call.unit];
          if (!unit) return replyFramed(res, { code: 1, stdout: "", stderr: `E: machine of ${call.unit} is gone\n` });
          const machine = new MachinePackages(model.archive, machineOf(unit).root);
          replyFramed(
            res,
            call.command === "apt-get"
              ? await aptGet(model.archive, machine, machineBase(state, unit), call.args)
              : await dpkgQuery(model.archive, machine, call.args),
          );
        } else if (req.url === "/cli") {
          await answerCli(body, res);
        } else {
          res.writeHead(404).end();
        }
      } catch (error) {
        reply(res, { ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.timeout = 0;

  /** A CLI request: its verb's handler (verbs.ts) does the work, through the model and the controller. */
  async function answerCli(body: unknown, res: ServerResponse): Promise<void> {
    const { request, timeoutMs } = CliEnvelope.parse(body);
    const verb = verbNamed(request.verb);
    if (!verb?.serve) throw new Error(`unknown verb "${request.verb}"`);
    const waitMs = timeoutMs ?? defaultWaitMs;
    let destroy = false;
    const host: VerbHost = {
      model,
      controller,
      waitMs,
      settle: async () => {
        controller.notify();
        await controller.persist();
        await controller.waitIdle(waitMs);
      },
      destroyAfterReply: () => {
        destroy = true;
      },
    };
    reply(res, { ok: true, result: await verb.serve(host, request) });
    if (destroy) setImmediate(() => void shutdown(true));
  }

  async function shutdown(destroy: boolean): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    await controller.stop();
    await services.stopAll();
    if (destroy) {
      // Storage mounts in the machines' roots go first: nothing of the model may stay mounted. The network
      // outlives a stopped controller (a restart finds it again), not a destroyed model.
      unmountUnder(modelDir);
      await network.destroy();
    }
    // Only now does the controller stop answering: `destroy` in the CLI waits for that before it cleans up what
    // a dead controller would have left, so the two never unmount or remove the same things at once.
    server.close();
    await rm(socket, { force: true });
    if (destroy) await rm(modelDir, { recursive: true, force: true });
    else await controller.persist();
    process.exit(0);
  }

  process.on("SIGTERM", () => void shutdown(false));
  process.on("SIGINT", () => void shutdown(false));

  await rm(socket, { force: true });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  await writeFile(path.join(modelDir, "controller.pid"), String(process.pid));
  controller.start();
}

/** After a controller restart, each machine boots: its enabled services start again, as systemd would. */
async function bootMachines(state: ModelState, services: ServiceManager): Promise<void> {
  for (const unit of Object.values(state.units)) await bootMachine(services, unit);
}

export async function readControllerPid(modelDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(modelDir, "controller.pid"), "utf8").catch(() => "");
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
