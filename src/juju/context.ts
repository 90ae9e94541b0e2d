import { z } from "zod";
import { EventContextError } from "./errors.js";

const UNIT_NAME = /^[a-z][a-z0-9-]*\/[0-9]+$/;
const APP_NAME = /^[a-z][a-z0-9-]*$/;
const ENDPOINT = /^[a-z][a-z0-9-]*$/;
const RELATION_HOOK = /^([a-z][a-z0-9-]*)-relation-(created|joined|changed|departed|broken)$/;

export type RelationHookKind = "created" | "joined" | "changed" | "departed" | "broken";

export interface RelationEvent {
  readonly endpoint: string;
  /** `<endpoint>:<id>`, as JUJU_RELATION_ID gives it and `-r` takes it. */
  readonly id: string;
  readonly kind: RelationHookKind;
  readonly remoteApp: string;
  /** Absent for relation-created/broken and application-level relation-changed (contract §1.3). */
  readonly remoteUnit: string | undefined;
  /** Only in relation-departed: the unit that is leaving (possibly this unit). */
  readonly departingUnit: string | undefined;
}

interface EventBase {
  readonly unit: string;
  readonly app: string;
  readonly unitNumber: number;
  readonly charmDir: string;
  readonly modelName: string;
  readonly jujuVersion: string;
}

export interface HookEvent extends EventBase {
  readonly kind: "hook";
  readonly name: string;
  readonly relation: RelationEvent | undefined;
  /** pre/post-series-upgrade: the base the machine moves to (`ubuntu@26.04`, JUJU_TARGET_BASE; interfaces §8.1). */
  readonly targetBase?: string;
}

export interface ActionEvent extends EventBase {
  readonly kind: "action";
  readonly name: string;
  readonly actionId: string;
}

export type EventContext = HookEvent | ActionEvent;

const optional = z
  .string()
  .optional()
  .transform((value) => (value === "" ? undefined : value));

const Env = z.object({
  JUJU_DISPATCH_PATH: z.string({ error: "JUJU_DISPATCH_PATH is not set: run the charm through dispatch or hooks/<name>" }),
  JUJU_UNIT_NAME: z.string({ error: "JUJU_UNIT_NAME is not set" }).regex(UNIT_NAME, "JUJU_UNIT_NAME must look like app/0"),
  JUJU_CHARM_DIR: optional,
  CHARM_DIR: optional,
  JUJU_MODEL_NAME: optional,
  JUJU_VERSION: optional,
  JUJU_HOOK_NAME: optional,
  JUJU_RELATION: optional,
  JUJU_RELATION_ID: optional,
  JUJU_REMOTE_APP: optional,
  JUJU_REMOTE_UNIT: optional,
  JUJU_DEPARTING_UNIT: optional,
  JUJU_ACTION_NAME: optional,
  JUJU_ACTION_UUID: optional,
  JUJU_TARGET_BASE: optional,
});

/**
 * Reads the event from the JUJU_* variables (contract §1.3). JUJU_DISPATCH_PATH (`hooks/<name>` or
 * `actions/<name>`) names the event, as ops does; relation details are required and checked for relation hooks.
 */
export function readEventContext(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): EventContext {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new EventContextError(parsed.error.issues.map((issue) => issue.message).join("; "));
  const vars = parsed.data;

  const match = /^(hooks|actions)\/([a-z0-9][a-z0-9-]*)$/.exec(vars.JUJU_DISPATCH_PATH);
  if (!match) {
    throw new EventContextError(`JUJU_DISPATCH_PATH ${JSON.stringify(vars.JUJU_DISPATCH_PATH)} is neither hooks/<name> nor actions/<name>`);
  }
  const [, location, name] = match as unknown as [string, "hooks" | "actions", string];
  const [app, number] = vars.JUJU_UNIT_NAME.split("/") as [string, string];
  const base: EventBase = {
    unit: vars.JUJU_UNIT_NAME,
    app,
    unitNumber: Number(number),
    charmDir: vars.JUJU_CHARM_DIR ?? vars.CHARM_DIR ?? cwd,
    modelName: vars.JUJU_MODEL_NAME ?? "",
    jujuVersion: vars.JUJU_VERSION ?? "",
  };

  if (location === "actions") {
    return { ...base, kind: "action", name, actionId: vars.JUJU_ACTION_UUID ?? "" };
  }
  return { ...base, kind: "hook", name, relation: readRelation(name, vars), ...(vars.JUJU_TARGET_BASE ? { targetBase: vars.JUJU_TARGET_BASE } : {}) };
}

function readRelation(hook: string, vars: z.output<typeof Env>): RelationEvent | undefined {
  const match = RELATION_HOOK.exec(hook);
  if (!match) return undefined;
  const [, endpoint, kind] = match as unknown as [string, string, RelationHookKind];
  const id = vars.JUJU_RELATION_ID;
  if (!id || !/^[a-z][a-z0-9-]*:[0-9]+$/.test(id) || !ENDPOINT.test(endpoint)) {
    throw new EventContextError(`${hook}: JUJU_RELATION_ID ${JSON.stringify(id ?? "")} is not <endpoint>:<id>`);
  }
  if (id.split(":")[0] !== endpoint) {
    throw new EventContextError(`${hook}: JUJU_RELATION_ID ${id} does not belong to endpoint ${endpoint}`);
  }
  const remoteApp = vars.JUJU_REMOTE_APP;
  if (!remoteApp || !APP_NAME.test(remoteApp)) {
    throw new EventContextError(`${hook}: JUJU_REMOTE_APP ${JSON.stringify(remoteApp ?? "")} is not an application name`);
  }
  const remoteUnit = vars.JUJU_REMOTE_UNIT;
  if (remoteUnit !== undefined && !UNIT_NAME.test(remoteUnit)) {
    throw new EventContextError(`${hook}: JUJU_REMOTE_UNIT ${JSON.stringify(remoteUnit)} is not a unit name`);
  }
  if ((kind === "joined" || kind === "departed") && remoteUnit === undefined) {
    throw new EventContextError(`${hook}: JUJU_REMOTE_UNIT is required`);
  }
  const departingUnit = kind === "departed" ? vars.JUJU_DEPARTING_UNIT : undefined;
  if (departingUnit !== undefined && !UNIT_NAME.test(departingUnit)) {
    throw new EventContextError(`${hook}: JUJU_DEPARTING_UNIT ${JSON.stringify(departingUnit)} is not a unit name`);
  }
  return { endpoint, id, kind, remoteApp, remoteUnit, departingUnit };
}
