import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm } from "./harness.js";

/**
 * File resources (interfaces §9, §10 "resources"): resource-get fails with Juju's text until a file is
 * uploaded, then prints the unit-local copy's path; attach-resource bumps the charm-modified version, so every
 * unit runs upgrade-charm then config-changed, and resource-get re-syncs to the new revision.
 */
describe("resources", () => {
  let model: LocalModelFixture;
  let files: string;
  const resourceGet = (unit: string, name = "payload") => model.run("exec", "--unit", unit, "--", `resource-get ${name}`);
  const upload = async (name: string, content: string) => {
    const file = path.join(files, name);
    await writeFile(file, content);
    return file;
  };

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.27", 2);
    files = await mkdtemp(path.join(tmpdir(), "lm-resources-"));
    await model.ok("deploy", testCharm("storer"), "-n", "2");
  });
  afterAll(async () => {
    await model.destroy();
    await rm(files, { recursive: true, force: true });
  });

  it("resource-get before any upload fails with the controller's not-found text, exit 1 (interfaces §9)", async () => {
    const result = await resourceGet("storer/0");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^ERROR could not download resource: HTTP request failed: Get https:\/\/127\.0\.0\.1:17070\/model\/[0-9a-f-]+\/units\/unit-storer-0\/resources\/payload: resource#storer\/payload not found$/,
    );
  });

  it("resource-get of a name the charm does not declare fails", async () => {
    const result = await resourceGet("storer/0", "nope");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("resource#storer/nope not found");
  });

  it("attach-resource makes every unit run upgrade-charm, then config-changed; upgrade-charm can read the new file (interfaces §9)", async () => {
    const before = { "storer/0": (await model.hookRuns("storer/0")).length, "storer/1": (await model.hookRuns("storer/1")).length };
    await model.ok("attach-resource", "storer", `payload=${await upload("v1.txt", "first revision")}`);
    for (const unit of ["storer/0", "storer/1"] as const) {
      const runs = (await model.hookRuns(unit)).slice(before[unit]);
      expect(runs.map((run) => run.hook)).toEqual(["upgrade-charm", "config-changed"]);
      expect(runs[0]?.entry.stdout).toContain("resource: first revision\n");
    }
    // The charm itself did not change.
    expect(
      (JSON.parse(await model.ok("status", "--format=json")) as { applications: { storer: { "charm-rev": number } } }).applications.storer["charm-rev"],
    ).toBe(1);
  });

  it("resource-get prints the unit-local copy in the unit's agent dir, re-synced to the current revision on later calls", async () => {
    const first = await resourceGet("storer/1");
    const local = path.join(model.dir, "units", "storer-1", "resources", "payload", "payload.txt");
    expect([first.exitCode, first.stdout]).toEqual([0, local]);
    expect(await readFile(local, "utf8")).toBe("first revision");
    await model.ok("attach-resource", "storer", `payload=${await upload("v2.txt", "second revision")}`);
    const second = await resourceGet("storer/1");
    expect(second.stdout).toBe(local);
    expect(await readFile(local, "utf8")).toBe("second revision");
  });

  it("deploy --resource uploads at deploy: resource-get works at once, with no upgrade-charm", async () => {
    await model.ok("deploy", testCharm("storer"), "given", "--resource", `payload=${await upload("given.txt", "from deploy")}`);
    const result = await resourceGet("given/0");
    expect(result.exitCode).toBe(0);
    expect(await readFile(result.stdout, "utf8")).toBe("from deploy");
    expect((await model.hookRuns("given/0")).map((run) => run.hook)).not.toContain("upgrade-charm");
  });

  it("a zero-byte upload counts as not provided (interfaces §9)", async () => {
    await model.ok("deploy", testCharm("storer"), "empty", "--resource", `payload=${await upload("empty.txt", "")}`);
    const result = await resourceGet("empty/0");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("resource#empty/payload not found");
  });

  it("deploy and attach-resource refuse a resource the charm does not declare", async () => {
    const file = await upload("x.txt", "x");
    expect((await model.run("deploy", testCharm("storer"), "other", "--resource", `nope=${file}`)).stderr).toContain('charm "storer" has no resource "nope"');
    expect((await model.run("attach-resource", "storer", `nope=${file}`)).stderr).toContain('charm "storer" has no resource "nope"');
  });
});
