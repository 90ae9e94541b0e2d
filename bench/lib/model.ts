import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DebugLogEntry } from "../../local-model/debug-log.js";
import type { ModelState } from "../../local-model/state.js";
import { repoRoot } from "../../scripts/build.js";
import type { ClientTls } from "../../src/etcd/etcdctl.js";
import { must, onCleanup, type RunResult, run } from "./proc.js";

const cli = path.join(repoRoot, "local-model", "bin", "local-model.mjs");

/**
 * A throwaway local model on its own /24 of 127.0.0.0/8, driven through the real `local-model` command as
 * an operator would run it, and destroyed (controller, services, files) by destroy() or the bench's cleanup.
 */
export class BenchModel {
  /** Whether the etcd application serves TLS: the charm's default, or `--config tls=false` at deploy. */
  tls = true;
  /** The client identity for its https endpoints (client-credentials action); undefined for plaintext. */
  credentials: ClientTls | undefined;

  private constructor(
    readonly dir: string,
    private readonly globals: readonly string[],
    readonly destroy: () => Promise<void>,
  ) {}

  static async create(subnet: string, timeoutSeconds = 600): Promise<BenchModel> {
    const parent = await mkdtemp(path.join(tmpdir(), "bench-model-"));
    // Services run as their own users (etcd): the machines' roots must be reachable, as / is.
    await chmod(parent, 0o755);
    const dir = path.join(parent, "model");
    const globals = ["-m", dir, "--subnet", subnet, "--seed", "1", "--timeout", String(timeoutSeconds)];
    const destroy = onCleanup(async () => {
      await run(process.execPath, [cli, ...globals, "destroy"], { timeoutMs: 60_000 });
      await rm(parent, { recursive: true, force: true });
    });
    return new BenchModel(dir, globals, destroy);
  }

  /** Runs a verb (mutating verbs wait until the model is idle); throws if it fails. */
  ok(...args: string[]): Promise<string> {
    return must(process.execPath, [cli, ...this.globals, ...args], { timeoutMs: 15 * 60_000 });
  }

  /**
   * Deploys etcd with `units` units, under TLS (the charm's default) or `--config tls=false`, and under TLS
   * takes client credentials from the client-credentials action, as an operator would.
   */
  async deploy(charm: string, units: number, tls = true): Promise<void> {
    this.tls = tls;
    await this.ok("deploy", charm, "-n", String(units), ...(tls ? [] : ["--config", "tls=false"]));
    if (tls) this.credentials = await this.clientCredentials();
  }

  /** A client certificate, its key and the CA from `run etcd/0 client-credentials`, in 0600 files beside the model. */
  async clientCredentials(): Promise<ClientTls> {
    const out = JSON.parse(await this.ok("run", "etcd/0", "client-credentials", "name=bench", "--format=json")) as Record<
      string,
      { results?: Record<string, string> }
    >;
    const results = out["etcd/0"]?.results ?? {};
    const dir = path.join(path.dirname(this.dir), "etcd-client");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const files = { caFile: path.join(dir, "ca.pem"), certFile: path.join(dir, "client.pem"), keyFile: path.join(dir, "client.key") };
    for (const [file, field] of [
      [files.caFile, "ca-certificate"],
      [files.certFile, "certificate"],
      [files.keyFile, "private-key"],
    ] as const) {
      const content = results[field];
      if (!content) throw new Error(`client-credentials gave no ${field}`);
      await writeFile(file, content, { mode: 0o600 });
    }
    return files;
  }

  /**
   * The client identity etcdctl uses on the unit itself (the charm's root-only etcdctl environment file, with
   * the member's own certificate); undefined until the charm has written it. Readable while the model is still
   * deploying, before an action could hand out credentials.
   */
  async unitEtcdctlTls(unit: string): Promise<ClientTls | undefined> {
    const text = await readFile(path.join(this.unitDir(unit), "root", "etc", "etcd", "etcdctl.env"), "utf8").catch(() => "");
    const value = (name: string) => new RegExp(`^export ${name}=(.+)$`, "m").exec(text)?.[1];
    const [caFile, certFile, keyFile] = [value("ETCDCTL_CACERT"), value("ETCDCTL_CERT"), value("ETCDCTL_KEY")];
    return caFile && certFile && keyFile ? { caFile, certFile, keyFile } : undefined;
  }

  /** Starts a verb without waiting for it. */
  start(...args: string[]): Promise<RunResult> {
    return run(process.execPath, [cli, ...this.globals, ...args], { timeoutMs: 15 * 60_000 });
  }

  async debugLog(): Promise<DebugLogEntry[]> {
    const text = await this.ok("debug-log", "--format=json");
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as DebugLogEntry);
  }

  /** The model's saved state (written atomically by the controller after every round). */
  async state(): Promise<ModelState | undefined> {
    try {
      return JSON.parse(await readFile(path.join(this.dir, "state.json"), "utf8")) as ModelState;
    } catch {
      return undefined;
    }
  }

  /** Client URLs of the units that are alive now, by unit name (https under TLS). */
  async clientUrls(): Promise<Record<string, string>> {
    const units = Object.values((await this.state())?.units ?? {}).filter((unit) => unit.life === "alive");
    const scheme = this.tls ? "https" : "http";
    return Object.fromEntries(units.map((unit) => [unit.name, `${scheme}://${unit.address}:2379`]));
  }

  async controllerPid(): Promise<number> {
    return Number((await readFile(path.join(this.dir, "controller.pid"), "utf8")).trim());
  }

  get socket(): string {
    return path.join(this.dir, "controller.sock");
  }

  unitDir(unit: string): string {
    return path.join(this.dir, "units", unit.replace("/", "-"));
  }

  /** How often the unit's etcd.service was started: "Started" lines in its service log. */
  async serviceStarts(unit: string): Promise<number> {
    const file = path.join(this.dir, "services", "logs", unit.replace("/", "-"), "etcd.service.log");
    const text = await readFile(file, "utf8").catch(() => "");
    return text.split("\n").filter((line) => / systemd\[1\]: etcd\.service: Started /.test(line)).length;
  }

  /** The main PID of every unit's etcd.service, from the service manager's record. */
  async servicePids(): Promise<Record<string, number>> {
    const text = await readFile(path.join(this.dir, "services", "services.json"), "utf8").catch(() => "{}");
    const record = JSON.parse(text) as { processes?: Array<{ machine: string; unit: string; pid: number }> };
    return Object.fromEntries((record.processes ?? []).filter((p) => p.unit === "etcd.service").map((p) => [p.machine, p.pid]));
  }
}
