import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm } from "./harness.js";

/** Machines numbered as Juju numbers them in a model: "0", "1", …, never reused (issue 11, item 4). */
describe("machine ids", () => {
  let model: LocalModelFixture;
  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.16", 2);
    await model.ok("deploy", testCharm("recorder"), "-n", "2");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("each unit's machine has the next number, in status and in JUJU_MACHINE_ID", async () => {
    const status = await model.status();
    expect(Object.entries(status.applications.recorder!.units!).map(([name, unit]) => [name, unit.machine])).toEqual([
      ["recorder/0", "0"],
      ["recorder/1", "1"],
    ]);
    expect(status.machines["1"]).toMatchObject({ "dns-name": "127.0.16.12", "instance-id": expect.stringMatching(/^juju-[0-9a-f]{6}-1$/) });
    expect((await model.ok("exec", "--unit", "recorder/1", "--", "echo $JUJU_MACHINE_ID")).trim()).toBe("1");
  });

  it("a removed unit's machine number is not given to the next unit", async () => {
    await model.ok("remove-unit", "recorder/1");
    await model.ok("add-unit", "recorder");
    const units = (await model.status()).applications.recorder!.units!;
    expect(Object.entries(units).map(([name, unit]) => [name, unit.machine])).toEqual([
      ["recorder/0", "0"],
      ["recorder/2", "2"],
    ]);
  });
});
