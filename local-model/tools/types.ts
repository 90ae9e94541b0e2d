/**
 * The seam between the hook-tool commands (this folder) and the model that runs hooks (../model).
 * A command sees one hook context through HookToolContext and never touches model state directly.
 * Reads reflect this hook's own pending writes; writes that Juju commits at hook end are buffered by the
 * context and applied by the model only if the hook exits 0 (contract §1.4, §4).
 */

export type ConfigOptionType = "string" | "int" | "float" | "boolean" | "secret";
export type ConfigValue = string | number | boolean;

export interface ConfigOption {
  readonly type: ConfigOptionType;
  readonly default?: ConfigValue;
  readonly description?: string;
}

export type Databag = Record<string, string>;

export interface StatusValue {
  readonly status: string;
  readonly message: string;
  readonly data: Record<string, unknown>;
}

export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/** A port range as Juju keeps it: `icmp` has no ports. */
export interface PortRange {
  readonly protocol: "tcp" | "udp" | "icmp";
  readonly from: number;
  readonly to: number;
}

export interface OpenedPort extends PortRange {
  /** Endpoints the range is opened for; empty means all endpoints (`*`). */
  readonly endpoints: readonly string[];
}

export interface NetworkInfo {
  readonly bindAddresses: ReadonlyArray<{
    readonly macAddress: string;
    readonly interfaceName: string;
    readonly addresses: ReadonlyArray<{ readonly hostname: string; readonly value: string; readonly cidr: string }>;
  }>;
  readonly egressSubnets: readonly string[];
  readonly ingressAddresses: readonly string[];
}

/** Raised by a context method to make the running tool fail at Run time (exit 1, `ERROR <message>`). */
export class ToolRunError extends Error {}

/** One relation as this unit sees it during this hook. */
export interface RelationView {
  readonly id: number;
  /** This unit's endpoint name. */
  readonly endpoint: string;
  readonly isPeer: boolean;
  /** The application on the other side (this unit's own application for a peer relation). */
  readonly remoteApp: string;
  /** True for a relation being torn down for this unit: relation-ids leaves it out (§3.3). */
  readonly broken: boolean;
  readonly remoteModelUuid: string;
  /** Remote units as seen in this hook, sorted (§3.4). */
  members(): string[];
  /**
   * A unit's databag: this unit's own includes pending writes of this hook. Throws ToolRunError
   * ("permission denied") for a unit outside the relation.
   */
  readUnit(unit: string): Databag;
  /**
   * An application's databag. This unit's own application is readable by the leader (with pending
   * writes) and, on peer relations only, by other units; otherwise ToolRunError("permission denied") (§3.1).
   */
  readApp(app: string): Databag;
  /** Buffers writes to this unit's databag; "" deletes a key. */
  writeUnit(changes: Databag): void;
  /** Buffers writes to this application's databag; the caller has checked leadership. */
  writeApp(changes: Databag): void;
}

export interface ActionState {
  readonly name: string;
  readonly id: string;
  /** Validated parameters with defaults inserted (§3.13). */
  readonly params: Record<string, unknown>;
  /** Merges dotted-key results, already validated by the tool. */
  setResults(values: Record<string, string>): void;
  fail(message: string): void;
  log(message: string): void;
}

export interface HookToolContext {
  readonly unit: string;
  readonly app: string;
  readonly modelUuid: string;
  readonly modelName: string;
  /** "" when running an action. */
  readonly hookName: string;
  /** The hook's relation, the default for `-r`; undefined outside relation hooks. */
  readonly relationId: number | undefined;
  /** JUJU_REMOTE_UNIT of the hook, undefined when empty. */
  readonly remoteUnit: string | undefined;
  /** JUJU_REMOTE_APP of the hook, undefined outside relation hooks. */
  readonly remoteApp: string | undefined;
  /** Present only while running an action. */
  readonly action: ActionState | undefined;

  configSpec(): Readonly<Record<string, ConfigOption>>;
  /** Values that are set or have a default; an option with neither is absent (§3.6). */
  config(): Readonly<Record<string, ConfigValue>>;

  /** Latched for the hook: once false, stays false (§3.7). */
  isLeader(): boolean;
  /** Read once per hook and cached; cleared after this hook's own leader-set (§3.8). */
  leaderSettings(): Databag;
  /** Applied at once, never rolled back; "" deletes. The caller has checked leadership. */
  setLeaderSettings(changes: Databag): void;

  /** Every relation this unit is in, including ones broken for it (so `-r` still resolves). */
  relations(): readonly RelationView[];

  unitStatus(): StatusValue;
  setUnitStatus(status: StatusValue): void;
  /** The application's status and each unit's; the caller has checked leadership. */
  applicationStatus(): { readonly application: StatusValue; readonly units: Readonly<Record<string, StatusValue>> };
  setApplicationStatus(status: StatusValue): void;
  setWorkloadVersion(version: string): void;
  log(level: LogLevel, message: string): void;

  privateAddress(): string;
  /** undefined when the unit has no public address. */
  publicAddress(): string | undefined;
  /** Network info for an endpoint or extra binding; undefined for an unknown binding. */
  networkInfo(binding: string, relationId: number | undefined): NetworkInfo | undefined;

  /** Opened ranges including this hook's pending opens and closes. */
  openedPorts(): readonly OpenedPort[];
  /** Buffers; throws ToolRunError on a conflict with another unit's range. */
  openPort(range: PortRange, endpoints: readonly string[]): void;
  closePort(range: PortRange, endpoints: readonly string[]): void;

  /** Unit charm state (state-get/set/delete), with this hook's pending changes. */
  charmState(): Databag;
  setCharmState(changes: Databag): void;
  deleteCharmState(key: string): void;

  /** juju-reboot: without `now` after the hook commits; with `now` the hook is killed and re-queued. */
  requestReboot(now: boolean): void;

  /** The hook's storage instance ("data/0") in a storage hook; undefined otherwise (interfaces §7.4). */
  readonly storageId: string | undefined;
  /** An instance attached to this unit; undefined when it is not. */
  storage(id: string): { readonly kind: "filesystem" | "block"; readonly location: string } | undefined;
  /** Ids of the instances attached to this unit, in id order. */
  storageIds(): readonly string[];
  /** Buffers storage-add; ToolRunError for storage the charm does not declare. */
  addStorage(name: string, count: number): void;

  /** resource-get: the unit-local path of the resource's current revision; ToolRunError when there is none. */
  resourcePath(name: string): string;

  /** The unit's view of the model's secrets for this hook. */
  secrets(): HookSecrets;

  goalState(): {
    readonly units: Readonly<Record<string, { status: string; since: string }>>;
    readonly relations: Readonly<Record<string, Readonly<Record<string, { status: string; since: string }>>>>;
  };
}

/** A secret named by its id (parsed from a URI) or by a label (interfaces §6.3). */
export interface SecretReference {
  readonly id?: string;
  readonly label?: string;
}

/** What secret-add and secret-set give: content (base64 values, keys checked) and metadata; absent fields stay. */
export interface SecretFields {
  readonly content?: Databag;
  readonly label?: string;
  readonly description?: string;
  readonly expireAt?: number;
  readonly rotatePolicy?: string;
}

/** secret-info-get's view of an owned secret (interfaces §6.5); times in RFC3339. */
export interface SecretInfo {
  readonly id: string;
  readonly revision: number;
  readonly label?: string;
  readonly owner: string;
  readonly description?: string;
  readonly expiry?: string;
  readonly rotation?: string;
  readonly rotates?: string;
  readonly access: ReadonlyArray<{ readonly target: string; readonly scope: string; readonly role: string }>;
}

/**
 * The unit's secrets during one hook (contract §3.19, interfaces §6): reads see this hook's own writes, writes
 * are buffered until the hook exits 0. Methods throw ToolRunError with Juju's texts ("not found",
 * "permission denied", "this unit is not the leader").
 */
export interface HookSecrets {
  /** The time secret changes are stamped with (epoch ms); `--expire <duration>` counts from it. */
  now(): number;
  /** Creates a secret owned by the application (leader only) or the unit; its URI. */
  add(owner: "application" | "unit", fields: SecretFields): string;
  /** The content (base64 values) of the pinned revision, the latest once (`peek`), or the latest with the pin moved (`refresh`). */
  get(ref: SecretReference, mode: "pinned" | "peek" | "refresh"): Databag;
  set(id: string, fields: SecretFields): void;
  remove(id: string, revision: number | undefined): void;
  grant(id: string, relationId: number, unit: string | undefined): void;
  revoke(id: string, target: { readonly relationId?: number; readonly app?: string; readonly unit?: string }): void;
  /** Ids of the secrets this unit may manage, sorted. */
  ids(): string[];
  info(ref: SecretReference): SecretInfo;
}

export interface ToolInvocation {
  readonly tool: string;
  readonly args: readonly string[];
  /** What the client read from its stdin, when it read it (`--file -`); undefined otherwise. */
  readonly stdin: string | undefined;
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}
