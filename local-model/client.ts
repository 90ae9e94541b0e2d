import { spawn } from "node:child_process";
import { mkdir, open, readFile } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { localModelHome } from "./home.js";
import { CliResponse, controllerSocketPath } from "./protocol.js";
import { ping } from "./verbs-model.js";
import { checkReachableByServices } from "./model-dir.js";
import type { Scheduling } from "./state.js";
import { missingNetworkRequirements } from "./network/host-requirements.js";

const binPath = path.join(localModelHome(import.meta.url), "bin", "local-model.mjs");

function post(socketPath: string, body: unknown): Promise<CliResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: "/cli", method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        try {
          resolve(CliResponse.parse(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

export interface ControllerOptions {
  readonly seed: number | undefined;
  readonly subnet: string;
  readonly scheduling: Scheduling;
}

/** Talks to the model's controller, starting it in the background on first use. */
export class ModelClient {
  readonly socket: string;

  constructor(readonly modelDir: string) {
    this.socket = controllerSocketPath(modelDir);
  }

  async isRunning(): Promise<boolean> {
    return post(this.socket, { request: { verb: ping.name } }).then(
      (response) => response.ok,
      () => false,
    );
  }

  async ensureController(options: ControllerOptions): Promise<void> {
    if (await this.isRunning()) return;
    await mkdir(this.modelDir, { recursive: true });
    await checkReachableByServices(this.modelDir);
    const missing = await missingNetworkRequirements();
    if (missing) throw new Error(missing);
    const logFile = path.join(this.modelDir, "controller.log");
    const log = await open(logFile, "a");
    const logStart = (await log.stat()).size;
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    const child = spawn(
      process.execPath,
      [binPath, "--seed", String(seed), "--subnet", options.subnet, "--scheduling", options.scheduling, "__controller", this.modelDir],
      {
        detached: true,
        stdio: ["ignore", log.fd, log.fd],
        env: { ...process.env, NODE_EXTRA_CA_CERTS: "" },
      },
    );
    child.unref();
    await log.close();
    for (let i = 0; i < 300; i++) {
      if (await this.isRunning()) return;
      if (child.exitCode !== null) break;
      await sleep(100);
    }
    // Why, when the controller said so (it refuses a model whose network it cannot set up).
    const said = (await readFile(logFile, "utf8").catch(() => "")).slice(logStart);
    const reason = said.split("\n").findLast((line) => line.startsWith("ERROR "));
    throw new Error(`the model controller did not start${reason ? `: ${reason.slice("ERROR ".length)}` : ""}; see ${logFile}`);
  }

  /** Sends a request to the running controller: the verb's result, or an Error with the controller's message. */
  async send(request: { readonly verb: string }, timeoutMs?: number): Promise<unknown> {
    const response = await post(this.socket, { request, ...(timeoutMs ? { timeoutMs } : {}) });
    if (!response.ok) throw new Error(response.error ?? "the controller refused the request");
    return response.result;
  }
}
