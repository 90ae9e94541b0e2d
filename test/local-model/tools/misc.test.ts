import { describe, expect, it } from "vitest";
import { HOOK_TOOL_NAMES } from "../../../local-model/tools/index.js";
import { FakeAction } from "./fake-action.js";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

describe("juju-reboot (§3.17)", () => {
  it("requests a reboot after the hook, or now with --now (§3.17)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("juju-reboot")).toEqual(ok());
    expect(ctx.run("juju-reboot", "--now")).toEqual(ok());
    expect(ctx.reboots).toEqual([false, true]);
  });

  it("is refused in an action, exit 1 (§3.13, §3.17)", () => {
    const ctx = new FakeHookContext({ action: new FakeAction("reboot", {}) });
    expect(ctx.run("juju-reboot", "--now")).toEqual(runError("juju-reboot is not supported when running an action."));
    expect(ctx.reboots).toEqual([]);
  });

  it("takes no positionals (§3.17)", () => {
    expect(new FakeHookContext().run("juju-reboot", "now")).toEqual(usageError('unrecognized args: ["now"]'));
  });
});

describe("goal-state (§3.20)", () => {
  const goalState = {
    units: { "etcd/10": { status: "active", since: "2024-05-01T10:20:30.123Z" }, "etcd/2": { status: "waiting", since: "" } },
    relations: { db: { kube: { status: "joined", since: "2024-05-01T10:20:30Z" }, "kube/0": { status: "active", since: "2024-05-01T10:20:31Z" } } },
  };

  it("prints YAML by default, with Juju's time format and since omitted when empty (§3.20)", () => {
    expect(new FakeHookContext({ goalState }).run("goal-state")).toEqual(
      ok(
        [
          "units:",
          "  etcd/2:",
          "    status: waiting",
          "  etcd/10:",
          "    status: active",
          "    since: 2024-05-01 10:20:30Z",
          "relations:",
          "  db:",
          "    kube:",
          "      status: joined",
          "      since: 2024-05-01 10:20:30Z",
          "    kube/0:",
          "      status: active",
          "      since: 2024-05-01 10:20:31Z",
          "",
        ].join("\n"),
      ),
    );
  });

  it("prints JSON with --format=json (§3.20)", () => {
    expect(new FakeHookContext({ goalState }).run("goal-state", "--format=json")).toEqual(
      ok(
        '{"units":{"etcd/10":{"status":"active","since":"2024-05-01 10:20:30Z"},"etcd/2":{"status":"waiting"}},' +
          '"relations":{"db":{"kube":{"status":"joined","since":"2024-05-01 10:20:30Z"},"kube/0":{"status":"active","since":"2024-05-01 10:20:31Z"}}}}\n',
      ),
    );
  });

  it("offers no smart format (§3.20)", () => {
    expect(new FakeHookContext().run("goal-state", "--format=smart")).toEqual(usageError('invalid value "smart" for option --format: unknown format "smart"'));
  });

  it("prints empty maps for a lone unit without relations (§3.20)", () => {
    expect(new FakeHookContext().run("goal-state", "--format=json")).toEqual(ok('{"units":{},"relations":{}}\n'));
  });
});

describe("credential-get and resource-get (§3.20)", () => {
  it("credential-get fails: the local model's applications are not trusted (§3.20)", () => {
    expect(new FakeHookContext().run("credential-get", "--format=json")).toEqual(runError("cannot access cloud credentials: permission denied"));
  });

  it("resource-get fails at Run as for a resource the controller does not have (§3.20)", () => {
    expect(new FakeHookContext().run("resource-get", "etcd-binary")).toEqual(runError("could not download resource: resource#etcd/etcd-binary not found"));
  });

  it("resource-get needs a name: `missing required resource name`, exit 2 (§3.20)", () => {
    expect(new FakeHookContext().run("resource-get")).toEqual(usageError("missing required resource name"));
  });
});

describe("the tool registry (§2.1)", () => {
  it("answers an unknown name with `bad request: unknown command`, exit 1 (§2.1)", () => {
    expect(new FakeHookContext().run("relation-frobnicate", "x")).toEqual(runError("bad request: unknown command: relation-frobnicate"));
  });

  it("names every tool of the 3.x registry, sorted (§2.1)", () => {
    const registry3x = [
      "close-port",
      "config-get",
      "juju-log",
      "open-port",
      "opened-ports",
      "relation-get",
      "relation-ids",
      "relation-list",
      "relation-model-get",
      "relation-set",
      "unit-get",
      "add-metric",
      "juju-reboot",
      "status-get",
      "status-set",
      "network-get",
      "application-version-set",
      "k8s-spec-set",
      "k8s-spec-get",
      "k8s-raw-set",
      "k8s-raw-get",
      "pod-spec-set",
      "pod-spec-get",
      "goal-state",
      "credential-get",
      "state-get",
      "state-delete",
      "state-set",
      "secret-add",
      "secret-set",
      "secret-remove",
      "secret-get",
      "secret-info-get",
      "secret-grant",
      "secret-revoke",
      "secret-ids",
      "storage-add",
      "storage-get",
      "storage-list",
      "is-leader",
      "leader-get",
      "leader-set",
      "resource-get",
      "payload-register",
      "payload-unregister",
      "payload-status-set",
      "action-get",
      "action-set",
      "action-fail",
      "action-log",
    ];
    expect(HOOK_TOOL_NAMES).toEqual([...registry3x].sort());
  });

  it("gives every simulated tool a help text (§2.2)", () => {
    const ctx = new FakeHookContext();
    for (const tool of HOOK_TOOL_NAMES) {
      const result = ctx.run(tool, "--help");
      if (result.code === 0) expect(result.stdout).toMatch(new RegExp(`^Usage: ${tool}( |\\n)`));
    }
  });
});
