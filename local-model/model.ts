import { link, mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { CharmError, loadCharm, parseConfigArgument, readCharmDir, type CharmSpec } from "./charm.js";
import type { HookContext } from "./hook-context.js";
import {
  machineAddress,
  nextRandom,
  shuffled,
  statusRecord,
  type AppState,
  type HookSpec,
  type ModelState,
  type RelationEndpoint,
  type RelationState,
  type UnitState,
} from "./state.js";
import { isPeer, localEndpoint, relationsOfUnit } from "./topology.js";
import type { ConfigValue } from "./tools/types.js";

/** An operator's request the model refuses, with Juju's wording where Juju has one. */
export class ModelError extends Error {
  override readonly name = "ModelError";
}

const APP_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$/;

/** Hard-links a charm tree into a unit's charm dir: each unit has its own directory, the runtime is not copied. */
export async function linkCharmTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await linkCharmTree(source, target);
    else await link(source, target);
  }
}

/**
 * The model's state and the operator's verbs on it (deploy, add-unit, integrate, config …), plus what a
 * committed hook changes. It decides nothing about when hooks run: that is the resolver and the controller.
 */
export class Model {
  private readonly charms = new Map<string, CharmSpec>();

  constructor(
    readonly dir: string,
    readonly state: ModelState,
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

  // --- operator verbs ------------------------------------------------------------------------------------

  async deploy(source: string, appName: string | undefined, count: number, config: readonly string[]): Promise<AppState> {
    if (count < 1) throw new ModelError("--num-units must be a positive integer");
    const staging = path.join(this.dir, "charms", `staging-${Date.now()}`);
    const loaded = await loadCharm(source, staging);
    const name = appName ?? loaded.spec.name;
    if (!APP_NAME.test(name)) throw new ModelError(`invalid application name "${name}"`);
    if (this.state.applications[name]) throw new ModelError(`cannot add application "${name}": application already exists`);
    const charmDir = await this.placeCharm(loaded.dir, staging, name, 1);
    this.charms.set(charmDir, loaded.spec);
    const app: AppState = {
      name,
      charmName: loaded.spec.name,
      charmDir,
      charmRevision: 1,
      config: this.parseConfig(loaded.spec, config),
      units: [],
      nextUnit: 0,
      leader: null,
      leaderSettings: {},
      leaderSettingsVersion: 0,
      status: statusRecord("unknown"),
      life: "alive",
    };
    this.state.applications[name] = app;
    for (const [endpoint, spec] of Object.entries(loaded.spec.endpoints)) {
      if (spec.role === "peer") this.addRelation([{ app: name, endpoint, role: "peer", interface: spec.interface }]);
    }
    await this.addUnits(name, count);
    return app;
  }

  /** Keeps an extracted charm (or links a directory's) under charms/<app>-<revision>. */
  private async placeCharm(loadedDir: string, staging: string, app: string, revision: number): Promise<string> {
    const target = path.join(this.dir, "charms", `${app}-${revision}`);
    await rm(target, { recursive: true, force: true });
    if (loadedDir === staging) {
      await rename(staging, target);
    } else {
      await linkCharmTree(loadedDir, target);
    }
    return target;
  }

  async refresh(appName: string, source: string): Promise<number> {
    const app = this.app(appName);
    const staging = path.join(this.dir, "charms", `staging-${Date.now()}`);
    const loaded = await loadCharm(source, staging);
    if (loaded.spec.name !== app.charmName) {
      throw new ModelError(`cannot refresh "${appName}": charm "${loaded.spec.name}" is not "${app.charmName}"`);
    }
    const revision = app.charmRevision + 1;
    app.charmDir = await this.placeCharm(loaded.dir, staging, appName, revision);
    app.charmRevision = revision;
    this.charms.set(app.charmDir, loaded.spec);
    return revision;
  }

  async addUnits(appName: string, count: number): Promise<string[]> {
    const app = this.app(appName);
    if (app.life !== "alive") throw new ModelError(`cannot add unit to application "${appName}": application is not alive`);
    if (count < 1) throw new ModelError("--num-units must be a positive integer");
    const added: string[] = [];
    for (let i = 0; i < count; i++) {
      const number = app.nextUnit++;
      const name = `${appName}/${number}`;
      const dir = this.unitDir(name);
      await rm(dir, { recursive: true, force: true });
      await mkdir(path.join(dir, "root"), { recursive: true });
      await linkCharmTree(app.charmDir, path.join(dir, "charm"));
      const unit: UnitState = {
        name,
        app: appName,
        number,
        address: machineAddress(this.state.subnet, this.state.nextAddress++),
        life: "alive",
        dir,
        charmRevision: app.charmRevision,
        installed: false,
        started: false,
        leaderElectedRun: false,
        leaderSettingsSeen: -1,
        configSeen: null,
        queued: [],
        failed: null,
        workload: statusRecord("waiting", "agent initialising"),
        agent: statusRecord("allocating"),
        statusSet: false,
        workloadVersion: "",
        relations: {},
        charmState: {},
        ports: [],
        actions: [],
        lastUpdateStatus: Date.now(),
      };
      this.state.units[name] = unit;
      app.units.push(name);
      added.push(name);
    }
    this.electLeaders();
    return added;
  }

  removeUnit(name: string): void {
    const unit = this.unit(name);
    unit.life = "dying";
  }

  removeApplication(name: string): void {
    const app = this.app(name);
    app.life = "dying";
    for (const unit of app.units) this.unit(unit).life = "dying";
    for (const relation of Object.values(this.state.relations)) {
      if (localEndpoint(relation, name)) relation.life = "dying";
    }
  }

  /** `integrate a[:ep] b[:ep]`: endpoints are matched by interface and role, as Juju matches them. */
  async integrate(first: string, second: string): Promise<RelationState> {
    const candidates = await this.matchEndpoints(first, second);
    if (candidates.length === 0) throw new ModelError(`no relations found between "${first}" and "${second}"`);
    if (candidates.length > 1) {
      const list = candidates.map(([a, b]) => `${a.app}:${a.endpoint} ${b.app}:${b.endpoint}`).join(", ");
      throw new ModelError(`ambiguous relation: "${first} ${second}" could refer to ${list}`);
    }
    const [a, b] = candidates[0]!;
    const existing = this.findRelation(a, b);
    if (existing) throw new ModelError(`relation ${describeRelation(existing)} already exists`);
    return this.addRelation([a, b]);
  }

  async removeRelation(first: string, second: string): Promise<RelationState> {
    const candidates = await this.matchEndpoints(first, second);
    const found = candidates.map(([a, b]) => this.findRelation(a, b)).filter((r): r is RelationState => r !== undefined);
    if (found.length === 0) throw new ModelError(`relation "${first} ${second}" not found`);
    if (found.length > 1) throw new ModelError(`ambiguous relation: "${first} ${second}"`);
    found[0]!.life = "dying";
    return found[0]!;
  }

  private async matchEndpoints(first: string, second: string): Promise<Array<[RelationEndpoint, RelationEndpoint]>> {
    const ends = async (text: string) => {
      const [appName, endpoint] = text.split(":") as [string, string | undefined];
      const charm = await this.charmOf(appName);
      return Object.entries(charm.endpoints)
        .filter(([name, spec]) => spec.role !== "peer" && (endpoint === undefined || name === endpoint))
        .map(([name, spec]): RelationEndpoint => ({ app: appName, endpoint: name, role: spec.role, interface: spec.interface }));
    };
    const left = await ends(first);
    const right = await ends(second);
    if (first.split(":")[0] === second.split(":")[0]) throw new ModelError("cannot relate an application to itself");
    const pairs: Array<[RelationEndpoint, RelationEndpoint]> = [];
    for (const a of left) {
      for (const b of right) {
        if (a.interface === b.interface && a.role !== b.role) pairs.push([a, b]);
      }
    }
    return pairs;
  }

  private findRelation(a: RelationEndpoint, b: RelationEndpoint): RelationState | undefined {
    const key = (end: RelationEndpoint) => `${end.app}:${end.endpoint}`;
    return Object.values(this.state.relations).find(
      (relation) =>
        relation.endpoints.length === 2 && relation.endpoints.some((end) => key(end) === key(a)) && relation.endpoints.some((end) => key(end) === key(b)),
    );
  }

  private addRelation(endpoints: RelationEndpoint[]): RelationState {
    const relation: RelationState = { id: this.state.nextRelationId++, endpoints, life: "alive", scope: [], unitData: {}, appData: {} };
    this.state.relations[String(relation.id)] = relation;
    return relation;
  }

  async setConfig(appName: string, assignments: readonly string[]): Promise<void> {
    const app = this.app(appName);
    const parsed = this.parseConfig(await this.charmOf(appName), assignments);
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

  private parseConfig(charm: CharmSpec, assignments: readonly string[]): Record<string, ConfigValue> {
    const values: Record<string, ConfigValue> = {};
    for (const assignment of assignments) {
      const at = assignment.indexOf("=");
      if (at <= 0) throw new ModelError(`expected "key=value", got "${assignment}"`);
      const key = assignment.slice(0, at);
      const option = charm.config[key];
      if (!option) throw new ModelError(`unknown option "${key}"`);
      try {
        values[key] = parseConfigArgument(key, option, assignment.slice(at + 1));
      } catch (error) {
        throw new ModelError(error instanceof CharmError ? error.message : String(error));
      }
    }
    return values;
  }

  resolved(name: string, retry: boolean): void {
    const unit = this.unit(name);
    if (!unit.failed) throw new ModelError(`unit "${name}" is not in an error state`);
    if (retry) {
      unit.failed.retryAt = 0;
    } else {
      this.applyHookTransition(unit, unit.failed.hook);
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
    app.leader = name;
    unit.leaderElectedRun = false;
    for (const other of app.units) {
      const follower = this.state.units[other];
      if (follower && other !== name && follower.life === "alive") follower.leaderSettingsSeen = -1;
    }
  }

  // --- what a hook's success changes (contract §5.1 commit rules, §5.3) ----------------------------------

  /** Applies the charm's buffered writes of a hook that exited 0 (contract §1.4). */
  commitCharmChanges(unit: UnitState, context: HookContext): void {
    for (const [id, changes] of context.pending.unitData) {
      const relation = this.state.relations[String(id)];
      if (!relation) continue;
      const current = relation.unitData[unit.name] ?? { data: {}, version: 0 };
      relation.unitData[unit.name] = bumpIfChanged(current, changes);
    }
    for (const [id, changes] of context.pending.appData) {
      const relation = this.state.relations[String(id)];
      if (!relation) continue;
      const current = relation.appData[unit.app] ?? { data: {}, version: 0 };
      relation.appData[unit.app] = bumpIfChanged(current, changes);
    }
    for (const [key, value] of context.pending.charmState) {
      if (value === null) delete unit.charmState[key];
      else unit.charmState[key] = value;
    }
    unit.ports = [...context.openedPorts()];
  }

  /** What running the hook means for the unit agent, whether the hook succeeded or was skipped (--no-retry). */
  applyHookTransition(unit: UnitState, hook: HookSpec): void {
    if (unit.queued[0]?.name === hook.name) unit.queued.shift();
    const relation = hook.relationId === undefined ? undefined : this.state.relations[String(hook.relationId)];
    const local = relation ? (unit.relations[String(relation.id)] ??= newUnitRelationState()) : undefined;
    const kind = /-relation-(created|joined|changed|departed|broken)$/.exec(hook.name)?.[1];
    if (relation && local && kind) {
      switch (kind) {
        case "created":
          local.created = true;
          if (unit.life === "alive" && !relation.scope.includes(unit.name)) this.enterScope(relation, unit);
          return;
        case "joined":
          local.known[hook.remoteUnit!] = -1;
          local.changedPending = hook.remoteUnit!;
          return;
        case "changed":
          if (hook.remoteUnit) {
            local.known[hook.remoteUnit] = hook.version ?? 0;
            if (local.changedPending === hook.remoteUnit) local.changedPending = null;
          } else {
            local.appVersion = hook.version ?? 0;
          }
          return;
        case "departed":
          delete local.known[hook.remoteUnit!];
          if (local.changedPending === hook.remoteUnit) local.changedPending = null;
          return;
        case "broken":
          local.broken = true;
          return;
      }
    }
    switch (hook.name) {
      case "install":
        unit.installed = true;
        return;
      case "start":
        unit.started = true;
        return;
      case "stop":
        unit.started = false;
        return;
      case "leader-elected":
        unit.leaderElectedRun = true;
        return;
      case "leader-settings-changed":
        unit.leaderSettingsSeen = hook.version ?? 0;
        return;
      case "config-changed":
        unit.configSeen = hook.configDigest ?? null;
        if (!unit.started && !unit.queued.some((q) => q.name === "start")) unit.queued.push({ name: "start" });
        return;
      case "upgrade-charm":
        unit.charmRevision = hook.revision ?? unit.charmRevision;
        unit.queued.push({ name: "config-changed" });
        return;
      case "update-status":
        unit.lastUpdateStatus = Date.now();
        return;
      case "remove":
        this.forgetUnit(unit);
        return;
    }
  }

  /** Juju seeds a unit's bag with its addresses as it enters scope (contract §3.1). */
  private enterScope(relation: RelationState, unit: UnitState): void {
    relation.scope.push(unit.name);
    const addresses = { "private-address": unit.address, "ingress-address": unit.address, "egress-subnets": `${unit.address}/32` };
    relation.unitData[unit.name] = bumpIfChanged(relation.unitData[unit.name] ?? { data: {}, version: 0 }, addresses);
  }

  private forgetUnit(unit: UnitState): void {
    const app = this.state.applications[unit.app];
    if (app) {
      app.units = app.units.filter((name) => name !== unit.name);
      if (app.leader === unit.name) app.leader = null;
    }
    for (const relation of Object.values(this.state.relations)) {
      relation.scope = relation.scope.filter((name) => name !== unit.name);
    }
    delete this.state.units[unit.name];
  }

  /**
   * Transitions that need no hook: a dying unit that departed everyone leaves the relation's scope (so the
   * others get relation-departed), leaderless applications elect a leader, finished relations and
   * applications go away. Deterministic: every choice comes from the seeded generator.
   */
  settle(): void {
    for (const unit of Object.values(this.state.units)) {
      if (unit.life !== "dying") continue;
      for (const relation of Object.values(this.state.relations)) {
        const local = unit.relations[String(relation.id)];
        if (relation.scope.includes(unit.name) && Object.keys(local?.known ?? {}).length === 0) {
          relation.scope = relation.scope.filter((name) => name !== unit.name);
        }
      }
    }
    for (const relation of Object.values(this.state.relations)) {
      if (relation.life !== "dying") continue;
      const involved = Object.values(this.state.units).filter((unit) => localEndpoint(relation, unit.app));
      const done = involved.every((unit) => {
        const local = unit.relations[String(relation.id)];
        return !local?.created || local.broken || isPeer(relation);
      });
      if (done) {
        delete this.state.relations[String(relation.id)];
        for (const unit of involved) delete unit.relations[String(relation.id)];
      }
    }
    for (const app of Object.values(this.state.applications)) {
      if (app.life === "dying" && app.units.length === 0) {
        delete this.state.applications[app.name];
        for (const relation of Object.values(this.state.relations)) {
          if (localEndpoint(relation, app.name) && isPeer(relation)) delete this.state.relations[String(relation.id)];
        }
      }
    }
    this.electLeaders();
  }

  /** An application without a leader gets one among its alive units, chosen by the seeded generator. */
  private electLeaders(): void {
    for (const app of Object.values(this.state.applications)) {
      if (app.leader && this.state.units[app.leader]) continue;
      const alive = app.units.filter((name) => this.state.units[name]?.life === "alive");
      if (alive.length === 0) {
        app.leader = null;
        continue;
      }
      const leader = alive[Math.floor(nextRandom(this.state) * alive.length)]!;
      app.leader = leader;
      this.state.units[leader]!.leaderElectedRun = false;
    }
  }

  /** Relations in the order a unit looks at them this round: non-peer first, each group shuffled (§5.3). */
  relationOrder(unit: UnitState): RelationState[] {
    const relations = relationsOfUnit(this.state, unit);
    return [
      ...shuffled(
        this.state,
        relations.filter((r) => !isPeer(r)),
      ),
      ...shuffled(this.state, relations.filter(isPeer)),
    ];
  }
}

function newUnitRelationState() {
  return { created: false, known: {}, appVersion: 0, changedPending: null, broken: false };
}

function bumpIfChanged(current: { data: Record<string, string>; version: number }, changes: Record<string, string>) {
  const data = { ...current.data };
  for (const [key, value] of Object.entries(changes)) {
    if (value === "") delete data[key];
    else data[key] = value;
  }
  const changed = JSON.stringify(data) !== JSON.stringify(current.data);
  return changed ? { data, version: current.version + 1 } : current;
}

export function describeRelation(relation: RelationState): string {
  return relation.endpoints.map((end) => `${end.app}:${end.endpoint}`).join(" ");
}
