import { access, mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { extractCharmArchive } from "./charm-archive.js";
import { StorageMetadata, storageOf, type StorageSpec } from "./storage-spec.js";
import type { ConfigOption } from "./tools/types.js";

/** A charm's metadata, config and actions, validated as Juju validates them (contract §6). */
export interface CharmSpec {
  readonly name: string;
  readonly summary: string;
  readonly subordinate: boolean;
  /** Every endpoint with its role and interface (peers, provides, requires). */
  readonly endpoints: Readonly<Record<string, EndpointSpec>>;
  readonly extraBindings: readonly string[];
  readonly config: Readonly<Record<string, ConfigOption>>;
  readonly actions: Readonly<Record<string, ActionSpec>>;
  readonly hasDispatch: boolean;
  /** Declared storage (interfaces §7.1). */
  readonly storage: Readonly<Record<string, StorageSpec>>;
  /** Declared file resources (interfaces §9). */
  readonly resources: Readonly<Record<string, ResourceSpec>>;
}

export interface ResourceSpec {
  readonly type: "file";
  readonly filename: string;
  readonly description: string;
}

export interface EndpointSpec {
  readonly role: "peer" | "provider" | "requirer";
  readonly interface: string;
  readonly limit: number | undefined;
}

export interface ActionSpec {
  readonly description: string;
  readonly params: Readonly<Record<string, JsonSchema>>;
  readonly required: readonly string[];
  readonly additionalProperties: boolean;
}

export type JsonSchema = {
  readonly type?: string | readonly string[];
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
};

export class CharmError extends Error {
  override readonly name = "CharmError";
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$/;
const ACTION_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

const EndpointValue = z.union([
  z.string(),
  z.object({
    interface: z.string(),
    limit: z.number().int().optional(),
    optional: z.boolean().optional(),
    scope: z.enum(["global", "container"]).optional(),
  }),
]);
const Endpoints = z.record(z.string(), EndpointValue).optional();

const Metadata = z.object({
  name: z.string().regex(NAME, "invalid charm name"),
  summary: z.string({ error: "metadata: summary: expected string" }),
  description: z.string({ error: "metadata: description: expected string" }),
  subordinate: z.boolean().optional(),
  peers: Endpoints,
  provides: Endpoints,
  requires: Endpoints,
  "extra-bindings": z.record(z.string(), z.unknown()).nullable().optional(),
  /** Kubernetes sidecar containers: a charm with any is a Kubernetes charm. */
  containers: z.record(z.string(), z.unknown()).nullable().optional(),
  storage: StorageMetadata,
  resources: z
    .record(z.string(), z.object({ type: z.literal("file"), filename: z.string().min(1), description: z.string().optional() }))
    .nullable()
    .optional(),
});

const ConfigYaml = z.object({
  options: z.record(
    z.string(),
    z.object({
      type: z.string().optional(),
      default: z.unknown().optional(),
      description: z.string().optional(),
    }),
  ),
});

const ActionsYaml = z.record(
  z.string(),
  z
    .object({
      description: z.string().optional(),
      params: z.record(z.string(), z.record(z.string(), z.unknown())).nullable().optional(),
      required: z.array(z.string()).optional(),
      additionalProperties: z.boolean().optional(),
    })
    .nullable(),
);

async function readYaml(file: string): Promise<unknown> {
  return parseYaml(await readFile(file, "utf8"));
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

function endpointsOf(meta: z.infer<typeof Metadata>): Record<string, EndpointSpec> {
  const endpoints: Record<string, EndpointSpec> = {};
  const roles = [
    ["peers", "peer"],
    ["provides", "provider"],
    ["requires", "requirer"],
  ] as const;
  for (const [key, role] of roles) {
    for (const [name, value] of Object.entries(meta[key] ?? {})) {
      if (name === "juju" || name.startsWith("juju-")) throw new CharmError(`charm "${meta.name}" using a reserved relation name: "${name}"`);
      if (endpoints[name]) throw new CharmError(`charm "${meta.name}" using a duplicated relation name: "${name}"`);
      const iface = typeof value === "string" ? value : value.interface;
      if (role === "provider" && (iface === "juju" || iface.startsWith("juju-"))) {
        throw new CharmError(`charm "${meta.name}" relation "${name}" using a reserved interface: "${iface}"`);
      }
      endpoints[name] = { role, interface: iface, limit: typeof value === "string" ? undefined : value.limit };
    }
  }
  return endpoints;
}

/** Config options with types and type-checked defaults (contract §6.4). */
function configOf(raw: unknown): Record<string, ConfigOption> {
  const parsed = ConfigYaml.safeParse(raw);
  if (!parsed.success) throw new CharmError("invalid config: empty configuration");
  const options: Record<string, ConfigOption> = {};
  for (const [name, option] of Object.entries(parsed.data.options)) {
    const type = option.type ?? "string";
    if (!["string", "int", "float", "boolean", "secret"].includes(type)) {
      throw new CharmError(`invalid config: option "${name}" has unknown type "${type}"`);
    }
    const typed = type as ConfigOption["type"];
    const spec: { type: ConfigOption["type"]; default?: ConfigOption["default"]; description?: string } = { type: typed };
    if (option.description !== undefined) spec.description = option.description;
    if (option.default !== undefined && option.default !== null) {
      const checked = checkConfigValue(typed, option.default);
      if (checked === undefined && !(option.default === "" && (typed === "string" || typed === "secret"))) {
        throw new CharmError(`invalid config default: option "${name}" expected ${typed}, got ${JSON.stringify(option.default)}`);
      }
      spec.default = checked ?? "";
    }
    options[name] = spec;
  }
  return options;
}

/** The value if it has the option's type, else undefined. */
export function checkConfigValue(type: ConfigOption["type"], value: unknown): string | number | boolean | undefined {
  switch (type) {
    case "string":
    case "secret":
      return typeof value === "string" ? value : undefined;
    case "int":
      return typeof value === "number" && Number.isInteger(value) ? value : undefined;
    case "float":
      return typeof value === "number" ? value : undefined;
    case "boolean":
      return typeof value === "boolean" ? value : undefined;
  }
}

/** Parses a config value given on the command line (`k=v`) as `juju config` does. */
export function parseConfigArgument(option: string, spec: ConfigOption, text: string): string | number | boolean {
  switch (spec.type) {
    case "string":
      return text;
    case "secret":
      // A secret option holds a secret's URI (interfaces §6.6); the application reads it only once granted.
      if (text !== "" && !/^secret:(\/\/[0-9a-f-]+\/)?[0-9a-v]{20}$/.test(text)) throw new CharmError(`option "${option}" expected secret URI, got "${text}"`);
      return text;
    case "int": {
      if (!/^[-+]?[0-9]+$/.test(text.trim())) throw new CharmError(`option "${option}" expected int, got "${text}"`);
      return Number(text);
    }
    case "float": {
      const value = Number(text);
      if (text.trim() === "" || !Number.isFinite(value)) throw new CharmError(`option "${option}" expected float, got "${text}"`);
      return value;
    }
    case "boolean": {
      const lowered = text.trim().toLowerCase();
      if (["true", "1", "t", "yes", "y", "on"].includes(lowered)) return true;
      if (["false", "0", "f", "no", "n", "off"].includes(lowered)) return false;
      throw new CharmError(`option "${option}" expected boolean, got "${text}"`);
    }
  }
}

function actionsOf(raw: unknown): Record<string, ActionSpec> {
  if (raw === null || raw === undefined) return {};
  const parsed = ActionsYaml.safeParse(raw);
  if (!parsed.success) throw new CharmError(`invalid actions.yaml: ${z.prettifyError(parsed.error)}`);
  const actions: Record<string, ActionSpec> = {};
  for (const [name, action] of Object.entries(parsed.data)) {
    if (!ACTION_NAME.test(name)) throw new CharmError(`bad action name ${name}`);
    if (name === "juju" || name.startsWith("juju-")) throw new CharmError(`cannot use action name ${name}: "juju" is a reserved name`);
    const params = (action?.params ?? {}) as Record<string, JsonSchema>;
    for (const schema of Object.values(params)) {
      if ("$ref" in schema || "$schema" in schema) throw new CharmError(`invalid params schema for action ${name}: $ref and $schema are not allowed`);
    }
    actions[name] = {
      description: action?.description ?? "",
      params,
      required: action?.required ?? [],
      additionalProperties: action?.additionalProperties ?? true,
    };
  }
  return actions;
}

/** Reads and validates a charm directory. */
export async function readCharmDir(dir: string): Promise<CharmSpec> {
  const metaFile = path.join(dir, "metadata.yaml");
  if (!(await exists(metaFile))) throw new CharmError(`${dir}: charm has no metadata.yaml`);
  const parsedMeta = Metadata.safeParse(await readYaml(metaFile));
  if (!parsedMeta.success) throw new CharmError(`invalid metadata.yaml: ${z.prettifyError(parsedMeta.error)}`);
  const meta = parsedMeta.data;
  // Juju deploys a charm with containers only to a Kubernetes model; this model's units are machines.
  const containers = Object.keys(meta.containers ?? {});
  if (containers.length > 0) {
    throw new CharmError(
      `charm "${meta.name}" declares containers (${containers.join(", ")}): it is a Kubernetes charm, and the local model runs machine charms only`,
    );
  }
  const hasDispatch = await exists(path.join(dir, "dispatch"));
  if (!hasDispatch && !(await exists(path.join(dir, "hooks")))) {
    throw new CharmError(`${dir}: charm has neither dispatch nor hooks/`);
  }
  const configFile = path.join(dir, "config.yaml");
  const actionsFile = path.join(dir, "actions.yaml");
  return {
    name: meta.name,
    summary: meta.summary,
    subordinate: meta.subordinate ?? false,
    endpoints: endpointsOf(meta),
    extraBindings: Object.keys(meta["extra-bindings"] ?? {}),
    config: (await exists(configFile)) ? configOf(await readYaml(configFile)) : {},
    actions: (await exists(actionsFile)) ? actionsOf(await readYaml(actionsFile)) : {},
    hasDispatch,
    storage: storageSpecs(meta.name, meta.storage),
    resources: Object.fromEntries(
      Object.entries(meta.resources ?? {}).map(([name, resource]) => [
        name,
        { type: "file" as const, filename: resource.filename, description: resource.description ?? "" },
      ]),
    ),
  };
}

function storageSpecs(charm: string, raw: z.infer<typeof StorageMetadata>): Record<string, StorageSpec> {
  for (const name of Object.keys(raw ?? {})) if (!NAME.test(name)) throw new CharmError(`charm "${charm}" has an invalid storage name "${name}"`);
  try {
    return storageOf(charm, raw);
  } catch (error) {
    throw new CharmError(`invalid metadata.yaml: ${(error as Error).message}`);
  }
}

/**
 * Makes a charm available to the model: a directory is used as it is, a .charm zip is extracted into
 * `intoDir` (modes kept, as Juju does).
 */
export async function loadCharm(source: string, intoDir: string): Promise<{ dir: string; spec: CharmSpec }> {
  const info = await stat(source).catch(() => undefined);
  if (!info) throw new CharmError(`charm not found: ${source}`);
  let dir = path.resolve(source);
  if (info.isFile()) {
    await mkdir(intoDir, { recursive: true });
    await extractCharmArchive(source, intoDir);
    dir = intoDir;
  }
  return { dir, spec: await readCharmDir(dir) };
}
