import { describe, expect, it } from "vitest";
import { FakeHookContext } from "./fake-context.js";
import { ok, usageError } from "./tool-results.js";

/** Options of every type: two with defaults, one set, one unset without default. */
function configured(): FakeHookContext {
  return new FakeHookContext({
    configSpec: {
      "client-port": { type: "int", default: 2379 },
      "enable-v2": { type: "boolean", default: false },
      "log-level": { type: "string", default: "info" },
      ratio: { type: "float" },
      token: { type: "string" },
    },
    configValues: { ratio: 0.5, "log-level": "debug" },
  });
}

describe("config-get (§3.6)", () => {
  it("prints options that are set or have a default, typed, without --all (§3.6)", () => {
    expect(configured().run("config-get", "--format=json")).toEqual(ok('{"client-port":2379,"enable-v2":false,"log-level":"debug","ratio":0.5}\n'));
    expect(configured().run("config-get")).toEqual(ok("client-port: 2379\nenable-v2: false\nlog-level: debug\nratio: 0.5\n"));
  });

  it("includes unset options as null with --all or -a (§3.6)", () => {
    const json = '{"client-port":2379,"enable-v2":false,"log-level":"debug","ratio":0.5,"token":null}\n';
    expect(configured().run("config-get", "--all", "--format=json")).toEqual(ok(json));
    expect(configured().run("config-get", "-a", "--format=json")).toEqual(ok(json));
    expect(configured().run("config-get", "-a", "--format=yaml")).toEqual(
      ok("client-port: 2379\nenable-v2: false\nlog-level: debug\nratio: 0.5\ntoken: null\n"),
    );
  });

  it("prints one key's value; smart shows a bool as True/False (§3.6)", () => {
    const ctx = configured();
    expect(ctx.run("config-get", "client-port")).toEqual(ok("2379\n"));
    expect(ctx.run("config-get", "client-port", "--format=json")).toEqual(ok("2379\n"));
    expect(ctx.run("config-get", "enable-v2")).toEqual(ok("False\n"));
    expect(ctx.run("config-get", "log-level")).toEqual(ok("debug\n"));
    expect(ctx.run("config-get", "--format=json", "log-level")).toEqual(ok('"debug"\n'));
  });

  it("prints null for an unset or unknown key, which is not an error (§3.6)", () => {
    const ctx = configured();
    expect(ctx.run("config-get", "token", "--format=json")).toEqual(ok("null\n"));
    expect(ctx.run("config-get", "no-such-option", "--format=json")).toEqual(ok("null\n"));
    expect(ctx.run("config-get", "no-such-option")).toEqual(ok());
  });

  it("prints {} when nothing is set (§3.6)", () => {
    expect(new FakeHookContext().run("config-get", "--format=json")).toEqual(ok("{}\n"));
  });

  it('rejects --all with a key: `cannot use argument --all together with key "k"`, exit 2 (§3.6)', () => {
    expect(configured().run("config-get", "--all", "ratio")).toEqual(usageError('cannot use argument --all together with key "ratio"'));
  });

  it("takes at most one key (§3.6)", () => {
    expect(configured().run("config-get", "a", "b")).toEqual(usageError('unrecognized args: ["b"]'));
  });
});
