import { readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm } from "./harness.js";

/**
 * Storage in the local model (interfaces §7, §10 "storage"; contract §5.1, §5.2, §5.5): deploy-time storage is
 * attached before install, a removed unit's storage is kept (detached) and can be attached to a new unit with
 * its data, or destroyed with --destroy-storage. Filesystem instances are bind mounts in the unit's root.
 */

interface StorageEntry {
  kind: string;
  status: { current: string };
  attachments?: { units: Record<string, { machine: string; location: string; life: string }> };
}

/** Mount points currently mounted under a directory, from /proc/self/mountinfo. */
function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point.startsWith(`${dir}/`));
}

describe("storage: the issue's scenario and its neighbours", () => {
  let model: LocalModelFixture;
  const hooksOf = async (unit: string) => (await model.hookRuns(unit)).map((run) => run.hook);
  const storage = async () => (JSON.parse(await model.ok("storage", "--format", "json")) as { storage?: Record<string, StorageEntry> }).storage ?? {};
  const onUnit = (unit: string, command: string) => model.run("exec", "--unit", unit, "--", command);
  const unitRoot = (unit: string) => path.join(model.dir, "units", unit.replace("/", "-"), "root");

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.26", 3);
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("deploy --storage data=1G: data-storage-attached runs before install, with JUJU_STORAGE_* (contract §5.2, interfaces §7.3)", async () => {
    await model.ok("deploy", testCharm("storer"), "--storage", "data=1G");
    expect(await hooksOf("storer/0")).toEqual(["data-storage-attached", "install", "leader-elected", "config-changed", "start"]);
    const [attached] = await model.hookRuns("storer/0");
    expect(attached?.env).toEqual({ JUJU_STORAGE_ID: "data/0", JUJU_STORAGE_KIND: "filesystem", JUJU_STORAGE_LOCATION: "/srv/data" });
    expect(attached?.entry.stdout).toContain("storage-get location: /srv/data\nstorage-get kind: filesystem\nstorage-list: data/0 \nwrote: storer/0\n");
  });

  it("the instance is a bind mount at its location in the unit's root, and the unit's file is in it", async () => {
    expect(mountsUnder(model.dir)).toEqual([path.join(unitRoot("storer/0"), "srv/data")]);
    expect((await onUnit("storer/0", 'cat "$UNIT_FS_ROOT/srv/data/written-by"')).stdout).toBe("storer/0");
    expect(await storage()).toEqual({
      "data/0": {
        kind: "filesystem",
        life: "alive",
        status: { current: "attached", since: expect.any(String) },
        persistent: false,
        attachments: { units: { "storer/0": { machine: "0", location: "/srv/data", life: "alive" } } },
      },
    });
  });

  it("status --format=json carries the storage (interfaces §7.5)", async () => {
    const status = JSON.parse(await model.ok("status", "--format=json")) as { storage: { storage: Record<string, StorageEntry> } };
    expect(Object.keys(status.storage.storage)).toEqual(["data/0"]);
    expect(status.storage.storage["data/0"]?.attachments?.units["storer/0"]?.location).toBe("/srv/data");
  });

  it("remove-unit keeps the storage, detached; data-storage-detaching runs before stop (contract §5.5, interfaces §7.2, §7.3)", async () => {
    await model.ok("remove-unit", "storer/0");
    expect(await hooksOf("storer/0")).toEqual([
      "data-storage-attached",
      "install",
      "leader-elected",
      "config-changed",
      "start",
      "data-storage-detaching",
      "stop",
      "remove",
    ]);
    const detaching = (await model.hookRuns("storer/0")).find((run) => run.hook === "data-storage-detaching");
    expect(detaching?.env).toEqual({ JUJU_STORAGE_ID: "data/0", JUJU_STORAGE_KIND: "filesystem", JUJU_STORAGE_LOCATION: "/srv/data" });
    expect(await storage()).toEqual({
      "data/0": { kind: "filesystem", life: "alive", status: { current: "detached", since: expect.any(String) }, persistent: false },
    });
    expect(mountsUnder(model.dir)).toEqual([]);
  });

  it("add-unit --attach-storage data/0: the new unit finds the file the old one wrote (interfaces §7.2)", async () => {
    await model.ok("add-unit", "storer", "--attach-storage", "data/0");
    const runs = await model.hookRuns("storer/1");
    expect(runs.map((run) => run.hook).slice(0, 2)).toEqual(["data-storage-attached", "install"]);
    expect(runs[0]?.env.JUJU_STORAGE_ID).toBe("data/0");
    expect(runs[0]?.entry.stdout).toContain("found: storer/0\n");
    // data/0 was attached, so no new data instance was provisioned for the new unit.
    expect(Object.keys(await storage())).toEqual(["data/0"]);
    expect(mountsUnder(model.dir)).toEqual([path.join(unitRoot("storer/1"), "srv/data")]);
  });

  it("remove-unit --destroy-storage destroys the unit's storage with its data; ids are never reused", async () => {
    await model.ok("add-unit", "storer");
    expect((await model.status()).applications.storer?.units?.["storer/2"]).toBeDefined();
    expect(Object.keys(await storage())).toEqual(["data/0", "data/1"]);
    const source = path.join(model.dir, "storage", "data-1");
    expect((await stat(source)).isDirectory()).toBe(true);
    await model.ok("remove-unit", "storer/2", "--destroy-storage");
    expect((await hooksOf("storer/2")).slice(-3)).toEqual(["data-storage-detaching", "stop", "remove"]);
    expect(Object.keys(await storage())).toEqual(["data/0"]);
    await expect(stat(source)).rejects.toThrow(/ENOENT/);
    await model.ok("add-unit", "storer");
    expect(Object.keys(await storage())).toEqual(["data/0", "data/2"]);
  });

  it("add-storage adds instances of multiple storage at Juju-chosen paths under the location, each attached (interfaces §7.1, §7.2)", async () => {
    const result = await model.run("add-storage", "storer/1", "logs=2");
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("added storage logs/3\nadded storage logs/4");
    const attached = (await model.hookRuns("storer/1")).filter((run) => run.hook === "logs-storage-attached");
    expect(attached.map((run) => run.env.JUJU_STORAGE_LOCATION)).toEqual(["/srv/logs/logs/3", "/srv/logs/logs/4"]);
    expect(attached[1]?.entry.stdout).toContain("storage-list: data/0 logs/3 logs/4 \n");
    const refused = await model.run("add-storage", "storer/1", "logs=2");
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('adding 2 "logs" storage to storer/1: at most 3 instances supported, 2 attached');
  });

  it("detach-storage runs storage-detaching and keeps the instance; attach-storage brings it back with its data", async () => {
    await model.ok("detach-storage", "logs/3");
    const detaching = (await model.hookRuns("storer/1")).at(-1);
    expect([detaching?.hook, detaching?.env.JUJU_STORAGE_ID]).toEqual(["logs-storage-detaching", "logs/3"]);
    expect((await storage())["logs/3"]?.status.current).toBe("detached");
    expect(mountsUnder(model.dir)).not.toContain(path.join(unitRoot("storer/1"), "srv/logs/logs/3"));
    await model.ok("attach-storage", "storer/1", "logs/3");
    const attached = (await model.hookRuns("storer/1")).at(-1);
    expect([attached?.hook, attached?.env.JUJU_STORAGE_ID]).toEqual(["logs-storage-attached", "logs/3"]);
    expect(attached?.entry.stdout).toContain("found: storer/1\n");
    const busy = await model.run("attach-storage", "storer/3", "logs/3");
    expect(busy.stderr).toContain('storage "logs/3" is attached to storer/1');
  });

  it("storage-get and storage-list outside a storage hook (interfaces §7.4)", async () => {
    const noId = await onUnit("storer/1", "storage-get");
    expect([noId.exitCode, noId.stderr]).toEqual([2, "ERROR no storage instance specified"]);
    expect((await onUnit("storer/1", "storage-get -s data/0")).stdout).toBe("kind: filesystem\nlocation: /srv/data");
    expect((await onUnit("storer/1", "storage-get -s logs/4 --format=json")).stdout).toBe('{"kind":"filesystem","location":"/srv/logs/logs/4"}');
    const badKey = await onUnit("storer/1", "storage-get -s data/0 size");
    expect([badKey.exitCode, badKey.stderr]).toEqual([1, 'ERROR invalid storage attribute "size"']);
    const notHere = await onUnit("storer/3", "storage-get -s logs/4");
    expect([notHere.exitCode, notHere.stderr]).toEqual([2, 'ERROR invalid value "logs/4" for option -s: storage attachment "logs/4" not found']);
    expect((await onUnit("storer/1", "storage-list")).stdout).toBe("data/0\nlogs/3\nlogs/4");
    expect((await onUnit("storer/1", "storage-list logs --format=json")).stdout).toBe('["logs/3","logs/4"]');
  });

  it("storage-add is buffered: the hook does not see it, the commit attaches it, a failed hook discards it (contract §4)", async () => {
    // Only storer/3 adds storage: which unit commits first is the seed's choice, and ids follow commit order.
    const probe = 'if [ "$JUJU_UNIT_NAME" = storer/3 ]; then storage-add logs; fi; echo listed: $(storage-list logs)';
    await model.ok("config", "storer", "probe-hook=config-changed", `probe=${probe}`);
    const configChanged = (await model.hookRuns("storer/3")).filter((run) => run.hook === "config-changed").at(-1);
    expect(configChanged?.entry.stdout).toContain("listed:\nprobe-end");
    const after = (await model.hookRuns("storer/3")).at(-1);
    expect([after?.hook, after?.env.JUJU_STORAGE_ID]).toEqual(["logs-storage-attached", "logs/5"]);

    await model.ok("config", "storer", 'probe=if [ "$JUJU_UNIT_NAME" = storer/3 ]; then storage-add logs; exit 1; fi');
    expect((await model.status()).applications.storer?.units?.["storer/3"]?.["juju-status"].current).toBe("error");
    expect(Object.keys(await storage()).filter((id) => id.startsWith("logs/"))).toEqual(["logs/3", "logs/4", "logs/5"]);
    await model.ok("config", "storer", "probe-hook=");
    await model.ok("resolved", "storer/3");
    expect(Object.keys(await storage()).filter((id) => id.startsWith("logs/"))).toEqual(["logs/3", "logs/4", "logs/5"]);
  });

  it("destroy unmounts every instance: nothing of the model stays in /proc/self/mountinfo", async () => {
    expect(mountsUnder(model.dir).length).toBe(5);
    await model.ok("destroy");
    expect(mountsUnder(model.dir)).toEqual([]);
  });
});
