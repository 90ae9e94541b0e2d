import { describe, expect, it } from "vitest";
import { readEventContext } from "../../src/juju/context.js";
import { EventContextError } from "../../src/juju/errors.js";

const base = { JUJU_UNIT_NAME: "etcd/2", JUJU_CHARM_DIR: "/var/lib/juju/agents/unit-etcd-2/charm", JUJU_MODEL_NAME: "m", JUJU_VERSION: "3.6.4" };

describe("event context from JUJU_* variables (contract §1.3)", () => {
  it("reads a plain hook from JUJU_DISPATCH_PATH=hooks/<name>", () => {
    const event = readEventContext({ ...base, JUJU_DISPATCH_PATH: "hooks/install", JUJU_HOOK_NAME: "install" });
    expect(event).toMatchObject({ kind: "hook", name: "install", unit: "etcd/2", app: "etcd", unitNumber: 2, relation: undefined });
    expect(event.charmDir).toBe("/var/lib/juju/agents/unit-etcd-2/charm");
  });

  it("reads an action from actions/<name> with its id", () => {
    const event = readEventContext({ ...base, JUJU_DISPATCH_PATH: "actions/health", JUJU_HOOK_NAME: "", JUJU_ACTION_NAME: "health", JUJU_ACTION_UUID: "7" });
    expect(event).toMatchObject({ kind: "action", name: "health", actionId: "7" });
  });

  it("reads relation details of a relation-departed hook, with the departing unit", () => {
    const event = readEventContext({
      ...base,
      JUJU_DISPATCH_PATH: "hooks/cluster-relation-departed",
      JUJU_RELATION: "cluster",
      JUJU_RELATION_ID: "cluster:0",
      JUJU_REMOTE_APP: "etcd",
      JUJU_REMOTE_UNIT: "etcd/0",
      JUJU_DEPARTING_UNIT: "etcd/2",
    });
    expect(event.kind === "hook" && event.relation).toEqual({
      endpoint: "cluster",
      id: "cluster:0",
      kind: "departed",
      remoteApp: "etcd",
      remoteUnit: "etcd/0",
      departingUnit: "etcd/2",
    });
  });

  it("treats an empty JUJU_REMOTE_UNIT as none: application-level relation-changed (§1.3)", () => {
    const event = readEventContext({
      ...base,
      JUJU_DISPATCH_PATH: "hooks/db-relation-changed",
      JUJU_RELATION_ID: "db:3",
      JUJU_REMOTE_APP: "kube-apiserver",
      JUJU_REMOTE_UNIT: "",
    });
    expect(event.kind === "hook" && event.relation?.remoteUnit).toBeUndefined();
  });

  it("falls back to CHARM_DIR, then the working directory", () => {
    const { JUJU_CHARM_DIR: _, ...rest } = base;
    expect(readEventContext({ ...rest, CHARM_DIR: "/c", JUJU_DISPATCH_PATH: "hooks/start" }).charmDir).toBe("/c");
    expect(readEventContext({ ...rest, JUJU_DISPATCH_PATH: "hooks/start" }, "/cwd").charmDir).toBe("/cwd");
  });

  it.each([
    [{ ...base }, /JUJU_DISPATCH_PATH is not set/],
    [{ ...base, JUJU_DISPATCH_PATH: "hooks/../install" }, /neither hooks\/<name> nor actions\/<name>/],
    [{ ...base, JUJU_DISPATCH_PATH: "install" }, /neither hooks/],
    [{ ...base, JUJU_UNIT_NAME: "etcd", JUJU_DISPATCH_PATH: "hooks/install" }, /JUJU_UNIT_NAME must look like app\/0/],
    [{ ...base, JUJU_DISPATCH_PATH: "hooks/db-relation-joined", JUJU_RELATION_ID: "db:1", JUJU_REMOTE_APP: "k" }, /JUJU_REMOTE_UNIT is required/],
    [
      { ...base, JUJU_DISPATCH_PATH: "hooks/db-relation-joined", JUJU_RELATION_ID: "3", JUJU_REMOTE_APP: "k", JUJU_REMOTE_UNIT: "k/0" },
      /is not <endpoint>:<id>/,
    ],
    [
      { ...base, JUJU_DISPATCH_PATH: "hooks/db-relation-joined", JUJU_RELATION_ID: "proxy:3", JUJU_REMOTE_APP: "k", JUJU_REMOTE_UNIT: "k/0" },
      /does not belong to endpoint db/,
    ],
    [
      { ...base, JUJU_DISPATCH_PATH: "hooks/db-relation-joined", JUJU_RELATION_ID: "db:3", JUJU_REMOTE_APP: "k", JUJU_REMOTE_UNIT: "k/0;id" },
      /is not a unit name/,
    ],
    [{ ...base, JUJU_DISPATCH_PATH: "hooks/db-relation-broken", JUJU_RELATION_ID: "db:3" }, /JUJU_REMOTE_APP "" is not an application name/],
  ])("rejects a malformed environment %#", (env, message) => {
    expect(() => readEventContext(env)).toThrow(EventContextError);
    expect(() => readEventContext(env)).toThrow(message);
  });
});
