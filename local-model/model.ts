import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { configView, parseConfigAssignments, type ConfigView } from "./app-config.js";
import { loadCharm, readCharmDir, type CharmSpec } from "./charm.js";
import { makeUnitCharm, placeCharm, stagingDir } from "./charm-store.js";
import { applyHookTransition } from "./hook-commit.js";
import { applyModelConfig } from "./model-config.js";
import { ModelError } from "./model-error.js";
import { electLeaders } from "./model-settle.js";
import { addRelation, describeRelation, findRelation, matchEndpoints, onlyPair } from "./relation-match.js";
import { allocateMachineId, machineAddress, statusRecord, type AppState, type ModelState, type RelationState, type UnitState } from "./state.js";
import { statusJson, statusTable } from "./status.js";
import { localEndpoint } from "./topology.js";
import { PackageArchive } from "./packages.js";
import { chooseBase, DEFAULT_BASE, formatBase, manifestBases, osRelease, parseBase, supportsBase } from "./base.js";
import { leadershipPinned } from "./machine-upgrade.js";
import { parseResourceArguments, uploadResource } from "./resources.js";
import { checkReusable, provisionUnitStorage, requestDetach, unitStorage } from "./storage.js";
import { addUnitStorage, attachResources, attachStorage, deployStorageDirectives, detachStorage } from "./model-storage.js";
import { storageJson, storageTable } from "./storage-status.js";
import { newUnitState } from "./unit-record.js";
import type { MachineNetwork } from "./network/model-network.js";
import { type CutPair, healUnits, partitionUnits } from "./network/partitions.js";

const APP_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$/;

/** What `status` answers: `juju status --format=json`'s shape and the tabular text. */
export interface ModelStatus {
  readonly json: Record<string, unknown>;
  readonly table: string;
}

/**
 * The model's state and the operator's verbs on it (deploy, add-unit, integrate, config …). It decides
 * nothing about when hooks run: that is the resolver and the controller.
 */
export class Model {
  private readonly charms = new Map<string, CharmSpec>();

  constructor(
    readonly dir: string,
    readonly state: ModelState,
    /** Each machine's network namespace and the partitions between them (network/). */
    readonly network: MachineNetwork,
    /** Where the machines' packages come from, per base (packages.ts). */
    readonly archive: PackageArchive = new PackageArchive(),
  ) {}

  unitDir(unit: string): string {
    return path.join(this.dir, "units", unit.replace("/", "-"));
  }

  /** The charm the application runs now (cached by directory). */
  async charmOf(appName: string): Promise<CharmSpec> {
    const app = this.app(appName);
    let spec = this.charms.get(app.charmDir);
    if (!spec) {
      spec = await readCharmDir(app.charmDir);
      this.charms.set(app.charmDir, spec);
    }
    return spec;
  }

  cachedCharm(appName: string): CharmSpec {
    const spec = this.charms.get(this.app(appName).charmDir);
    if (!spec) throw new Error(`charm of ${appName} not loaded`);
    return spec;
  }

  app(name: string): AppState {
    const app = this.state.applications[name];
    if (!app) throw new ModelError(`application "${name}" not found`);
    return app;
  }

  unit(name: string): UnitState {
    const unit = this.state.units[name];
    if (!unit) throw new ModelError(`unit "${name}" not found`);
    return unit;
  }

  /** A unit, or `<application>/leader` for that application's leader, as `juju run` and `juju exec` take it. */
  unitOrLeader(name: string): UnitState {
    const [appName = "", which] = name.split("/");
    if (which !== "leader") return this.unit(name);
    const leader = this.app(appName).leader;
    if (!leader) throw new ModelError(`application "${appName}" has no leader`);
    return this.unit(leader);
  }

  async deploy(
    source: string,
    appName: string | undefined,
    count: number,
    config: readonly string[],
    base?: string,
    extras: { readonly storage?: readonly string[]; readonly resources?: readonly string[] } = {},
  ): Promise<AppState> {
    if (count < 1) throw new ModelError("--num-units must be a positive integer");
    const requested = base === undefined ? undefined : parseBase(base);
    const staging = stagingDir(this.dir);
    const loaded = await loadCharm(source, staging);
    const chosen = chooseBase(requested, await manifestBases(loaded.dir));
    const name = appName ?? loaded.spec.name;
    if (!APP_NAME.test(name)) throw new ModelError(`invalid application name "${name}"`);
    if (this.state.applications[name]) throw new ModelError(`cannot add application "${name}": application already exists`);
    // Checked before anything is created: a bad directive or resource leaves the model as it was.
    const storage = deployStorageDirectives(loaded.spec, extras.storage ?? []);
    const resources = parseResourceArguments(loaded.spec, extras.resources ?? []);
    const charmDir = await placeCharm(this.dir, loaded.dir, staging, name, 1);
    this.charms.set(charmDir, loaded.spec);
    const app: AppState = {
      name,
      charmName: loaded.spec.name,
      charmDir,
      charmRevision: 1,
      config: parseConfigAssignments(loaded.spec, config),
      units: [],
      nextUnit: 0,
      leader: null,
      leaderSettings: {},
      leaderSettingsVersion: 0,
      status: statusRecord("unknown"),
      life: "alive",
      base: { ...chosen },
      storage,
    };
    this.state.applications[name] = app;
    for (const resource of resources) await uploadResource(this.dir, app, loaded.spec, resource.name, resource.file);
    for (const [endpoint, spec] of Object.entries(loaded.spec.endpoints)) {
      if (spec.role === "peer") addRelation(this.state, [{ app: name, endpoint, role: "peer", interface: spec.interface }]);
    }
    await this.addUnits(name, count);
    return app;
  }

  /** Returns the new charm revision. */
  async refresh(appName: string, source: string): Promise<number> {
    const app = this.app(appName);
    const staging = stagingDir(this.dir);
    const loaded = await loadCharm(source, staging);
    if (loaded.spec.name !== app.charmName) {
      throw new ModelError(`cannot refresh "${appName}": charm "${loaded.spec.name}" is not "${app.charmName}"`);
    }
    // As Juju checks: the new charm must run on the application's base (set-application-base changes it).
    const supported = await manifestBases(loaded.dir);
    const base = app.base ?? DEFAULT_BASE;
    if (!supportsBase(supported, base)) {
      throw new ModelError(
        `cannot refresh "${appName}": the charm does not support the application's base ${formatBase(base)} (it supports ${supported.map(formatBase).join(", ")})`,
      );
    }
    const revision = app.charmRevision + 1;
    app.charmDir = await placeCharm(this.dir, loaded.dir, staging, appName, revision);
    app.charmRevision = revision;
    this.charms.set(app.charmDir, loaded.spec);
    return revision;
  }

  /** Each unit gets its machine: an address in its own network namespace, a filesystem root and its own charm dir. */
  async addUnits(appName: string, count: number, attachStorage: readonly string[] = []): Promise<string[]> {
    const app = this.app(appName);
    if (app.life !== "alive") throw new ModelError(`cannot add unit to application "${appName}": application is not alive`);
    if (count < 1) throw new ModelError("--num-units must be a positive integer");
    const charm = await this.charmOf(appName);
    if (attachStorage.length > 0 && count !== 1) throw new ModelError("--attach-storage cannot be used with -n");
    checkReusable(this.state, charm, attachStorage);
    const appBase = app.base ?? DEFAULT_BASE;
    const supported = await manifestBases(app.charmDir);
    if (!supportsBase(supported, appBase)) {
      throw new ModelError(
        `cannot add a unit of "${appName}" on ${formatBase(appBase)}: its charm supports ${supported.map(formatBase).join(", ")}; refresh it to a charm for ${formatBase(appBase)} first`,
      );
    }
    const added: string[] = [];
    for (let i = 0; i < count; i++) {
      const number = app.nextUnit++;
      const name = `${appName}/${number}`;
      const dir = this.unitDir(name);
      await rm(dir, { recursive: true, force: true });
      await mkdir(path.join(dir, "root", "etc"), { recursive: true });
      // How a charm on a real machine learns its base.
      const base = { ...appBase };
      await writeFile(path.join(dir, "root", "etc", "os-release"), osRelease(base));
      await makeUnitCharm(dir, app.charmDir);
      const address = machineAddress(this.state.subnet, this.state.nextAddress++);
      const namespace = await this.network.addMachine(address);
      const unit: UnitState = {
        ...newUnitState(name, appName, number, dir, address, app.charmRevision),
        charmModifiedVersion: app.charmModifiedVersion ?? 0,
        machine: allocateMachineId(this.state),
        namespace,
        base,
      };
      this.state.units[name] = unit;
      // The machine's storage is there before its first hook (interfaces §7.3).
      provisionUnitStorage(this.state, this.dir, charm, unit, app.storage ?? {}, attachStorage);
      app.units.push(name);
      added.push(name);
    }
    electLeaders(this.state);
    return added;
  }

  /**
   * With `force`, a unit whose teardown hooks fail (or that is in error now) is removed anyway. Its storage is
   * detached and kept, or with `destroyStorage` destroyed (interfaces §7.2).
   */
  removeUnits(names: readonly string[], force = false, destroyStorage = false): void {
    const units = names.map((name) => this.unit(name));
    for (const unit of units) {
      unit.life = "dying";
      for (const instance of unitStorage(this.state, unit.name)) requestDetach(this.state, unit, instance, destroyStorage);
      if (!force) continue;
      unit.forceRemoval = true;
      // A unit in error is not held by its failed hook: its teardown goes on, and a failure ends it.
      unit.failed = null;
    }
  }

  removeApplication(name: string): void {
    const app = this.app(name);
    app.life = "dying";
    for (const name of app.units) {
      const unit = this.unit(name);
      unit.life = "dying";
      for (const instance of unitStorage(this.state, name)) requestDetach(this.state, unit, instance, false);
    }
    for (const relation of Object.values(this.state.relations)) {
      if (localEndpoint(relation, name)) relation.life = "dying";
    }
  }

  /** Storage and resource verbs (model-storage.ts). */
  attachStorage(unit: string, ids: readonly string[]): Promise<void> {
    return attachStorage(this, unit, ids);
  }

  detachStorage(ids: readonly string[]): void {
    detachStorage(this, ids);
  }

  addStorage(unit: string, directives: readonly string[]): Promise<string[]> {
    return addUnitStorage(this, unit, directives);
  }

  attachResources(app: string, args: readonly string[]): Promise<void> {
    return attachResources(this, app, args);
  }

  storage(): ModelStatus {
    return { json: storageJson(this.state), table: storageTable(this.state) };
  }

  /** `integrate a[:ep] b[:ep]`: endpoints are matched by interface and role, as Juju matches them. */
  async integrate(first: string, second: string): Promise<RelationState> {
    const pair = onlyPair(await matchEndpoints((app) => this.charmOf(app), first, second), first, second);
    const existing = findRelation(this.state, pair);
    if (existing) throw new ModelError(`relation ${describeRelation(existing)} already exists`);
    return addRelation(this.state, pair);
  }

  async removeRelation(first: string, second: string): Promise<RelationState> {
    const pairs = await matchEndpoints((app) => this.charmOf(app), first, second);
    const found = pairs.map((pair) => findRelation(this.state, pair)).filter((r): r is RelationState => r !== undefined);
    const [relation, ...others] = found;
    if (!relation) throw new ModelError(`relation "${first} ${second}" not found`);
    if (others.length > 0) throw new ModelError(`ambiguous relation: "${first} ${second}"`);
    relation.life = "dying";
    return relation;
  }

  async showConfig(appName: string): Promise<ConfigView> {
    const charm = await this.charmOf(appName);
    return configView(this.app(appName), charm);
  }

  async setConfig(appName: string, assignments: readonly string[]): Promise<void> {
    const app = this.app(appName);
    const parsed = parseConfigAssignments(await this.charmOf(appName), assignments);
    app.config = { ...app.config, ...parsed };
  }

  async resetConfig(appName: string, keys: readonly string[]): Promise<void> {
    const app = this.app(appName);
    const charm = await this.charmOf(appName);
    for (const key of keys) {
      if (!Object.hasOwn(charm.config, key)) throw new ModelError(`unknown option "${key}"`);
      delete app.config[key];
    }
  }

  /** `model-config key=value …`: all or nothing (model-config.ts). */
  configureModel(assignments: readonly string[]): void {
    applyModelConfig(this.state.modelConfig, assignments);
  }

  status(): ModelStatus {
    const charms = Object.fromEntries(Object.keys(this.state.applications).map((name) => [name, this.cachedCharm(name)]));
    return { json: statusJson(this.state, charms), table: statusTable(this.state) };
  }

  resolved(name: string, retry: boolean): void {
    const unit = this.unit(name);
    if (!unit.failed) throw new ModelError(`unit "${name}" is not in an error state`);
    if (retry) {
      unit.failed.retryAt = 0;
    } else {
      applyHookTransition(this.state, unit, unit.failed.hook);
      unit.failed = null;
      unit.agent = statusRecord("idle");
    }
  }

  /**
   * Fault injection, not a Juju verb: leadership moves to `name` as when the lease changes hands. The new
   * leader runs leader-elected; every other unit of the application, the old leader included, runs
   * leader-settings-changed.
   */
  elect(name: string): void {
    const unit = this.unit(name);
    const app = this.app(unit.app);
    if (unit.life !== "alive") throw new ModelError(`cannot elect unit "${name}": unit is not alive`);
    if (app.leader === name) throw new ModelError(`unit "${name}" is already the leader of "${app.name}"`);
    if (leadershipPinned(this.state, app.name)) {
      throw new ModelError(`leadership of "${app.name}" is pinned while one of its machines is being upgraded (upgrade-machine … complete first)`);
    }
    app.leader = name;
    unit.leaderElectedRun = false;
    for (const other of app.units) {
      const follower = this.state.units[other];
      if (follower && other !== name && follower.life === "alive") follower.leaderSettingsSeen = -1;
    }
  }

  /**
   * `juju set-application-base`: the base new units get; existing machines keep theirs (upgrade-machine moves
   * them). Juju's advice applies: refresh to a charm for the new base before adding units.
   */
  setApplicationBase(appName: string, baseText: string): void {
    const app = this.app(appName);
    app.base = parseBase(baseText);
  }

  /** Fault injection, not a Juju verb: cuts `side` off from `from` (every other unit when empty); the pairs cut. */
  partition(side: readonly string[], from: readonly string[]): Promise<CutPair[]> {
    return partitionUnits(this.state, this.network, side, from);
  }

  /** Mends the partitions of the named units (all when none); the pairs mended. */
  heal(units: readonly string[]): Promise<CutPair[]> {
    return healUnits(this.state, this.network, units);
  }
}
