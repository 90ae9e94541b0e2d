import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm } from "./harness.js";

/** status-get --application derives the application's status as `status` does (contract §3.10). */
describe("the application status a leader reads is the one status shows", () => {
  let model: LocalModelFixture;
  let leader = "";
  let followers: string[] = [];
  const onUnit = (unit: string, command: string) => model.ok("exec", "--unit", unit, "--", command);
  const applicationStatus = async () =>
    JSON.parse(await onUnit(leader, "status-get --application --include-data --format=json")) as {
      "application-status": { status: string; message: string; "status-data": Record<string, unknown> };
    };

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.15", 3);
    await model.ok("deploy", testCharm("recorder"), "-n", "3");
    const units = Object.entries((await model.status()).applications.recorder!.units!);
    leader = units.find(([, unit]) => unit.leader)![0];
    followers = units.filter(([, unit]) => !unit.leader).map(([name]) => name);
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("never set by the leader: the most severe of the units' statuses, with its message", async () => {
    await onUnit(followers[0]!, "status-set active ready");
    await onUnit(followers[1]!, "status-set blocked 'needs a hand'");
    expect((await applicationStatus())["application-status"]).toMatchObject({ status: "blocked", message: "needs a hand", "status-data": {} });
    expect((await model.status()).applications.recorder!["application-status"]).toMatchObject({ current: "blocked", message: "needs a hand" });
    expect((await onUnit(leader, "status-get --application")).trim()).toBe("blocked");
  });

  it("set by the leader: that status, in status-get and status alike", async () => {
    await onUnit(leader, "status-set --application active 'all good'");
    expect((await applicationStatus())["application-status"]).toMatchObject({ status: "active", message: "all good" });
    expect((await model.status()).applications.recorder!["application-status"]).toMatchObject({ current: "active", message: "all good" });
  });
});
