import type { SecretRecord } from "./secret-store.js";

/**
 * Who may read and manage a secret (interfaces §6.1): every unit of the owning application (or the owning
 * unit) reads it; managing an application's secret is the leader's; others read only through a grant, which
 * is relation-scoped for charms (gone with the relation) or model-wide for user secrets (`grant-secret`).
 */

/** What access checks need of the model: an alive relation's applications and its key (`app:ep app:ep`). */
export interface SecretTopology {
  relation(id: number): { readonly apps: readonly string[]; readonly key: string } | undefined;
}

export interface SecretActor {
  readonly unit: string;
  readonly app: string;
  isLeader(): boolean;
}

/** The unit belongs to the secret's owner (its application's unit, or the owning unit itself). */
export function isOwnerMember(record: SecretRecord, unit: string, app: string): boolean {
  if (record.owner.kind === "application") return record.owner.name === app;
  if (record.owner.kind === "unit") return record.owner.name === unit;
  return false;
}

/** The unit manages the secret: it owns it, or leads the owning application. */
export function canManage(record: SecretRecord, actor: SecretActor): boolean {
  if (record.owner.kind === "unit") return record.owner.name === actor.unit;
  return record.owner.kind === "application" && record.owner.name === actor.app && actor.isLeader();
}

export function canRead(record: SecretRecord, unit: string, app: string, topology: SecretTopology): boolean {
  if (isOwnerMember(record, unit, app)) return true;
  return record.grants.some((grant) => {
    const grantee = grant.unit === undefined ? grant.app === app : grant.unit === unit;
    if (!grantee) return false;
    return grant.relationId === undefined || (topology.relation(grant.relationId)?.apps.includes(app) ?? false);
  });
}

/** A Juju tag as secret-info-get's access list shows targets and scopes. */
export function relationTag(key: string): string {
  return `relation-${key.replace(/:/g, ".").replace(/ /g, "#")}`;
}

export function grantTarget(grant: { readonly app: string; readonly unit?: string | undefined }): string {
  return grant.unit === undefined ? `application-${grant.app}` : `unit-${grant.unit.replace("/", "-")}`;
}
