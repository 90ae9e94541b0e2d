import { createHash } from "node:crypto";
import { mkdtemp, readFile, stat, writeFile, mkdir, chmod, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { repoRoot } from "../scripts/build.js";
import { charmFileName, packCharms } from "../scripts/pack.js";
import { HOOK_HANDLERS } from "../src/dispatch.js";
import { extractCharmArchive, listCharmArchive } from "../local-model/charm-archive.js";
import { startSingleMember, type EtcdMember } from "./helpers/etcd-process.js";
import { FakeHookTools } from "./helpers/fake-hook-tools.js";

const charms = inject("packedCharms");
const defaultConfig = Object.fromEntries(
  Object.entries((parseYaml(await readFile(path.join(repoRoot, "config.yaml"), "utf8")) as { options: Record<string, { default: unknown }> }).options).map(
    ([name, option]) => [name, option.default],
  ),
);

describe("the packed charm (contract §6)", () => {
  it("writes one .charm per supported base and architecture, and none for 22.04 (interfaces §8.2: etcd 3.3, no learners)", () => {
    expect(Object.keys(charms).sort()).toEqual(["24.04/amd64", "24.04/arm64", "26.04/amd64", "26.04/arm64"]);
    expect(
      Object.values(charms)
        .map((file) => path.basename(file))
        .sort(),
    ).toEqual(["etcd_ubuntu-24.04-amd64.charm", "etcd_ubuntu-24.04-arm64.charm", "etcd_ubuntu-26.04-amd64.charm", "etcd_ubuntu-26.04-arm64.charm"]);
    expect(path.basename(charms["26.04/arm64"])).toBe(charmFileName("26.04/arm64"));
  });

  it("holds metadata, manifest, config, actions, dispatch, shims, templates, runtime and bundle with their modes", async () => {
    const entries = await listCharmArchive(charms["24.04/amd64"]);
    const modes = Object.fromEntries(entries.map((e) => [e.name, e.mode.toString(8)]));
    for (const file of [
      "metadata.yaml",
      "manifest.yaml",
      "config.yaml",
      "actions.yaml",
      "templates/etcd.service",
      "templates/etcd.conf.yml",
      "dist/charm-main.mjs",
    ]) {
      expect(modes[file], file).toBe("644");
    }
    for (const file of ["dispatch", "bin/node", "dist/charm.mjs", "actions/health", ...Object.keys(HOOK_HANDLERS).map((h) => `hooks/${h}`)]) {
      expect(modes[file], file).toBe("755");
    }
    expect(entries.filter((e) => e.name.includes("node_modules"))).toEqual([]);
    expect(entries.map((e) => e.name)).toEqual([...entries.map((e) => e.name)].sort());
  });

  it("declares its base and architecture in manifest.yaml", async () => {
    for (const [platform, file] of Object.entries(charms)) {
      const [channel, arch] = platform.split("/");
      const dir = await mkdtemp(path.join(tmpdir(), "charm-manifest-"));
      await extractCharmArchive(file, dir);
      const manifest = parseYaml(await readFile(path.join(dir, "manifest.yaml"), "utf8"));
      expect(manifest, platform).toEqual({ bases: [{ name: "ubuntu", channel, architectures: [arch] }] });
    }
  });

  it("same inputs give the same bytes", async () => {
    const again = await mkdtemp(path.join(tmpdir(), "repack-"));
    // One platform is enough: every charm is written by the same code from the same staged files.
    const [second24] = await packCharms(again, path.join(again, "stage"), ["24.04/amd64"]);
    const digest = async (file: string) =>
      createHash("sha256")
        .update(await readFile(file))
        .digest("hex");
    expect(await digest(second24!)).toBe(await digest(charms["24.04/amd64"]));
  }, 120_000);
});

describe("the dispatch entrypoint", () => {
  it("dispatch is a short POSIX sh script whose last token is an executable file (charmcraft entrypoint linter)", async () => {
    const lines = (await readFile(path.join(repoRoot, "dispatch"), "utf8")).trim().split("\n");
    expect(lines[0]).toBe("#!/bin/sh");
    expect(lines.length).toBeLessThanOrEqual(4);
    const lastToken = lines[lines.length - 1]!.split(/\s+/).pop()!;
    expect(lastToken).toBe("dist/charm.mjs");
  });
});

describe("the extracted 24.04 charm runs on its own runtime, with no usable node on the machine", () => {
  let charmDir: string;
  let poison: string;
  let unitRoot: string;
  let fake: FakeHookTools;
  let member: EtcdMember | undefined;

  beforeAll(async () => {
    charmDir = await mkdtemp(path.join(tmpdir(), "unit-charm-"));
    await extractCharmArchive(charms["24.04/amd64"], charmDir);
    // Every `node` on PATH is broken and leaves a mark if anything runs it.
    poison = await mkdtemp(path.join(tmpdir(), "no-node-"));
    await writeFile(path.join(poison, "node"), `#!/bin/sh\ntouch ${poison}/node-was-run\nexit 127\n`);
    await chmod(path.join(poison, "node"), 0o755);
  });
  afterAll(async () => {
    await member?.stop();
  });

  async function runEntrypoint(entry: string, env: Record<string, string>) {
    fake = await FakeHookTools.create();
    await fake.defineAll({
      "action-fail": {},
      "action-set": {},
      "status-set": {},
      "juju-log": {},
      "config-get": { stdout: `${JSON.stringify(defaultConfig)}\n` },
      "is-leader": { stdout: "true\n" },
      "leader-get": { stdout: "null\n" },
      "unit-get": { stdout: '"127.0.0.203"\n' },
      "relation-ids": { stdout: "[]\n" },
      "state-get": { stdout: "null\n" },
    });
    unitRoot ??= await mkdtemp(path.join(tmpdir(), "unit-root-"));
    const result = await execa(path.join(charmDir, entry), [], {
      cwd: charmDir,
      reject: false,
      extendEnv: false,
      env: { ...fake.env({}, `${poison}:/usr/bin:/bin`), JUJU_UNIT_NAME: "etcd/0", JUJU_CHARM_DIR: charmDir, UNIT_FS_ROOT: unitRoot, ...env },
    });
    await expect(stat(path.join(poison, "node-was-run"))).rejects.toThrow();
    return { ...result, calls: await fake.calls() };
  }

  it("actions/health via dispatch on a unit without etcd: action-fail with a reason, exit 0", async () => {
    const result = await runEntrypoint("dispatch", { JUJU_DISPATCH_PATH: "actions/health", JUJU_ACTION_NAME: "health", JUJU_ACTION_UUID: "1" });
    expect(result.exitCode).toBe(0);
    expect(result.calls).toEqual([
      { tool: "action-fail", args: ["--", "etcd is not running on etcd/0: etcd has not been configured on this unit yet"], stdin: "" },
    ]);
  });

  it("hooks/update-status via dispatch on a unit that never installed exits 0 and installs nothing", async () => {
    const result = await runEntrypoint("dispatch", { JUJU_DISPATCH_PATH: "hooks/update-status" });
    expect(result.exitCode).toBe(0);
    expect(result.calls.at(-1)).toEqual({ tool: "status-set", args: ["waiting", "--", "waiting for etcd to be installed"], stdin: "" });
    expect(result.calls.map((c) => c.tool)).not.toContain("application-version-set");
  });

  it("hooks/<name> works without dispatch support (no JUJU_DISPATCH_PATH, old Juju)", async () => {
    const result = await runEntrypoint("hooks/update-status", {});
    expect(result.exitCode).toBe(0);
    expect(result.calls.at(-1)?.tool).toBe("status-set");
  });

  it("a hook the charm does not handle exits 0 and calls no tool, as Juju treats a missing hook", async () => {
    const result = await runEntrypoint("dispatch", { JUJU_DISPATCH_PATH: "hooks/cluster-relation-broken" });
    expect(result.exitCode).toBe(0);
    expect(result.calls).toEqual([]);
  });

  it("a malformed environment fails the hook with one clear line", async () => {
    const result = await runEntrypoint("dispatch", { JUJU_DISPATCH_PATH: "hooks/db-relation-joined", JUJU_RELATION_ID: "db:1" });
    expect(result.exitCode).toBe(1);
    const ours = result.stderr.split("\n").filter((line) => line.startsWith("etcd charm:"));
    expect(ours).toEqual(['etcd charm: hooks/db-relation-joined failed: db-relation-joined: JUJU_REMOTE_APP "" is not an application name']);
  });

  it("the health action reports a real healthy member", async () => {
    member = await startSingleMember("127.0.0.203", "etcd0");
    await mkdir(path.join(unitRoot, "etc", "etcd"), { recursive: true });
    // The unit's etcd-client package: the charm runs etcdctl from under its machine's root (EtcdPaths.tools).
    await mkdir(path.join(unitRoot, "usr", "bin"), { recursive: true });
    await symlink("/usr/bin/etcdctl", path.join(unitRoot, "usr", "bin", "etcdctl"));
    await writeFile(
      path.join(unitRoot, "etc", "etcd", "etcd.conf.yml"),
      `name: etcd0\nadvertise-client-urls: ${member.clientUrl}\ninitial-advertise-peer-urls: ${member.peerUrl}\n`,
    );
    const result = await runEntrypoint("dispatch", { JUJU_DISPATCH_PATH: "actions/health", JUJU_ACTION_NAME: "health" });
    expect(result.exitCode).toBe(0);
    expect(result.calls.map((c) => c.tool)).toEqual(["action-set"]);
    const results = Object.fromEntries(result.calls[0]!.args.map((a) => a.split(/=(.*)/s).slice(0, 2) as [string, string]));
    expect(results).toMatchObject({
      verdict: "healthy",
      summary: "healthy: 1 member, raft leader etcd0",
      "raft-leader": "etcd0",
      "members.etcd0.client-url": member.clientUrl,
      "members.etcd0.healthy": "true",
      "members.etcd0.raft-leader": "true",
    });
    expect(Number(results["members.etcd0.db-size-bytes"])).toBeGreaterThan(0);
  });

  it("the health action fails with the reason when the member stops answering", async () => {
    await member!.stop();
    member = undefined;
    const result = await runEntrypoint("dispatch", { JUJU_DISPATCH_PATH: "actions/health", JUJU_ACTION_NAME: "health" });
    expect(result.exitCode).toBe(0);
    expect(result.calls.map((c) => c.tool)).toEqual(["action-fail"]);
    expect(result.calls[0]!.args[1]).toMatch(/^etcd is not running on etcd\/0: no answer from http:\/\/127\.0\.0\.203:2379 \(.+\)$/);
  });
});
