import { cp, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm } from "./harness.js";

/**
 * Each unit has a private copy of its charm, as Juju gives each unit its own charm directory: what one unit's
 * charm writes there reaches neither the other units nor the source, and editing the source changes nothing
 * on the units until `refresh`. Large files (over 1 MB) are shared read-only-by-convention: hard-linked from
 * the model's own snapshot of the charm, never from the source.
 */
describe("private charm copies", { timeout: 120_000 }, () => {
  let model: LocalModelFixture;
  let source: string;
  const charmDirOf = (unit: string) => path.join(model.dir, "units", unit.replace("/", "-"), "charm");
  const read = (file: string) => readFile(file, "utf8");
  const messages = async (since: number) =>
    (await model.hookRuns()).slice(since).map((run) => `${run.unit} ${/message=(.*)$/m.exec(run.entry.stdout)?.[1] ?? ""}`);

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.33", 3);
    // Deployed from a copy, with a large file as a bundled runtime would be.
    source = path.join(path.dirname(model.dir), "scribbler-source");
    await cp(testCharm("scribbler"), source, { recursive: true });
    await writeFile(path.join(source, "runtime.bin"), Buffer.alloc(2 * 1024 * 1024, 7));
    await model.ok("deploy", source, "-n", "2");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("what a unit's charm writes into $CHARM_DIR stays in that unit: not in the other unit, not in the source", async () => {
    // Every hook of each unit appended its name to the shipped file in place and created own-<unit>.
    for (const [unit, other] of [
      ["scribbler/0", "scribbler/1"],
      ["scribbler/1", "scribbler/0"],
    ] as const) {
      const scribbles = (await read(path.join(charmDirOf(unit), "scribbles"))).trim().split("\n");
      expect(scribbles[0]).toBe("shipped");
      expect(new Set(scribbles.slice(1))).toEqual(new Set([unit]));
      expect(await stat(path.join(charmDirOf(unit), `own-${unit.replace("/", "-")}`)).then(() => true)).toBe(true);
      expect(await stat(path.join(charmDirOf(other), `own-${unit.replace("/", "-")}`)).catch(() => "absent")).toBe("absent");
    }
    expect(await read(path.join(source, "scribbles"))).toBe("shipped\n");
    expect(await stat(path.join(source, "own-scribbler-0")).catch(() => "absent")).toBe("absent");
  });

  it("a large file is hard-linked from the model's snapshot of the charm, never from the source", async () => {
    const snapshot = await stat(path.join(model.dir, "charms", "scribbler-1", "runtime.bin"));
    const inSource = await stat(path.join(source, "runtime.bin"));
    for (const unit of ["scribbler/0", "scribbler/1"]) {
      const inUnit = await stat(path.join(charmDirOf(unit), "runtime.bin"));
      expect(inUnit.ino).toBe(snapshot.ino);
      expect(inUnit.ino).not.toBe(inSource.ino);
    }
    // Small files are each unit's own.
    const dispatch = await Promise.all(["scribbler/0", "scribbler/1"].map((unit) => stat(path.join(charmDirOf(unit), "dispatch"))));
    expect(dispatch[0]!.ino).not.toBe(dispatch[1]!.ino);
    expect(dispatch[0]!.mode & 0o111).toBe(0o111);
  });

  it("editing the source after deploy changes nothing on the units, nor on a unit added later, until refresh", async () => {
    // In place (same inode), as `echo >>` or an editor that truncates would.
    await writeFile(path.join(source, "message"), "edited\n");
    for (const unit of ["scribbler/0", "scribbler/1"]) expect(await model.ok("exec", "--unit", unit, "--", 'cat "$CHARM_DIR/message"')).toBe("as shipped");
    let since = (await model.hookRuns()).length;
    await model.ok("add-unit", "scribbler");
    expect(new Set(await messages(since))).toEqual(new Set(["scribbler/2 as shipped"]));

    since = (await model.hookRuns()).length;
    await model.ok("refresh", "scribbler", "--path", source);
    const seen = await messages(since);
    for (const unit of ["scribbler/0", "scribbler/1", "scribbler/2"]) {
      // upgrade-charm, then config-changed (contract §5.8), both with the new charm.
      expect(seen.filter((line) => line.startsWith(`${unit} `))).toEqual([`${unit} edited`, `${unit} edited`]);
    }
  });
});
