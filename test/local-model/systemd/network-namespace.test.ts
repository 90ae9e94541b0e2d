import { readFile, readlink, stat } from "node:fs/promises";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFixture, type ManagerFixture, waitFor } from "./fixture.js";

/**
 * A machine with a network namespace (the local model gives each unit's machine one, local-model/network/)
 * runs every command of its services in it, through `nsenter --net`, which replaces itself with the command:
 * the service's main PID is the command's. An "@" argv[0] survives the wrapper.
 */

let fixture: ManagerFixture;
const namespace = `lmtest-${process.pid}`;
const namespaceFile = `/run/netns/${namespace}`;
const systemctl = (...args: string[]) => fixture.manager.systemctl({ ...fixture.machine, networkNamespace: namespaceFile }, args);

beforeEach(async () => {
  fixture = await createFixture();
  await execa("ip", ["netns", "add", namespace]);
});
afterEach(async () => {
  await fixture.cleanup();
  await execa("ip", ["netns", "del", namespace]);
});

describe("services of a machine with a network namespace", () => {
  it("run in the machine's namespace, not the host's", async () => {
    await fixture.writeUnit("where.service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo net=$(stat -L -c %%i /proc/self/ns/net); ip -o link'\n");
    expect((await systemctl("start", "where")).code).toBe(0);
    const journal = await fixture.journal("where");
    expect(journal).toContain(`net=${(await stat(namespaceFile)).ino}`);
    // A fresh namespace has only its loopback, down.
    expect(journal).toMatch(/\]: 1: lo: <LOOPBACK> /);
    expect(journal).not.toMatch(/\]: 2: /);
  });

  it("keep the PID that was spawned, and an '@' argv[0], behind the nsenter and prlimit wrappers", async () => {
    await fixture.writeUnit("named.service", "[Service]\nLimitNOFILE=1024\nExecStart=@/bin/sleep my-sleeper 1000\n");
    expect((await systemctl("start", "named")).code).toBe(0);
    const pid = Number((await systemctl("show", "named", "--property=MainPID", "--value")).stdout.trim());
    expect(pid).toBeGreaterThan(0);
    // The wrappers replace themselves: the spawned PID ends up running sleep.
    await waitFor("sleep to replace its wrappers", async () => /\/sleep$/.test(await readlink(`/proc/${pid}/exe`)));
    expect((await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0")).toEqual(["my-sleeper", "1000", ""]);
    expect(await readlink(`/proc/${pid}/ns/net`)).toBe(`net:[${(await stat(namespaceFile)).ino}]`);
  });
});
