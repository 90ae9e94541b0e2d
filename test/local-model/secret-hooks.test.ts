import { describe, expect, it } from "vitest";
import { applySecretHookTransition, nextSecretHook, settleSecrets } from "../../local-model/secret-hooks.js";
import { applySecretOp, newSecretRecord, SECRET_HOOK_RETRY_MS, type SecretRecord } from "../../local-model/secret-store.js";
import { newModelState, statusRecord, type AppState, type ModelState, type UnitState } from "../../local-model/state.js";
import { newUnitState } from "../../local-model/unit-record.js";

/**
 * Which secret hook a unit runs next, and what running it changes (contract §5.1, §5.9; interfaces §6.2).
 * Rotation and expiry are due at times kept in the state, so `now` proves them without waiting an hour.
 */

const T0 = Date.parse("2026-11-30T12:00:00Z");
const HOUR = 3_600_000;

/** A started unit that has seen its leader hook, as the resolver finds one between hooks. */
function unitState(name: string): UnitState {
  const [app = "", number = "0"] = name.split("/");
  return {
    ...newUnitState(name, app, Number(number), "/nonexistent", "127.0.0.1", 1),
    installed: true,
    started: true,
    leaderElectedRun: true,
    leaderSettingsSeen: 0,
    workload: statusRecord("active"),
    agent: statusRecord("idle"),
    lastUpdateStatus: T0,
  };
}

function appState(name: string, units: string[]): AppState {
  return {
    name,
    charmName: name,
    charmDir: "/nonexistent",
    charmRevision: 1,
    config: {},
    units,
    nextUnit: units.length,
    leader: units[0] ?? null,
    leaderSettings: {},
    leaderSettingsVersion: 0,
    status: statusRecord("unknown"),
    life: "alive",
  };
}

/** owner/0 (leader), owner/1, consumer/0 related by relation 0; one application secret granted over it. */
function model(meta: Parameters<typeof newSecretRecord>[2] = {}): { state: ModelState; secret: SecretRecord; unit: (name: string) => UnitState } {
  const state = newModelState("test", 1);
  for (const name of ["owner/0", "owner/1", "consumer/0"]) state.units[name] = unitState(name);
  state.applications.owner = appState("owner", ["owner/0", "owner/1"]);
  state.applications.consumer = appState("consumer", ["consumer/0"]);
  state.relations["0"] = {
    id: 0,
    endpoints: [
      { app: "owner", endpoint: "vault", role: "provider", interface: "vault" },
      { app: "consumer", endpoint: "vault", role: "requirer", interface: "vault" },
    ],
    life: "alive",
    scope: ["owner/0", "owner/1", "consumer/0"],
    unitData: {},
    appData: {},
  };
  const secret = newSecretRecord({ kind: "application", name: "owner" }, { password: "b25l" }, { label: "creds", ...meta }, T0);
  secret.grants.push({ app: "consumer", relationId: 0 });
  state.secrets = { [secret.id]: secret };
  const unit = (name: string) => {
    const found = state.units[name];
    if (!found) throw new Error(`no ${name}`);
    return found;
  };
  return { state, secret, unit };
}

function publish(secret: SecretRecord, revision: number): void {
  secret.revisions.push({ revision, content: { password: "dHdv" }, created: new Date(T0).toISOString() });
  secret.latest = revision;
}

describe("secret-changed (interfaces §6.2)", () => {
  it("goes to a consumer tracking an older revision, with JUJU_SECRET_LABEL its own label, once per new revision", () => {
    const { state, secret, unit } = model();
    secret.consumers["consumer/0"] = { revision: 1, label: "upstream" };
    expect(nextSecretHook(state, unit("consumer/0"), T0)).toBeUndefined();
    publish(secret, 2);
    const hook = nextSecretHook(state, unit("consumer/0"), T0);
    expect(hook).toEqual({ name: "secret-changed", secretId: secret.id, secretLabel: "upstream", version: 2 });
    applySecretHookTransition(state, unit("consumer/0"), hook ?? { name: "" }, T0);
    // Delivered: not again until another revision, although the consumer has not refreshed yet.
    expect(nextSecretHook(state, unit("consumer/0"), T0)).toBeUndefined();
    expect(secret.consumers["consumer/0"]?.revision).toBe(1);
  });

  it("goes to the owner's units tracking it too, by the owner's label (juju/juju PR #15397)", () => {
    const { state, secret, unit } = model();
    secret.consumers["owner/1"] = { revision: 1 };
    publish(secret, 2);
    expect(nextSecretHook(state, unit("owner/1"), T0)).toEqual({ name: "secret-changed", secretId: secret.id, secretLabel: "creds", version: 2 });
    expect(nextSecretHook(state, unit("owner/0"), T0)?.name).not.toBe("secret-changed");
  });

  it("goes to nobody who never read the secret, nor to a consumer without access", () => {
    const { state, secret, unit } = model();
    publish(secret, 2);
    expect(nextSecretHook(state, unit("consumer/0"), T0)).toBeUndefined();
    secret.consumers["consumer/0"] = { revision: 1 };
    secret.grants = [];
    expect(nextSecretHook(state, unit("consumer/0"), T0)).toBeUndefined();
  });
});

describe("secret-remove (interfaces §6.2)", () => {
  it("goes to the owner's leader, with JUJU_SECRET_REVISION, once a revision is tracked by nobody", () => {
    const { state, secret, unit } = model();
    secret.consumers["consumer/0"] = { revision: 1 };
    publish(secret, 2);
    expect(nextSecretHook(state, unit("owner/0"), T0)).toBeUndefined();
    secret.consumers["consumer/0"] = { revision: 2 };
    const hook = nextSecretHook(state, unit("owner/0"), T0);
    expect(hook).toEqual({ name: "secret-remove", secretId: secret.id, secretLabel: "creds", secretRevision: 1 });
    expect(nextSecretHook(state, unit("owner/1"), T0)).toBeUndefined();
    applySecretHookTransition(state, unit("owner/0"), hook ?? { name: "" }, T0);
    expect(nextSecretHook(state, unit("owner/0"), T0)).toBeUndefined();
  });

  it("announces an intermediate revision nobody ever saw", () => {
    const { state, secret, unit } = model();
    publish(secret, 2);
    publish(secret, 3);
    expect(nextSecretHook(state, unit("owner/0"), T0)?.secretRevision).toBe(1);
  });
});

describe("secret-rotate (interfaces §6.2)", () => {
  it("goes to the owner's leader when the rotation is due, and again until a new revision is published", () => {
    const { state, secret, unit } = model({ rotatePolicy: "hourly" });
    expect(nextSecretHook(state, unit("owner/0"), T0 + HOUR - 1)).toBeUndefined();
    const hook = nextSecretHook(state, unit("owner/0"), T0 + HOUR);
    expect(hook).toEqual({ name: "secret-rotate", secretId: secret.id, secretLabel: "creds" });
    expect(nextSecretHook(state, unit("owner/1"), T0 + HOUR)).toBeUndefined();
    // No new revision: asked again after the retry delay.
    applySecretHookTransition(state, unit("owner/0"), hook ?? { name: "" }, T0 + HOUR);
    expect(nextSecretHook(state, unit("owner/0"), T0 + HOUR + SECRET_HOOK_RETRY_MS - 1)).toBeUndefined();
    expect(nextSecretHook(state, unit("owner/0"), T0 + HOUR + SECRET_HOOK_RETRY_MS)?.name).toBe("secret-rotate");
  });

  it("is a period away again once the owner publishes a new revision", () => {
    const { state, secret, unit } = model({ rotatePolicy: "daily" });
    expect(secret.nextRotateAt).toBe(T0 + 24 * HOUR);
    expect(nextSecretHook(state, unit("owner/0"), T0 + 23 * HOUR)).toBeUndefined();
    const hook = nextSecretHook(state, unit("owner/0"), T0 + 24 * HOUR);
    expect(hook?.name).toBe("secret-rotate");
    // The hook publishes a revision (secret-set), then commits.
    applySecretOp(state.secrets ?? {}, { kind: "update", id: secret.id, update: { content: { password: "bmV3" } }, now: T0 + 24 * HOUR });
    applySecretHookTransition(state, unit("owner/0"), hook ?? { name: "" }, T0 + 24 * HOUR);
    expect(secret.nextRotateAt).toBe(T0 + 48 * HOUR);
    // No rotation is due; what comes next is revision 1's removal (nobody tracks it).
    expect(nextSecretHook(state, unit("owner/0"), T0 + 24 * HOUR + SECRET_HOOK_RETRY_MS)?.name).toBe("secret-remove");
  });
});

describe("secret-expired (interfaces §6.2)", () => {
  it("goes to the owner with the revision once it expired, again until that revision is removed", () => {
    const { state, secret, unit } = model({ expireAt: T0 + 1000 });
    expect(nextSecretHook(state, unit("owner/0"), T0)).toBeUndefined();
    const hook = nextSecretHook(state, unit("owner/0"), T0 + 1000);
    expect(hook).toEqual({ name: "secret-expired", secretId: secret.id, secretLabel: "creds", secretRevision: 1 });
    applySecretHookTransition(state, unit("owner/0"), hook ?? { name: "" }, T0 + 1000);
    expect(nextSecretHook(state, unit("owner/0"), T0 + 2000)).toBeUndefined();
    expect(nextSecretHook(state, unit("owner/0"), T0 + 1000 + SECRET_HOOK_RETRY_MS)?.name).toBe("secret-expired");
    secret.revisions = [];
    expect(nextSecretHook(state, unit("owner/0"), T0 + 1000 + SECRET_HOOK_RETRY_MS)).toBeUndefined();
  });
});

describe("secret hooks' order (contract §5.1)", () => {
  it("asks rotate, then expired, then remove", () => {
    const { state, secret, unit } = model({ rotatePolicy: "hourly", expireAt: T0 });
    publish(secret, 2);
    const owner = unit("owner/0");
    const names: string[] = [];
    for (let hook = nextSecretHook(state, owner, T0 + HOUR); hook; hook = nextSecretHook(state, owner, T0 + HOUR)) {
      names.push(hook.name);
      applySecretHookTransition(state, owner, hook, T0 + HOUR);
    }
    expect(names).toEqual(["secret-rotate", "secret-expired", "secret-remove"]);
  });
});

describe("secrets settle with the model (interfaces §6.1)", () => {
  it("drops grants with their relation, pins with their unit, and secrets with their owner", () => {
    const { state, secret } = model();
    secret.consumers["consumer/0"] = { revision: 1 };
    delete state.relations["0"];
    delete state.units["consumer/0"];
    settleSecrets(state);
    expect(secret.grants).toEqual([]);
    expect(secret.consumers).toEqual({});
    delete state.applications.owner;
    settleSecrets(state);
    expect(state.secrets).toEqual({});
  });
});
