import { chmod, copyFile, readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { Controller } from "./controller.js";
import { localModelHome } from "./home.js";
import { Model } from "./model.js";
import { CliEnvelope, SystemctlRequest, ToolRequest, controllerSocketPath, type CliRequest, type CliResponse } from "./protocol.js";
import { loadModelState, newModelState, type ModelState } from "./state.js";
import { ServiceManager } from "./systemd/service-manager.js";

const here = localModelHome(import.meta.url);
const DEFAULT_WAIT_MS = 10 * 60_000;

export interface DaemonOptions {
  readonly modelDir: string;
  readonly seed: number;
  readonly subnet: string;
  readonly waitTimeoutMs?: number;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function reply(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** A tool's answer as jujuc.pl reads it: "<code> <stdout bytes> <stderr bytes>\n", stdout, stderr. */
function replyFramed(res: ServerResponse, answer: { code: number; stdout: string; stderr: string }): void {
  const stdout = Buffer.from(answer.stdout, "utf8");
  const stderr = Buffer.from(answer.stderr, "utf8");
  const body = Buffer.concat([Buffer.from(`${answer.code} ${stdout.length} ${stderr.length}\n`), stdout, stderr]);
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
  res.end(body);
}

/** Units' machines as the service manager knows them. */
const machineOf = (unit: { name: string; dir: string }) => ({ name: unit.name, root: path.join(unit.dir, "root") });

/**
 * The model controller: one long-lived process per model that runs the unit agents, the hook tools'
 * server and the units' services, and answers the CLI over a Unix socket.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { modelDir } = options;
  await mkdir(path.join(modelDir, "bin"), { recursive: true });
  const socket = controllerSocketPath(modelDir);
  const jujuc = path.join(modelDir, "bin", "jujuc");
  await copyFile(path.join(here, "jujuc.pl"), jujuc);
  await chmod(jujuc, 0o755);

  const restored = await loadModelState(modelDir);
  const state: ModelState = restored ?? newModelState(path.basename(path.resolve(modelDir)).replace(/^\./, "") || "local", options.seed, options.subnet);
  const servicesDir = path.join(modelDir, "services");
  if (restored) await ServiceManager.killRecorded(servicesDir);
  const services = new ServiceManager({ stateDir: servicesDir });
  const model = new Model(modelDir, state);
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
        } else if (req.url === "/cli") {
          const { request, timeoutMs } = CliEnvelope.parse(body);
          const response = await handleCli(request, timeoutMs ?? defaultWaitMs);
          reply(res, response);
          if (request.verb === "destroy") setImmediate(() => void shutdown(true));
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

  async function handleCli(request: CliRequest, waitMs: number): Promise<CliResponse> {
    async function settled<T>(work: () => Promise<T> | T, wait = true): Promise<CliResponse> {
      try {
        const result = await work();
        controller.notify();
        await controller.persist();
        if (wait) await controller.waitIdle(waitMs);
        return { ok: true, result };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    }

    switch (request.verb) {
      case "ping":
        return { ok: true, result: { pid: process.pid } };
      case "deploy":
        return settled(async () => (await model.deploy(request.source, request.app, request.count, request.config)).name);
      case "refresh":
        return settled(() => model.refresh(request.app, request.source));
      case "add-unit":
        return settled(() => model.addUnits(request.app, request.count));
      case "remove-unit":
        return settled(() => model.removeUnits(request.units));
      case "remove-application":
        return settled(() => model.removeApplication(request.app));
      case "integrate":
        return settled(async () => (await model.integrate(request.a, request.b)).id);
      case "remove-relation":
        return settled(async () => (await model.removeRelation(request.a, request.b)).id);
      case "config": {
        if (request.set.length === 0 && request.reset.length === 0) return { ok: true, result: await model.showConfig(request.app) };
        return settled(async () => {
          if (request.reset.length > 0) await model.resetConfig(request.app, request.reset);
          if (request.set.length > 0) await model.setConfig(request.app, request.set);
        });
      }
      case "model-config": {
        if (request.set.length === 0) return { ok: true, result: state.modelConfig };
        return settled(() => model.configureModel(request.set));
      }
      case "run": {
        try {
          return { ok: true, result: await controller.runAction(request.unit, request.action, request.args, waitMs) };
        } catch (error) {
          return { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }
      case "exec": {
        try {
          return { ok: true, result: await controller.runExec(request.unit, request.command, request.relation, request.remoteUnit, waitMs) };
        } catch (error) {
          return { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }
      case "resolved":
        return settled(() => model.resolved(request.unit, request.retry));
      case "elect":
        return settled(() => model.elect(request.unit));
      case "status":
        return { ok: true, result: model.status() };
      case "wait":
        return settled(() => undefined);
      case "destroy":
        return { ok: true, result: "destroyed" };
    }
  }

  async function shutdown(destroy: boolean): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    await controller.stop();
    await services.stopAll();
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
  for (const unit of Object.values(state.units)) {
    const wants = path.join(unit.dir, "root", "etc", "systemd", "system", "multi-user.target.wants");
    const enabled = await readdir(wants).catch(() => [] as string[]);
    if (enabled.length > 0) await services.systemctl(machineOf(unit), ["start", ...enabled]);
  }
}

export async function readControllerPid(modelDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(modelDir, "controller.pid"), "utf8").catch(() => "");
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
