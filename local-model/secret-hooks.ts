import { canRead, isOwnerMember, type SecretTopology } from "./secret-access.js";
import { SECRET_HOOK_RETRY_MS, type SecretRecord } from "./secret-store.js";
import type { HookSpec, ModelState, UnitState } from "./state.js";

/**
 * The secret hooks the unit agent runs (contract §5.9; interfaces §6.2), asked for in the resolver after
 * leadership and before actions (§5.1), in the uniter's order: secret-rotate, secret-expired, secret-changed,
 * secret-remove. Due times (rotation, expiry) are in the state, so `now` decides everything.
 */

/** Access checks against the model's relations: a grant lives as long as its relation is alive. */
export function modelSecretTopology(state: ModelState): SecretTopology {
  return {
    relation(id) {
      const relation = state.relations[String(id)];
      if (relation?.life !== "alive") return undefined;
      return { apps: relation.endpoints.map((end) => end.app), key: relation.endpoints.map((end) => `${end.app}:${end.endpoint}`).join(" ") };
    },
  };
}

/** The unit that gets the owner's hooks: the owning unit, or the owning application's leader. */
function isHookOwner(state: ModelState, record: SecretRecord, unit: UnitState): boolean {
  if (record.owner.kind === "unit") return record.owner.name === unit.name;
  return record.owner.kind === "application" && record.owner.name === unit.app && state.applications[unit.app]?.leader === unit.name;
}

function sortedSecrets(state: ModelState): SecretRecord[] {
  return Object.values(state.secrets ?? {}).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const spec = (name: string, record: SecretRecord, label: string | undefined, extra: Partial<HookSpec> = {}): HookSpec => ({
  name,
  secretId: record.id,
  secretLabel: label ?? "",
  ...extra,
});

/** Revisions older than the latest that no existing unit is pinned to (owners' pins count: they read like consumers). */
function untrackedRevisions(state: ModelState, record: SecretRecord): number[] {
  const tracked = new Set(
    Object.entries(record.consumers)
      .filter(([name]) => state.units[name] !== undefined)
      .map(([, consumer]) => consumer.revision),
  );
  return record.revisions
    .filter((revision) => revision.revision < record.latest && !revision.obsoleteFired && !tracked.has(revision.revision))
    .map((r) => r.revision);
}

export function nextSecretHook(state: ModelState, unit: UnitState, now: number): HookSpec | undefined {
  if (unit.life !== "alive") return undefined;
  const secrets = sortedSecrets(state);
  const owned = secrets.filter((record) => isHookOwner(state, record, unit));
  for (const record of owned) {
    if (record.nextRotateAt !== undefined && record.rotatePolicy !== "never" && now >= record.nextRotateAt) {
      return spec("secret-rotate", record, record.label);
    }
  }
  for (const record of owned) {
    for (const revision of record.revisions) {
      const due = revision.expireAt !== undefined && now >= revision.expireAt;
      if (due && (revision.expiredFiredAt === undefined || now >= revision.expiredFiredAt + SECRET_HOOK_RETRY_MS)) {
        return spec("secret-expired", record, record.label, { secretRevision: revision.revision });
      }
    }
  }
  const topology = modelSecretTopology(state);
  for (const record of secrets) {
    const consumer = record.consumers[unit.name];
    // Every unit tracking it, the owner's own units included (they read like consumers since 3.1.7).
    if (!consumer || !canRead(record, unit.name, unit.app, topology)) continue;
    if (record.latest > consumer.revision && record.latest > (consumer.notified ?? 0)) {
      // An owner's unit without a label of its own knows the secret by the owner's label (juju/juju PR #15397).
      const label = consumer.label ?? (isOwnerMember(record, unit.name, unit.app) ? record.label : undefined);
      return spec("secret-changed", record, label, { version: record.latest });
    }
  }
  for (const record of owned) {
    const [revision] = untrackedRevisions(state, record);
    if (revision !== undefined) return spec("secret-remove", record, record.label, { secretRevision: revision });
  }
  return undefined;
}

/** What having run a secret hook means: changed delivered, removal announced, expiry and rotation fired (re-fired later if unhandled). */
export function applySecretHookTransition(state: ModelState, unit: UnitState, hook: HookSpec, now: number): void {
  const record = hook.secretId === undefined ? undefined : state.secrets?.[hook.secretId];
  if (!record) return;
  const revision = record.revisions.find((candidate) => candidate.revision === hook.secretRevision);
  switch (hook.name) {
    case "secret-changed": {
      const consumer = record.consumers[unit.name];
      if (consumer) consumer.notified = hook.version ?? record.latest;
      return;
    }
    case "secret-remove":
      if (revision) revision.obsoleteFired = true;
      return;
    case "secret-expired":
      if (revision) revision.expiredFiredAt = now;
      return;
    case "secret-rotate":
      // A new revision moved the next rotation a period on; without one, it is asked for again.
      if (record.nextRotateAt !== undefined && record.nextRotateAt <= now) record.nextRotateAt = now + SECRET_HOOK_RETRY_MS;
      return;
  }
}

/** The next rotation or expiry (epoch ms), for the controller's timer. */
export function nextSecretDue(state: ModelState): number | undefined {
  let next: number | undefined;
  const consider = (at: number | undefined) => {
    if (at !== undefined && (next === undefined || at < next)) next = at;
  };
  for (const record of Object.values(state.secrets ?? {})) {
    if (record.owner.kind === "model") continue;
    if (record.rotatePolicy !== "never") consider(record.nextRotateAt);
    for (const revision of record.revisions) {
      if (revision.expireAt !== undefined) consider(revision.expiredFiredAt === undefined ? revision.expireAt : revision.expiredFiredAt + SECRET_HOOK_RETRY_MS);
    }
  }
  return next;
}

/** Secrets go with their owner; grants with their relation; pins with their unit. */
export function settleSecrets(state: ModelState): void {
  const secrets = state.secrets;
  if (!secrets) return;
  for (const record of Object.values(secrets)) {
    const ownerGone =
      (record.owner.kind === "application" && !state.applications[record.owner.name]) || (record.owner.kind === "unit" && !state.units[record.owner.name]);
    if (ownerGone) {
      delete secrets[record.id];
      continue;
    }
    record.grants = record.grants.filter((grant) => grant.relationId === undefined || state.relations[String(grant.relationId)] !== undefined);
    for (const name of Object.keys(record.consumers)) if (!state.units[name]) delete record.consumers[name];
  }
}
