import { describe, expect, it } from "vitest";
import { FakeAction } from "./fake-action.js";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

function inAction(params: Record<string, unknown> = {}): { ctx: FakeHookContext; action: FakeAction } {
  const action = new FakeAction("backup", params);
  return { ctx: new FakeHookContext({ action }), action };
}

describe("action tools outside an action (§2.1, §3.13)", () => {
  it.each([["action-get"], ["action-set", "a=b"], ["action-fail"], ["action-log", "working"]])(
    "%s fails at Run: `not running an action`, exit 1 (§3.13)",
    (tool, ...args) => {
      expect(new FakeHookContext().run(tool, ...args)).toEqual(runError("not running an action"));
    },
  );

  it("action-set without arguments asks nothing of the action, so succeeds anywhere, as in 3.x (§3.13)", () => {
    expect(new FakeHookContext().run("action-set")).toEqual(ok());
  });

  it("still checks usage first: Init errors exit 2 (§3.13)", () => {
    expect(new FakeHookContext().run("action-log")).toEqual(usageError("no message specified"));
    expect(new FakeHookContext().run("action-set", "Bad=1")).toEqual(
      usageError('key "Bad" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods'),
    );
  });
});

describe("action-get (§3.13)", () => {
  const params = { target: "s3://bucket", retries: 3, compress: true, options: { level: { value: 9 }, mode: "fast" } };

  it("prints the whole parameter map, YAML in smart format (§3.13)", () => {
    const { ctx } = inAction(params);
    expect(ctx.run("action-get", "--format=json")).toEqual(
      ok('{"compress":true,"options":{"level":{"value":9},"mode":"fast"},"retries":3,"target":"s3://bucket"}\n'),
    );
    expect(ctx.run("action-get")).toEqual(ok("compress: true\noptions:\n  level:\n    value: 9\n  mode: fast\nretries: 3\ntarget: s3://bucket\n"));
  });

  it("prints {} without parameters, never null (§3.13)", () => {
    expect(inAction().ctx.run("action-get", "--format=json")).toEqual(ok("{}\n"));
  });

  it("walks dotted keys into nested maps (§3.13)", () => {
    const { ctx } = inAction(params);
    expect(ctx.run("action-get", "options.level.value")).toEqual(ok("9\n"));
    expect(ctx.run("action-get", "options.mode")).toEqual(ok("fast\n"));
    expect(ctx.run("action-get", "options.level", "--format=json")).toEqual(ok('{"value":9}\n'));
    expect(ctx.run("action-get", "compress")).toEqual(ok("True\n"));
  });

  it("prints null for a missing key or a path through a non-map, exit 0 (§3.13)", () => {
    const { ctx } = inAction(params);
    expect(ctx.run("action-get", "nope", "--format=json")).toEqual(ok("null\n"));
    expect(ctx.run("action-get", "target.inner", "--format=json")).toEqual(ok("null\n"));
    expect(ctx.run("action-get", "options.nope.deeper")).toEqual(ok());
  });

  it("takes one key at most (§3.13)", () => {
    expect(inAction(params).ctx.run("action-get", "a", "b")).toEqual(usageError('unrecognized args: ["b"]'));
  });
});

describe("action-set (§3.13)", () => {
  it("records each key=value in order, dotted keys included, values as strings (§3.13)", () => {
    const { ctx, action } = inAction();
    expect(ctx.run("action-set", "outfile.size=10G", "foo.bar-baz=2", "n=a=b", "empty=")).toEqual(ok());
    expect(action.results).toEqual([{ "outfile.size": "10G" }, { "foo.bar-baz": "2" }, { n: "a=b" }, { empty: "" }]);
  });

  it('needs = in every argument: `argument "x" must be of the form key...=value` (§3.13)', () => {
    expect(inAction().ctx.run("action-set", "ok=1", "x")).toEqual(usageError('argument "x" must be of the form key...=value'));
  });

  it.each(["Foo", "-a", "a-", "a_b", "", "a..b"])("rejects the key segment in %j (§3.13)", (key) => {
    const segment = key === "a..b" ? "" : key;
    expect(inAction().ctx.run("action-set", "--", `${key}=v`)).toEqual(
      usageError(`key "${segment}" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods`),
    );
  });

  it.each(["stdout", "stdout-encoding", "stderr", "stderr-encoding"])("refuses the reserved key %s (§3.13)", (key) => {
    expect(inAction().ctx.run("action-set", `${key}=x`)).toEqual(usageError(`cannot set reserved action key "${key}"`));
    expect(inAction().ctx.run("action-set", `result.${key}=x`)).toEqual(usageError(`cannot set reserved action key "${key}"`));
  });

  it("sets nothing when any argument is invalid, since Init checks them all first (§3.13)", () => {
    const { ctx, action } = inAction();
    ctx.run("action-set", "good=1", "Bad=2");
    expect(action.results).toEqual([]);
  });
});

describe("action-fail (§3.13)", () => {
  it("fails the action with the message given (§3.13)", () => {
    const { ctx, action } = inAction();
    expect(ctx.run("action-fail", "--", "-disk full")).toEqual(ok());
    expect(action.failure).toBe("-disk full");
  });

  it("uses Juju's default message without one (§3.13)", () => {
    const { ctx, action } = inAction();
    expect(ctx.run("action-fail")).toEqual(ok());
    expect(action.failure).toBe("action failed without reason given, check action for errors");
  });

  it("takes one message argument (§3.13)", () => {
    expect(inAction().ctx.run("action-fail", "a", "b")).toEqual(usageError('unrecognized args: ["b"]'));
  });
});

describe("action-log (§3.13)", () => {
  it("records the words joined by spaces (§3.13)", () => {
    const { ctx, action } = inAction();
    expect(ctx.run("action-log", "--", "step", "1", "of", "3")).toEqual(ok());
    expect(action.logs).toEqual(["step 1 of 3"]);
  });

  it("requires a message: `no message specified`, exit 2 (§3.13)", () => {
    expect(inAction().ctx.run("action-log")).toEqual(usageError("no message specified"));
  });
});
