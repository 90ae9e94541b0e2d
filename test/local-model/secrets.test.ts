import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HookRun, LocalModelFixture, probeOutput, testCharm } from "./harness.js";

/**
 * Juju secrets end to end (contract §3.19, §4, §5.1, §5.9; interfaces §6): the secret-keeper charm deployed as
 * `owner` (two units) and `consumer`, related owner:vault–consumer:client, plus an unrelated `stranger`.
 * Charm-side steps run as `exec` (a hook context whose writes commit when it exits 0, like `juju exec`).
 */

describe("secrets in the local model (interfaces §6)", () => {
  let model: LocalModelFixture;
  let leader: string;
  let follower: string;

  /** Runs a command in a hook context of the unit; its stdout, trimmed, once the model is idle again. */
  const exec = async (unit: string, command: string): Promise<string> => {
    const out = await model.ok("exec", "--unit", unit, "--", command);
    await model.ok("wait");
    return out.trim();
  };
  const execResult = (unit: string, command: string) => model.run("exec", "--unit", unit, "--", command);
  const hooksNamed = async (unit: string, hook: string): Promise<HookRun[]> => (await model.hookRuns(unit)).filter((run) => run.hook === hook);

  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.23", 5);
    await model.ok("deploy", testCharm("secret-keeper"), "owner", "-n", "2");
    await model.ok("deploy", testCharm("secret-keeper"), "consumer");
    await model.ok("deploy", testCharm("secret-keeper"), "stranger");
    await model.ok("integrate", "owner:vault", "consumer:client");
    const units = (await model.status()).applications.owner?.units ?? {};
    leader = Object.keys(units).find((name) => units[name]?.leader) ?? "";
    follower = Object.keys(units).find((name) => !units[name]?.leader) ?? "";
  }, 120_000);
  afterAll(async () => {
    await model.destroy();
  });

  it("a consumer sees secret-changed and the new revision only after --refresh; --peek shows it without moving the pin (§6.1, §6.2)", async () => {
    const uri = await exec(leader, "secret-add --label creds password=one");
    expect(uri).toMatch(/^secret:[0-9a-v]{20}$/);
    await exec(leader, `secret-grant ${uri} -r "$(relation-ids vault)"`);
    expect(await exec("consumer/0", `secret-get ${uri} --label upstream`)).toBe("password: one");

    await exec(leader, `secret-set ${uri} password=two`);
    const [changed, ...more] = await hooksNamed("consumer/0", "secret-changed");
    expect(more).toEqual([]);
    expect(changed?.env).toEqual({ JUJU_SECRET_ID: uri, JUJU_SECRET_LABEL: "upstream" });
    // In the hook, a plain secret-get still returns the revision the consumer is pinned to.
    expect(changed?.entry.stdout).toContain('pinned={"password":"one"}');
    // The leader never read it, so it tracks no revision and gets no secret-changed.
    expect(await hooksNamed(leader, "secret-changed")).toEqual([]);

    expect(await exec("consumer/0", `secret-get ${uri}`)).toBe("password: one");
    expect(await exec("consumer/0", `secret-get ${uri} --peek`)).toBe("password: two");
    expect(await exec("consumer/0", `secret-get --label upstream`)).toBe("password: one");
    expect(await exec("consumer/0", `secret-get ${uri} --refresh`)).toBe("password: two");
    expect(await exec("consumer/0", `secret-get ${uri} password`)).toBe("two");

    // Revision 1 is now tracked by nobody: secret-remove reaches the owner's leader, not its other unit (§6.2).
    const [removal] = await hooksNamed(leader, "secret-remove");
    expect(removal?.env).toEqual({ JUJU_SECRET_ID: uri, JUJU_SECRET_LABEL: "creds", JUJU_SECRET_REVISION: "1" });
    expect(await hooksNamed(follower, "secret-remove")).toEqual([]);
    expect(await exec(leader, `secret-remove ${uri} --revision 1 && secret-info-get ${uri} --format=json`)).toBe(
      `{"${uri.slice(7)}":{"revision":2,"label":"creds","owner":"application","rotation":"never","access":[{"target":"application-consumer","scope":"relation-owner.vault#consumer.client","role":"view"}]}}`,
    );
  }, 60_000);

  it("a non-leader cannot add or change an application secret, but reads it and hears of its new revisions (§3.19, §6.1, §6.2)", async () => {
    const failed = await execResult(follower, "secret-add a-key=1");
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toBe("ERROR this unit is not the leader");
    const uri = await exec(leader, "secret-add --label team a-key=shared");
    expect(await exec(follower, `secret-get ${uri} a-key`)).toBe("shared");
    const denied = await execResult(follower, `secret-set ${uri} a-key=mine`);
    expect(denied.stderr).toBe("ERROR permission denied");
    // Tracking it, the follower gets secret-changed for the leader's new revision, by the owner's label.
    await exec(leader, `secret-set ${uri} a-key=again`);
    const changed = (await hooksNamed(follower, "secret-changed")).map((run) => run.env);
    expect(changed).toEqual([{ JUJU_SECRET_ID: uri, JUJU_SECRET_LABEL: "team" }]);
    expect(await exec(follower, "secret-add --owner unit a-key=own")).toMatch(/^secret:/);
  }, 60_000);

  it('an ungranted unit gets "permission denied", an unknown secret "not found" (§3.19, §6.5)', async () => {
    const uri = await exec(leader, "secret-add a-key=private");
    const denied = await execResult("stranger/0", `secret-get ${uri}`);
    expect([denied.exitCode, denied.stderr]).toEqual([1, "ERROR permission denied"]);
    const unknown = await execResult("stranger/0", "secret-get secret:aaaaaaaaaaaaaaaaaaaa");
    expect([unknown.exitCode, unknown.stderr]).toEqual([1, 'ERROR secret "aaaaaaaaaaaaaaaaaaaa" not found']);
  }, 60_000);

  it("revoking takes access away, and so does removing the relation: grants are relation-scoped (§6.1)", async () => {
    const uri = await exec(leader, "secret-add a-key=scoped");
    await exec(leader, `secret-grant ${uri} -r "$(relation-ids vault)"`);
    expect(await exec("consumer/0", `secret-get ${uri} a-key`)).toBe("scoped");
    await exec(leader, `secret-revoke ${uri} -r "$(relation-ids vault)"`);
    expect((await execResult("consumer/0", `secret-get ${uri}`)).stderr).toBe("ERROR permission denied");

    await exec(leader, `secret-grant ${uri} -r "$(relation-ids vault)"`);
    expect(await exec("consumer/0", `secret-get ${uri} a-key`)).toBe("scoped");
    await model.ok("remove-relation", "owner", "consumer");
    expect((await execResult("consumer/0", `secret-get ${uri}`)).stderr).toBe("ERROR permission denied");
    await model.ok("integrate", "owner:vault", "consumer:client");
    expect((await execResult("consumer/0", `secret-get ${uri}`)).stderr).toBe("ERROR permission denied");
  }, 90_000);

  it("user secrets: add-secret, a type: secret option, grant-secret, update-secret firing secret-changed; content shown only with --reveal (§6.6)", async () => {
    const uri = await model.ok("add-secret", "dbpass", "password=hunter2", "--info", "the db password");
    expect(uri).toMatch(/^secret:[0-9a-v]{20}$/);
    const id = uri.slice("secret:".length);
    const listed = JSON.parse(await model.ok("secrets", "--format", "json"));
    expect(listed[id]).toEqual({
      revision: 1,
      name: "dbpass",
      owner: "<model>",
      description: "the db password",
      created: expect.any(String),
      updated: expect.any(String),
    });
    expect(JSON.stringify(JSON.parse(await model.ok("show-secret", "dbpass", "--format", "json")))).not.toContain("hunter2");
    expect(JSON.parse(await model.ok("show-secret", uri, "--reveal", "--format", "json"))[id].content).toEqual({ password: "hunter2" });

    const bad = await model.run("config", "consumer", "credentials=hunter2");
    expect(bad.stderr).toContain('option "credentials" expected secret URI, got "hunter2"');
    await model.ok("config", "consumer", `credentials=${uri}`);
    const read = `secret-get "$(config-get credentials)" password`;
    expect((await execResult("consumer/0", read)).stderr).toBe("ERROR permission denied");
    await model.ok("grant-secret", "dbpass", "consumer");
    expect(await exec("consumer/0", read)).toBe("hunter2");

    await model.ok("update-secret", "dbpass", "password=correct-horse");
    const changed = (await hooksNamed("consumer/0", "secret-changed")).filter((run) => run.env.JUJU_SECRET_ID === uri);
    expect(changed.map((run) => run.env)).toEqual([{ JUJU_SECRET_ID: uri, JUJU_SECRET_LABEL: "" }]);
    expect(await exec("consumer/0", `${read} --refresh`)).toBe("correct-horse");
    expect(JSON.parse(await model.ok("secrets", "--format", "json"))[id].revision).toBe(2);
    expect(await model.ok("secrets")).toMatch(new RegExp(`^${id}\\s+dbpass\\s+<model>\\s+never\\s+2\\s`, "m"));
  }, 90_000);

  it("secret-expired reaches the owner once the revision's expiry passed, with its revision (§6.2)", async () => {
    const uri = await exec(leader, "secret-add --label short-lived --expire 2s a-key=1");
    let expired: HookRun[] = [];
    for (let i = 0; i < 100 && expired.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expired = (await hooksNamed(leader, "secret-expired")).filter((run) => run.env.JUJU_SECRET_ID === uri);
    }
    expect(expired.map((run) => run.env)).toEqual([{ JUJU_SECRET_ID: uri, JUJU_SECRET_LABEL: "short-lived", JUJU_SECRET_REVISION: "1" }]);
  }, 60_000);

  it("a failed hook's secret-add leaves no secret (contract §4, interfaces §6.6)", async () => {
    const before = Object.keys(JSON.parse(await model.ok("secrets", "--format", "json")));
    const failedExec = await execResult(leader, "secret-add --label lost a-key=1; exit 3");
    expect(failedExec.stdout).toMatch(/^secret:[0-9a-v]{20}$/);
    await model.ok("config", "owner", "probe-hook=config-changed", "probe=secret-add --label also-lost a-key=1", "fail-hook=config-changed");
    const failedHook = (await hooksNamed(leader, "config-changed")).at(-1);
    expect(failedHook?.entry.exitCode).toBe(1);
    expect(probeOutput(failedHook?.entry.stdout ?? "")[0]).toMatch(/^secret:[0-9a-v]{20}$/);
    expect(Object.keys(JSON.parse(await model.ok("secrets", "--format", "json")))).toEqual(before);
  }, 60_000);
});
