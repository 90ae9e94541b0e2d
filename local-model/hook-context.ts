import { actionState } from "./action-state.js";
import { applicationStatus } from "./application-status.js";
import type { CharmSpec } from "./charm.js";
import { effectiveConfig } from "./config-values.js";
import { goalState } from "./goal-state.js";
import { RelationCache } from "./relation-cache.js";
import { mergeBag, relationView } from "./relation-view.js";
import { modelSecretTopology } from "./secret-hooks.js";
import { SecretSession } from "./secret-session.js";
import type { ActionRecord, AppState, HookSpec, ModelState, UnitState } from "./state.js";
import { relationsOfUnit } from "./topology.js";
import { syncUnitResource } from "./resources.js";
import { roomError, unitStorage } from "./storage.js";
import {
  ToolRunError,
  type ActionState,
  type ConfigOption,
  type ConfigValue,
  type Databag,
  type HookToolContext,
  type LogLevel,
  type NetworkInfo,
  type OpenedPort,
  type HookSecrets,
  type PortRange,
  type RelationView,
  type StatusValue,
} from "./tools/types.js";

/** Writes a hook buffers until it exits 0 (contract §4): relation data, charm state, ports; secrets in its SecretSession. */
export interface PendingChanges {
  readonly unitData: Map<number, Databag>;
  readonly appData: Map<number, Databag>;
  readonly charmState: Map<string, string | null>;
  readonly ports: Array<{ op: "open" | "close"; range: PortRange; endpoints: readonly string[] }>;
  reboot: "none" | "after" | "now";
  /** storage-add requests, added when the hook commits. */
  readonly storageAdds: Array<{ name: string; count: number }>;
}

export interface HookLogLine {
  readonly level: LogLevel;
  readonly message: string;
}

/** Effects that are not transactional reach the model through these callbacks, at once. */
export interface ImmediateEffects {
  leaderSettingsChanged(app: string): void;
  statusChanged(): void;
}

const sameRange = (a: PortRange, b: PortRange) => a.protocol === b.protocol && a.from === b.from && a.to === b.to;

/**
 * The hook tools' view of the model for one running hook or action. Reads see committed state plus this
 * hook's own pending writes (other units' relation settings and the config as cached for the hook, §3.1);
 * status, leader settings, logs and action results apply at once.
 */
export class HookContext implements HookToolContext {
  readonly pending: PendingChanges = { unitData: new Map(), appData: new Map(), charmState: new Map(), ports: [], reboot: "none", storageAdds: [] };
  readonly logLines: HookLogLine[] = [];
  /** Names of the hook tools called in this context, in order. */
  readonly toolCalls: string[] = [];
  private leaderLatchedFalse = false;
  private leaderSettingsCache: Databag | undefined;
  /** Juju reads the config once per hook context, at the first config-get. */
  private configCache: Readonly<Record<string, ConfigValue>> | undefined;
  private secretSession: SecretSession | undefined;
  readonly action: ActionState | undefined;

  constructor(
    private readonly state: ModelState,
    private readonly self: UnitState,
    private readonly charm: CharmSpec,
    readonly hook: HookSpec | undefined,
    private readonly effects: ImmediateEffects,
    actionRecord?: ActionRecord,
    /** The unit agent's relation cache, pruned for this hook (contract §3.1). */
    private readonly relationCache = new RelationCache(),
  ) {
    this.action = actionRecord ? actionState(actionRecord) : undefined;
  }

  get unit(): string {
    return this.self.name;
  }
  get app(): string {
    return this.self.app;
  }
  get modelUuid(): string {
    return this.state.uuid;
  }
  get modelName(): string {
    return this.state.name;
  }
  get hookName(): string {
    return this.hook?.name ?? "";
  }
  get relationId(): number | undefined {
    return this.hook?.relationId;
  }
  get remoteUnit(): string | undefined {
    return this.hook?.remoteUnit || undefined;
  }
  get remoteApp(): string | undefined {
    return this.hook?.remoteApp;
  }

  configSpec(): Readonly<Record<string, ConfigOption>> {
    return this.charm.config;
  }

  /** The charm the hook runs (storage-add's commit needs its storage). */
  get charmSpec(): CharmSpec {
    return this.charm;
  }

  config(): Readonly<Record<string, ConfigValue>> {
    this.configCache ??= effectiveConfig(this.charm, this.application().config);
    return this.configCache;
  }

  isLeader(): boolean {
    if (this.leaderLatchedFalse) return false;
    const leader = this.application().leader === this.self.name;
    if (!leader) this.leaderLatchedFalse = true;
    return leader;
  }

  leaderSettings(): Databag {
    this.leaderSettingsCache ??= { ...this.application().leaderSettings };
    return { ...this.leaderSettingsCache };
  }

  setLeaderSettings(changes: Databag): void {
    const app = this.application();
    const next = mergeBag(app.leaderSettings, changes);
    this.leaderSettingsCache = undefined;
    if (JSON.stringify(next) === JSON.stringify(app.leaderSettings)) return;
    app.leaderSettings = next;
    app.leaderSettingsVersion++;
    this.effects.leaderSettingsChanged(app.name);
  }

  relations(): readonly RelationView[] {
    const viewer = { state: this.state, unit: this.self, hook: this.hook, pending: this.pending, cache: this.relationCache, isLeader: () => this.isLeader() };
    return relationsOfUnit(this.state, this.self).map((relation) => relationView(viewer, relation));
  }

  get unitName(): string {
    return this.self.name;
  }

  unitStatus(): StatusValue {
    return { status: this.self.workload.current, message: this.self.workload.message, data: this.self.workload.data };
  }

  setUnitStatus(status: StatusValue): void {
    this.self.workload = { current: status.status, message: status.message, data: status.data, since: new Date().toISOString() };
    this.self.statusSet = true;
    this.effects.statusChanged();
  }

  applicationStatus(): { application: StatusValue; units: Record<string, StatusValue> } {
    const app = this.application();
    const units: Record<string, StatusValue> = {};
    for (const name of app.units) {
      const workload = this.state.units[name]?.workload;
      if (workload) units[name] = { status: workload.current, message: workload.message, data: workload.data };
    }
    // Never set by the leader: derived from the units, as `status` shows it.
    const derived = applicationStatus(this.state, app);
    const data = app.status.current === "unknown" ? {} : app.status.data;
    return { application: { status: derived.current, message: derived.message ?? "", data }, units };
  }

  setApplicationStatus(status: StatusValue): void {
    const app = this.application();
    app.status = { current: status.status, message: status.message, data: status.data, since: new Date().toISOString() };
    this.effects.statusChanged();
  }

  setWorkloadVersion(version: string): void {
    this.self.workloadVersion = version;
    this.effects.statusChanged();
  }

  log(level: LogLevel, message: string): void {
    this.logLines.push({ level, message });
  }

  privateAddress(): string {
    return this.self.address;
  }

  publicAddress(): string | undefined {
    return this.self.address;
  }

  /** Every binding of a simulated machine is its one loopback address. */
  networkInfo(binding: string): NetworkInfo | undefined {
    const known = binding === "" || Object.hasOwn(this.charm.endpoints, binding) || this.charm.extraBindings.includes(binding);
    if (!known) return undefined;
    const address = this.self.address;
    return {
      bindAddresses: [{ macAddress: "", interfaceName: "lo", addresses: [{ hostname: "", value: address, cidr: "127.0.0.0/8" }] }],
      egressSubnets: [`${address}/32`],
      ingressAddresses: [address],
    };
  }

  openedPorts(): readonly OpenedPort[] {
    let ports: OpenedPort[] = [...this.self.ports];
    for (const change of this.pending.ports) {
      ports = ports.filter((port) => !sameRange(port, change.range));
      if (change.op === "open") ports.push({ ...change.range, endpoints: [...change.endpoints] });
    }
    return ports;
  }

  /** Each simulated machine hosts one unit, so no other unit's range can conflict. */
  openPort(range: PortRange, endpoints: readonly string[]): void {
    this.pending.ports.push({ op: "open", range, endpoints });
  }

  closePort(range: PortRange, endpoints: readonly string[]): void {
    this.pending.ports.push({ op: "close", range, endpoints });
  }

  charmState(): Databag {
    const merged = { ...this.self.charmState };
    for (const [key, value] of this.pending.charmState) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    return merged;
  }

  setCharmState(changes: Databag): void {
    for (const [key, value] of Object.entries(changes)) this.pending.charmState.set(key, value);
  }

  deleteCharmState(key: string): void {
    this.pending.charmState.set(key, null);
  }

  requestReboot(now: boolean): void {
    this.pending.reboot = now ? "now" : "after";
  }

  secrets(): HookSecrets {
    this.secretSession ??= new SecretSession(
      () => this.state.secrets ?? {},
      { unit: this.self.name, app: this.self.app, isLeader: () => this.isLeader() },
      modelSecretTopology(this.state),
    );
    return this.secretSession;
  }

  /** The secret changes this hook made, for the commit. */
  get secretOps() {
    return this.secretSession?.ops ?? [];
  }

  goalState() {
    return goalState(this.state, this.self, this.application());
  }

  get storageId(): string | undefined {
    return this.hook?.storageId;
  }

  storage(id: string): { kind: "filesystem" | "block"; location: string } | undefined {
    const instance = this.state.storage?.[id];
    return instance?.unit === this.self.name ? { kind: instance.kind, location: instance.location } : undefined;
  }

  storageIds(): readonly string[] {
    return unitStorage(this.state, this.self.name).map((instance) => instance.id);
  }

  addStorage(name: string, count: number): void {
    // Juju checks the name when the hook's changes are flushed; refusing it here fails the same hook.
    if (!this.charm.storage[name]) throw new ToolRunError(`charm storage ${JSON.stringify(name)} not found`);
    const pending = this.pending.storageAdds.filter((add) => add.name === name).reduce((sum, add) => sum + add.count, 0);
    const refused = roomError(this.state, this.charm, this.self, name, pending + count);
    if (refused !== undefined) throw new ToolRunError(refused);
    this.pending.storageAdds.push({ name, count });
  }

  resourcePath(name: string): string {
    const local = syncUnitResource(this.self.dir, this.application(), this.charm, name);
    if (local !== undefined) return local;
    // What the controller answers for a resource with nothing (or an empty placeholder) uploaded (interfaces §9).
    const unitTag = `unit-${this.self.name.replace("/", "-")}`;
    throw new ToolRunError(
      `could not download resource: HTTP request failed: Get https://127.0.0.1:17070/model/${this.state.uuid}/units/${unitTag}/resources/${name}: resource#${this.self.app}/${name} not found`,
    );
  }

  /** The unit's application; it outlives its units. */
  private application(): AppState {
    const app = this.state.applications[this.self.app];
    if (!app) throw new ToolRunError(`application "${this.self.app}" not found`);
    return app;
  }
}
