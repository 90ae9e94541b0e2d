import { describe, expect, it } from "vitest";
import { FakeHookContext, networkInfo } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

describe("unit-get (§3.14)", () => {
  it("prints the default binding's first address as private-address (§3.14)", () => {
    const ctx = new FakeHookContext({ bindings: { "": networkInfo("10.0.0.7") } });
    expect(ctx.run("unit-get", "private-address")).toEqual(ok("10.0.0.7\n"));
    expect(ctx.run("unit-get", "private-address", "--format=json")).toEqual(ok('"10.0.0.7"\n'));
  });

  it("prefers the host name an address was resolved from (§3.14)", () => {
    const info = networkInfo("10.0.0.7");
    const resolved = { ...info, bindAddresses: [{ ...info.bindAddresses[0]!, addresses: [{ hostname: "node7.lan", value: "10.0.0.7", cidr: "" }] }] };
    expect(new FakeHookContext({ bindings: { "": resolved } }).run("unit-get", "private-address")).toEqual(ok("node7.lan\n"));
  });

  it("falls back to the unit's private address without network info (§3.14)", () => {
    expect(new FakeHookContext({ privateAddress: "192.168.1.9" }).run("unit-get", "private-address")).toEqual(ok("192.168.1.9\n"));
  });

  it("prints the public address, or fails at Run: `public address not found` (§3.14)", () => {
    expect(new FakeHookContext({ publicAddress: "203.0.113.9" }).run("unit-get", "public-address")).toEqual(ok("203.0.113.9\n"));
    expect(new FakeHookContext({ publicAddress: null }).run("unit-get", "public-address")).toEqual(runError("public address not found"));
  });

  it('checks the setting in Init: `no setting specified`, `unknown setting "x"` (§3.14)', () => {
    expect(new FakeHookContext().run("unit-get")).toEqual(usageError("no setting specified"));
    expect(new FakeHookContext().run("unit-get", "address")).toEqual(usageError('unknown setting "address"'));
    expect(new FakeHookContext().run("unit-get", "public-address", "x")).toEqual(usageError('unrecognized args: ["x"]'));
  });
});

describe("network-get (§3.15)", () => {
  const bindings = { db: networkInfo("10.0.0.5"), bare: networkInfo("10.0.0.6", { egressSubnets: [], ingressAddresses: [] }) };

  it("prints the default JSON shape (§3.15)", () => {
    expect(new FakeHookContext({ bindings }).run("network-get", "db", "--format=json")).toEqual(
      ok(
        '{"bind-addresses":[{"mac-address":"00:16:3e:aa:bb:cc","interface-name":"eth0","addresses":[{"hostname":"","value":"10.0.0.5","cidr":"10.0.0.0/24"}]}],' +
          '"egress-subnets":["10.0.0.5/32"],"ingress-addresses":["10.0.0.5"]}\n',
      ),
    );
  });

  it("duplicates macaddress, interfacename and address in YAML for old agents (§3.15)", () => {
    const yaml = [
      "bind-addresses:",
      "- mac-address: 00:16:3e:aa:bb:cc",
      "  interface-name: eth0",
      "  addresses:",
      '  - hostname: ""',
      "    value: 10.0.0.5",
      "    cidr: 10.0.0.0/24",
      "    address: 10.0.0.5",
      "  macaddress: 00:16:3e:aa:bb:cc",
      "  interfacename: eth0",
      "egress-subnets:",
      "- 10.0.0.5/32",
      "ingress-addresses:",
      "- 10.0.0.5",
      "",
    ].join("\n");
    expect(new FakeHookContext({ bindings }).run("network-get", "db", "--format=yaml")).toEqual(ok(yaml));
    expect(new FakeHookContext({ bindings }).run("network-get", "db")).toEqual(ok(yaml));
  });

  it("omits empty egress-subnets and ingress-addresses (§3.15)", () => {
    expect(new FakeHookContext({ bindings }).run("network-get", "bare", "--format=json").stdout).toBe(
      '{"bind-addresses":[{"mac-address":"00:16:3e:aa:bb:cc","interface-name":"eth0","addresses":[{"hostname":"","value":"10.0.0.6","cidr":"10.0.0.0/24"}]}]}\n',
    );
  });

  it("prints just the value for one flag (§3.15)", () => {
    const ctx = new FakeHookContext({ bindings });
    expect(ctx.run("network-get", "db", "--bind-address")).toEqual(ok("10.0.0.5\n"));
    expect(ctx.run("network-get", "db", "--ingress-address", "--format=json")).toEqual(ok('"10.0.0.5"\n'));
    expect(ctx.run("network-get", "db", "--egress-subnets")).toEqual(ok("10.0.0.5/32\n"));
    expect(ctx.run("network-get", "db", "--egress-subnets", "--format=json")).toEqual(ok('["10.0.0.5/32"]\n'));
  });

  it("prints null for --egress-subnets when there are none (§3.15)", () => {
    expect(new FakeHookContext({ bindings }).run("network-get", "bare", "--egress-subnets", "--format=json")).toEqual(ok("null\n"));
  });

  it("falls back to the first bind address for --ingress-address (§3.15)", () => {
    expect(new FakeHookContext({ bindings }).run("network-get", "bare", "--ingress-address")).toEqual(ok("10.0.0.6\n"));
  });

  it("prints a map keyed by flag for several flags (§3.15)", () => {
    const ctx = new FakeHookContext({ bindings });
    expect(ctx.run("network-get", "--ingress-address", "db", "--bind-address", "--egress-subnets", "--format=json")).toEqual(
      ok('{"bind-address":"10.0.0.5","egress-subnets":["10.0.0.5/32"],"ingress-address":"10.0.0.5"}\n'),
    );
    expect(ctx.run("network-get", "db", "--bind-address", "--ingress-address")).toEqual(ok("bind-address: 10.0.0.5\ningress-address: 10.0.0.5\n"));
  });

  it("prints the first address for --primary-address, which must be alone (§3.15)", () => {
    const ctx = new FakeHookContext({ bindings });
    expect(ctx.run("network-get", "db", "--primary-address")).toEqual(ok("10.0.0.5\n"));
    expect(ctx.run("network-get", "db", "--primary-address", "--bind-address")).toEqual(runError("--primary-address must be the only flag specified"));
  });

  it("passes -r to the context and accepts it in any relation form (§2.2, §3.15)", () => {
    const ctx = new FakeHookContext({ bindings, relations: [{ id: 5, endpoint: "db", remoteApp: "kube" }] });
    expect(ctx.run("network-get", "-r", "db:5", "db", "--ingress-address")).toEqual(ok("10.0.0.5\n"));
    expect(ctx.run("network-get", "-r", "db:6", "db")).toEqual(usageError('invalid value "db:6" for option -r: relation not found'));
  });

  it('fails at Run for an unknown binding: `no network config found for binding "x"` (§3.15)', () => {
    expect(new FakeHookContext({ bindings }).run("network-get", "nope")).toEqual(runError('no network config found for binding "nope"'));
  });

  it("needs a binding name: `no arguments specified`, exit 2 (§3.15)", () => {
    expect(new FakeHookContext().run("network-get")).toEqual(usageError("no arguments specified"));
    expect(new FakeHookContext().run("network-get", "")).toEqual(usageError("no binding name specified"));
    expect(new FakeHookContext().run("network-get", "a", "b")).toEqual(usageError('unrecognized args: ["b"]'));
  });
});
