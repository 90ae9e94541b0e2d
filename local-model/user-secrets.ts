import { ModelError } from "./model-error.js";
import { applySecretOp, decodedContent, latestRevision, newSecretRecord, parseSecretId, secretUri, type SecretRecord } from "./secret-store.js";
import type { ModelState } from "./state.js";
import { UsageError } from "./tools/flags.js";
import { parseSecretContent } from "./tools/secret-content.js";
import type { Databag } from "./tools/types.js";

/**
 * User secrets and the operator's view of all secrets (interfaces §6.1, §6.6): `add-secret` creates a secret
 * owned by the model, `update-secret` publishes a revision (secret-changed reaches the units tracking it),
 * `grant-secret` lets applications read it (no hook), `secrets` and `show-secret` list and show them; content
 * is shown only with `--reveal`.
 */

function content(args: readonly string[]): Databag {
  try {
    const parsed = parseSecretContent(args, "");
    if (Object.keys(parsed).length === 0) throw new ModelError("missing secret value or filename");
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw new ModelError(error.message);
    throw error;
  }
}

const storeOf = (state: ModelState) => (state.secrets ??= {});

/** A secret by name (user secrets) or URI/id (any). */
export function findSecret(state: ModelState, ref: string): SecretRecord {
  const records = Object.values(storeOf(state));
  const id = parseSecretId(ref);
  const found = records.find((record) => (id !== undefined && record.id === id) || (record.owner.kind === "model" && record.name === ref));
  if (!found) throw new ModelError(`secret "${ref}" not found`);
  return found;
}

export function addUserSecret(state: ModelState, name: string, args: readonly string[], info: string | undefined): string {
  if (Object.values(storeOf(state)).some((record) => record.owner.kind === "model" && record.name === name)) {
    throw new ModelError(`secret with name "${name}" already exists`);
  }
  const record = newSecretRecord(
    { kind: "model", name: state.name },
    content(args),
    { name, ...(info !== undefined ? { description: info } : {}) },
    Date.now(),
  );
  applySecretOp(storeOf(state), { kind: "add", record });
  return secretUri(record.id);
}

export function updateUserSecret(state: ModelState, ref: string, args: readonly string[], info: string | undefined): void {
  const record = findSecret(state, ref);
  if (record.owner.kind !== "model") throw new ModelError(`secret "${ref}" is not a user secret`);
  const update = { ...(args.length > 0 ? { content: content(args) } : {}), ...(info !== undefined ? { description: info } : {}) };
  applySecretOp(storeOf(state), { kind: "update", id: record.id, update, now: Date.now() });
}

export function grantUserSecret(state: ModelState, ref: string, apps: readonly string[]): void {
  const record = findSecret(state, ref);
  if (record.owner.kind !== "model") throw new ModelError(`secret "${ref}" is not a user secret`);
  for (const app of apps) if (!state.applications[app]) throw new ModelError(`application "${app}" not found`);
  for (const app of apps) applySecretOp(storeOf(state), { kind: "grant", id: record.id, grant: { app } });
}

/** `juju secrets --format json` / `show-secret`: details by id, content only when revealed. */
export interface SecretDetails {
  revision: number;
  name?: string;
  owner: string;
  description?: string;
  label?: string;
  rotation?: string;
  created: string;
  updated: string;
  content?: Databag;
}

function ownerName(record: SecretRecord): string {
  return record.owner.kind === "model" ? "<model>" : record.owner.name;
}

function details(record: SecretRecord, reveal: boolean): SecretDetails {
  const shown: SecretDetails = { revision: record.latest, owner: ownerName(record), created: record.created, updated: record.updated };
  if (record.name !== undefined) shown.name = record.name;
  if (record.description) shown.description = record.description;
  if (record.label) shown.label = record.label;
  if (record.owner.kind !== "model") shown.rotation = record.rotatePolicy;
  const latest = latestRevision(record);
  if (reveal && latest) shown.content = decodedContent(latest.content);
  return shown;
}

export function listSecrets(state: ModelState): Record<string, SecretDetails> {
  const sorted = Object.values(storeOf(state)).sort((a, b) => (a.id < b.id ? -1 : 1));
  return Object.fromEntries(sorted.map((record) => [record.id, details(record, false)]));
}

export function showSecret(state: ModelState, ref: string, reveal: boolean): Record<string, SecretDetails> {
  const record = findSecret(state, ref);
  return { [record.id]: details(record, reveal) };
}
