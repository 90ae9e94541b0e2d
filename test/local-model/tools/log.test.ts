import { describe, expect, it } from "vitest";
import { FakeHookContext } from "./fake-context.js";
import { ok, usageError } from "./tool-results.js";

describe("juju-log (§3.12)", () => {
  it("logs the words joined by spaces at INFO by default (§3.12)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("juju-log", "hello", "there", "world")).toEqual(ok());
    expect(ctx.logs).toEqual([{ level: "INFO", message: "hello there world" }]);
  });

  it("logs at --log-level or -l, case-insensitively; WARN means WARNING (§3.12)", () => {
    const ctx = new FakeHookContext();
    ctx.run("juju-log", "--log-level", "debug", "--", "a");
    ctx.run("juju-log", "-l", "WARN", "b");
    ctx.run("juju-log", "--log-level=Critical", "c");
    ctx.run("juju-log", "-l", "trace", "d");
    ctx.run("juju-log", "-l", "error", "e");
    expect(ctx.logs.map((entry) => entry.level)).toEqual(["DEBUG", "WARNING", "CRITICAL", "TRACE", "ERROR"]);
  });

  it("forces DEBUG with --debug, whatever the level (§3.12)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("juju-log", "--debug", "-l", "ERROR", "x")).toEqual(ok());
    expect(ctx.logs).toEqual([{ level: "DEBUG", message: "x" }]);
  });

  it("warns about an invalid level and logs the message at INFO (§3.12)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("juju-log", "-l", "LOUD", "msg")).toEqual(ok());
    expect(ctx.logs).toEqual([
      { level: "WARNING", message: 'Specified log level of "LOUD" is not valid' },
      { level: "INFO", message: "msg" },
    ]);
  });

  it("drops the message at UNSPECIFIED, a level loggo parses but never logs (§3.12)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("juju-log", "-l", "unspecified", "quiet")).toEqual(ok());
    expect(ctx.logs).toEqual([]);
  });

  it("prefixes the message with <endpoint>:<id>: in relation hooks (§3.12)", () => {
    const ctx = new FakeHookContext({
      hookName: "cluster-relation-joined",
      relationId: 1,
      remoteUnit: "etcd/1",
      remoteApp: "etcd",
      relations: [{ id: 1, endpoint: "cluster", remoteApp: "etcd", isPeer: true }],
    });
    expect(ctx.run("juju-log", "--log-level", "INFO", "--", "-joined")).toEqual(ok());
    expect(ctx.logs).toEqual([{ level: "INFO", message: "cluster:1: -joined" }]);
  });

  it("requires a message: `no message specified`, exit 2 (§3.12)", () => {
    expect(new FakeHookContext().run("juju-log")).toEqual(usageError("no message specified"));
    expect(new FakeHookContext().run("juju-log", "-l", "INFO", "--")).toEqual(usageError("no message specified"));
  });

  it("logs an empty message given as an argument (§3.12)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("juju-log", "")).toEqual(ok());
    expect(ctx.logs).toEqual([{ level: "INFO", message: "" }]);
  });

  it("prints the --format deprecation without a newline and still logs (§3.12)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("juju-log", "--format", "json", "x")).toEqual({ code: 0, stdout: "", stderr: '--format flag deprecated for command "juju-log"' });
    expect(ctx.logs).toEqual([{ level: "INFO", message: "x" }]);
  });
});
