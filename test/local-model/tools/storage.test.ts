import { describe, expect, it } from "vitest";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

/** storage-get, storage-list, storage-add (interfaces §7.4, contract §4) and resource-get (interfaces §9). */

const attached = {
  "data/0": { kind: "filesystem", location: "/srv/data" },
  "logs/3": { kind: "filesystem", location: "/srv/logs/logs/3" },
  "scratch/4": { kind: "block", location: "/dev/local-model/scratch-4" },
} as const;

describe("storage-get (interfaces §7.4)", () => {
  const inHook = () => new FakeHookContext({ hookName: "logs-storage-attached", storageId: "logs/3", storage: attached });

  it("in a storage hook, defaults to the hook's instance: both keys as YAML, or one key's value", () => {
    expect(inHook().run("storage-get")).toEqual(ok("kind: filesystem\nlocation: /srv/logs/logs/3\n"));
    expect(inHook().run("storage-get", "location")).toEqual(ok("/srv/logs/logs/3\n"));
    expect(inHook().run("storage-get", "kind", "--format=json")).toEqual(ok('"filesystem"\n'));
  });

  it("-s names another attached instance", () => {
    expect(inHook().run("storage-get", "-s", "scratch/4", "--format", "json")).toEqual(ok('{"kind":"block","location":"/dev/local-model/scratch-4"}\n'));
  });

  it("outside a storage hook -s is mandatory", () => {
    expect(new FakeHookContext({ storage: attached }).run("storage-get", "kind")).toEqual(usageError("no storage instance specified"));
  });

  it("refuses other keys, malformed ids and instances not attached to the unit", () => {
    expect(inHook().run("storage-get", "size")).toEqual(runError('invalid storage attribute "size"'));
    expect(inHook().run("storage-get", "-s", "data")).toEqual(usageError('invalid value "data" for option -s: invalid storage ID "data"'));
    expect(inHook().run("storage-get", "-s", "data/9")).toEqual(usageError('invalid value "data/9" for option -s: storage attachment "data/9" not found'));
    expect(inHook().run("storage-get", "kind", "location")).toEqual(usageError('unrecognized args: ["location"]'));
  });
});

describe("storage-list (interfaces §7.4)", () => {
  it("lists the unit's instances, one a line, optionally of one storage name", () => {
    const ctx = new FakeHookContext({ storage: attached });
    expect(ctx.run("storage-list")).toEqual(ok("data/0\nlogs/3\nscratch/4\n"));
    expect(ctx.run("storage-list", "logs", "--format=json")).toEqual(ok('["logs/3"]\n'));
    expect(ctx.run("storage-list", "nothing")).toEqual(ok());
  });
});

describe("storage-add (interfaces §7.4; buffered, contract §4)", () => {
  it("buffers name[=count] requests, count 1 by default", () => {
    const ctx = new FakeHookContext({ storageNames: ["logs", "data"] });
    expect(ctx.run("storage-add", "logs=2", "data")).toEqual(ok());
    expect(ctx.storageAdds).toEqual([
      { name: "logs", count: 2 },
      { name: "data", count: 1 },
    ]);
  });

  it("needs a directive, a numeric count and storage the charm declares", () => {
    const ctx = new FakeHookContext({ storageNames: ["logs"] });
    expect(ctx.run("storage-add")).toEqual(usageError("storage add requires a storage directive"));
    expect(ctx.run("storage-add", "logs=many")).toEqual(usageError('cannot parse count: "many" is not a number'));
    expect(ctx.run("storage-add", "cache")).toEqual(runError('charm storage "cache" not found'));
    expect(ctx.storageAdds).toEqual([]);
  });
});

describe("resource-get (interfaces §9)", () => {
  it("prints the unit-local path, or fails with the controller's error", () => {
    const ctx = new FakeHookContext({ unit: "storer/0", resources: { payload: "/agents/unit-storer-0/resources/payload/payload.txt" } });
    expect(ctx.run("resource-get", "payload")).toEqual(ok("/agents/unit-storer-0/resources/payload/payload.txt\n"));
    expect(ctx.run("resource-get", "other")).toEqual(runError("could not download resource: resource#storer/other not found"));
    expect(ctx.run("resource-get")).toEqual(usageError("missing required resource name"));
  });
});
