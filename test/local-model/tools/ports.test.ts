import { describe, expect, it } from "vitest";
import { ToolRunError } from "../../../local-model/tools/types.js";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

describe("open-port and close-port (§3.16)", () => {
  it.each([
    ["80", { protocol: "tcp", from: 80, to: 80 }],
    ["80/tcp", { protocol: "tcp", from: 80, to: 80 }],
    ["53/UDP", { protocol: "udp", from: 53, to: 53 }],
    ["8000-8100", { protocol: "tcp", from: 8000, to: 8100 }],
    ["1000-2000/udp", { protocol: "udp", from: 1000, to: 2000 }],
    ["0-65535/tcp", { protocol: "tcp", from: 0, to: 65535 }],
    ["icmp", { protocol: "icmp", from: -1, to: -1 }],
    ["ICMP", { protocol: "icmp", from: -1, to: -1 }],
  ])("parses %s (§3.16)", (arg, range) => {
    const ctx = new FakeHookContext();
    expect(ctx.run("open-port", arg)).toEqual(ok());
    expect(ctx.run("close-port", arg)).toEqual(ok());
    expect(ctx.portChanges).toEqual([
      { op: "open", range, endpoints: [] },
      { op: "close", range, endpoints: [] },
    ]);
  });

  it.each([
    ["80/sctp", 'invalid protocol "sctp", expected "tcp", "udp", or "icmp"'],
    ["80/icmp", 'protocol "icmp" doesn\'t support any ports; got "80"'],
    ["90-80", "invalid port range 90-80/tcp"],
    ["70000", "port range bounds must be between 0 and 65535, got 70000-70000"],
    ["80-70000/udp", "port range bounds must be between 0 and 65535, got 80-70000"],
    ["http", 'invalid port "http": strconv.Atoi: parsing "http": invalid syntax'],
    ["80-x", 'invalid port "x": strconv.Atoi: parsing "x": invalid syntax'],
    ["1-2-3", 'invalid port range "1-2-3"'],
    ["", 'invalid port "": strconv.Atoi: parsing "": invalid syntax'],
    ["99999999999999999999", 'invalid port "99999999999999999999": strconv.Atoi: parsing "99999999999999999999": value out of range'],
  ])("rejects %j in Init, exit 2 (§3.16)", (arg, message) => {
    expect(new FakeHookContext().run("open-port", arg)).toEqual(usageError(message));
    expect(new FakeHookContext().run("close-port", arg)).toEqual(usageError(message));
  });

  it("requires a port: `no port or range specified` (§3.16)", () => {
    expect(new FakeHookContext().run("open-port")).toEqual(usageError("no port or range specified"));
    expect(new FakeHookContext().run("close-port", "80", "81")).toEqual(usageError('unrecognized args: ["81"]'));
  });

  it("makes one request per endpoint named with --endpoints (§3.16)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("open-port", "--endpoints", "db, admin", "443")).toEqual(ok());
    expect(ctx.portChanges).toEqual([
      { op: "open", range: { protocol: "tcp", from: 443, to: 443 }, endpoints: ["db"] },
      { op: "open", range: { protocol: "tcp", from: 443, to: 443 }, endpoints: ["admin"] },
    ]);
  });

  it("fails at Run with the context's conflict error, exit 1 (§3.16)", () => {
    const conflicting = new FakeHookContext();
    const message = 'cannot open 80/tcp (unit "etcd/0"): port range conflicts with 80-90/tcp (unit "other/0")';
    conflicting.openPort = () => {
      throw new ToolRunError(message);
    };
    expect(conflicting.run("open-port", "80")).toEqual(runError(message));
  });

  it("prints the --format deprecation without a newline (§3.16)", () => {
    expect(new FakeHookContext().run("open-port", "--format=json", "80")).toEqual({
      code: 0,
      stdout: "",
      stderr: '--format flag deprecated for command "open-port"',
    });
  });
});

describe("opened-ports (§3.16)", () => {
  const openedPorts = [
    { protocol: "udp", from: 1000, to: 2000, endpoints: ["db", "admin"] },
    { protocol: "tcp", from: 8080, to: 8080, endpoints: [] },
    { protocol: "tcp", from: 80, to: 80, endpoints: ["db"] },
    { protocol: "tcp", from: 80, to: 80, endpoints: ["admin"] },
    { protocol: "icmp", from: -1, to: -1, endpoints: [] },
  ] as const;

  it("lists unique ranges sorted by protocol then port (§3.16)", () => {
    const ctx = new FakeHookContext({ openedPorts });
    expect(ctx.run("opened-ports")).toEqual(ok("icmp\n80/tcp\n8080/tcp\n1000-2000/udp\n"));
    expect(ctx.run("opened-ports", "--format=json")).toEqual(ok('["icmp","80/tcp","8080/tcp","1000-2000/udp"]\n'));
  });

  it("appends the endpoints with --endpoints, * for all endpoints (§3.16)", () => {
    expect(new FakeHookContext({ openedPorts }).run("opened-ports", "--endpoints")).toEqual(
      ok("icmp (*)\n80/tcp (admin, db)\n8080/tcp (*)\n1000-2000/udp (admin, db)\n"),
    );
  });

  it("prints [] (json) or nothing (smart) when no port is open (§3.16)", () => {
    expect(new FakeHookContext().run("opened-ports", "--format=json")).toEqual(ok("[]\n"));
    expect(new FakeHookContext().run("opened-ports", "--endpoints", "--format=json")).toEqual(ok("[]\n"));
    expect(new FakeHookContext().run("opened-ports")).toEqual(ok());
  });

  it("takes no positionals; --endpoints is a bool here (§3.16)", () => {
    expect(new FakeHookContext().run("opened-ports", "db")).toEqual(usageError('unrecognized args: ["db"]'));
  });
});
