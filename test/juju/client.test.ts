import { beforeEach, describe, expect, it } from "vitest";
import { HookTools, flattenResults } from "../../src/juju/client.js";
import { HookToolError, HookToolOutputError } from "../../src/juju/errors.js";
import { processToolRunner } from "../../src/juju/runner.js";
import { FakeHookTools } from "../helpers/fake-hook-tools.js";

let fake: FakeHookTools;
let tools: HookTools;

beforeEach(async () => {
  fake = await FakeHookTools.create();
  tools = new HookTools(processToolRunner(fake.env()));
});

describe("hook-tool client: JSON outputs (contract §2.3)", () => {
  it("reads typed config values with config-get --format=json (§3.6)", async () => {
    await fake.define("config-get", { stdout: '{"client-port":2379,"enable-v2":true,"log-level":"info"}\n' });
    await expect(tools.configGet()).resolves.toEqual({ "client-port": 2379, "enable-v2": true, "log-level": "info" });
    expect(await fake.calls()).toEqual([{ tool: "config-get", args: ["--format=json"], stdin: "" }]);
  });

  it("treats json null from leader-get as empty settings (§3.8)", async () => {
    await fake.define("leader-get", { stdout: "null\n" });
    await expect(tools.leaderGet()).resolves.toEqual({});
  });

  it("parses is-leader's json bool (§3.7)", async () => {
    await fake.define("is-leader", { stdout: "false\n" });
    await expect(tools.isLeader()).resolves.toBe(false);
  });

  it("lists relation ids and units; null and [] are both empty (§3.3, §3.4)", async () => {
    await fake.define("relation-ids", { stdout: '["cluster:0"]\n' });
    await expect(tools.relationIds("cluster")).resolves.toEqual(["cluster:0"]);
    await fake.define("relation-list", { stdout: "null\n" });
    await expect(tools.relationList("cluster:0")).resolves.toEqual([]);
    const calls = await fake.calls();
    expect(calls.map((c) => c.args)).toEqual([
      ["--format=json", "cluster"],
      ["--format=json", "-r", "cluster:0"],
    ]);
  });

  it("reads a unit's or an application's databag with relation-get - <name> (§3.1)", async () => {
    await fake.define("relation-get", { stdout: '{"private-address":"127.0.0.11"}\n' });
    await expect(tools.relationGet("db:3", "etcd/1")).resolves.toEqual({ "private-address": "127.0.0.11" });
    await tools.relationGet("db:3", "kube", { app: true });
    const calls = await fake.calls();
    expect(calls[0]!.args).toEqual(["--format=json", "-r", "db:3", "-", "etcd/1"]);
    expect(calls[1]!.args).toEqual(["--format=json", "-r", "db:3", "--app", "-", "kube"]);
  });

  it("rejects a databag value that is not a string, naming the tool", async () => {
    await fake.define("relation-get", { stdout: '{"port":2379}\n' });
    await expect(tools.relationGet("db:3", "etcd/1")).rejects.toBeInstanceOf(HookToolOutputError);
  });

  it("rejects output that is not JSON", async () => {
    await fake.define("unit-get", { stdout: "127.0.0.11\n" });
    await expect(tools.unitGet("private-address")).rejects.toThrow(/unit-get printed unexpected output \(not JSON\)/);
  });

  it("parses network-get's bind and ingress addresses (§3.15)", async () => {
    const info = {
      "bind-addresses": [{ "mac-address": "", "interface-name": "lo", addresses: [{ hostname: "", value: "127.0.0.11", cidr: "127.0.0.0/8" }] }],
      "egress-subnets": ["127.0.0.11/32"],
      "ingress-addresses": ["127.0.0.11"],
    };
    await fake.define("network-get", { stdout: `${JSON.stringify(info)}\n` });
    const parsed = await tools.networkGet("cluster");
    expect(parsed["ingress-addresses"]).toEqual(["127.0.0.11"]);
    expect(parsed["bind-addresses"][0]!.addresses[0]!.value).toBe("127.0.0.11");
  });
});

describe("hook-tool client: writes", () => {
  it("sends relation data as a JSON object on stdin with --file - (§3.2)", async () => {
    await fake.define("relation-set");
    const hostile = "a\nb; rm -rf / $(touch x) `id`";
    await tools.relationSet("proxy:4", { cluster: "etcd0=http://127.0.0.11:2380", note: hostile }, { app: true });
    const [call] = await fake.calls();
    expect(call!.args).toEqual(["-r", "proxy:4", "--app", "--file", "-"]);
    expect(JSON.parse(call!.stdin)).toEqual({ cluster: "etcd0=http://127.0.0.11:2380", note: hostile });
  });

  it("skips relation-set and leader-set when there is nothing to write", async () => {
    await tools.relationSet("proxy:4", {});
    await tools.leaderSet({});
    expect(await fake.calls()).toEqual([]);
  });

  it("passes leader settings as key=value arguments, values verbatim (§3.8)", async () => {
    await fake.define("leader-set");
    await tools.leaderSet({ token: "abc=def", stale: "" });
    expect((await fake.calls())[0]!.args).toEqual(["token=abc=def", "stale="]);
  });

  it("ends flags with -- so messages starting with a dash stay positional (§2.2)", async () => {
    await fake.defineAll({ "status-set": {}, "juju-log": {}, "action-fail": {}, "application-version-set": {} });
    await tools.statusSet("blocked", "-5 is not a port", { application: true });
    await tools.jujuLog("--hello", "WARNING");
    await tools.actionFail("-x");
    await tools.applicationVersionSet("3.4.23");
    expect((await fake.calls()).map((c) => [c.tool, ...c.args])).toEqual([
      ["status-set", "--application", "blocked", "--", "-5 is not a port"],
      ["juju-log", "--log-level", "WARNING", "--", "--hello"],
      ["action-fail", "--", "-x"],
      ["application-version-set", "--", "3.4.23"],
    ]);
  });

  it("flattens nested action results into dotted keys (§3.13)", async () => {
    await fake.define("action-set");
    await tools.actionSet({ verdict: "healthy", members: { etcd0: { healthy: true, "raft-term": 2 } } });
    expect((await fake.calls())[0]!.args).toEqual(["verdict=healthy", "members.etcd0.healthy=true", "members.etcd0.raft-term=2"]);
    expect(flattenResults({ a: { b: { c: "d" } } })).toEqual({ "a.b.c": "d" });
  });
});

describe("hook-tool client: failures become typed errors (§2.2, CMD exit codes)", () => {
  it("exit 2 with ERROR text is a usage error carrying tool, code and message", async () => {
    await fake.define("relation-get", { stderr: 'ERROR invalid value "db:99" for option -r: relation not found\n', exitCode: 2 });
    const error = await tools.relationGet("db:99", "x/0").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HookToolError);
    const failure = error as HookToolError;
    expect(failure.tool).toBe("relation-get");
    expect(failure.exitCode).toBe(2);
    expect(failure.isUsageError).toBe(true);
    expect(failure.isRelationNotFound).toBe(true);
    expect(failure.jujuMessage).toBe('invalid value "db:99" for option -r: relation not found');
  });

  it("exit 1 is a runtime error; leadership refusals are recognised (§3.8)", async () => {
    await fake.define("leader-set", { stderr: "ERROR cannot write leadership settings: cannot write settings: not the leader\n", exitCode: 1 });
    const failure = (await tools.leaderSet({ a: "b" }).catch((e: unknown) => e)) as HookToolError;
    expect(failure.isUsageError).toBe(false);
    expect(failure.isNotLeader).toBe(true);
  });

  it("action tools outside an action fail with Juju's message (§3.13)", async () => {
    await fake.define("action-get", { stderr: "ERROR not running an action\n", exitCode: 1 });
    await expect(tools.actionGet()).rejects.toThrow("action-get failed (exit 1): not running an action");
  });

  it("a tool missing from PATH is a runtime failure, not a crash", async () => {
    const failure = (await tools.isLeader().catch((e: unknown) => e)) as HookToolError;
    expect(failure).toBeInstanceOf(HookToolError);
    expect(failure.exitCode).toBe(1);
    expect(failure.jujuMessage).toMatch(/ENOENT/);
  });

  it("counts the tool processes a hook spawns", async () => {
    await fake.defineAll({ "is-leader": { stdout: "true\n" }, "status-set": {} });
    await tools.isLeader();
    await tools.statusSet("active", "ok");
    expect(tools.calls).toEqual(["is-leader", "status-set"]);
  });
});
