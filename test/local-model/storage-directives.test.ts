import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm } from "./harness.js";

/**
 * `deploy --storage <label>=<pool>,<count>,<size>` (interfaces §7.2): checked against the charm's metadata
 * (count range, minimum size, pools; interfaces §7.1, §10), defaults for mandatory storage, the same directives
 * for add-unit; block storage is a sparse image file of the requested size.
 */

interface StorageEntry {
  kind: string;
  attachments?: { units: Record<string, { location: string }> };
}

describe("storage directives", () => {
  let model: LocalModelFixture;
  const storage = async () => (JSON.parse(await model.ok("storage", "--format", "json")) as { storage?: Record<string, StorageEntry> }).storage ?? {};
  const table = () => model.ok("storage");

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.28", 5);
  });
  afterAll(async () => {
    await model.destroy();
  });

  it.each([
    ["data=512M", 'charm "storer" store "data": minimum storage size is 1.0 GiB, 512 MiB specified'],
    ["data=0", 'charm "storer" store "data": 1 instances required, 0 specified'],
    ["logs=4", 'charm "storer" store "logs": at most 3 instances supported, 4 specified'],
    ["nope=1", 'charm "storer" has no store called "nope"'],
    ["data=fast", 'pool "fast" not found'],
    ["scratch=rootfs", 'pool "rootfs" does not support block storage'],
    ["data=1X", 'cannot parse storage directive "1X": invalid size "1X"'],
  ])("deploy --storage %s is refused: %s", async (directive, error) => {
    const result = await model.run("deploy", testCharm("storer"), "--storage", directive);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(error);
    // Nothing was created.
    expect((await model.status()).applications).toEqual({});
    expect(await storage()).toEqual({});
  });

  it("without --storage, mandatory storage gets its defaults (the charm's minimum size) and optional storage none", async () => {
    await model.ok("deploy", testCharm("storer"), "plain");
    expect(await table()).toBe(
      [
        "Unit     Storage ID  Type        Pool    Mountpoint  Size     Status    Message",
        "plain/0  data/0      filesystem  rootfs  /srv/data   1.0 GiB  attached",
      ].join("\n"),
    );
    expect((await model.hookRuns("plain/0")).map((run) => run.hook)[0]).toBe("data-storage-attached");
  });

  it("directive fields come in any order; every deploy-time instance is attached before install, in id order (contract §5.2)", async () => {
    await model.ok("deploy", testCharm("storer"), "wide", "--storage", "logs=2G,2,rootfs", "--storage", "scratch=64M");
    const hooks = (await model.hookRuns("wide/0")).map((run) => [run.hook, run.env.JUJU_STORAGE_ID]);
    expect(hooks.slice(0, 5)).toEqual([
      ["data-storage-attached", "data/1"],
      ["logs-storage-attached", "logs/2"],
      ["logs-storage-attached", "logs/3"],
      ["scratch-storage-attached", "scratch/4"],
      ["install", undefined],
    ]);
    const listed = await storage();
    expect(listed["logs/2"]?.attachments?.units["wide/0"]?.location).toBe("/srv/logs/logs/2");
    expect(listed["logs/3"]?.attachments?.units["wide/0"]?.location).toBe("/srv/logs/logs/3");
    expect(await table()).toMatch(/^wide\/0 +logs\/3 +filesystem +rootfs +\/srv\/logs\/logs\/3 +2\.0 GiB +attached$/m);
  });

  it("block storage is a sparse file of the requested size, seen by the unit at a device path (kind block)", async () => {
    const scratch = (await storage())["scratch/4"];
    expect(scratch?.kind).toBe("block");
    expect(scratch?.attachments?.units["wide/0"]?.location).toBe("/dev/local-model/scratch-4");
    const image = await stat(path.join(model.dir, "storage", "scratch-4.img"));
    expect(image.size).toBe(64 * 1024 * 1024);
    // Sparse: the 64 MiB are not allocated.
    expect(image.blocks * 512).toBeLessThan(1024 * 1024);
    const attached = (await model.hookRuns("wide/0")).find((run) => run.hook === "scratch-storage-attached");
    expect(attached?.env).toEqual({ JUJU_STORAGE_ID: "scratch/4", JUJU_STORAGE_KIND: "block", JUJU_STORAGE_LOCATION: "/dev/local-model/scratch-4" });
    const seen = await model.run("exec", "--unit", "wide/0", "--", 'stat -L -c %s "$UNIT_FS_ROOT/dev/local-model/scratch-4"');
    expect(seen.stdout).toBe(String(64 * 1024 * 1024));
  });

  it("add-unit provisions what the application's directives say", async () => {
    await model.ok("add-unit", "wide");
    const ids = Object.entries(await storage())
      .filter(([, entry]) => entry.attachments?.units["wide/1"])
      .map(([id]) => id);
    expect(ids).toEqual(["data/5", "logs/6", "logs/7", "scratch/8"]);
  });

  it("read-only storage is mounted read-only: the unit cannot write to it (interfaces §7.1)", async () => {
    await model.ok("add-storage", "plain/0", "shelf=1");
    const attached = (await model.hookRuns("plain/0")).at(-1);
    expect([attached?.hook, attached?.env.JUJU_STORAGE_LOCATION]).toEqual(["shelf-storage-attached", "/srv/shelf"]);
    expect(attached?.entry.stdout).toContain("cannot write: /srv/shelf\n");
  });

  it("add-unit --attach-storage refuses -n above 1 and storage that is attached", async () => {
    const many = await model.run("add-unit", "wide", "-n", "2", "--attach-storage", "data/0");
    expect(many.stderr).toContain("--attach-storage cannot be used with -n");
    const busy = await model.run("add-unit", "wide", "--attach-storage", "data/0");
    expect(busy.stderr).toContain('storage "data/0" is attached to plain/0');
    const unknown = await model.run("add-unit", "wide", "--attach-storage", "data/99");
    expect(unknown.stderr).toContain('storage "data/99" not found');
  });
});
