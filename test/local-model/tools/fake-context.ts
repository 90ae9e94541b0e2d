/**
 * An in-memory HookToolContext for testing the hook-tool commands without a model: state is set up by
 * the test, and everything a tool changes is recorded for the test to inspect. Relations are
 * FakeRelation's (fake-relation.ts), the action FakeAction's (fake-action.ts).
 */
import { SecretSession, commitSecretOps } from "../../../local-model/secret-session.js";
import type { SecretStore } from "../../../local-model/secret-store.js";
import { runHookTool } from "../../../local-model/tools/index.js";
import {
  ToolRunError,
  type ConfigOption,
  type ConfigValue,
  type Databag,
  type HookSecrets,
  type HookToolContext,
  type LogLevel,
  type NetworkInfo,
  type OpenedPort,
  type PortRange,
  type RelationView,
  type StatusValue,
  type ToolResult,
} from "../../../local-model/tools/types.js";
import type { FakeAction } from "./fake-action.js";
import { applyPending, FakeRelation, type FakeRelationSetup } from "./fake-relation.js";

export interface FakeContextSetup {
  readonly unit?: string;
  readonly hookName?: string;
  readonly relationId?: number;
  readonly remoteUnit?: string;
  readonly remoteApp?: string;
  readonly action?: FakeAction;
  readonly leader?: boolean;
  readonly configSpec?: Readonly<Record<string, ConfigOption>>;
  /** Explicitly set values; defaults come from configSpec. */
  readonly configValues?: Readonly<Record<string, ConfigValue>>;
  readonly leaderSettings?: Databag;
  readonly relations?: readonly FakeRelationSetup[];
  readonly unitStatus?: StatusValue;
  readonly applicationStatus?: StatusValue;
  readonly otherUnitStatuses?: Readonly<Record<string, StatusValue>>;
  readonly privateAddress?: string;
  readonly publicAddress?: string | null;
  readonly bindings?: Readonly<Record<string, NetworkInfo>>;
  readonly openedPorts?: readonly OpenedPort[];
  readonly charmState?: Databag;
  readonly goalState?: ReturnType<HookToolContext["goalState"]>;
  /** The hook's storage instance (a storage hook). */
  readonly storageId?: string;
  /** Instances attached to the unit, by id. */
  readonly storage?: Readonly<Record<string, { kind: "filesystem" | "block"; location: string }>>;
  /** Storage names the charm declares (storage-add accepts only these). */
  readonly storageNames?: readonly string[];
  /** Resources with a file uploaded: name to unit-local path. */
  readonly resources?: Readonly<Record<string, string>>;
  /** The model's committed secrets (shared between fakes to play owner and consumer); empty by default. */
  readonly secrets?: SecretStore;
  /** The clock secret changes are stamped with (epoch ms). */
  readonly now?: number;
}

export function networkInfo(address: string, extra: Partial<NetworkInfo> = {}): NetworkInfo {
  return {
    bindAddresses: [{ macAddress: "00:16:3e:aa:bb:cc", interfaceName: "eth0", addresses: [{ hostname: "", value: address, cidr: "10.0.0.0/24" }] }],
    egressSubnets: [`${address}/32`],
    ingressAddresses: [address],
    ...extra,
  };
}

const UNKNOWN_STATUS: StatusValue = { status: "unknown", message: "", data: {} };

export class FakeHookContext implements HookToolContext {
  readonly unit: string;
  readonly app: string;
  readonly modelUuid = "5f3c8a2e-0000-4000-8000-00000000abcd";
  readonly modelName = "test-model";
  readonly hookName: string;
  readonly relationId: number | undefined;
  readonly remoteUnit: string | undefined;
  readonly remoteApp: string | undefined;
  readonly action: FakeAction | undefined;
  readonly fakeRelations: FakeRelation[];

  // What tools changed, for the tests to inspect.
  readonly logs: Array<{ level: LogLevel; message: string }> = [];
  readonly leaderWrites: Databag[] = [];
  readonly portChanges: Array<{ op: "open" | "close"; range: PortRange; endpoints: readonly string[] }> = [];
  readonly reboots: boolean[] = [];
  readonly storageAdds: Array<{ name: string; count: number }> = [];
  workloadVersion: string | undefined;
  unitStatusValue: StatusValue;
  applicationStatusValue: StatusValue;
  state: Databag;
  leaderSettingsValue: Databag;

  private leader: boolean;
  private readonly spec: Readonly<Record<string, ConfigOption>>;
  private readonly configValues: Readonly<Record<string, ConfigValue>>;
  private readonly otherUnitStatuses: Readonly<Record<string, StatusValue>>;
  private readonly setup: FakeContextSetup;
  /** The committed secrets: this hook's changes reach them only through commitSecrets(). */
  readonly secretStore: SecretStore;
  private secretSession: SecretSession;

  constructor(setup: FakeContextSetup = {}) {
    this.setup = setup;
    this.unit = setup.unit ?? "etcd/0";
    this.app = this.unit.split("/")[0] ?? "";
    this.hookName = setup.action === undefined ? (setup.hookName ?? "install") : "";
    this.relationId = setup.relationId;
    this.remoteUnit = setup.remoteUnit;
    this.remoteApp = setup.remoteApp;
    this.action = setup.action;
    this.leader = setup.leader ?? true;
    this.spec = setup.configSpec ?? {};
    this.configValues = setup.configValues ?? {};
    this.leaderSettingsValue = { ...(setup.leaderSettings ?? {}) };
    this.unitStatusValue = setup.unitStatus ?? UNKNOWN_STATUS;
    this.applicationStatusValue = setup.applicationStatus ?? UNKNOWN_STATUS;
    this.otherUnitStatuses = setup.otherUnitStatuses ?? {};
    this.state = { ...(setup.charmState ?? {}) };
    this.fakeRelations = (setup.relations ?? []).map((relation) => new FakeRelation(this, relation));
    this.secretStore = setup.secrets ?? {};
    this.secretSession = this.newSecretSession();
  }

  /** The real secret logic (secret-session.ts) over the fake's store and relations: a relation is alive unless broken. */
  private newSecretSession(): SecretSession {
    const now = this.setup.now;
    return new SecretSession(
      () => this.secretStore,
      { unit: this.unit, app: this.app, isLeader: () => this.leader },
      {
        relation: (id) => {
          const relation = this.fakeRelations.find((candidate) => candidate.id === id && !candidate.broken);
          if (!relation) return undefined;
          return { apps: [this.app, relation.remoteApp], key: `${this.app}:${relation.endpoint} ${relation.remoteApp}:${relation.endpoint}` };
        },
      },
      now === undefined ? Date.now : () => now,
    );
  }

  secrets(): HookSecrets {
    return this.secretSession;
  }

  /** The hook exited 0: its secret changes are committed, and the next hook starts a new session. */
  commitSecrets(): void {
    commitSecretOps(this.secretStore, this.secretSession.ops);
    this.secretSession = this.newSecretSession();
  }

  /** The hook failed: its secret changes are dropped. */
  discardSecrets(): void {
    this.secretSession = this.newSecretSession();
  }

  /** Runs a tool against this context, as the jujuc server would. */
  run(tool: string, ...args: string[]): ToolResult {
    return runHookTool(this, { tool, args, stdin: undefined });
  }

  runWithStdin(stdin: string, tool: string, ...args: string[]): ToolResult {
    return runHookTool(this, { tool, args, stdin });
  }

  relation(id: number): FakeRelation {
    const relation = this.fakeRelations.find((candidate) => candidate.id === id);
    if (relation === undefined) throw new Error(`no relation ${id} in the fake`);
    return relation;
  }

  loseLeadership(): void {
    this.leader = false;
  }

  configSpec(): Readonly<Record<string, ConfigOption>> {
    return this.spec;
  }

  config(): Readonly<Record<string, ConfigValue>> {
    const values: Record<string, ConfigValue> = {};
    for (const [name, option] of Object.entries(this.spec)) if (option.default !== undefined) values[name] = option.default;
    return { ...values, ...this.configValues };
  }

  isLeader(): boolean {
    return this.leader;
  }

  leaderSettings(): Databag {
    return { ...this.leaderSettingsValue };
  }

  setLeaderSettings(changes: Databag): void {
    this.leaderWrites.push({ ...changes });
    this.leaderSettingsValue = applyPending(this.leaderSettingsValue, changes);
  }

  relations(): readonly RelationView[] {
    return this.fakeRelations;
  }

  unitStatus(): StatusValue {
    return this.unitStatusValue;
  }

  setUnitStatus(status: StatusValue): void {
    this.unitStatusValue = status;
  }

  applicationStatus(): { readonly application: StatusValue; readonly units: Readonly<Record<string, StatusValue>> } {
    return { application: this.applicationStatusValue, units: { ...this.otherUnitStatuses, [this.unit]: this.unitStatusValue } };
  }

  setApplicationStatus(status: StatusValue): void {
    this.applicationStatusValue = status;
  }

  setWorkloadVersion(version: string): void {
    this.workloadVersion = version;
  }

  log(level: LogLevel, message: string): void {
    this.logs.push({ level, message });
  }

  privateAddress(): string {
    return this.setup.privateAddress ?? "10.0.0.5";
  }

  publicAddress(): string | undefined {
    const address = this.setup.publicAddress;
    return address === null ? undefined : (address ?? "203.0.113.5");
  }

  networkInfo(binding: string): NetworkInfo | undefined {
    return this.setup.bindings?.[binding];
  }

  openedPorts(): readonly OpenedPort[] {
    return this.setup.openedPorts ?? [];
  }

  openPort(range: PortRange, endpoints: readonly string[]): void {
    this.portChanges.push({ op: "open", range, endpoints });
  }

  closePort(range: PortRange, endpoints: readonly string[]): void {
    this.portChanges.push({ op: "close", range, endpoints });
  }

  charmState(): Databag {
    return { ...this.state };
  }

  setCharmState(changes: Databag): void {
    this.state = { ...this.state, ...changes };
  }

  deleteCharmState(key: string): void {
    const { [key]: _deleted, ...rest } = this.state;
    this.state = rest;
  }

  requestReboot(now: boolean): void {
    this.reboots.push(now);
  }

  goalState(): ReturnType<HookToolContext["goalState"]> {
    return this.setup.goalState ?? { units: {}, relations: {} };
  }

  get storageId(): string | undefined {
    return this.setup.storageId;
  }

  storage(id: string): { kind: "filesystem" | "block"; location: string } | undefined {
    return this.setup.storage?.[id];
  }

  storageIds(): readonly string[] {
    return Object.keys(this.setup.storage ?? {});
  }

  addStorage(name: string, count: number): void {
    if (!(this.setup.storageNames ?? []).includes(name)) throw new ToolRunError(`charm storage "${name}" not found`);
    this.storageAdds.push({ name, count });
  }

  resourcePath(name: string): string {
    const local = this.setup.resources?.[name];
    if (local === undefined) throw new ToolRunError(`could not download resource: resource#${this.app}/${name} not found`);
    return local;
  }
}
