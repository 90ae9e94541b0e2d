import { canManage, canRead, grantTarget, isOwnerMember, relationTag, type SecretActor, type SecretTopology } from "./secret-access.js";
import { applySecretOp, latestRevision, newSecretRecord, secretUri, type SecretOp, type SecretRecord, type SecretStore } from "./secret-store.js";
import { ToolRunError, type Databag, type HookSecrets, type SecretFields, type SecretInfo, type SecretReference } from "./tools/types.js";

/**
 * One hook's secrets (contract §3.19, §4; interfaces §6): every change is tried at once on a copy of the
 * model's store (so this hook's reads see it, and its errors come at the call) and logged; the log is
 * replayed on the model's store only when the hook exits 0 (commitSecretOps).
 */
export class SecretSession implements HookSecrets {
  /** This hook's changes, in order. */
  readonly ops: SecretOp[] = [];
  private working: SecretStore | undefined;

  constructor(
    private readonly committed: () => SecretStore,
    private readonly actor: SecretActor,
    private readonly topology: SecretTopology,
    private readonly clock: () => number = Date.now,
  ) {}

  now(): number {
    return this.clock();
  }

  private store(): SecretStore {
    this.working ??= structuredClone(this.committed());
    return this.working;
  }

  private apply(op: SecretOp): void {
    applySecretOp(this.store(), op);
    this.ops.push(op);
  }

  add(owner: "application" | "unit", fields: SecretFields): string {
    const { unit, app } = this.actor;
    if (owner === "application" && !this.actor.isLeader()) throw new ToolRunError("this unit is not the leader");
    const ownerRef = { kind: owner, name: owner === "application" ? app : unit };
    if (fields.label !== undefined) this.checkOwnerLabelFree(ownerRef, fields.label, undefined);
    const meta = {
      ...(fields.label !== undefined ? { label: fields.label } : {}),
      ...(fields.description !== undefined ? { description: fields.description } : {}),
      ...(fields.expireAt !== undefined ? { expireAt: fields.expireAt } : {}),
      ...(fields.rotatePolicy !== undefined ? { rotatePolicy: fields.rotatePolicy } : {}),
    };
    const record = newSecretRecord(ownerRef, fields.content ?? {}, meta, this.clock());
    this.apply({ kind: "add", record });
    return secretUri(record.id);
  }

  get(ref: SecretReference, mode: "pinned" | "peek" | "refresh"): Databag {
    const { unit, app } = this.actor;
    const record = this.resolveForRead(ref);
    if (!canRead(record, unit, app, this.topology)) throw new ToolRunError("permission denied");
    if (ref.id !== undefined && ref.label !== undefined) this.labelOnRead(record, ref.label);
    const consumer = record.consumers[unit];
    let revision = record.latest;
    if (mode === "pinned" && consumer) revision = consumer.revision;
    // The first read pins the unit to the latest revision; --refresh moves the pin; --peek leaves it (§6.1).
    if ((mode === "pinned" && !consumer) || (mode === "refresh" && consumer?.revision !== record.latest)) {
      this.apply({ kind: "track", id: record.id, unit, revision: record.latest });
    }
    const content = record.revisions.find((candidate) => candidate.revision === revision)?.content;
    if (content === undefined) throw new ToolRunError(`secret "${record.id}" revision ${revision} not found`);
    return { ...content };
  }

  set(id: string, fields: SecretFields): void {
    const record = this.managed(id);
    if (fields.label !== undefined) this.checkOwnerLabelFree(record.owner, fields.label, record.id);
    this.apply({ kind: "update", id: record.id, update: { ...fields }, now: this.clock() });
  }

  remove(id: string, revision: number | undefined): void {
    const record = this.managed(id);
    if (revision !== undefined && !record.revisions.some((candidate) => candidate.revision === revision)) {
      throw new ToolRunError(`secret revision ${revision} for "${secretUri(record.id)}" not found`);
    }
    this.apply({ kind: "remove", id: record.id, ...(revision !== undefined ? { revision } : {}) });
  }

  grant(id: string, relationId: number, unit: string | undefined): void {
    // Juju looks the secret up among the unit's owned secrets' metadata (the application's only for its leader).
    const found = this.store()[id];
    if (!found || !canManage(found, this.actor)) throw new ToolRunError(`secret "${id}" not found`);
    const record = this.managed(id);
    const relation = this.topology.relation(relationId);
    if (relation === undefined) throw new ToolRunError(`relation ${relationId} not found`);
    // A peer relation's remote application is the unit's own.
    const remoteApp = relation.apps.find((candidate) => candidate !== this.actor.app) ?? this.actor.app;
    if (unit !== undefined && unit.split("/")[0] !== remoteApp) {
      throw new ToolRunError(`cannot specify unit "${unit}" in relation to application "${remoteApp}"`);
    }
    const sameScope = record.grants.filter((grant) => grant.relationId === relationId && grant.app === remoteApp);
    // As Juju's GrantSecret: an application grant covers its units; unit grants must go before one is given.
    if (sameScope.some((grant) => grant.unit === undefined || grant.unit === unit)) return;
    if (unit === undefined && sameScope.length > 0) {
      throw new ToolRunError("any unit level grants need to be revoked before granting access to the corresponding application");
    }
    this.apply({ kind: "grant", id: record.id, grant: { app: remoteApp, relationId, ...(unit !== undefined ? { unit } : {}) } });
  }

  revoke(id: string, target: { readonly relationId?: number; readonly app?: string; readonly unit?: string }): void {
    const record = this.managed(id);
    this.apply({ kind: "revoke", id: record.id, match: { ...target } });
  }

  ids(): string[] {
    return Object.values(this.store())
      .filter((record) => canManage(record, this.actor))
      .map((record) => record.id)
      .sort();
  }

  info(ref: SecretReference): SecretInfo {
    const record = this.resolveOwned(ref);
    const latest = latestRevision(record);
    // Go's RFC3339Nano: fractional seconds without trailing zeros.
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.?0*Z$/, "Z");
    return {
      id: record.id,
      revision: record.latest,
      ...(record.label !== undefined ? { label: record.label } : {}),
      owner: record.owner.kind,
      ...(record.description !== undefined ? { description: record.description } : {}),
      ...(latest?.expireAt !== undefined ? { expiry: iso(latest.expireAt) } : {}),
      rotation: record.rotatePolicy,
      ...(record.nextRotateAt !== undefined ? { rotates: iso(record.nextRotateAt) } : {}),
      access: record.grants.map((grant) => {
        const key = grant.relationId === undefined ? undefined : this.topology.relation(grant.relationId)?.key;
        return { target: grantTarget(grant), scope: key === undefined ? "model" : relationTag(key), role: "view" };
      }),
    };
  }

  /**
   * By id; by label alone, the owner labels of its own and its application's secrets first (Juju lets every
   * unit of the owning application use the owner's label), then its own consumer labels (§6.3).
   */
  private resolveForRead(ref: SecretReference): SecretRecord {
    if (ref.id !== undefined) {
      const record = this.store()[ref.id];
      if (!record) throw new ToolRunError(`secret "${ref.id}" not found`);
      return record;
    }
    const label = ref.label ?? "";
    const records = Object.values(this.store());
    const owned = records.find((record) => isOwnerMember(record, this.actor.unit, this.actor.app) && record.label === label);
    const consumed = records.find((record) => record.consumers[this.actor.unit]?.label === label);
    const found = owned ?? consumed;
    if (!found) throw new ToolRunError(`secret "${label}" not found`);
    return found;
  }

  /** secret-info-get sees only the secrets this unit manages. */
  private resolveOwned(ref: SecretReference): SecretRecord {
    const records = Object.values(this.store()).filter((record) => canManage(record, this.actor));
    const found = ref.id !== undefined ? records.find((record) => record.id === ref.id) : records.find((record) => record.label === ref.label);
    if (!found) throw new ToolRunError(`secret "${ref.id ?? ref.label ?? ""}" not found`);
    return found;
  }

  /** A secret this unit may change: unknown ones are not found, others' and (for non-leaders) the application's are denied. */
  private managed(id: string): SecretRecord {
    const record = this.store()[id];
    if (!record) throw new ToolRunError(`secret "${id}" not found`);
    if (!canManage(record, this.actor)) throw new ToolRunError("permission denied");
    return record;
  }

  /** `secret-get <uri> --label L`: the owner relabels its secret, a consumer sets its own label (§6.3). */
  private labelOnRead(record: SecretRecord, label: string): void {
    if (canManage(record, this.actor)) {
      if (record.label === label) return;
      this.checkOwnerLabelFree(record.owner, label, record.id);
      this.apply({ kind: "update", id: record.id, update: { label }, now: this.clock() });
      return;
    }
    const unit = this.actor.unit;
    if (record.consumers[unit]?.label === label) return;
    const taken = Object.values(this.store()).some((other) => other.id !== record.id && other.consumers[unit]?.label === label);
    if (taken) throw new ToolRunError(`secret with label "${label}" already exists`);
    this.apply({ kind: "track", id: record.id, unit, label });
  }

  private checkOwnerLabelFree(owner: SecretRecord["owner"], label: string, except: string | undefined): void {
    const taken = Object.values(this.store()).some(
      (record) => record.id !== except && record.owner.kind === owner.kind && record.owner.name === owner.name && record.label === label,
    );
    if (taken) throw new ToolRunError(`secret with label "${label}" already exists`);
  }
}

/** Replays a hook's secret changes on the model's store once the hook exited 0. */
export function commitSecretOps(store: SecretStore, ops: readonly SecretOp[]): void {
  for (const op of ops) applySecretOp(store, op);
}
