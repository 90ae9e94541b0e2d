import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm, type HookRun } from "./harness.js";

/** Hook names of one unit, with the remote unit for relation hooks: "ring-relation-joined(recorder/1)". */
function sequence(runs: HookRun[], unit: string): string[] {
  return runs.filter((run) => run.unit === unit).map((run) => (run.env.JUJU_REMOTE_UNIT ? `${run.hook}(${run.env.JUJU_REMOTE_UNIT})` : run.hook));
}

async function leaderOf(model: LocalModelFixture, app: string): Promise<string> {
  const units = (await model.status()).applications[app]!.units!;
  return Object.entries(units).find(([, unit]) => unit.leader)![0];
}

describe("hook order of the recorder charm (contract §5)", () => {
  let model: LocalModelFixture;
  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.10", 42);
    await model.ok("deploy", testCharm("recorder"), "-n", "2");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("deploy: install, peer relation-created, leader-elected or leader-settings-changed, config-changed, start, then peers join (§5.2)", async () => {
    const runs = await model.hookRuns();
    const leader = await leaderOf(model, "recorder");
    const follower = leader === "recorder/0" ? "recorder/1" : "recorder/0";
    expect(sequence(runs, leader)).toEqual([
      "install",
      "ring-relation-created",
      "leader-elected",
      "config-changed",
      "start",
      `ring-relation-joined(${follower})`,
      `ring-relation-changed(${follower})`,
    ]);
    expect(sequence(runs, follower)).toEqual([
      "install",
      "ring-relation-created",
      "leader-settings-changed",
      "config-changed",
      "start",
      `ring-relation-joined(${leader})`,
      `ring-relation-changed(${leader})`,
    ]);
  });

  it("add-unit: the new unit runs the deploy sequence and joins each peer; existing units see it join then change (§5.4)", async () => {
    const before = (await model.hookRuns()).length;
    await model.ok("add-unit", "recorder");
    const runs = (await model.hookRuns()).slice(before);
    expect(sequence(runs, "recorder/2")).toEqual([
      "install",
      "ring-relation-created",
      "leader-settings-changed",
      "config-changed",
      "start",
      "ring-relation-joined(recorder/0)",
      "ring-relation-changed(recorder/0)",
      "ring-relation-joined(recorder/1)",
      "ring-relation-changed(recorder/1)",
    ]);
    for (const existing of ["recorder/0", "recorder/1"]) {
      expect(sequence(runs, existing)).toEqual(["ring-relation-joined(recorder/2)", "ring-relation-changed(recorder/2)"]);
    }
  });

  it("relation-changed reaches the other units only after the writer's hook commits, and never the writer (§5.3)", async () => {
    const before = (await model.hookRuns()).length;
    await model.ok("config", "recorder", "probe-hook=config-changed", 'probe=relation-set -r ring:0 "from-$JUJU_UNIT_NAME=hi"');
    const runs = (await model.hookRuns()).slice(before);
    for (const unit of ["recorder/0", "recorder/1", "recorder/2"]) {
      const others = ["recorder/0", "recorder/1", "recorder/2"].filter((u) => u !== unit);
      const seq = sequence(runs, unit);
      expect(seq[0]).toBe("config-changed");
      expect(seq.slice(1).sort()).toEqual(others.map((o) => `ring-relation-changed(${o})`).sort());
    }
    await model.ok("config", "recorder", "--reset", "probe-hook,probe");
  });

  it("remove-unit: the departing unit departs each peer with itself as departing unit, then stop and remove; peers see it depart (§5.5)", async () => {
    const before = (await model.hookRuns()).length;
    await model.ok("remove-unit", "recorder/2");
    const runs = (await model.hookRuns()).slice(before);
    expect(sequence(runs, "recorder/2")).toEqual(["ring-relation-departed(recorder/0)", "ring-relation-departed(recorder/1)", "stop", "remove"]);
    expect(runs.filter((r) => r.unit === "recorder/2" && r.hook.endsWith("departed")).map((r) => r.env.JUJU_DEPARTING_UNIT)).toEqual([
      "recorder/2",
      "recorder/2",
    ]);
    for (const remaining of ["recorder/0", "recorder/1"]) {
      const departed = runs.filter((r) => r.unit === remaining);
      expect(departed.map((r) => `${r.hook}(${r.env.JUJU_REMOTE_UNIT}) departing=${r.env.JUJU_DEPARTING_UNIT}`)).toEqual([
        "ring-relation-departed(recorder/2) departing=recorder/2",
      ]);
    }
    expect(Object.keys((await model.status()).applications.recorder!.units!)).toEqual(["recorder/0", "recorder/1"]);
  });

  it("removing the leader elects another unit, which runs leader-elected (§5.5, §5.7)", async () => {
    const leader = await leaderOf(model, "recorder");
    const survivor = leader === "recorder/0" ? "recorder/1" : "recorder/0";
    const before = (await model.hookRuns()).length;
    await model.ok("remove-unit", leader);
    const runs = (await model.hookRuns()).slice(before);
    expect(sequence(runs, leader)).toEqual([`ring-relation-departed(${survivor})`, "stop", "remove"]);
    expect(sequence(runs, survivor)).toEqual([`ring-relation-departed(${leader})`, "leader-elected"]);
    expect(await leaderOf(model, "recorder")).toBe(survivor);
  });
});

describe("integrate and remove-relation (contract §5.6)", () => {
  let model: LocalModelFixture;
  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.14", 3);
    await model.ok("deploy", testCharm("recorder"), "front");
    await model.ok("deploy", testCharm("recorder"), "back");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("endpoints are matched by interface and role; a choice of two pairs is ambiguous, as in Juju", async () => {
    const result = await model.run("integrate", "front", "back");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/ambiguous relation: "front back" could refer to front:website back:backend, front:backend back:website/);
  });

  it("both sides get relation-created, then joined and changed for each remote unit", async () => {
    const before = (await model.hookRuns()).length;
    await model.ok("integrate", "front", "back:backend");
    const runs = (await model.hookRuns()).slice(before);
    expect(sequence(runs, "front/0")).toEqual(["website-relation-created", "website-relation-joined(back/0)", "website-relation-changed(back/0)"]);
    expect(sequence(runs, "back/0")).toEqual(["backend-relation-created", "backend-relation-joined(front/0)", "backend-relation-changed(front/0)"]);
    const created = runs.find((r) => r.unit === "front/0" && r.hook === "website-relation-created")!;
    expect(created.env).toMatchObject({ JUJU_RELATION: "website", JUJU_REMOTE_APP: "back", JUJU_REMOTE_UNIT: "" });
    const status = await model.status();
    expect(status.applications.front!.relations).toMatchObject({ website: [{ "related-application": "back", interface: "http", scope: "global" }] });
  });

  it("integrating again is refused as Juju refuses it", async () => {
    const result = await model.run("integrate", "front:website", "back:backend");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/relation front:website back:backend already exists/);
  });

  it("remove-relation: every unit departs the remote units, then relation-broken; relation-ids then omits it", async () => {
    const before = (await model.hookRuns()).length;
    await model.ok("remove-relation", "front:website", "back");
    const runs = (await model.hookRuns()).slice(before);
    expect(sequence(runs, "front/0")).toEqual(["website-relation-departed(back/0)", "website-relation-broken"]);
    expect(sequence(runs, "back/0")).toEqual(["backend-relation-departed(front/0)", "backend-relation-broken"]);
    const broken = runs.find((r) => r.unit === "front/0" && r.hook === "website-relation-broken")!;
    expect(broken.env).toMatchObject({ JUJU_REMOTE_APP: "back", JUJU_REMOTE_UNIT: "" });
    await model.ok("config", "front", "probe-hook=config-changed", "probe=relation-ids website --format=json");
    const [last] = (await model.hookRuns("front/0")).slice(-1);
    expect(last!.entry.stdout).toContain("probe-begin\n[]\nprobe-end");
  });
});

describe("refresh: a new charm revision (contract §5.8)", () => {
  let model: LocalModelFixture;
  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.74", 4);
    await model.ok("deploy", testCharm("recorder"), "-n", "2");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("every unit runs upgrade-charm then config-changed, no start and no relation hooks; status shows the revision", async () => {
    const before = (await model.hookRuns()).length;
    await model.ok("refresh", "recorder", "--path", testCharm("recorder"));
    const runs = (await model.hookRuns()).slice(before);
    for (const unit of ["recorder/0", "recorder/1"]) expect(sequence(runs, unit)).toEqual(["upgrade-charm", "config-changed"]);
    expect((await model.ok("status")).match(/^recorder\s+unknown\s+2\s+recorder\s+2\s+no/m)).not.toBeNull();
  });

  it("a charm of another name is refused", async () => {
    const result = await model.run("refresh", "recorder", "--path", testCharm("dispatcher"));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/charm "dispatcher" is not "recorder"/);
  });
});
