import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localModelBin, testCharm } from "./harness.js";

/**
 * A model inside a private directory (`mktemp -d` makes it 0700) would leave every service that runs as its own
 * user unable to read its files ("permission denied" from etcd): the model refuses it at once, saying why.
 */
describe("a model directory the services' users cannot reach", () => {
  let parent: string;
  const cli = (...args: string[]) =>
    execa(process.execPath, [localModelBin, "-m", path.join(parent, "model"), "--subnet", "127.0.19", ...args], {
      reject: false,
      env: { NODE_EXTRA_CA_CERTS: "" },
    });

  beforeAll(async () => {
    parent = await mkdtemp(path.join(tmpdir(), "lm-private-"));
  });
  afterAll(async () => {
    await execa(process.execPath, [localModelBin, "-m", path.join(parent, "model"), "destroy"], { reject: false, env: { NODE_EXTRA_CA_CERTS: "" } });
    await rm(parent, { recursive: true, force: true });
  });

  it("is refused at once with the directory, its mode and the fix; no controller starts", async () => {
    const refused = await cli("deploy", testCharm("recorder"));
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(`${parent} is mode 0700, not searchable by others. Make it searchable (chmod o+x ${parent})`);
    expect(await readdir(path.join(parent, "model"))).toEqual([]);
  });

  it("once searchable, the same command deploys", async () => {
    await chmod(parent, 0o711);
    const deployed = await cli("deploy", testCharm("recorder"));
    expect(deployed.exitCode, deployed.stderr).toBe(0);
  });
});
