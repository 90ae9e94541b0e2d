import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCharmDir } from "../../local-model/charm.js";
import { filesystemMountPoint, parseDirective, parseSizeMiB } from "../../local-model/storage-spec.js";

/** metadata.yaml `storage:` and `resources:` as the local model reads them (interfaces §7.1, §9). */
describe("storage and resource metadata", () => {
  let dir: string;
  const charmWith = async (extra: string) => {
    await writeFile(path.join(dir, "metadata.yaml"), `name: meta\nsummary: s\ndescription: d\n${extra}`);
    return readCharmDir(dir);
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "lm-meta-"));
    await writeFile(path.join(dir, "dispatch"), "#!/bin/sh\n", { mode: 0o755 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("parses every field, with Juju's defaults: exactly one instance, no minimum size, not shared, writable", async () => {
    const charm = await charmWith(
      [
        "storage:",
        "  data: {type: filesystem, location: /srv/data}",
        "  many: {type: filesystem, multiple: {range: 2-5}, minimum-size: 2G, shared: true, read-only: true, description: d, properties: [transient]}",
        "  open: {type: block, multiple: {range: 1+}}",
        "  upto: {type: filesystem, multiple: {range: 0-}}",
        "  fixed: {type: filesystem, multiple: {range: 3}, minimum-size: 10M}",
        "resources:",
        "  payload: {type: file, filename: p.txt, description: a file}",
        "",
      ].join("\n"),
    );
    expect(charm.storage.data).toEqual({
      type: "filesystem",
      description: "",
      location: "/srv/data",
      shared: false,
      readOnly: false,
      countMin: 1,
      countMax: 1,
      minimumSizeMiB: 0,
      properties: [],
    });
    expect(charm.storage.many).toMatchObject({ countMin: 2, countMax: 5, minimumSizeMiB: 2048, shared: true, readOnly: true, properties: ["transient"] });
    expect([charm.storage.open?.countMin, charm.storage.open?.countMax, charm.storage.open?.type]).toEqual([1, -1, "block"]);
    expect([charm.storage.upto?.countMin, charm.storage.upto?.countMax]).toEqual([0, -1]);
    expect([charm.storage.fixed?.countMin, charm.storage.fixed?.countMax, charm.storage.fixed?.minimumSizeMiB]).toEqual([3, 3, 10]);
    expect(charm.resources).toEqual({ payload: { type: "file", filename: "p.txt", description: "a file" } });
  });

  it.each([
    ["storage:\n  data: {type: tape}\n", /invalid metadata.yaml/],
    ["storage:\n  data: {type: filesystem, multiple: {range: 5-2}}\n", /invalid count range "5-2"/],
    ["storage:\n  data: {type: filesystem, multiple: {range: lots}}\n", /invalid count range "lots"/],
    ["storage:\n  data: {type: filesystem, minimum-size: big}\n", /invalid minimum-size "big"/],
    ["storage:\n  data: {type: filesystem, properties: [durable]}\n", /invalid metadata.yaml/],
    ["resources:\n  image: {type: oci-image}\n", /invalid metadata.yaml/],
    ["resources:\n  payload: {type: file}\n", /invalid metadata.yaml/],
  ])("refuses %j", async (extra, error) => {
    await expect(charmWith(extra)).rejects.toThrow(error);
  });

  it("sizes are MiB by default, M/G/T/P/E powers of 1024", () => {
    expect([parseSizeMiB("100"), parseSizeMiB("1G"), parseSizeMiB("1.5G"), parseSizeMiB("2T"), parseSizeMiB("1GiB"), parseSizeMiB("x")]).toEqual([
      100,
      1024,
      1536,
      2 * 1024 * 1024,
      1024,
      undefined,
    ]);
  });

  it("directive fields are told apart by their form, in any order (interfaces §7.2)", () => {
    expect(parseDirective("ebs,10G,3")).toEqual({ pool: "ebs", sizeMiB: 10240, count: 3 });
    expect(parseDirective("2")).toEqual({ count: 2 });
    expect(() => parseDirective("1G,,2")).toThrow('cannot parse storage directive "1G,,2": empty field');
  });

  it("a singleton with a location mounts there; otherwise <location or /var/lib/juju/storage>/<id>", async () => {
    const charm = await charmWith(
      "storage:\n  one: {type: filesystem, location: /a}\n  many: {type: filesystem, location: /b/, multiple: {range: 0-2}}\n  bare: {type: filesystem}\n",
    );
    const { one, many, bare } = charm.storage;
    if (!one || !many || !bare) throw new Error("storage missing");
    expect([filesystemMountPoint(one, "one/0"), filesystemMountPoint(many, "many/1"), filesystemMountPoint(bare, "bare/2")]).toEqual([
      "/a",
      "/b/many/1",
      "/var/lib/juju/storage/bare/2",
    ]);
  });
});
