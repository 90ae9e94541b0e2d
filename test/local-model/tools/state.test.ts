import { describe, expect, it } from "vitest";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

describe("state-get (§3.18)", () => {
  it("prints the whole state; - means all too (§3.18)", () => {
    const ctx = new FakeHookContext({ charmState: { b: "2", a: "1" } });
    expect(ctx.run("state-get", "--format=json")).toEqual(ok('{"a":"1","b":"2"}\n'));
    expect(ctx.run("state-get", "-")).toEqual(ok('a: "1"\nb: "2"\n'));
  });

  it("prints json null for an empty state, as the context hands back a nil map (§3.18)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("state-get", "--format=json")).toEqual(ok("null\n"));
    expect(ctx.run("state-get", "--format=yaml")).toEqual(ok("{}\n"));
    expect(ctx.run("state-get")).toEqual(ok("{}\n"));
  });

  it('prints a key\'s value, and "" for a missing key (§3.18)', () => {
    const ctx = new FakeHookContext({ charmState: { a: "1" } });
    expect(ctx.run("state-get", "a")).toEqual(ok("1\n"));
    expect(ctx.run("state-get", "missing", "--format=json")).toEqual(ok('""\n'));
    expect(ctx.run("state-get", "missing")).toEqual(ok());
  });

  it('fails for a missing key with --strict: `"key" not found`, exit 1 (§3.18)', () => {
    const ctx = new FakeHookContext({ charmState: { a: "1" } });
    expect(ctx.run("state-get", "--strict", "missing")).toEqual(runError('"missing" not found'));
    expect(ctx.run("state-get", "--strict", "a")).toEqual(ok("1\n"));
  });

  it("sees this hook's own sets and deletes (§3.18)", () => {
    const ctx = new FakeHookContext({ charmState: { old: "x" } });
    expect(ctx.run("state-set", "new=y")).toEqual(ok());
    expect(ctx.run("state-delete", "old")).toEqual(ok());
    expect(ctx.run("state-get", "--format=json")).toEqual(ok('{"new":"y"}\n'));
  });

  it("takes one key at most (§3.18)", () => {
    expect(new FakeHookContext().run("state-get", "a", "b")).toEqual(usageError('unrecognized args: ["b"]'));
  });
});

describe("state-set (§3.18)", () => {
  it("sets key=value pairs (§3.18)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("state-set", "a=1", "b=x=y")).toEqual(ok());
    expect(ctx.state).toEqual({ a: "1", b: "x=y" });
  });

  it("reads a map from --file -, with key=value arguments overriding it (§3.18)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.runWithStdin('{"a": "file", "b": "file"}', "state-set", "--file", "-", "b=arg")).toEqual(ok());
    expect(ctx.state).toEqual({ a: "file", b: "arg" });
  });

  it("fails at Run when --file - has no stdin (§1.2, §3.18)", () => {
    expect(new FakeHookContext().run("state-set", "--file=-")).toEqual(runError("hook tool requires stdin, none supplied"));
  });

  it("enforces the key and value size quotas, setting nothing (§3.18)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("state-set", `${"k".repeat(257)}=v`)).toEqual(runError("max allowed key length (256) exceeded"));
    expect(ctx.run("state-set", "ok=1", `k=${"v".repeat(65537)}`)).toEqual(runError("max allowed value length (65536) exceeded"));
    expect(ctx.run("state-set", `${"k".repeat(256)}=${"v".repeat(65536)}`)).toEqual(ok());
    expect(Object.keys(ctx.state)).toEqual(["k".repeat(256)]);
  });

  it("parses key=value arguments in Init (§2.2, §3.18)", () => {
    expect(new FakeHookContext().run("state-set", "a=1", "a=2")).toEqual(usageError('key "a" specified more than once'));
  });
});

describe("state-delete (§3.18)", () => {
  it("deletes a key; a missing key or no key at all is a no-op (§3.18)", () => {
    const ctx = new FakeHookContext({ charmState: { a: "1", b: "2" } });
    expect(ctx.run("state-delete", "a")).toEqual(ok());
    expect(ctx.run("state-delete", "missing")).toEqual(ok());
    expect(ctx.run("state-delete")).toEqual(ok());
    expect(ctx.state).toEqual({ b: "2" });
  });

  it("takes one key (§3.18)", () => {
    expect(new FakeHookContext().run("state-delete", "a", "b")).toEqual(usageError('unrecognized args: ["b"]'));
  });
});
