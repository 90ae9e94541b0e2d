import { mkdtemp, open, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { extractCharmArchive } from "../local-model/charm-archive.js";
import { repoRoot } from "../scripts/build.js";
import { runtimeNode } from "../scripts/pack.js";
import { FakeHookTools } from "./helpers/fake-hook-tools.js";

/**
 * The arm64 charms run here under user-mode emulation: Debian's qemu-aarch64 (package qemu-user), with Debian's
 * arm64 C and C++ runtimes (libc6-arm64-cross, libstdc++6-arm64-cross) as the emulated machine's libraries.
 * Without binfmt_misc the kernel cannot exec an aarch64 file, so dispatch's own command line (`exec ./bin/node
 * dist/charm.mjs` with its environment) is run under qemu-aarch64, in the charm dir as dispatch does.
 */
const charms = inject("packedCharms");
const SYSROOT = "/usr/aarch64-linux-gnu";
const qemu = (args: string[], options: { cwd?: string; extendEnv?: boolean; env?: Record<string, string> } = {}) =>
  execa("qemu-aarch64", ["-L", SYSROOT, ...args], { reject: false, ...options });
const defaultConfig = Object.fromEntries(
  Object.entries((parseYaml(await readFile(path.join(repoRoot, "config.yaml"), "utf8")) as { options: Record<string, { default: unknown }> }).options).map(
    ([name, option]) => [name, option.default],
  ),
);

/** e_machine of an ELF file: 183 is EM_AARCH64, 62 EM_X86_64. */
async function elfMachine(file: string): Promise<number> {
  const handle = await open(file, "r");
  try {
    const header = Buffer.alloc(20);
    await handle.read(header, 0, 20, 0);
    expect(header.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    return header.readUInt16LE(18);
  } finally {
    await handle.close();
  }
}

describe.each(["24.04", "26.04"])("the %s arm64 charm", (base) => {
  let charmDir: string;

  beforeAll(async () => {
    charmDir = await mkdtemp(path.join(tmpdir(), `charm-arm64-${base}-`));
    await extractCharmArchive(charms[`${base}/arm64` as keyof typeof charms], charmDir);
  });

  it("carries an aarch64 bin/node of the same pinned version as the amd64 charm", async () => {
    expect(await elfMachine(path.join(charmDir, "bin", "node"))).toBe(183);
    const arm = await qemu([path.join(charmDir, "bin", "node"), "-p", "process.version + ' ' + process.arch"]);
    const x64 = await execa(runtimeNode("amd64"), ["-p", "process.version"]);
    expect(arm.exitCode).toBe(0);
    expect(arm.stdout).toBe(`${x64.stdout} arm64`);
  });

  async function runDispatch(dispatchPath: string) {
    const fake = await FakeHookTools.create();
    await fake.defineAll({
      "status-set": {},
      "juju-log": {},
      "config-get": { stdout: `${JSON.stringify(defaultConfig)}\n` },
      "is-leader": { stdout: "true\n" },
      "leader-get": { stdout: "null\n" },
      "unit-get": { stdout: '"127.0.0.204"\n' },
      "relation-ids": { stdout: "[]\n" },
      "state-get": { stdout: "null\n" },
    });
    // dispatch: `cd "${0%/*}"`, then `NODE_COMPILE_CACHE=.node-compile-cache exec ./bin/node --single-threaded dist/charm.mjs`.
    const dispatch = (await readFile(path.join(charmDir, "dispatch"), "utf8")).trim().split("\n");
    expect(dispatch.at(-1)).toBe("NODE_COMPILE_CACHE=.node-compile-cache exec ./bin/node --single-threaded dist/charm.mjs");
    const unitRoot = await mkdtemp(path.join(tmpdir(), "unit-root-arm64-"));
    const result = await qemu(["./bin/node", "--single-threaded", "dist/charm.mjs"], {
      cwd: charmDir,
      extendEnv: false,
      env: {
        ...fake.env({}, "/usr/bin:/bin"),
        NODE_COMPILE_CACHE: ".node-compile-cache",
        JUJU_UNIT_NAME: "etcd/0",
        JUJU_CHARM_DIR: charmDir,
        JUJU_DISPATCH_PATH: dispatchPath,
        UNIT_FS_ROOT: unitRoot,
      },
    });
    return { ...result, calls: await fake.calls() };
  }

  it("runs an event it ignores: exit 0, no hook tool called", async () => {
    const result = await runDispatch("hooks/cluster-relation-broken");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.calls).toEqual([]);
  });

  it("runs update-status on a unit that never installed: waiting, nothing installed", async () => {
    const result = await runDispatch("hooks/update-status");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.calls.at(-1)).toEqual({ tool: "status-set", args: ["waiting", "--", "waiting for etcd to be installed"], stdin: "" });
    expect(result.calls.map((c) => c.tool)).not.toContain("application-version-set");
  });
});
