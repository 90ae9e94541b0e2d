import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { repoRoot } from "../../scripts/build.js";
import type { DebugLogEntry } from "../../local-model/debug-log.js";
import { writeClientCredentials } from "../helpers/etcd-client.js";

export const localModelBin = path.join(repoRoot, "local-model", "bin", "local-model.mjs");
export const testCharm = (name: string) => path.join(repoRoot, "test", "charms", name);

/** A client certificate, its key and the CA, as etcdctl's --cert, --key and --cacert take them. */
export interface ClientCredentialFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** The hook runs of one unit as (hook, JUJU_REMOTE_UNIT) pairs, in order. */
export interface HookRun {
  readonly unit: string;
  readonly hook: string;
  readonly env: Record<string, string>;
  readonly entry: DebugLogEntry;
}

/** How long each verb this test file ran took: the file's slowest verbs are where its time goes. */
const verbTimes: Array<{ verb: string; ms: number }> = [];

/** The `count` slowest verbs this file ran, as "verb: seconds" lines, slowest first. */
export function slowestVerbs(count: number): string[] {
  return [...verbTimes]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count)
    .map(({ verb, ms }) => `${verb.length > 80 ? `${verb.slice(0, 77)}...` : verb}: ${(ms / 1000).toFixed(1)} s`);
}

/**
 * A throwaway model driven through the real `local-model` command, exactly as an operator runs it. Each
 * test file gives its model its own /24 of 127.0.0.0/8 so files can run in parallel.
 */
export class LocalModelFixture {
  private constructor(
    readonly dir: string,
    private readonly globals: string[],
  ) {}

  static async create(subnet: string, seed = 1, extra: string[] = []): Promise<LocalModelFixture> {
    const dir = await mkdtemp(path.join(tmpdir(), "lm-"));
    // Services run as their own users (etcd): the machines' roots must be reachable, as / is.
    await chmod(dir, 0o755);
    return new LocalModelFixture(path.join(dir, "model"), ["-m", path.join(dir, "model"), "--subnet", subnet, "--seed", String(seed), ...extra]);
  }

  async run(...args: string[]): Promise<CliResult> {
    const started = Date.now();
    const result = await execa(process.execPath, [localModelBin, ...this.globals, ...args], { reject: false, env: { NODE_EXTRA_CA_CERTS: "" } });
    verbTimes.push({ verb: args.join(" "), ms: Date.now() - started });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 1 };
  }

  /** Runs a verb that must succeed. */
  async ok(...args: string[]): Promise<string> {
    const result = await this.run(...args);
    if (result.exitCode !== 0) throw new Error(`local-model ${args.join(" ")} exited ${result.exitCode}: ${result.stderr}`);
    return result.stdout;
  }

  async status(): Promise<StatusJson> {
    return JSON.parse(await this.ok("status", "--format=json")) as StatusJson;
  }

  async debugLog(): Promise<DebugLogEntry[]> {
    const text = await this.ok("debug-log", "--format=json");
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as DebugLogEntry);
  }

  /** Hook runs, optionally of one unit, with the environment the recorder charm printed. */
  async hookRuns(unit?: string): Promise<HookRun[]> {
    return (await this.debugLog())
      .filter((entry) => entry.kind === "hook" && (unit === undefined || entry.unit === unit))
      .map((entry) => ({ unit: entry.unit, hook: entry.name, env: printedEnv(entry.stdout), entry }));
  }

  /**
   * Waits until no unit is in error. A hook that fails on a busy machine is retried by the model (5 s, then
   * doubling), as Juju retries it; verbs return once no hook can run, which a unit waiting for its retry counts
   * as. Throws naming the failed hooks (their last stderr lines) if a unit is still in error at the deadline.
   */
  async untilNoUnitInError(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status();
      const inError = Object.values(status.applications).flatMap((app) =>
        Object.entries(app.units ?? {}).filter(([, unit]) => unit["juju-status"].current === "error" || unit["workload-status"].current === "error"),
      );
      if (inError.length === 0) return;
      if (Date.now() > deadline) {
        const failed = (await this.debugLog()).filter((entry) => entry.kind === "hook" && entry.exitCode !== 0);
        const lines = failed.map((entry) => `${entry.unit} ${entry.name}: ${entry.stderr.trim().split("\n").slice(-3).join(" / ")}`);
        throw new Error(`units still in error: ${inError.map(([name]) => name).join(", ")}; failed hooks:\n${lines.join("\n")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await this.ok("wait");
    }
  }

  /**
   * etcd client credentials from the etcd charm's client-credentials action (what an operator runs), written
   * once per fixture to 0600 files beside the model; the same CA serves every member.
   */
  async etcdClientCredentials(unit = "etcd/0"): Promise<ClientCredentialFiles> {
    if (this.credentials) return this.credentials;
    const out = JSON.parse(await this.ok("run", unit, "client-credentials", "name=tests", "--format=json")) as Record<
      string,
      { results: Record<string, string> }
    >;
    const results = out[unit]?.results ?? {};
    this.credentials = await writeClientCredentials(path.join(path.dirname(this.dir), "etcd-client"), "tests", {
      ca: results["ca-certificate"] ?? "",
      cert: results.certificate ?? "",
      key: results["private-key"] ?? "",
    });
    return this.credentials;
  }

  private credentials: ClientCredentialFiles | undefined;

  async destroy(): Promise<void> {
    await this.run("destroy");
    await rm(path.dirname(this.dir), { recursive: true, force: true });
  }
}

export function printedEnv(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const match = /^env:([A-Z_]+)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

/** The probe's output lines between its markers. */
export function probeOutput(stdout: string): string[] {
  const lines = stdout.split("\n");
  const begin = lines.indexOf("probe-begin");
  const end = lines.indexOf("probe-end");
  return begin >= 0 && end > begin ? lines.slice(begin + 1, end) : [];
}

export interface UnitStatusJson {
  "workload-status": { current: string; message?: string; since: string };
  "juju-status": { current: string; message?: string };
  leader?: boolean;
  "public-address": string;
  machine: string;
}

export interface StatusJson {
  model: { name: string; type: string };
  machines: Record<string, { "instance-id": string; "dns-name": string }>;
  applications: Record<
    string,
    {
      "application-status": { current: string; message?: string };
      units?: Record<string, UnitStatusJson>;
      relations?: Record<string, Array<{ "related-application": string; interface: string }>>;
      version?: string;
    }
  >;
}
