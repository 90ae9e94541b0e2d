import { describe, expect, it } from "vitest";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

describe("is-leader (§3.7)", () => {
  it("prints True/False in smart format and true/false in json (§3.7)", () => {
    expect(new FakeHookContext({ leader: true }).run("is-leader")).toEqual(ok("True\n"));
    expect(new FakeHookContext({ leader: false }).run("is-leader")).toEqual(ok("False\n"));
    expect(new FakeHookContext({ leader: true }).run("is-leader", "--format=json")).toEqual(ok("true\n"));
    expect(new FakeHookContext({ leader: false }).run("is-leader", "--format=json")).toEqual(ok("false\n"));
  });

  it("takes no positionals (§3.7)", () => {
    expect(new FakeHookContext().run("is-leader", "now")).toEqual(usageError('unrecognized args: ["now"]'));
  });
});

describe("leader-get (§3.8)", () => {
  const settings = { "cluster-token": "abc", members: "2" };

  it("prints all settings, for any unit; - means all too (§3.8)", () => {
    const minion = new FakeHookContext({ leader: false, leaderSettings: settings });
    expect(minion.run("leader-get", "--format=json")).toEqual(ok('{"cluster-token":"abc","members":"2"}\n'));
    expect(minion.run("leader-get", "-")).toEqual(ok('cluster-token: abc\nmembers: "2"\n'));
  });

  it("prints {} when there are none (§3.8)", () => {
    expect(new FakeHookContext().run("leader-get", "--format=json")).toEqual(ok("{}\n"));
  });

  it("prints one value, or null for a missing key (§3.8)", () => {
    const ctx = new FakeHookContext({ leaderSettings: settings });
    expect(ctx.run("leader-get", "cluster-token")).toEqual(ok("abc\n"));
    expect(ctx.run("leader-get", "missing", "--format=json")).toEqual(ok("null\n"));
    expect(ctx.run("leader-get", "missing")).toEqual(ok());
  });

  it('rejects a key containing =: `invalid key "a=b"`, exit 2 (§3.8)', () => {
    expect(new FakeHookContext().run("leader-get", "a=b")).toEqual(usageError('invalid key "a=b"'));
  });
});

describe("leader-set (§3.8)", () => {
  it("writes at once as leader; an empty value deletes (§3.8)", () => {
    const ctx = new FakeHookContext({ leader: true, leaderSettings: { old: "1", keep: "k" } });
    expect(ctx.run("leader-set", "new=2", "old=")).toEqual(ok());
    expect(ctx.leaderWrites).toEqual([{ new: "2", old: "" }]);
    expect(ctx.run("leader-get", "--format=json")).toEqual(ok('{"keep":"k","new":"2"}\n'));
  });

  it("refuses a non-leader with Juju's twice-annotated text, exit 1 (§3.8)", () => {
    const ctx = new FakeHookContext({ leader: false });
    expect(ctx.run("leader-set", "a=b")).toEqual(runError("cannot write leadership settings: cannot write settings: not the leader"));
    expect(ctx.leaderWrites).toEqual([]);
  });

  it("checks leadership even without arguments, and writes nothing then (§3.8)", () => {
    expect(new FakeHookContext({ leader: false }).run("leader-set")).toEqual(
      runError("cannot write leadership settings: cannot write settings: not the leader"),
    );
    const leader = new FakeHookContext({ leader: true });
    expect(leader.run("leader-set")).toEqual(ok());
    expect(leader.leaderWrites).toEqual([]);
  });

  it("parses key=value arguments in Init (§2.2, §3.8)", () => {
    expect(new FakeHookContext({ leader: false }).run("leader-set", "a")).toEqual(usageError('expected "key=value", got "a"'));
  });
});
