import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalModelFixture, testCharm } from "./harness.js";

/**
 * What deploy accepts: a base the charm's manifest lists (in status and in the machine's /etc/os-release, issue 11,
 * item 4), and machine charms only.
 */
describe("deploy: bases, and machine charms only", () => {
  let model: LocalModelFixture;
  let charm: string;
  const unitRoot = (unit: string) => path.join(model.dir, "units", unit.replace("/", "-"), "root");

  beforeAll(async () => {
    // The recorder charm as charmcraft would pack it for two bases.
    charm = path.join(await mkdtemp(path.join(tmpdir(), "based-charm-")), "recorder");
    await cp(testCharm("recorder"), charm, { recursive: true });
    const manifest =
      'bases:\n  - name: ubuntu\n    channel: "22.04"\n    architectures: [amd64]\n  - name: ubuntu\n    channel: "24.04"\n    architectures: [amd64]\n';
    await writeFile(path.join(charm, "manifest.yaml"), manifest);
    model = await LocalModelFixture.create("127.0.20", 4);
  });
  afterAll(async () => {
    await model.destroy();
    await rm(path.dirname(charm), { recursive: true, force: true });
  });

  it("without --base, the charm's first base: in status and in the machine's /etc/os-release", async () => {
    await model.ok("deploy", charm, "first");
    const status = (await model.status()) as unknown as {
      applications: Record<string, { base: { name: string; channel: string }; units: Record<string, { machine: string }> }>;
      machines: Record<string, { base: { name: string; channel: string } }>;
    };
    expect(status.applications.first!.base).toEqual({ name: "ubuntu", channel: "22.04" });
    expect(status.machines[status.applications.first!.units["first/0"]!.machine]!.base).toEqual({ name: "ubuntu", channel: "22.04" });
    const osRelease = await readFile(path.join(unitRoot("first/0"), "etc", "os-release"), "utf8");
    expect(osRelease).toContain('VERSION_ID="22.04"');
    expect(osRelease).toContain("VERSION_CODENAME=jammy");
  });

  it("--base picks another base the manifest lists", async () => {
    await model.ok("deploy", charm, "second", "--base", "ubuntu@24.04");
    expect(await readFile(path.join(unitRoot("second/0"), "etc", "os-release"), "utf8")).toContain('VERSION_ID="24.04"');
  });

  it("a base the manifest does not list is refused, naming the ones it does; nothing is deployed", async () => {
    const refused = await model.run("deploy", charm, "third", "--base", "ubuntu@26.04");
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('base "ubuntu@26.04" is not supported by the charm; it supports ubuntu@22.04, ubuntu@24.04');
    expect(Object.keys((await model.status()).applications).sort()).toEqual(["first", "second"]);
  });

  it("a charm that declares containers (a Kubernetes charm) is refused, saying so", async () => {
    const k8s = path.join(path.dirname(charm), "k8s");
    await cp(charm, k8s, { recursive: true });
    const metadata = await readFile(path.join(k8s, "metadata.yaml"), "utf8");
    await writeFile(path.join(k8s, "metadata.yaml"), `${metadata}containers:\n  workload:\n    resource: workload-image\n`);
    const refused = await model.run("deploy", k8s, "pod");
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('charm "recorder" declares containers (workload): it is a Kubernetes charm, and the local model runs machine charms only');
    expect(Object.keys((await model.status()).applications).sort()).toEqual(["first", "second"]);
  });
});
