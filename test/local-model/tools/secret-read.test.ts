import { describe, expect, it } from "vitest";
import type { SecretStore } from "../../../local-model/secret-store.js";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

/** The hook-tool side of Juju secrets that reads: secret-get, secret-ids, secret-info-get (contract §3.19; interfaces §6.1, §6.3, §6.5). */

const NOW = Date.parse("2026-11-30T12:00:00Z");

/** An owner leader and two consumer units, related by relation 3, sharing one model store. */
function model(options: { consumerRelationBroken?: boolean } = {}) {
  const store: SecretStore = {};
  const owner = new FakeHookContext({
    unit: "owner/0",
    secrets: store,
    now: NOW,
    relations: [{ id: 3, endpoint: "vault", remoteApp: "consumer", members: ["consumer/0", "consumer/1"] }],
  });
  const consumer = (unit: string) =>
    new FakeHookContext({
      unit,
      leader: unit === "consumer/0",
      secrets: store,
      now: NOW,
      relations: [{ id: 3, endpoint: "vault", remoteApp: "owner", members: ["owner/0"], broken: options.consumerRelationBroken ?? false }],
    });
  return { store, owner, consumer };
}

/** Runs a tool that must succeed, then commits the hook. */
function committed(ctx: FakeHookContext, tool: string, ...args: string[]): string {
  const result = ctx.run(tool, ...args);
  expect(result).toEqual(ok(result.stdout));
  ctx.commitSecrets();
  return result.stdout;
}

function sharedSecret() {
  const setup = model();
  const uri = committed(setup.owner, "secret-add", "--label", "creds", "password=one").trim();
  committed(setup.owner, "secret-grant", uri, "-r", "3");
  return { ...setup, uri, id: uri.slice("secret:".length) };
}

describe("secret-get (contract §3.19, interfaces §6.1)", () => {
  it("prints the content as YAML by default, JSON with --format json, one key, or a key's base64 (§6.5)", () => {
    const { owner, uri } = sharedSecret();
    expect(owner.run("secret-get", uri)).toEqual(ok("password: one\n"));
    expect(owner.run("secret-get", uri, "--format", "json")).toEqual(ok('{"password":"one"}\n'));
    expect(owner.run("secret-get", uri, "password")).toEqual(ok("one\n"));
    expect(owner.run("secret-get", uri, "password#base64", "--format=json")).toEqual(ok('"b25l"\n'));
    expect(owner.run("secret-get", uri, "nope")).toEqual(runError('secret key "nope" not found'));
  });

  it("checks its arguments in Init (§3.19)", () => {
    const { owner, uri } = sharedSecret();
    expect(owner.run("secret-get")).toEqual(usageError("require either a secret URI or label"));
    expect(owner.run("secret-get", uri, "--peek", "--refresh")).toEqual(usageError("specify one of --peek or --refresh but not both"));
    expect(owner.run("secret-get", "bogus")).toEqual(usageError('secret URI "bogus" not valid'));
  });

  it('keeps "not found" for an unknown secret and says "permission denied" without a grant (§3.19, §6.5)', () => {
    const { owner, uri } = sharedSecret();
    expect(owner.run("secret-get", "secret:aaaaaaaaaaaaaaaaaaaa")).toEqual(runError('secret "aaaaaaaaaaaaaaaaaaaa" not found'));
    const stranger = new FakeHookContext({ unit: "stranger/0", secrets: owner.secretStore, now: NOW });
    expect(stranger.run("secret-get", uri)).toEqual(runError("permission denied"));
  });

  it("pins a consumer to the revision it first saw: --peek shows the latest once, --refresh moves the pin (§6.1)", () => {
    const { owner, consumer, uri, store, id } = sharedSecret();
    const reader = consumer("consumer/0");
    expect(committed(reader, "secret-get", uri)).toBe("password: one\n");
    committed(owner, "secret-set", uri, "password=two");
    expect(reader.run("secret-get", uri)).toEqual(ok("password: one\n"));
    expect(committed(reader, "secret-get", uri, "--peek")).toBe("password: two\n");
    expect(store[id]?.consumers["consumer/0"]?.revision).toBe(1);
    expect(reader.run("secret-get", uri)).toEqual(ok("password: one\n"));
    expect(committed(reader, "secret-get", uri, "--refresh")).toBe("password: two\n");
    expect(store[id]?.consumers["consumer/0"]?.revision).toBe(2);
    expect(reader.run("secret-get", uri)).toEqual(ok("password: two\n"));
  });

  it("tracks only when the hook commits: a failed hook's first read or --refresh pins nothing (§4)", () => {
    const { owner, consumer, uri, store, id } = sharedSecret();
    const reader = consumer("consumer/1");
    expect(reader.run("secret-get", uri)).toEqual(ok("password: one\n"));
    reader.discardSecrets();
    expect(store[id]?.consumers["consumer/1"]).toBeUndefined();
    committed(reader, "secret-get", uri);
    committed(owner, "secret-set", uri, "password=two");
    expect(reader.run("secret-get", uri, "--refresh")).toEqual(ok("password: two\n"));
    reader.discardSecrets();
    expect(store[id]?.consumers["consumer/1"]?.revision).toBe(1);
  });

  it("pins owners too, as consumers are pinned (Juju 3.6, §6.1)", () => {
    const { owner, uri } = sharedSecret();
    committed(owner, "secret-get", uri);
    committed(owner, "secret-set", uri, "password=two");
    expect(owner.run("secret-get", uri)).toEqual(ok("password: one\n"));
    expect(owner.run("secret-get", uri, "--refresh")).toEqual(ok("password: two\n"));
  });

  it("sees this hook's own new revision with --peek or --refresh (pending updates, §6.1)", () => {
    const { owner, uri } = sharedSecret();
    committed(owner, "secret-get", uri);
    expect(owner.run("secret-set", uri, "password=two")).toEqual(ok());
    expect(owner.run("secret-get", uri, "--peek")).toEqual(ok("password: two\n"));
  });

  it("resolves --label: the owner's label, or the label a consumer gave with secret-get <uri> --label (§6.3)", () => {
    const { owner, consumer, uri } = sharedSecret();
    expect(owner.run("secret-get", "--label", "creds")).toEqual(ok("password: one\n"));
    // Even with --label, the first argument is the URI, never the key (jujuc secret-get.go).
    expect(owner.run("secret-get", "--label", "creds", "password")).toEqual(usageError('secret URI "password" not valid'));
    const reader = consumer("consumer/0");
    expect(committed(reader, "secret-get", uri, "--label", "upstream")).toBe("password: one\n");
    expect(reader.run("secret-get", "--label", "upstream")).toEqual(ok("password: one\n"));
    expect(reader.run("secret-get", "--label", "creds")).toEqual(runError('secret "creds" not found'));
  });

  it("lets every unit of the owning application read an application secret, by URI or by the owner's label (§6.1, §6.3)", () => {
    const { owner, uri } = sharedSecret();
    const follower = new FakeHookContext({ unit: "owner/1", leader: false, secrets: owner.secretStore, now: NOW });
    expect(follower.run("secret-get", uri)).toEqual(ok("password: one\n"));
    expect(follower.run("secret-get", "--label", "creds")).toEqual(ok("password: one\n"));
  });

  it("gives a unit-scoped grant to that unit only (§6.1)", () => {
    const { owner, consumer } = model();
    const uri = committed(owner, "secret-add", "password=one").trim();
    committed(owner, "secret-grant", uri, "-r", "3", "--unit", "consumer/1");
    expect(consumer("consumer/1").run("secret-get", uri)).toEqual(ok("password: one\n"));
    expect(consumer("consumer/0").run("secret-get", uri)).toEqual(runError("permission denied"));
  });

  it("loses access once the grant is revoked (§6.1)", () => {
    const { owner, consumer, uri } = sharedSecret();
    committed(owner, "secret-revoke", uri, "-r", "3");
    expect(consumer("consumer/0").run("secret-get", uri)).toEqual(runError("permission denied"));
  });

  it("loses access with the relation: grants are relation-scoped (§6.1)", () => {
    const { owner, consumer } = model({ consumerRelationBroken: true });
    const uri = committed(owner, "secret-add", "password=one").trim();
    committed(owner, "secret-grant", uri, "-r", "3");
    expect(consumer("consumer/0").run("secret-get", uri)).toEqual(runError("permission denied"));
  });
});

describe("secret-ids (interfaces §6.5)", () => {
  it("lists the bare ids of the secrets the unit manages (its own, its application's when leader), smart format by default", () => {
    const { owner, id } = sharedSecret();
    const follower = new FakeHookContext({ unit: "owner/1", leader: false, secrets: owner.secretStore, now: NOW });
    const unitId = committed(follower, "secret-add", "--owner", "unit", "a-key=1").trim().slice("secret:".length);
    expect(owner.run("secret-ids")).toEqual(ok(`${id}\n`));
    expect(follower.run("secret-ids", "--format=json")).toEqual(ok(`["${unitId}"]\n`));
    expect(new FakeHookContext({ unit: "other/0", secrets: owner.secretStore }).run("secret-ids", "--format=json")).toEqual(ok("null\n"));
  });
});

describe("secret-info-get (interfaces §6.5)", () => {
  it("prints a map keyed by the bare id, with the grants as access", () => {
    const { owner, id, uri } = sharedSecret();
    expect(owner.run("secret-info-get", uri, "--format", "json")).toEqual(
      ok(
        `{"${id}":{"revision":1,"label":"creds","owner":"application","rotation":"never","access":[{"target":"application-consumer","scope":"relation-owner.vault#consumer.vault","role":"view"}]}}\n`,
      ),
    );
  });

  it('prints YAML by default, with label "" when the secret has none', () => {
    const { owner } = model();
    const uri = committed(owner, "secret-add", "a-key=1").trim();
    expect(owner.run("secret-info-get", uri)).toEqual(ok(`${uri.slice(7)}:\n  revision: 1\n  label: ""\n  owner: application\n  rotation: never\n`));
  });

  it('knows only owned secrets: a consumer gets "not found"; URI and label together are refused', () => {
    const { consumer, uri } = sharedSecret();
    expect(consumer("consumer/0").run("secret-info-get", uri)).toEqual(runError(`secret "${uri.slice(7)}" not found`));
    expect(consumer("consumer/0").run("secret-info-get", uri, "--label", "x")).toEqual(usageError("specify either a secret URI or label but not both"));
    expect(consumer("consumer/0").run("secret-info-get")).toEqual(usageError("require either a secret URI or label"));
  });
});
