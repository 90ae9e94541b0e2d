import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm } from "./harness.js";

/**
 * Machines' bases and packages (interfaces §8.1, §8.2): each machine installs from its base's archive, and
 * upgrade-machine prepare/complete moves one machine to a newer base around pre- and post-series-upgrade.
 */
describe("machine bases: packages from the base's archive, and upgrade-machine", () => {
  let model: LocalModelFixture;
  let charm: string;
  const unitRoot = (unit: string) => path.join(model.dir, "units", unit.replace("/", "-"), "root");
  const onUnit = (unit: string, command: string) => model.ok("exec", "--unit", unit, "--", command);

  beforeAll(async () => {
    // The recorder charm (it prints each hook's environment) as charmcraft would pack it for 24.04 and 26.04.
    charm = path.join(await mkdtemp(path.join(tmpdir(), "based-charm-")), "recorder");
    await cp(testCharm("recorder"), charm, { recursive: true });
    await writeFile(
      path.join(charm, "manifest.yaml"),
      'bases:\n  - name: ubuntu\n    channel: "24.04"\n    architectures: [amd64]\n  - name: ubuntu\n    channel: "26.04"\n    architectures: [amd64]\n',
    );
    model = await LocalModelFixture.create("127.0.81", 4);
    await model.ok("deploy", charm, "rec", "-n", "2");
  });
  afterAll(async () => {
    await model.destroy();
    await rm(path.dirname(charm), { recursive: true, force: true });
  });

  it("apt-get install in a hook installs the base's etcd on that machine only, and dpkg-query reports it", async () => {
    // dpkg-query's own field syntax, not template strings.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query expands ${Status}
    expect(await onUnit("rec/0", "dpkg-query -W -f='${Status}' etcd-server; echo \" exit $?\"")).toBe(" exit 1");
    await onUnit("rec/0", "apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 etcd-server etcd-client");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query expands ${Package} and the others
    expect(await onUnit("rec/0", "dpkg-query -W -f='${Package} ${Version} ${Status}\\n' etcd-server etcd-client")).toBe(
      "etcd-server 3.4.23-4+b4 install ok installed\netcd-client 3.4.23-4+b4 install ok installed",
    );
    const version = await execa(path.join(unitRoot("rec/0"), "usr", "bin", "etcd"), ["--version"]);
    expect(version.stdout).toMatch(/^etcd Version: 3\.4\.23$/m);
    await expect(readFile(path.join(unitRoot("rec/1"), "var", "lib", "dpkg", "local-model-status.json"))).rejects.toThrow();
    const missing = await model.run("exec", "--unit", "rec/1", "--", "apt-get install -y etcd-server=9.9");
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain("E: Version '9.9' for 'etcd-server' was not found");
  });

  it("prepare refuses an older base, and a base the charm does not support without --force", async () => {
    const older = await model.run("upgrade-machine", "0", "prepare", "ubuntu@22.04");
    expect(older.stderr).toContain("machine 0 is on ubuntu@24.04: it can only be upgraded to a newer ubuntu base, not ubuntu@22.04");
    const unsupported = await model.run("upgrade-machine", "0", "prepare", "ubuntu@28.04");
    expect(unsupported.stderr).toContain("rec's charm does not support ubuntu@28.04 (it supports ubuntu@24.04, ubuntu@26.04)");
  });

  it("prepare runs pre-series-upgrade with the target base, then holds the machine's hooks and the leadership", async () => {
    await model.ok("upgrade-machine", "0", "prepare", "ubuntu@26.04");
    const pre = (await model.hookRuns("rec/0")).filter((run) => run.hook === "pre-series-upgrade");
    expect(pre.map((run) => [run.env.JUJU_TARGET_BASE, run.env.JUJU_TARGET_SERIES])).toEqual([["ubuntu@26.04", "resolute"]]);
    const machine = ((await model.status()) as unknown as { machines: Record<string, Record<string, unknown>> }).machines["0"];
    expect(machine?.["upgrade-series-status"]).toEqual({ target: "ubuntu@26.04", status: "prepare completed" });
    const before = (await model.hookRuns("rec/0")).length;
    await model.ok("config", "rec", "greeting=held");
    expect((await model.hookRuns("rec/0")).length).toBe(before);
    expect((await model.hookRuns("rec/1")).at(-1)?.hook).toBe("config-changed");
    const leader = Object.entries((await model.status()).applications.rec?.units ?? {}).find(([, unit]) => !unit.leader)?.[0] ?? "";
    expect((await model.run("elect", leader)).stderr).toContain('leadership of "rec" is pinned while one of its machines is being upgraded');
  });

  it("complete upgrades the machine's packages and OS, reboots it, runs post-series-upgrade, then the held hooks", async () => {
    const out = await model.run("upgrade-machine", "0", "complete");
    expect(out.exitCode, out.stderr).toBe(0);
    expect(out.stderr).toContain("upgraded etcd-server 3.4.23-4+b4 → 3.5.16-4");
    expect(await readFile(path.join(unitRoot("rec/0"), "etc", "os-release"), "utf8")).toContain('VERSION_ID="26.04"');
    expect((await execa(path.join(unitRoot("rec/0"), "usr", "bin", "etcd"), ["--version"])).stdout).toMatch(/^etcd Version: 3\.5\.16$/m);
    const hooks = (await model.hookRuns("rec/0")).map((run) => run.hook);
    expect(hooks.slice(hooks.indexOf("post-series-upgrade"))).toEqual(["post-series-upgrade", "config-changed"]);
    const status = (await model.status()) as unknown as { machines: Record<string, { base: unknown; "upgrade-series-status"?: unknown }> };
    expect(status.machines["0"]).toMatchObject({ base: { name: "ubuntu", channel: "26.04" } });
    expect(status.machines["0"]?.["upgrade-series-status"]).toBeUndefined();
    expect(status.machines["1"]).toMatchObject({ base: { name: "ubuntu", channel: "24.04" } });
  });

  it("set-application-base: new units get the new base; refresh refuses a charm without it", async () => {
    await model.ok("set-application-base", "rec", "ubuntu@26.04");
    await model.ok("add-unit", "rec");
    expect(await readFile(path.join(unitRoot("rec/2"), "etc", "os-release"), "utf8")).toContain('VERSION_ID="26.04"');
    const only24 = path.join(path.dirname(charm), "only-24");
    await cp(charm, only24, { recursive: true });
    await writeFile(path.join(only24, "manifest.yaml"), 'bases:\n  - name: ubuntu\n    channel: "24.04"\n    architectures: [amd64]\n');
    const refused = await model.run("refresh", "rec", "--path", only24);
    expect(refused.stderr).toContain('cannot refresh "rec": the charm does not support the application\'s base ubuntu@26.04 (it supports ubuntu@24.04)');
  });
});
