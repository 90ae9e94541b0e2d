import { randomUUID } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { StorageDirective } from "./storage-spec.js";
import type { SecretStore } from "./secret-store.js";
import type { Databag, OpenedPort } from "./tools/types.js";

// The seeded generator lived here; soak/ still imports it from this module.

/**
 * Everything the model knows, as plain JSON persisted in <model>/state.json after every change so that
 * separate CLI invocations and a restarted controller see the same model.
 */

export interface StatusRecord {
  current: string;
  message: string;
  since: string;
  data: Record<string, unknown>;
}

/** A hook to run, with what it was about (contract §1.3). */
export interface HookSpec {
  name: string;
  relationId?: number;
  remoteUnit?: string;
  remoteApp?: string;
  departingUnit?: string;
  /** For relation-changed and leader-settings-changed: the version delivered, recorded as seen on commit. */
  version?: number;
  /** For config-changed: the config digest delivered. */
  configDigest?: string;
  /** For upgrade-charm: the charm revision delivered. */
  revision?: number;
  /** For upgrade-charm: the charm-modified version delivered (bumped by attach-resource, interfaces §9). */
  modifiedVersion?: number;
  /** For <name>-storage-attached/-detaching: the instance, e.g. "data/0" (contract §1.3). */
  storageId?: string;
  /** For secret-* hooks (interfaces §6.2): JUJU_SECRET_ID's secret, JUJU_SECRET_LABEL, JUJU_SECRET_REVISION (exported when > 0). */
  secretId?: string;
  secretLabel?: string;
  secretRevision?: number;
  /** For pre/post-series-upgrade: JUJU_TARGET_BASE (interfaces §8.1), e.g. "ubuntu@26.04". */
  targetBase?: string;
}

export interface UnitRelationState {
  /** relation-created has run. */
  created: boolean;
  /** Remote units this unit has seen join, with the settings version it last saw (-1 until changed runs). */
  known: Record<string, number>;
  /** The remote application settings version last delivered (0: never written). */
  appVersion: number;
  /** relation-joined for this unit ran; relation-changed for it comes next (§5.3 rule 1). */
  changedPending: string | null;
  /** relation-broken has run. */
  broken: boolean;
}

export interface FailedHook {
  hook: HookSpec;
  attempts: number;
  /** When the automatic retry runs (epoch ms), or null to wait for `resolved`. */
  retryAt: number | null;
}

export interface UnitState {
  name: string;
  app: string;
  number: number;
  address: string;
  life: "alive" | "dying";
  /** The simulated machine: its filesystem root, charm dir and tools dir live under here. */
  dir: string;
  /** `remove-unit --force`: a teardown hook that fails no longer holds the unit; it is removed anyway. */
  forceRemoval?: boolean;
  /** The machine's network namespace (network/model-network.ts); set when the controller opens the model's network. */
  namespace?: string;
  /**
   * The machine's base when it is not its application's: set when the unit's machine is created (from the
   * application's base then) and by upgrade-machine; absent in older states (the application's).
   */
  base?: { name: string; channel: string };
  /**
   * Between upgrade-machine prepare and complete (machine-upgrade.ts): the target base and the series-upgrade
   * hook still to run (none: prepared, and no hook runs until complete).
   */
  seriesUpgrade?: { target: { name: string; channel: string }; hook?: "pre-series-upgrade" | "post-series-upgrade" };
  /** The machine's id as Juju numbers machines in a model ("0", "1", … never reused); absent in older states. */
  machine?: string;
  charmRevision: number;
  /** The application's charm-modified version this unit last ran upgrade-charm for (absent: 0). */
  charmModifiedVersion?: number;
  installed: boolean;
  started: boolean;
  /** Leader-elected has run since this unit last became leader. */
  leaderElectedRun: boolean;
  /** leader settings version delivered by leader-settings-changed (-1: never). */
  leaderSettingsSeen: number;
  /** Digest of the config last delivered by config-changed (null: never). */
  configSeen: string | null;
  /** Hooks queued by commits (start after the first config-changed, config-changed after upgrade-charm). */
  queued: HookSpec[];
  failed: FailedHook | null;
  workload: StatusRecord;
  agent: StatusRecord;
  /** The charm set a workload status in some hook (Juju then stops defaulting it, §1.4). */
  statusSet: boolean;
  workloadVersion: string;
  relations: Record<string, UnitRelationState>;
  charmState: Databag;
  ports: OpenedPort[];
  /** Action ids waiting to run, in order. */
  actions: string[];
  lastUpdateStatus: number;
}

export interface AppState {
  name: string;
  charmName: string;
  charmDir: string;
  charmRevision: number;
  /** Values the operator set; defaults come from the charm. */
  config: Record<string, string | number | boolean>;
  units: string[];
  nextUnit: number;
  leader: string | null;
  leaderSettings: Databag;
  leaderSettingsVersion: number;
  status: StatusRecord;
  life: "alive" | "dying";
  /** The machines' base, chosen at deploy (absent in older states: ubuntu@24.04). */
  base?: { name: string; channel: string };
  /** Storage directives by label, from deploy: what add-unit provisions (interfaces §7.2). */
  storage?: Record<string, StorageDirective>;
  /** Uploaded resources by name (interfaces §9). */
  resources?: Record<string, StoredResource>;
  /** Bumped by attach-resource: every unit runs upgrade-charm (interfaces §9; absent: 0). */
  charmModifiedVersion?: number;
}

export interface StoredResource {
  revision: number;
  /** The model's copy of the uploaded file. */
  file: string;
  filename: string;
  size: number;
}

/** A storage instance of the model (interfaces §7): its id never reused, it outlives its unit unless destroyed. */
export interface StorageInstance {
  /** "<name>/<n>", n from the model's one counter. */
  id: string;
  name: string;
  kind: "filesystem" | "block";
  pool: string;
  sizeMiB: number;
  /** The model's directory (filesystem) or sparse image file (block) holding the data. */
  source: string;
  /** The unit it is attached to; null when detached. */
  unit: string | null;
  /** Where the unit's machine sees it ("" when detached). */
  location: string;
  /** <name>-storage-attached has run for the current attachment. */
  attachedHookRun: boolean;
  /** Detach requested: <name>-storage-detaching runs next, then the attachment goes. */
  detaching: boolean;
  /** remove-unit --destroy-storage: the instance goes with its attachment. */
  destroyOnDetach: boolean;
  since: string;
}

export interface RelationEndpoint {
  app: string;
  endpoint: string;
  role: "peer" | "provider" | "requirer";
  interface: string;
}

export interface RelationState {
  id: number;
  endpoints: RelationEndpoint[];
  life: "alive" | "dying";
  /** Units that entered the relation's scope (visible to the other side). */
  scope: string[];
  unitData: Record<string, { data: Databag; version: number }>;
  appData: Record<string, { data: Databag; version: number }>;
}

export interface ActionRecord {
  id: string;
  /** An action from actions.yaml, or a command run in a hook context (`exec`, like `juju exec`). */
  kind: "action" | "exec";
  unit: string;
  name: string;
  /** exec only: the shell command and the relation context it runs in. */
  command?: string;
  relationId?: number;
  remoteUnit?: string;
  params: Record<string, unknown>;
  status: "pending" | "running" | "completed" | "failed";
  message: string;
  results: Record<string, unknown>;
  logs: string[];
  stdout: string;
  stderr: string;
  returnCode: number | null;
  enqueued: string;
  started: string | null;
  completed: string | null;
}

export interface ModelConfig {
  "update-status-hook-interval": string;
  "automatically-retry-hooks": boolean;
  /** Not Juju's: injected hook faults, e.g. "hook-failure:0.05,hook-kill:0.05" ("" is off; see faults.ts). */
  "fault-injection"?: string;
}

export interface ModelState {
  version: 1;
  uuid: string;
  name: string;
  seed: number;
  /**
   * How the unit agents run, fixed when the model is created: "agents", each unit on its own as in Juju (the
   * default; absent in older states), or "rounds", the seeded, replayable rounds (agents-rounds.ts).
   */
  scheduling?: Scheduling;
  /** The seeded generator's state, so a replay continues the same sequence. */
  rng: number;
  /** The fault-injection generator's state, from the first time fault injection was on (faults.ts). */
  faults?: { rng: number };
  modelConfig: ModelConfig;
  /** The /24 of 127.0.0.0/8 this model's machines get addresses from, e.g. "127.0.0". */
  subnet: string;
  nextAddress: number;
  /** The next machine id (absent in older states: then counted from the units there are). */
  nextMachineId?: number;
  nextRelationId: number;
  nextActionId: number;
  hookCounter: number;
  applications: Record<string, AppState>;
  /** Not Juju's: pairs of units whose machines cannot reach each other (network/partitions.ts); absent: none. */
  partitions?: Array<[string, string]>;
  units: Record<string, UnitState>;
  relations: Record<string, RelationState>;
  actions: Record<string, ActionRecord>;
  /** Storage instances by id (absent in older states: none). */
  storage?: Record<string, StorageInstance>;
  nextStorageId?: number;
  /** Juju secrets by id (absent in older states: none). */
  secrets?: SecretStore;
}

/** `--scheduling`: independent unit agents as in Juju, or seeded rounds that replay by seed (not Juju's). */
export const SCHEDULINGS = ["agents", "rounds"] as const;
export type Scheduling = (typeof SCHEDULINGS)[number];

export function newModelState(name: string, seed: number, subnet = "127.0.0", scheduling: Scheduling = "agents"): ModelState {
  return {
    version: 1,
    uuid: randomUUID(),
    name,
    seed,
    scheduling,
    rng: seed >>> 0,
    modelConfig: { "update-status-hook-interval": "5m", "automatically-retry-hooks": true, "fault-injection": "" },
    subnet,
    nextAddress: 0,
    nextRelationId: 0,
    nextActionId: 1,
    hookCounter: 0,
    applications: {},
    units: {},
    relations: {},
    actions: {},
  };
}

export function statusRecord(current: string, message = ""): StatusRecord {
  return { current, message, since: new Date().toISOString(), data: {} };
}

export async function loadModelState(dir: string): Promise<ModelState | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, "state.json"), "utf8")) as ModelState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Atomic: write a temporary file, then rename over state.json. */
export async function saveModelState(dir: string, state: ModelState): Promise<void> {
  const file = path.join(dir, "state.json");
  const temporary = `${file}.${process.pid}.tmp`;
  // Secrets live in the state: only the controller (root) reads it.
  await writeFile(temporary, JSON.stringify(state, null, 1), { mode: 0o600 });
  await rename(temporary, file);
}

/** Address of the model's n-th machine (from 0): <subnet>.11, .12, … up to .254. */
export function machineAddress(subnet: string, n: number): string {
  if (n > 243) throw new Error(`the model has used every address of ${subnet}.0/24`);
  return `${subnet}.${11 + n}`;
}

/** A unit's machine id: Juju's number, or for a unit from an older model state the unit's own name. */
export function machineIdOf(unit: Pick<UnitState, "machine" | "name">): string {
  return unit.machine ?? unit.name.replace("/", "-");
}

/** Takes the model's next machine id. */
export function allocateMachineId(state: ModelState): string {
  const next = state.nextMachineId ?? Object.keys(state.units).length;
  state.nextMachineId = next + 1;
  return String(next);
}
