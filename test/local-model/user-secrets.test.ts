import { describe, expect, it } from "vitest";
import { newSecretRecord } from "../../local-model/secret-store.js";
import { newModelState, statusRecord } from "../../local-model/state.js";
import { addUserSecret, grantUserSecret, listSecrets, showSecret, updateUserSecret } from "../../local-model/user-secrets.js";

/** The operator's secrets (interfaces §6.1, §6.6): owned by the model, granted to applications, content only when revealed. */

function model() {
  const state = newModelState("test", 1);
  state.applications.app = {
    name: "app",
    charmName: "app",
    charmDir: "/nonexistent",
    charmRevision: 1,
    config: {},
    units: [],
    nextUnit: 0,
    leader: null,
    leaderSettings: {},
    leaderSettingsVersion: 0,
    status: statusRecord("unknown"),
    life: "alive",
  };
  return state;
}

describe("user secrets (interfaces §6.6)", () => {
  it("add-secret stores a model-owned secret under its name and prints secret:<id>", () => {
    const state = model();
    const uri = addUserSecret(state, "dbpass", ["password=hunter2"], "the db");
    const id = uri.slice("secret:".length);
    expect(uri).toMatch(/^secret:[0-9a-v]{20}$/);
    expect(state.secrets?.[id]).toMatchObject({ owner: { kind: "model", name: "test" }, name: "dbpass", description: "the db", latest: 1 });
    expect(state.secrets?.[id]?.revisions[0]?.content).toEqual({ password: "aHVudGVyMg==" });
  });

  it("refuses a second secret of the same name, bad keys and no content", () => {
    const state = model();
    addUserSecret(state, "dbpass", ["password=x"], undefined);
    expect(() => addUserSecret(state, "dbpass", ["password=y"], undefined)).toThrow('secret with name "dbpass" already exists');
    expect(() => addUserSecret(state, "other", ["Password=y"], undefined)).toThrow('key "Password" not valid');
    expect(() => addUserSecret(state, "other", [], undefined)).toThrow("missing secret value or filename");
  });

  it("update-secret publishes a revision only when the content changed (Juju 3.6)", () => {
    const state = model();
    const id = addUserSecret(state, "dbpass", ["password=x"], undefined).slice(7);
    updateUserSecret(state, "dbpass", ["password=x"], undefined);
    expect(state.secrets?.[id]?.latest).toBe(1);
    updateUserSecret(state, `secret:${id}`, ["password=y"], "rotated");
    expect(state.secrets?.[id]).toMatchObject({ latest: 2, description: "rotated" });
    expect(() => updateUserSecret(state, "nope", ["password=y"], undefined)).toThrow('secret "nope" not found');
  });

  it("grant-secret grants applications that exist, model-wide (no relation)", () => {
    const state = model();
    const id = addUserSecret(state, "dbpass", ["password=x"], undefined).slice(7);
    expect(() => grantUserSecret(state, "dbpass", ["ghost"])).toThrow('application "ghost" not found');
    grantUserSecret(state, "dbpass", ["app"]);
    grantUserSecret(state, "dbpass", ["app"]);
    expect(state.secrets?.[id]?.grants).toEqual([{ app: "app" }]);
  });

  it("charm secrets are not the operator's to update or grant", () => {
    const state = model();
    const record = newSecretRecord({ kind: "application", name: "app" }, { a: "YQ==" }, {}, Date.now());
    state.secrets = { [record.id]: record };
    expect(() => updateUserSecret(state, record.id, ["a-key=1"], undefined)).toThrow(`secret "${record.id}" is not a user secret`);
    expect(() => grantUserSecret(state, record.id, ["app"])).toThrow(`secret "${record.id}" is not a user secret`);
  });

  it("secrets and show-secret never show content; show-secret --reveal shows the latest revision's", () => {
    const state = model();
    const id = addUserSecret(state, "dbpass", ["password=hunter2"], undefined).slice(7);
    expect(JSON.stringify(listSecrets(state))).not.toContain("hunter2");
    expect(showSecret(state, "dbpass", false)[id]?.content).toBeUndefined();
    expect(showSecret(state, "dbpass", true)[id]).toMatchObject({ revision: 1, name: "dbpass", owner: "<model>", content: { password: "hunter2" } });
  });
});
