import { describe, expect, it } from "vitest";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

describe("status-set (§3.9)", () => {
  it.each(["maintenance", "blocked", "waiting", "active"])("sets the unit's %s status with an optional message (§3.9)", (status) => {
    const ctx = new FakeHookContext();
    expect(ctx.run("status-set", status)).toEqual(ok());
    expect(ctx.unitStatusValue).toEqual({ status, message: "", data: {} });
    expect(ctx.run("status-set", status, "some message")).toEqual(ok());
    expect(ctx.unitStatusValue).toEqual({ status, message: "some message", data: {} });
  });

  it("requires a status: `invalid args, require <status> [message]`, exit 2 (§3.9)", () => {
    expect(new FakeHookContext().run("status-set")).toEqual(usageError("invalid args, require <status> [message]"));
  });

  it.each(["error", "unknown", "terminated", "Active"])("refuses %s: Juju's statuses cannot be set by charms (§3.9)", (status) => {
    expect(new FakeHookContext().run("status-set", status)).toEqual(
      usageError(`invalid status "${status}", expected one of [maintenance blocked waiting active]`),
    );
  });

  it("rejects more than two positionals (§3.9)", () => {
    expect(new FakeHookContext().run("status-set", "active", "a", "b")).toEqual(usageError('unrecognized args: ["b"]'));
  });

  it("sets the application's status with --application as leader (§3.9)", () => {
    const ctx = new FakeHookContext({ leader: true });
    expect(ctx.run("status-set", "--application", "waiting", "for peers")).toEqual(ok());
    expect(ctx.applicationStatusValue).toEqual({ status: "waiting", message: "for peers", data: {} });
  });

  it("refuses --application to a non-leader: `this unit is not the leader`, exit 1 (§3.9)", () => {
    const ctx = new FakeHookContext({ leader: false });
    expect(ctx.run("status-set", "--application", "active")).toEqual(runError("this unit is not the leader"));
    expect(ctx.run("status-set", "--application=True", "active", "--", "msg")).toEqual(runError("this unit is not the leader"));
    expect(ctx.applicationStatusValue.status).toBe("unknown");
  });
});

describe("status-get (§3.10)", () => {
  const unitStatus = { status: "active", message: "ready", data: { peers: 2, nested: { z: 1, a: "x" } } };

  it("prints only the status word in smart format without --include-data (§3.10)", () => {
    expect(new FakeHookContext({ unitStatus }).run("status-get")).toEqual(ok("active\n"));
  });

  it('prints {"status": ...} in json without --include-data (§3.10)', () => {
    expect(new FakeHookContext({ unitStatus }).run("status-get", "--format=json")).toEqual(ok('{"status":"active"}\n'));
    expect(new FakeHookContext({ unitStatus }).run("status-get", "--format=yaml")).toEqual(ok("status: active\n"));
  });

  it("adds message and status-data with --include-data (§3.10)", () => {
    const ctx = new FakeHookContext({ unitStatus });
    expect(ctx.run("status-get", "--include-data", "--format=json")).toEqual(
      ok('{"message":"ready","status":"active","status-data":{"nested":{"a":"x","z":1},"peers":2}}\n'),
    );
    expect(ctx.run("status-get", "--include-data")).toEqual(ok("message: ready\nstatus: active\nstatus-data:\n  nested:\n    a: x\n    z: 1\n  peers: 2\n"));
  });

  it("prints an empty status-data as {} (§3.10)", () => {
    expect(new FakeHookContext().run("status-get", "--include-data", "--format=json")).toEqual(ok('{"message":"","status":"unknown","status-data":{}}\n'));
  });

  it("prints the application's status and each unit's with --application as leader (§3.10)", () => {
    const ctx = new FakeHookContext({
      leader: true,
      unitStatus,
      applicationStatus: { status: "waiting", message: "2 of 3", data: {} },
      otherUnitStatuses: { "etcd/1": { status: "maintenance", message: "installing", data: {} } },
    });
    expect(ctx.run("status-get", "--application")).toEqual(ok("waiting\n"));
    expect(ctx.run("status-get", "--application", "--format=json")).toEqual(
      ok('{"application-status":{"status":"waiting","units":{"etcd/0":{"status":"active"},"etcd/1":{"status":"maintenance"}}}}\n'),
    );
    expect(ctx.run("status-get", "--include-data", "--format=json", "--application=true")).toEqual(
      ok(
        '{"application-status":{"message":"2 of 3","status":"waiting","status-data":{},"units":{' +
          '"etcd/0":{"message":"ready","status":"active","status-data":{"nested":{"a":"x","z":1},"peers":2}},' +
          '"etcd/1":{"message":"installing","status":"maintenance","status-data":{}}}}}\n',
      ),
    );
  });

  it("reads the unit's status with --application=false, as ops sends it (§3.10)", () => {
    expect(new FakeHookContext({ unitStatus }).run("status-get", "--include-data", "--format=json", "--application=false")).toEqual(
      ok('{"message":"ready","status":"active","status-data":{"nested":{"a":"x","z":1},"peers":2}}\n'),
    );
  });

  it("refuses --application to a non-leader: `finding application status: this unit is not the leader` (§3.10)", () => {
    expect(new FakeHookContext({ leader: false }).run("status-get", "--application")).toEqual(
      runError("finding application status: this unit is not the leader"),
    );
  });
});

describe("application-version-set (§3.11)", () => {
  it("sets the workload version at once (§3.11)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("application-version-set", "3.4.30")).toEqual(ok());
    expect(ctx.workloadVersion).toBe("3.4.30");
  });

  it("requires a version: `no version specified`, exit 2 (§3.11)", () => {
    expect(new FakeHookContext().run("application-version-set")).toEqual(usageError("no version specified"));
    expect(new FakeHookContext().run("application-version-set", "1", "2")).toEqual(usageError('unrecognized args: ["2"]'));
  });
});
