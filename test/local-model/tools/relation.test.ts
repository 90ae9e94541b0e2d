import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FakeHookContext, type FakeContextSetup } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

const DB = {
  id: 3,
  endpoint: "db",
  remoteApp: "kube",
  members: ["kube/1", "kube/0"],
  unitData: { "etcd/0": { mine: "1" }, "kube/0": { host: "k0", port: "5432" }, "kube/1": { host: "k1" } },
  appData: { etcd: { role: "server" }, kube: { mode: "ha" } },
};
const PEERS = { id: 1, endpoint: "cluster", remoteApp: "etcd", isPeer: true, members: ["etcd/1"], appData: { etcd: { token: "t" } } };

/** db-relation-changed for kube/0 on db:3, with a peer relation cluster:1 and a second db relation. */
function changedHook(setup: Partial<FakeContextSetup> = {}): FakeHookContext {
  return new FakeHookContext({
    hookName: "db-relation-changed",
    relationId: 3,
    remoteUnit: "kube/0",
    remoteApp: "kube",
    relations: [DB, PEERS, { id: 10, endpoint: "db", remoteApp: "pg" }],
    ...setup,
  });
}

describe("relation-get (§3.1)", () => {
  it("reads the hook's remote unit by default; a key prints its value (§3.1)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-get")).toEqual(ok('host: k0\nport: "5432"\n'));
    expect(ctx.run("relation-get", "--format=json")).toEqual(ok('{"host":"k0","port":"5432"}\n'));
    expect(ctx.run("relation-get", "host")).toEqual(ok("k0\n"));
    expect(ctx.run("relation-get", "--format=json", "port")).toEqual(ok('"5432"\n'));
  });

  it("treats - as all keys and takes the unit as the second positional (§3.1)", () => {
    expect(changedHook().run("relation-get", "-", "kube/1", "--format=json")).toEqual(ok('{"host":"k1"}\n'));
    expect(changedHook().run("relation-get", "host", "kube/1")).toEqual(ok("k1\n"));
  });

  it("prints nothing (json null) for a missing key, exit 0 (§3.1)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-get", "nope")).toEqual(ok());
    expect(ctx.run("relation-get", "--format=json", "nope")).toEqual(ok("null\n"));
    expect(ctx.run("relation-get", "--format=yaml", "nope")).toEqual(ok());
  });

  it("prints {} for an empty bag (§3.1)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-get", "-r", "10", "-", "pg/0", "--format=json")).toEqual(ok("{}\n"));
    expect(ctx.run("relation-get", "-r", "10", "-", "pg/0")).toEqual(ok("{}\n"));
  });

  it("reads this unit's own bag including this hook's relation-set writes (§3.1)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-set", "new=2", "mine=")).toEqual(ok());
    expect(ctx.run("relation-get", "--format=json", "-", "etcd/0")).toEqual(ok('{"new":"2"}\n'));
  });

  it("reads the remote application's bag with --app; without a name that is the remote app (§3.1)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-get", "--app", "--format=json")).toEqual(ok('{"mode":"ha"}\n'));
    expect(ctx.run("relation-get", "--app", "mode", "kube")).toEqual(ok("ha\n"));
  });

  it("turns a unit name given with --app into its application (§3.1)", () => {
    expect(changedHook().run("relation-get", "--app", "-", "kube/1", "--format=json")).toEqual(ok('{"mode":"ha"}\n'));
  });

  it("reads this application's bag as leader, with pending writes (§3.1)", () => {
    const ctx = changedHook({ leader: true });
    expect(ctx.run("relation-set", "--app", "extra=x")).toEqual(ok());
    expect(ctx.run("relation-get", "--app", "-", "etcd", "--format=json")).toEqual(ok('{"extra":"x","role":"server"}\n'));
  });

  it("denies a non-leader its own application's bag on a provider/requirer relation: exit 1 (§3.1)", () => {
    expect(changedHook({ leader: false }).run("relation-get", "--app", "-", "etcd")).toEqual(runError("permission denied"));
  });

  it("lets a non-leader read its own application's bag on a peer relation (§3.1)", () => {
    expect(changedHook({ leader: false }).run("relation-get", "-r", "cluster:1", "--app", "-", "etcd", "--format=json")).toEqual(ok('{"token":"t"}\n'));
  });

  it("denies a unit outside the relation: `permission denied`, exit 1 (§3.1)", () => {
    expect(changedHook().run("relation-get", "-", "other/0")).toEqual(runError("permission denied"));
  });

  it("reads an application's bag when given an application name without --app, as 3.x's ReadSettings does (§3.1)", () => {
    expect(changedHook().run("relation-get", "-", "kube", "--format=json")).toEqual(ok('{"mode":"ha"}\n'));
  });

  it("fails at Run for a name that is neither a unit nor an application (§3.1)", () => {
    expect(changedHook().run("relation-get", "-", "Not_A/Name")).toEqual(runError('"Not_A/Name" is not a valid unit or application'));
  });

  it("defaults to the remote application, implying --app, when the hook has no remote unit (§3.1)", () => {
    const ctx = changedHook({ hookName: "db-relation-created", remoteUnit: undefined });
    expect(ctx.run("relation-get", "--format=json")).toEqual(ok('{"mode":"ha"}\n'));
  });

  it("fails in Init without a unit or application to default to: `no unit or application specified` (§3.1)", () => {
    const ctx = new FakeHookContext({ relations: [DB] });
    expect(ctx.run("relation-get", "-r", "3")).toEqual(usageError("no unit or application specified"));
    expect(ctx.run("relation-get", "-r", "3", "--app")).toEqual(usageError("no unit or application specified"));
    expect(ctx.run("relation-get", "-r", "3", "-", "kube/0", "--format=json")).toEqual(ok('{"host":"k0","port":"5432"}\n'));
  });

  it("rejects a third positional: `unrecognized args` (§3.1)", () => {
    expect(changedHook().run("relation-get", "k", "kube/0", "extra")).toEqual(usageError('unrecognized args: ["extra"]'));
  });
});

describe("relation-set (§3.2)", () => {
  it("buffers key=value writes to this unit's bag; an empty value deletes (§3.2)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-set", "a=1", "b=two words", "mine=")).toEqual(ok());
    expect(ctx.relation(3).pendingUnit).toEqual({ a: "1", b: "two words", mine: "" });
  });

  it("writes to the relation named by -r (§3.2)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-set", "-r", "db:10", "a=1")).toEqual(ok());
    expect(ctx.relation(10).pendingUnit).toEqual({ a: "1" });
    expect(ctx.relation(3).pendingUnit).toEqual({});
  });

  it("is a no-op without arguments (§3.2)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-set")).toEqual(ok());
    expect(ctx.relation(3).pendingUnit).toEqual({});
  });

  it("writes the application's bag with --app as leader (§3.2)", () => {
    const ctx = changedHook({ leader: true });
    expect(ctx.run("relation-set", "--app", "k=v")).toEqual(ok());
    expect(ctx.relation(3).pendingApp).toEqual({ k: "v" });
  });

  it("refuses --app to a non-leader: `cannot write relation settings`, exit 1 (§3.2)", () => {
    const ctx = changedHook({ leader: false });
    expect(ctx.run("relation-set", "--app", "k=v")).toEqual(runError("cannot write relation settings"));
    expect(ctx.run("relation-set", "--app")).toEqual(runError("cannot write relation settings"));
    expect(ctx.relation(3).pendingApp).toEqual({});
  });

  it("reads a JSON object from stdin with --file -, as ops sends it (§2.2, §3.2)", () => {
    const ctx = changedHook();
    expect(ctx.runWithStdin('{"a": "1", "b": "", "c": "x=y"}', "relation-set", "-r", "3", "--file", "-")).toEqual(ok());
    expect(ctx.relation(3).pendingUnit).toEqual({ a: "1", b: "", c: "x=y" });
  });

  it("lets key=value arguments override the file's entries (§2.2, §3.2)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "relation-set-"));
    const file = path.join(dir, "settings.yaml");
    await writeFile(file, "a: from-file\nb: kept\n");
    const ctx = changedHook();
    expect(ctx.run("relation-set", `--file=${file}`, "a=from-arg")).toEqual(ok());
    expect(ctx.relation(3).pendingUnit).toEqual({ a: "from-arg", b: "kept" });
  });

  it("fails at Run when --file - is given and the client sent no stdin (§1.2, §3.2)", () => {
    expect(changedHook().run("relation-set", "--file", "-")).toEqual(runError("hook tool requires stdin, none supplied"));
  });

  it("fails at Run for a missing file, with Go's open error (§3.2)", () => {
    const missing = path.join(tmpdir(), "no-such-settings-file.yaml");
    expect(changedHook().run("relation-set", "--file", missing)).toEqual(runError(`open ${missing}: no such file or directory`));
  });

  it("prints the --format deprecation without a newline and carries on (§3.2)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-set", "--format=json", "a=1")).toEqual({
      code: 0,
      stdout: "",
      stderr: '--format flag deprecated for command "relation-set"',
    });
    expect(ctx.relation(3).pendingUnit).toEqual({ a: "1" });
  });

  it("keeps the deprecation text ahead of a later Run error (§3.2)", () => {
    expect(changedHook({ leader: false }).run("relation-set", "--format", "json", "--app", "a=1")).toEqual({
      code: 1,
      stdout: "",
      stderr: '--format flag deprecated for command "relation-set"ERROR cannot write relation settings\n',
    });
  });
});

describe("relation-ids (§3.3)", () => {
  it("lists the endpoint's relations as <endpoint>:<id>, sorted as strings (§3.3)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-ids")).toEqual(ok("db:10\ndb:3\n"));
    expect(ctx.run("relation-ids", "--format=json")).toEqual(ok('["db:10","db:3"]\n'));
    expect(ctx.run("relation-ids", "cluster", "--format=json")).toEqual(ok('["cluster:1"]\n'));
  });

  it("prints [] (json) or nothing (smart) for an endpoint without relations (§3.3)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-ids", "unknown", "--format=json")).toEqual(ok("[]\n"));
    expect(ctx.run("relation-ids", "unknown")).toEqual(ok());
  });

  it("leaves out broken relations, which -r still resolves (§3.3)", () => {
    const ctx = new FakeHookContext({
      hookName: "db-relation-broken",
      relationId: 3,
      remoteApp: "kube",
      relations: [{ ...DB, broken: true, members: [] }],
    });
    expect(ctx.run("relation-ids", "--format=json")).toEqual(ok("[]\n"));
    expect(ctx.run("relation-list", "-r", "3", "--format=json")).toEqual(ok("[]\n"));
  });

  it("needs an endpoint outside relation hooks: `no endpoint name specified` (§3.3)", () => {
    expect(new FakeHookContext().run("relation-ids")).toEqual(usageError("no endpoint name specified"));
    expect(new FakeHookContext().run("relation-ids", "a", "b")).toEqual(usageError('unrecognized args: ["b"]'));
  });
});

describe("relation-list (§3.4)", () => {
  it("lists the remote units, sorted (§3.4)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-list")).toEqual(ok("kube/0\nkube/1\n"));
    expect(ctx.run("relation-list", "--format=json")).toEqual(ok('["kube/0","kube/1"]\n'));
  });

  it("prints [] in json when there are no members (§3.4)", () => {
    expect(changedHook().run("relation-list", "-r", "10", "--format=json")).toEqual(ok("[]\n"));
    expect(changedHook().run("relation-list", "-r", "10")).toEqual(ok());
  });

  it("prints the remote application with --app (§3.4)", () => {
    const ctx = changedHook();
    expect(ctx.run("relation-list", "--app")).toEqual(ok("kube\n"));
    expect(ctx.run("relation-list", "--app", "--format=json", "-r", "10")).toEqual(ok('"pg"\n'));
    expect(ctx.run("relation-list", "-r", "cluster:1", "--app")).toEqual(ok("etcd\n"));
  });

  it("takes no positionals (§3.4)", () => {
    expect(changedHook().run("relation-list", "x")).toEqual(usageError('unrecognized args: ["x"]'));
  });
});

describe("relation-model-get (§3.5)", () => {
  it("prints the remote application's model uuid (§3.5)", () => {
    const ctx = changedHook({ relations: [{ ...DB, remoteModelUuid: "0b1d-remote" }] });
    expect(ctx.run("relation-model-get", "--format=json")).toEqual(ok('{"uuid":"0b1d-remote"}\n'));
    expect(ctx.run("relation-model-get")).toEqual(ok("uuid: 0b1d-remote\n"));
  });
});
