import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { HookToolError, HookToolOutputError, jujuErrorMessage } from "./errors.js";
import { processToolRunner, type ToolRunner } from "./runner.js";

/** Values Juju may hold for a config option (contract §3.6, §6.4). */
export const ConfigValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type ConfigValues = z.infer<typeof ConfigValues>;

/** A relation databag: every value is a string (contract §3.1). `null` means an empty bag. */
const Databag = z
  .record(z.string(), z.string())
  .nullable()
  .transform((bag) => bag ?? {});
export type Databag = Record<string, string>;

const StringList = z
  .array(z.string())
  .nullable()
  .transform((list) => list ?? []);

/** network-get's default JSON shape (contract §3.15). */
export const NetworkInfo = z.object({
  "bind-addresses": z
    .array(
      z.object({
        "mac-address": z.string().optional(),
        "interface-name": z.string().optional(),
        addresses: z.array(z.object({ hostname: z.string().optional(), value: z.string(), cidr: z.string().optional() })),
      }),
    )
    .nullable()
    .optional()
    .transform((list) => list ?? []),
  "egress-subnets": StringList.optional().transform((list) => list ?? []),
  "ingress-addresses": StringList.optional().transform((list) => list ?? []),
});
export type NetworkInfo = z.infer<typeof NetworkInfo>;

export type WorkloadStatus = "maintenance" | "blocked" | "waiting" | "active";
export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";

/** A JSON object of action results; nested objects become dotted keys for action-set (contract §3.13). */
export interface ActionResults {
  readonly [key: string]: string | number | boolean | ActionResults;
}

/**
 * A typed client for the hook tools (contract §2–3). Every call spawns one tool without a shell, asks for
 * JSON where the tool offers it, validates the output with zod and raises HookToolError on failure.
 */
export class HookTools {
  /** Every tool call made through this client, in order: what a hook costs in processes. */
  readonly calls: string[] = [];

  constructor(private readonly runTool: ToolRunner = processToolRunner()) {}

  private async run(tool: string, args: readonly string[], stdin?: string): Promise<string> {
    this.calls.push(tool);
    const outcome = await this.runTool(tool, args, stdin);
    if (outcome.exitCode !== 0) {
      throw new HookToolError(tool, args, outcome.exitCode, jujuErrorMessage(outcome.stderr));
    }
    return outcome.stdout;
  }

  private async json<T extends z.ZodType>(tool: string, args: readonly string[], schema: T): Promise<z.output<T>> {
    const stdout = await this.run(tool, ["--format=json", ...args]);
    let raw: unknown;
    try {
      raw = JSON.parse(stdout);
    } catch {
      throw new HookToolOutputError(tool, stdout, "not JSON");
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new HookToolOutputError(tool, stdout, z.prettifyError(parsed.error));
    return parsed.data;
  }

  // --- config and leadership -------------------------------------------------------------------------------

  /** All options that are set or have a default (config-get without a key, §3.6). */
  configGet(): Promise<ConfigValues> {
    return this.json(
      "config-get",
      [],
      ConfigValues.nullable().transform((v) => v ?? {}),
    );
  }

  isLeader(): Promise<boolean> {
    return this.json("is-leader", [], z.boolean());
  }

  /** Leader settings; any unit may read them (§3.8). */
  leaderGet(): Promise<Databag> {
    return this.json("leader-get", [], Databag);
  }

  /** Writes leader settings immediately, not rolled back on hook failure; "" deletes a key (§3.8, §4). */
  async leaderSet(values: Readonly<Record<string, string>>): Promise<void> {
    const pairs = keyValueArgs(values);
    if (pairs.length > 0) await this.run("leader-set", pairs);
  }

  // --- relations --------------------------------------------------------------------------------------------

  /** `<endpoint>:<id>` of every live relation on the endpoint, sorted as Juju sorts them (§3.3). */
  relationIds(endpoint: string): Promise<string[]> {
    return this.json("relation-ids", [endpoint], StringList);
  }

  /** Remote units in the relation (for a peer relation: the other units of this application) (§3.4). */
  relationList(relationId: string): Promise<string[]> {
    return this.json("relation-list", ["-r", relationId], StringList);
  }

  /** Name of the application on the other side of the relation (§3.4 `--app`). */
  relationRemoteApp(relationId: string): Promise<string> {
    return this.json("relation-list", ["-r", relationId, "--app"], z.string());
  }

  /** A unit's databag, or with `app: true` an application's (§3.1). */
  relationGet(relationId: string, unitOrApp: string, options: { app?: boolean } = {}): Promise<Databag> {
    const args = ["-r", relationId, ...(options.app ? ["--app"] : []), "-", unitOrApp];
    return this.json("relation-get", args, Databag);
  }

  /**
   * Writes this unit's (or, as leader with `app: true`, this application's) databag; committed only if the
   * hook exits 0. "" deletes a key. Sent as JSON on stdin (`--file -`), so values may hold any text (§3.2).
   */
  async relationSet(relationId: string, values: Readonly<Record<string, string>>, options: { app?: boolean } = {}): Promise<void> {
    if (Object.keys(values).length === 0) return;
    const args = ["-r", relationId, ...(options.app ? ["--app"] : []), "--file", "-"];
    await this.run("relation-set", args, JSON.stringify(values));
  }

  // --- unit state (kept by Juju, committed with the hook; contract §3.18) ----------------------------------

  /** One key of this unit's state; "" when absent. */
  stateGet(key: string): Promise<string> {
    return this.json(
      "state-get",
      [key],
      z
        .string()
        .nullable()
        .transform((v) => v ?? ""),
    );
  }

  /** Every key of this unit's state, in one call. */
  stateGetAll(): Promise<Record<string, string>> {
    return this.json(
      "state-get",
      [],
      z
        .record(z.string(), z.string())
        .nullable()
        .transform((v) => v ?? {}),
    );
  }

  async stateSet(values: Readonly<Record<string, string>>): Promise<void> {
    const pairs = keyValueArgs(values);
    if (pairs.length > 0) await this.run("state-set", pairs);
  }

  // --- secrets (contract §3.19, interfaces §6): writes are buffered and committed with the hook ------------

  /**
   * Creates a secret owned by this application (the leader only) and returns its URI. Content goes through
   * files in a private temporary dir (`key#file=`), never through argv, which any process can read.
   */
  async secretAdd(content: Readonly<Record<string, string>>, options: { label: string; description?: string }): Promise<string> {
    return withSecretFiles(content, async (args) => {
      const flags = ["--owner", "application", "--label", options.label, ...(options.description ? ["--description", options.description] : [])];
      return (await this.run("secret-add", [...flags, ...args])).trim();
    });
  }

  /** A new revision of a secret this application owns (the leader only), with this content in full. */
  async secretSet(id: string, content: Readonly<Record<string, string>>): Promise<void> {
    await withSecretFiles(content, async (args) => this.run("secret-set", [id, ...args]));
  }

  /** A secret's content by URI or label; undefined when it does not exist (or not yet, for one created in a failed hook). */
  async secretGet(ref: { id: string } | { label: string }, options: { refresh?: boolean } = {}): Promise<Record<string, string> | undefined> {
    const target = "id" in ref ? [ref.id] : ["--label", ref.label];
    let stdout: string;
    try {
      stdout = await this.run("secret-get", ["--format=json", ...target, ...(options.refresh ? ["--refresh"] : [])]);
    } catch (error) {
      if (error instanceof HookToolError && /not found/.test(error.jujuMessage)) return undefined;
      throw error;
    }
    // Parsed here rather than by json(): its errors quote the output, which is secret.
    let parsed: unknown;
    try {
      parsed = JSON.parse(stdout);
    } catch {
      parsed = undefined;
    }
    const content = z.record(z.string(), z.string()).safeParse(parsed);
    if (!content.success) throw new Error("secret-get printed something other than a JSON map of strings");
    return content.data;
  }

  /** The URI of a secret this unit's application owns, by its label; undefined when there is none (§6.5 secret-info-get). */
  async secretIdByLabel(label: string): Promise<string | undefined> {
    try {
      const info = await this.json("secret-info-get", ["--label", label], z.record(z.string(), z.object({ label: z.string().optional() }).loose()));
      const id = Object.keys(info)[0];
      return id === undefined ? undefined : id.startsWith("secret:") ? id : `secret:${id}`;
    } catch (error) {
      if (error instanceof HookToolError && /not found/.test(error.jujuMessage)) return undefined;
      throw error;
    }
  }

  async secretRemove(id: string): Promise<void> {
    await this.run("secret-remove", [id]);
  }

  // --- resources ---------------------------------------------------------------------------------------------

  /**
   * The path of the resource's current file on this machine, copied from the controller (interfaces §9);
   * undefined when nothing was uploaded (the controller's "not found").
   */
  async resourceGet(name: string): Promise<string | undefined> {
    try {
      return (await this.run("resource-get", [name])).trim();
    } catch (error) {
      if (error instanceof HookToolError && /not found/.test(error.jujuMessage)) return undefined;
      throw error;
    }
  }

  // --- status, version, logs ----------------------------------------------------------------------------------

  /** Applied at once and not rolled back (§3.9). `application: true` needs leadership. */
  async statusSet(status: WorkloadStatus, message: string, options: { application?: boolean } = {}): Promise<void> {
    await this.run("status-set", [...(options.application ? ["--application"] : []), status, "--", message]);
  }

  async applicationVersionSet(version: string): Promise<void> {
    await this.run("application-version-set", ["--", version]);
  }

  async jujuLog(message: string, level: LogLevel = "INFO"): Promise<void> {
    await this.run("juju-log", ["--log-level", level, "--", message]);
  }

  // --- addresses and ports -------------------------------------------------------------------------------------

  unitGet(setting: "private-address" | "public-address"): Promise<string> {
    return this.json("unit-get", [setting], z.string());
  }

  networkGet(binding: string, options: { relationId?: string } = {}): Promise<NetworkInfo> {
    const args = [...(options.relationId ? ["-r", options.relationId] : []), binding];
    return this.json("network-get", args, NetworkInfo);
  }

  async openPort(port: number, protocol: "tcp" | "udp" = "tcp"): Promise<void> {
    await this.run("open-port", [`${port}/${protocol}`]);
  }

  async closePort(port: number, protocol: "tcp" | "udp" = "tcp"): Promise<void> {
    await this.run("close-port", [`${port}/${protocol}`]);
  }

  // --- actions (only inside an action; elsewhere they fail with "not running an action") --------------------

  /** The action's parameters, defaults already inserted by Juju (§3.13). */
  actionGet(): Promise<Record<string, unknown>> {
    return this.json(
      "action-get",
      [],
      z
        .record(z.string(), z.unknown())
        .nullable()
        .transform((v) => v ?? {}),
    );
  }

  async actionSet(results: ActionResults): Promise<void> {
    const pairs = keyValueArgs(flattenResults(results));
    if (pairs.length > 0) await this.run("action-set", pairs);
  }

  async actionFail(message: string): Promise<void> {
    await this.run("action-fail", ["--", message]);
  }

  async actionLog(message: string): Promise<void> {
    await this.run("action-log", ["--", message]);
  }
}

/** Runs `use` with `key#file=<path>` arguments for the content, in a 0700 temporary dir removed afterwards. */
async function withSecretFiles<T>(content: Readonly<Record<string, string>>, use: (args: string[]) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "etcd-charm-secret-"));
  try {
    const args: string[] = [];
    for (const [key, value] of Object.entries(content)) {
      if (!/^[a-z](?:[a-z0-9-]*[a-z0-9])?$/.test(key)) throw new Error(`invalid secret key ${JSON.stringify(key)}`);
      const file = path.join(dir, key);
      await writeFile(file, value, { mode: 0o600 });
      args.push(`${key}#file=${file}`);
    }
    return await use(args);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `key=value` arguments; keys are ours, values are passed verbatim as argv (no shell). */
function keyValueArgs(values: Readonly<Record<string, string>>): string[] {
  return Object.entries(values).map(([key, value]) => {
    if (key === "" || key.includes("=")) throw new Error(`invalid key ${JSON.stringify(key)}`);
    return `${key}=${value}`;
  });
}

/** Nested results become dotted keys, the form action-set takes (§3.13). */
export function flattenResults(results: ActionResults, prefix = ""): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(results)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "object") Object.assign(flat, flattenResults(value, path));
    else flat[path] = String(value);
  }
  return flat;
}
