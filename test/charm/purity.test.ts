import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/build.js";

/** Every module `entry` loads, as esbuild resolves them: the files of this repository and the packages. */
async function importClosure(entry: string): Promise<{ files: string[]; packages: string[] }> {
  const result = await build({
    entryPoints: [path.join(repoRoot, entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  });
  const inputs = result.metafile.inputs;
  const packages = new Set(Object.values(inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path)));
  return { files: Object.keys(inputs).sort(), packages: [...packages].sort() };
}

describe("the decision core is pure", () => {
  it("decide's import closure holds no I/O module: only zod, yaml and node's path and util", async () => {
    const { packages } = await importClosure("src/charm/decide.ts");
    expect(packages).toEqual(["node:path", "node:util", "yaml", "zod"]);
  });

  it("decide's import closure holds no file that spawns, reads or connects (src/etcd's adapters, src/juju's tools)", async () => {
    const { files } = await importClosure("src/charm/decide.ts");
    const shell = files.filter((file) =>
      /src\/(juju\/|run-program\.ts|etcd\/(etcdctl|gateway|files|install|service|listening|cluster|machine|templates)\.ts|charm\/(act|observe|reconcile|runtime|juju-state|waits)\.ts)/.test(
        file,
      ),
    );
    expect(shell).toEqual([]);
    expect(files.every((file) => file.startsWith("src/"))).toBe(true);
  });

  it("the check itself sees I/O where there is some: the runtime's closure spawns, reads and connects", async () => {
    const { packages } = await importClosure("src/charm/runtime.ts");
    expect(packages).toEqual(expect.arrayContaining(["node:child_process", "node:fs/promises", "node:https", "node:net"]));
  });
});
