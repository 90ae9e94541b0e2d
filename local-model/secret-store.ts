import { randomBytes } from "node:crypto";
import type { Databag } from "./tools/types.js";

/**
 * Juju secrets as the model keeps them (interfaces §6.1): owned by an application, a unit or the model (user
 * secrets), with numbered revisions, grants, and each consumer unit's tracked revision. Every change is a
 * SecretOp, so that a hook's changes can be tried on a copy while it runs and replayed on the model's store
 * when it commits (contract §4).
 */

export type SecretOwnerKind = "application" | "unit" | "model";

export interface SecretRevision {
  revision: number;
  /** Values base64-encoded, as Juju stores them (interfaces §6.4). */
  content: Databag;
  created: string;
  /** When the revision expires (epoch ms), from `--expire`. */
  expireAt?: number;
  /** When secret-expired last ran for it (re-fired until the revision is removed, §6.2). */
  expiredFiredAt?: number;
  /** secret-remove ran for it (it became tracked by nobody). */
  obsoleteFired?: boolean;
}

/** A grant: to an application (all its units) or one unit, scoped to a relation; no relation for `grant-secret` (user secrets). */
export interface SecretGrant {
  app: string;
  unit?: string;
  relationId?: number;
}

/** A unit reading the secret: the revision it is pinned to, its own label, the latest revision secret-changed told it of. */
export interface SecretConsumer {
  revision: number;
  label?: string;
  notified?: number;
}

export interface SecretRecord {
  id: string;
  owner: { kind: SecretOwnerKind; name: string };
  /** User secrets' name (`add-secret <name>`). */
  name?: string;
  /** The owner's label. */
  label?: string;
  description?: string;
  rotatePolicy: string;
  /** When secret-rotate is due (epoch ms); absent for `never`. */
  nextRotateAt?: number;
  created: string;
  updated: string;
  revisions: SecretRevision[];
  latest: number;
  grants: SecretGrant[];
  consumers: Record<string, SecretConsumer>;
}

export type SecretStore = Record<string, SecretRecord>;

/** Which grants a revoke takes away: those matching every field given. */
export interface SecretGrantMatch {
  readonly relationId?: number;
  readonly app?: string;
  readonly unit?: string;
}

export interface SecretMetadataUpdate {
  /** New content: a new revision unless identical to the latest (Juju 3.6, interfaces §6.1). */
  readonly content?: Databag;
  readonly label?: string;
  readonly description?: string;
  readonly expireAt?: number;
  readonly rotatePolicy?: string;
}

export type SecretOp =
  | { readonly kind: "add"; readonly record: SecretRecord }
  | { readonly kind: "update"; readonly id: string; readonly update: SecretMetadataUpdate; readonly now: number }
  | { readonly kind: "remove"; readonly id: string; readonly revision?: number }
  | { readonly kind: "grant"; readonly id: string; readonly grant: SecretGrant }
  | { readonly kind: "revoke"; readonly id: string; readonly match: SecretGrantMatch }
  | { readonly kind: "track"; readonly id: string; readonly unit: string; readonly revision?: number; readonly label?: string };

export const ROTATE_POLICIES = ["never", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"] as const;

const HOUR_MS = 3_600_000;
const ROTATE_PERIOD_MS: Readonly<Record<string, number>> = {
  hourly: HOUR_MS,
  daily: 24 * HOUR_MS,
  weekly: 7 * 24 * HOUR_MS,
  monthly: 30 * 24 * HOUR_MS,
  quarterly: 90 * 24 * HOUR_MS,
  yearly: 365 * 24 * HOUR_MS,
};

/** When a rotation that produced no new revision, or an expiry not yet handled, is fired again. */
export const SECRET_HOOK_RETRY_MS = 5 * 60_000;

export function rotatePeriodMs(policy: string): number | undefined {
  return ROTATE_PERIOD_MS[policy];
}

const XID_ALPHABET = "0123456789abcdefghijklmnopqrstuv";

/** A new secret id: 20 characters of base32hex, as Juju's xids (4 bytes of time, 8 random). */
export function newSecretId(now = Date.now()): string {
  const bytes = Buffer.concat([Buffer.alloc(4), randomBytes(8)]);
  bytes.writeUInt32BE(Math.floor(now / 1000) >>> 0, 0);
  let bits = 0;
  let value = 0;
  let id = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      id += XID_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) id += XID_ALPHABET[(value << (5 - bits)) & 31];
  return id.slice(0, 20);
}

export const secretUri = (id: string) => `secret:${id}`;

/** core/secrets ParseURI: `secret:<id>`, `secret://<model uuid>/<id>` or a bare id; undefined when none of these. */
export function parseSecretId(text: string): string | undefined {
  const match = /^(?:secret:(?:\/\/[0-9a-f-]+\/)?)?([0-9a-v]{20})$/.exec(text.trim());
  return match?.[1];
}

export function latestRevision(record: SecretRecord): SecretRevision | undefined {
  return record.revisions.find((revision) => revision.revision === record.latest);
}

function sameContent(a: Databag, b: Databag): boolean {
  const keys = Object.keys(a).sort();
  return JSON.stringify(keys) === JSON.stringify(Object.keys(b).sort()) && keys.every((key) => a[key] === b[key]);
}

/** Applies one change to a store; a change whose secret is gone (removed meanwhile) does nothing. */
export function applySecretOp(store: SecretStore, op: SecretOp): void {
  if (op.kind === "add") {
    store[op.record.id] = structuredClone(op.record);
    return;
  }
  const record = store[op.id];
  if (!record) return;
  switch (op.kind) {
    case "update":
      applyUpdate(record, op.update, op.now);
      return;
    case "remove":
      if (op.revision === undefined) {
        delete store[op.id];
        return;
      }
      record.revisions = record.revisions.filter((revision) => revision.revision !== op.revision);
      if (record.revisions.length === 0) delete store[op.id];
      return;
    case "grant":
      if (!record.grants.some((grant) => sameGrant(grant, op.grant))) record.grants.push({ ...op.grant });
      return;
    case "revoke":
      record.grants = record.grants.filter((grant) => !grantMatches(grant, op.match));
      return;
    case "track": {
      const consumer = record.consumers[op.unit] ?? { revision: op.revision ?? record.latest };
      if (op.revision !== undefined) consumer.revision = op.revision;
      if (op.label !== undefined) consumer.label = op.label;
      record.consumers[op.unit] = consumer;
      return;
    }
  }
}

function applyUpdate(record: SecretRecord, update: SecretMetadataUpdate, now: number): void {
  const stamp = new Date(now).toISOString();
  if (update.label !== undefined) record.label = update.label;
  if (update.description !== undefined) record.description = update.description;
  if (update.rotatePolicy !== undefined && update.rotatePolicy !== record.rotatePolicy) {
    record.rotatePolicy = update.rotatePolicy;
    const period = rotatePeriodMs(update.rotatePolicy);
    if (period === undefined) delete record.nextRotateAt;
    else record.nextRotateAt = now + period;
  }
  const latest = latestRevision(record);
  if (update.content !== undefined && !(latest && sameContent(latest.content, update.content))) {
    const revision = record.latest + 1;
    record.revisions.push({ revision, content: { ...update.content }, created: stamp });
    record.latest = revision;
    // A new revision is what a rotation asks for: the next one is a full period away.
    const period = rotatePeriodMs(record.rotatePolicy);
    if (period !== undefined) record.nextRotateAt = now + period;
  }
  if (update.expireAt !== undefined) {
    const target = latestRevision(record);
    if (target) {
      target.expireAt = update.expireAt;
      delete target.expiredFiredAt;
    }
  }
  record.updated = stamp;
}

function sameGrant(a: SecretGrant, b: SecretGrant): boolean {
  return a.app === b.app && a.unit === b.unit && a.relationId === b.relationId;
}

function grantMatches(grant: SecretGrant, match: SecretGrantMatch): boolean {
  if (match.relationId !== undefined && grant.relationId !== match.relationId) return false;
  if (match.app !== undefined && grant.app !== match.app) return false;
  if (match.unit !== undefined && grant.unit !== match.unit) return false;
  return true;
}

/** A new secret's record, revision 1. */
export function newSecretRecord(
  owner: SecretRecord["owner"],
  content: Databag,
  meta: { label?: string; description?: string; expireAt?: number; rotatePolicy?: string; name?: string },
  now: number,
): SecretRecord {
  const stamp = new Date(now).toISOString();
  const rotatePolicy = meta.rotatePolicy ?? "never";
  const period = rotatePeriodMs(rotatePolicy);
  const revision: SecretRevision = { revision: 1, content: { ...content }, created: stamp };
  if (meta.expireAt !== undefined) revision.expireAt = meta.expireAt;
  const record: SecretRecord = {
    id: newSecretId(now),
    owner,
    rotatePolicy,
    created: stamp,
    updated: stamp,
    revisions: [revision],
    latest: 1,
    grants: [],
    consumers: {},
  };
  if (meta.name !== undefined) record.name = meta.name;
  if (meta.label !== undefined) record.label = meta.label;
  if (meta.description !== undefined) record.description = meta.description;
  if (period !== undefined) record.nextRotateAt = now + period;
  return record;
}

/** Base64 values decoded, as secret-get and `show-secret --reveal` print them. */
export function decodedContent(content: Databag): Databag {
  return Object.fromEntries(Object.entries(content).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));
}
