import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { SecretStore } from "../../../local-model/secret-store.js";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

/** The hook-tool side of Juju secrets that writes (contract §3.19, §4; interfaces §6.1, §6.4). */

const NOW = Date.parse("2026-11-30T12:00:00Z");
const relation = { id: 3, endpoint: "vault", remoteApp: "consumer", members: ["consumer/0", "consumer/1"] };

function owner(store: SecretStore = {}, setup: { leader?: boolean; unit?: string } = {}) {
  return new FakeHookContext({ unit: setup.unit ?? "owner/0", leader: setup.leader ?? true, secrets: store, relations: [relation], now: NOW });
}

/** secret-add, committed: the new secret's id. */
function added(ctx: FakeHookContext, ...args: string[]): string {
  const result = ctx.run("secret-add", ...args);
  expect(result.code).toBe(0);
  ctx.commitSecrets();
  return result.stdout.trim().replace(/^secret:/, "");
}

describe("secret-add (contract §3.19, interfaces §6.4)", () => {
  it("prints the new secret's URI, secret:<20-char id>, and stores base64 values owned by the application (§6.1, §6.5)", () => {
    const ctx = owner();
    const result = ctx.run("secret-add", "password=s3cret", "user-name=admin");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^secret:[0-9a-v]{20}\n$/);
    ctx.commitSecrets();
    const id = result.stdout.trim().slice("secret:".length);
    const record = ctx.secretStore[id];
    expect(record?.owner).toEqual({ kind: "application", name: "owner" });
    expect(record?.latest).toBe(1);
    expect(record?.revisions[0]?.content).toEqual({ password: "czNjcmV0", "user-name": "YWRtaW4=" });
  });

  it('refuses a non-leader an application secret: "this unit is not the leader" (§3.19)', () => {
    const ctx = owner({}, { leader: false, unit: "owner/1" });
    expect(ctx.run("secret-add", "password=x")).toEqual(runError("this unit is not the leader"));
  });

  it("lets any unit own a secret with --owner unit (§6.1)", () => {
    const ctx = owner({}, { leader: false, unit: "owner/1" });
    const id = added(ctx, "--owner", "unit", "password=x");
    expect(ctx.secretStore[id]?.owner).toEqual({ kind: "unit", name: "owner/1" });
    expect(ctx.run("secret-add", "--owner", "machine", "a=b")).toEqual(usageError('secret owner "machine" not valid'));
  });

  it("needs content, and keys by Juju's regex (§6.4)", () => {
    const ctx = owner();
    expect(ctx.run("secret-add")).toEqual(usageError("missing secret value or filename"));
    expect(ctx.run("secret-add", "Password=x")).toEqual(usageError('key "Password" not valid'));
    expect(ctx.run("secret-add", "ab=x")).toEqual(usageError('key "ab" not valid'));
    expect(ctx.run("secret-add", "a--b=x")).toEqual(usageError('key "a--b" not valid'));
    expect(ctx.run("secret-add", "novalue")).toEqual(usageError('key value "novalue" not valid'));
  });

  it("refuses an empty --file map at Run: empty secret value (§6.4)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "secret-empty-"));
    writeFileSync(path.join(dir, "empty.yaml"), "");
    expect(owner().run("secret-add", "--file", path.join(dir, "empty.yaml"))).toEqual(runError("empty secret value not valid"));
  });

  it("checks in jujuc's order: expiry, rotation, owner (§3.19)", () => {
    expect(owner().run("secret-add", "--owner", "x", "--rotate", "often", "--expire", "soon", "a-key=1")).toEqual(
      usageError('expire time or duration "soon" not valid'),
    );
    expect(owner().run("secret-add", "--owner", "x", "--rotate", "often", "a-key=1")).toEqual(usageError('rotate policy "often" not valid'));
  });

  it("keeps key#base64 values as given and reads key#file=/path (§6.4)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "secret-file-"));
    const file = path.join(dir, "cert.pem");
    writeFileSync(file, "-----BEGIN-----\n");
    const ctx = owner();
    const id = added(ctx, "token#base64=aGVsbG8=", `cert#file=${file}`);
    expect(ctx.secretStore[id]?.revisions[0]?.content).toEqual({ token: "aGVsbG8=", cert: Buffer.from("-----BEGIN-----\n").toString("base64") });
    expect(ctx.run("secret-add", `cert#file=${dir}/missing`)).toEqual(
      usageError(`reading content for secret key "cert": open ${dir}/missing: no such file or directory`),
    );
  });

  it("reads a YAML map from --file, key=value arguments besides it (§6.4)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "secret-yaml-"));
    const file = path.join(dir, "content.yaml");
    writeFileSync(file, "password: from-file\nport: 2379\n");
    const ctx = owner();
    const id = added(ctx, "--file", file, "extra=1");
    expect(ctx.secretStore[id]?.revisions[0]?.content).toEqual({ password: "ZnJvbS1maWxl", port: "MjM3OQ==", extra: "MQ==" });
  });

  it("refuses a value over Juju 3.6's 1 MB of base64 with its exact text (§6.4)", () => {
    const big = "x".repeat(750_001);
    expect(owner().run("secret-add", `blob=${big}`)).toEqual(usageError('base64 encoded secret content for key "blob" too large: 1000004 bytes'));
  });

  it("takes --expire as RFC3339, as YYYY-MM-DDTHH:MM:SS, or as a positive Go duration (§6.4)", () => {
    const ctx = owner();
    const rfc = added(ctx, "--expire", "2030-01-02T03:04:05+02:00", "a-key=1");
    const plain = added(ctx, "--expire", "2030-01-02T03:04:05", "a-key=2");
    const duration = added(ctx, "--expire", "90m", "a-key=3");
    expect(ctx.secretStore[rfc]?.revisions[0]?.expireAt).toBe(Date.parse("2030-01-02T01:04:05Z"));
    expect(ctx.secretStore[plain]?.revisions[0]?.expireAt).toBe(Date.parse("2030-01-02T03:04:05Z"));
    expect(ctx.secretStore[duration]?.revisions[0]?.expireAt).toBe(NOW + 90 * 60_000);
    expect(ctx.run("secret-add", "--expire", "soon", "a-key=1")).toEqual(usageError('expire time or duration "soon" not valid'));
    expect(ctx.run("secret-add", "--expire", "-1h", "a-key=1")).toEqual(usageError('negative expire duration "-1h" not valid'));
  });

  it("takes a rotate policy from Juju's list; rotation falls due one period on (§3.19, §6.2)", () => {
    const ctx = owner();
    const id = added(ctx, "--rotate", "hourly", "a-key=1");
    expect(ctx.secretStore[id]?.rotatePolicy).toBe("hourly");
    expect(ctx.secretStore[id]?.nextRotateAt).toBe(NOW + 3_600_000);
    expect(ctx.run("secret-add", "--rotate", "often", "a-key=1")).toEqual(usageError('rotate policy "often" not valid'));
  });

  it("keeps owner labels unique per owner (§6.3)", () => {
    const ctx = owner();
    added(ctx, "--label", "db", "a-key=1");
    expect(ctx.run("secret-add", "--label", "db", "a-key=2")).toEqual(runError('secret with label "db" already exists'));
  });

  it("buffers the new secret until the hook commits; a failed hook leaves none (§4, §6.6)", () => {
    const ctx = owner();
    const uri = ctx.run("secret-add", "a-key=1").stdout.trim();
    // Visible in this hook (pending creates, §6.1) …
    expect(ctx.run("secret-get", uri)).toEqual(ok('a-key: "1"\n'));
    // … to no one else, and gone when the hook fails.
    expect(ctx.secretStore).toEqual({});
    ctx.discardSecrets();
    expect(ctx.secretStore).toEqual({});
    expect(ctx.run("secret-get", uri)).toEqual(runError(`secret "${uri.slice(7)}" not found`));
  });
});

describe("secret-set (contract §3.19, interfaces §6.1)", () => {
  it("publishes a new revision; identical content makes none (Juju 3.6)", () => {
    const ctx = owner();
    const id = added(ctx, "a-key=1");
    expect(ctx.run("secret-set", `secret:${id}`, "a-key=2")).toEqual(ok());
    ctx.commitSecrets();
    expect(ctx.secretStore[id]?.latest).toBe(2);
    expect(ctx.run("secret-set", id, "a-key=2")).toEqual(ok());
    ctx.commitSecrets();
    expect(ctx.secretStore[id]?.latest).toBe(2);
  });

  it("updates label, description, expiry and rotation without a new revision", () => {
    const ctx = owner();
    const id = added(ctx, "a-key=1");
    expect(ctx.run("secret-set", id, "--label", "tls", "--description", "the cert", "--expire", "2031-01-01T00:00:00Z", "--rotate", "daily")).toEqual(ok());
    ctx.commitSecrets();
    expect(ctx.run("secret-info-get", "--label", "tls", "--format=json")).toEqual(
      ok(
        `{"${id}":{"revision":1,"label":"tls","owner":"application","description":"the cert","rotation":"daily","expiry":"2031-01-01T00:00:00Z","rotates":"2026-12-01T12:00:00Z"}}\n`,
      ),
    );
  });

  it('is the owner\'s: a non-leader of the owning application and other applications get "permission denied"; an unknown secret is "not found"', () => {
    const store: SecretStore = {};
    const id = added(owner(store), "a-key=1");
    expect(owner(store, { leader: false, unit: "owner/1" }).run("secret-set", id, "a-key=2")).toEqual(runError("permission denied"));
    const other = new FakeHookContext({ unit: "consumer/0", secrets: store });
    expect(other.run("secret-set", id, "a-key=2")).toEqual(runError("permission denied"));
    expect(other.run("secret-set", "secret:aaaaaaaaaaaaaaaaaaaa", "a-key=2")).toEqual(runError('secret "aaaaaaaaaaaaaaaaaaaa" not found'));
    expect(other.run("secret-set")).toEqual(usageError("missing secret URI"));
    expect(other.run("secret-set", "bogus")).toEqual(usageError('secret URI "bogus" not valid'));
  });
});

describe("secret-remove (contract §3.19)", () => {
  it("removes one revision with --revision, or the whole secret", () => {
    const ctx = owner();
    const id = added(ctx, "a-key=1");
    ctx.run("secret-set", id, "a-key=2");
    ctx.commitSecrets();
    expect(ctx.run("secret-remove", id, "--revision", "1")).toEqual(ok());
    ctx.commitSecrets();
    expect(ctx.secretStore[id]?.revisions.map((revision) => revision.revision)).toEqual([2]);
    expect(ctx.run("secret-remove", id, "--revision", "7")).toEqual(runError(`secret revision 7 for "secret:${id}" not found`));
    expect(ctx.run("secret-remove", id, "--revision", "two")).toEqual(
      usageError('invalid value "two" for option --revision: strconv.ParseInt: parsing "two": invalid syntax'),
    );
    expect(ctx.run("secret-remove", id)).toEqual(ok());
    ctx.commitSecrets();
    expect(ctx.secretStore[id]).toBeUndefined();
  });
});

describe("secret-grant and secret-revoke (contract §3.19, interfaces §6.1)", () => {
  it("grants relation-scoped access to the remote application, or one of its units", () => {
    const store: SecretStore = {};
    const ctx = owner(store);
    const id = added(ctx, "a-key=1");
    expect(ctx.run("secret-grant", id, "-r", "vault:3", "--unit", "consumer/1")).toEqual(ok());
    ctx.commitSecrets();
    expect(store[id]?.grants).toEqual([{ app: "consumer", unit: "consumer/1", relationId: 3 }]);
    expect(ctx.run("secret-grant", id, "-r", "3")).toEqual(
      runError("any unit level grants need to be revoked before granting access to the corresponding application"),
    );
    ctx.run("secret-revoke", id, "--unit", "consumer/1");
    expect(ctx.run("secret-grant", id, "-r", "3")).toEqual(ok());
    // The application's grant covers its units: granting one again changes nothing.
    expect(ctx.run("secret-grant", id, "-r", "3", "--unit", "consumer/0")).toEqual(ok());
    ctx.commitSecrets();
    expect(store[id]?.grants).toEqual([{ app: "consumer", relationId: 3 }]);
  });

  it("is the managing unit's: others, a non-leader of the owning application included, find no such secret", () => {
    const store: SecretStore = {};
    const id = added(owner(store), "a-key=1");
    expect(owner(store, { leader: false, unit: "owner/1" }).run("secret-grant", id, "-r", "3")).toEqual(runError(`secret "${id}" not found`));
  });

  it("needs a relation, and a unit of the remote application", () => {
    const ctx = owner();
    const id = added(ctx, "a-key=1");
    expect(ctx.run("secret-grant", id)).toEqual(usageError("no relation id specified"));
    expect(ctx.run("secret-grant", id, "-r", "9")).toEqual(usageError('invalid value "9" for option -r: relation not found'));
    expect(ctx.run("secret-grant", id, "-r", "3", "--unit", "other/0")).toEqual(
      usageError('cannot specify unit "other/0" in relation to application "consumer"'),
    );
    expect(ctx.run("secret-grant", id, "-r", "3", "--unit", "consumer")).toEqual(usageError('unit "consumer" not valid'));
  });

  it("revoke takes one target: a relation (its remote application), an application or a unit", () => {
    const ctx = owner();
    const id = added(ctx, "a-key=1");
    expect(ctx.run("secret-revoke", id)).toEqual(usageError("missing relation or application or unit"));
    expect(ctx.run("secret-revoke", id, "--app", "consumer", "--unit", "consumer/0")).toEqual(usageError("specify only one of application or unit"));
    expect(ctx.run("secret-revoke", id, "-r", "3", "--app", "consumer")).toEqual(usageError("do not specify both relation and app"));
    expect(ctx.run("secret-revoke", id, "--app", "Bad")).toEqual(usageError('application "Bad" not valid'));
  });

  it("revokes by relation, application or unit", () => {
    const ctx = owner();
    const id = added(ctx, "a-key=1");
    ctx.run("secret-grant", id, "-r", "3", "--unit", "consumer/0");
    ctx.run("secret-grant", id, "-r", "3", "--unit", "consumer/1");
    ctx.commitSecrets();
    expect(ctx.run("secret-revoke", id, "--unit", "consumer/0")).toEqual(ok());
    ctx.commitSecrets();
    expect(ctx.secretStore[id]?.grants).toEqual([{ app: "consumer", unit: "consumer/1", relationId: 3 }]);
    expect(ctx.run("secret-revoke", id, "-r", "3")).toEqual(ok());
    ctx.commitSecrets();
    expect(ctx.secretStore[id]?.grants).toEqual([]);
    ctx.run("secret-grant", id, "-r", "3");
    ctx.commitSecrets();
    expect(ctx.run("secret-revoke", id, "--app", "consumer")).toEqual(ok());
    ctx.commitSecrets();
    expect(ctx.secretStore[id]?.grants).toEqual([]);
  });
});
