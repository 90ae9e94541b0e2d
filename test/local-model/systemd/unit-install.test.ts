import { lstat, mkdir, readlink, realpath, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFixture, type ManagerFixture } from "./fixture.js";

let fixture: ManagerFixture;
let unitDir: string;
beforeEach(async () => {
  fixture = await createFixture();
  unitDir = path.join(fixture.machine.root, "etc", "systemd", "system");
});
afterEach(async () => {
  await fixture.cleanup();
});

const SLEEPER = `/bin/sh -c 'exec sleep 1000'`;
const exists = (file: string) =>
  lstat(file).then(
    () => true,
    () => false,
  );

describe("enable and disable", () => {
  it("links the unit into its WantedBy= targets, relative so the link resolves inside the root too", async () => {
    const unitFile = await fixture.writeUnit(
      "demo.service",
      `[Service]\nExecStart=${SLEEPER}\n[Install]\nWantedBy=multi-user.target\nAlias=demo-alias.service\n`,
    );
    expect(await fixture.systemctl("is-enabled", "demo")).toEqual({ code: 1, stdout: "disabled\n", stderr: "" });

    const link = path.join(unitDir, "multi-user.target.wants", "demo.service");
    const enabled = await fixture.systemctl("enable", "demo");
    expect(enabled.code).toBe(0);
    expect(enabled.stderr).toContain(`Created symlink ${link} → ${unitFile}.`);
    expect(await readlink(link)).toBe("../demo.service");
    expect(await realpath(link)).toBe(await realpath(unitFile));
    expect(await exists(path.join(unitDir, "demo-alias.service"))).toBe(true);
    expect(await fixture.systemctl("is-enabled", "demo")).toEqual({ code: 0, stdout: "enabled\n", stderr: "" });
    expect(await fixture.property("demo", "UnitFileState")).toBe("enabled");
    // Enabling again changes nothing and says nothing.
    expect(await fixture.systemctl("enable", "demo")).toEqual({ code: 0, stdout: "", stderr: "" });

    const disabled = await fixture.systemctl("disable", "demo");
    expect(disabled.stderr).toContain(`Removed "${link}".`);
    expect(await exists(link)).toBe(false);
    expect(await exists(path.join(unitDir, "demo-alias.service"))).toBe(false);
    expect((await fixture.systemctl("is-enabled", "demo")).stdout).toBe("disabled\n");
  });

  it("enable --now starts the unit and disable --now stops it", async () => {
    await fixture.writeUnit("demo.service", `[Service]\nExecStart=${SLEEPER}\n[Install]\nWantedBy=multi-user.target\n`);
    expect((await fixture.systemctl("enable", "--now", "--quiet", "demo")).stderr).toBe("");
    expect((await fixture.systemctl("is-active", "demo")).stdout).toBe("active\n");
    await fixture.systemctl("disable", "--now", "demo");
    expect((await fixture.systemctl("is-active", "demo")).stdout).toBe("inactive\n");
  });

  it("reports static units and units that do not exist", async () => {
    await fixture.writeUnit("plain.service", `[Service]\nExecStart=${SLEEPER}\n`);
    expect(await fixture.systemctl("is-enabled", "plain")).toEqual({ code: 0, stdout: "static\n", stderr: "" });
    expect((await fixture.systemctl("enable", "plain")).stderr).toMatch(/^The unit files have no installation config/);
    expect(await fixture.systemctl("is-enabled", "absent")).toEqual({
      code: 1,
      stdout: "",
      stderr: "Failed to get unit file state for absent.service: No such file or directory\n",
    });
    expect(await fixture.systemctl("enable", "absent")).toEqual({
      code: 1,
      stdout: "",
      stderr: "Failed to enable unit: Unit file absent.service does not exist.\n",
    });
  });

  it("finds units in <root>/lib/systemd/system behind /etc, and /etc overrides lib", async () => {
    const libDir = path.join(fixture.machine.root, "lib", "systemd", "system");
    await mkdir(libDir, { recursive: true });
    await writeFile(
      path.join(libDir, "vendor.service"),
      `[Unit]\nDescription=From lib\n[Service]\nExecStart=${SLEEPER}\n[Install]\nWantedBy=multi-user.target\n`,
    );
    expect(await fixture.property("vendor", "Description")).toBe("From lib");
    expect((await fixture.systemctl("enable", "vendor")).code).toBe(0);
    expect(await realpath(path.join(unitDir, "multi-user.target.wants", "vendor.service"))).toBe(await realpath(path.join(libDir, "vendor.service")));

    await writeFile(path.join(libDir, "other.service"), `[Unit]\nDescription=From lib\n[Service]\nExecStart=${SLEEPER}\n`);
    await fixture.writeUnit("other.service", `[Unit]\nDescription=From etc\n[Service]\nExecStart=${SLEEPER}\n`);
    expect(await fixture.property("other", "Description")).toBe("From etc");
  });

  it("applies drop-ins after the unit file", async () => {
    await fixture.writeUnit("demo.service", `[Unit]\nDescription=Base\n[Service]\nExecStart=${SLEEPER}\nRestartSec=5\n`);
    await fixture.writeUnit("demo.service.d/10-fast.conf", "[Service]\nRestartSec=100ms\n");
    await fixture.writeUnit("demo.service.d/20-name.conf", "[Unit]\nDescription=Overridden\n");
    expect((await fixture.systemctl("show", "demo", "-p", "RestartUSec,Description")).stdout).toBe("RestartUSec=100ms\nDescription=Overridden\n");
    expect(await fixture.property("demo", "DropInPaths")).toBe(
      [path.join(unitDir, "demo.service.d", "10-fast.conf"), path.join(unitDir, "demo.service.d", "20-name.conf")].join(" "),
    );
  });
});

describe("mask and unmask", () => {
  it("masks with a /dev/null link, which start and enable refuse, and unmask removes it", async () => {
    const link = path.join(unitDir, "vendor.service");
    const libDir = path.join(fixture.machine.root, "lib", "systemd", "system");
    await mkdir(libDir, { recursive: true });
    await writeFile(path.join(libDir, "vendor.service"), `[Service]\nExecStart=${SLEEPER}\n[Install]\nWantedBy=multi-user.target\n`);

    expect((await fixture.systemctl("mask", "vendor")).stderr).toBe(`Created symlink ${link} → /dev/null.\n`);
    expect(await readlink(link)).toBe("/dev/null");
    expect(await fixture.systemctl("is-enabled", "vendor")).toEqual({ code: 1, stdout: "masked\n", stderr: "" });
    expect(await fixture.property("vendor", "LoadState")).toBe("masked");
    expect((await fixture.systemctl("start", "vendor")).stderr).toBe("Failed to start vendor.service: Unit vendor.service is masked.\n");
    expect((await fixture.systemctl("enable", "vendor")).stderr).toBe(`Failed to enable unit: Unit file ${link} is masked.\n`);

    expect((await fixture.systemctl("unmask", "vendor")).stderr).toBe(`Removed "${link}".\n`);
    expect(await exists(link)).toBe(false);
    expect((await fixture.systemctl("start", "vendor")).code).toBe(0);
  });

  it("does not replace a unit file in /etc, and masks a running unit without stopping it unless --now", async () => {
    await fixture.writeUnit("demo.service", `[Service]\nExecStart=${SLEEPER}\n`);
    expect(await fixture.systemctl("mask", "demo")).toMatchObject({
      code: 1,
      stderr: `Failed to mask unit: File ${path.join(unitDir, "demo.service")} already exists.\n`,
    });

    const libDir = path.join(fixture.machine.root, "lib", "systemd", "system");
    await mkdir(libDir, { recursive: true });
    await writeFile(path.join(libDir, "running.service"), `[Service]\nExecStart=${SLEEPER}\n`);
    await fixture.systemctl("start", "running");
    await fixture.systemctl("mask", "running");
    expect((await fixture.systemctl("is-active", "running")).stdout).toBe("active\n");
    await fixture.systemctl("unmask", "running");
    await fixture.systemctl("mask", "--now", "running");
    expect((await fixture.systemctl("is-active", "running")).stdout).toBe("inactive\n");
  });

  it("treats a /dev/null link in lib as masked too", async () => {
    const libDir = path.join(fixture.machine.root, "lib", "systemd", "system");
    await mkdir(libDir, { recursive: true });
    await symlink("/dev/null", path.join(libDir, "gone.service"));
    expect((await fixture.systemctl("is-enabled", "gone")).stdout).toBe("masked\n");
    expect((await fixture.systemctl("start", "gone")).code).toBe(1);
  });
});
