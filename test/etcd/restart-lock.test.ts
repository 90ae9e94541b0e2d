import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Etcdctl, LockNotTakenError } from "../../src/etcd/etcdctl.js";
import { LOCK_TTL_SECONDS, withRestartLock } from "../../src/etcd/restart-lock.js";
import { type EtcdMember, startSingleMember } from "../helpers/etcd-process.js";

/**
 * The restart lock against a real etcd 3.4 member: units take turns; a holder that stopped keeping its lease
 * alive frees it with the lease; a unit of an earlier revision holding `etcdctl lock` is waited for; and a unit
 * that cannot reach the cluster gives up at its deadline saying why.
 */

let member: EtcdMember;
beforeAll(async () => {
  member = await startSingleMember("127.0.0.206");
});
afterAll(async () => {
  await member?.stop();
});

const NAME = "etcd-charm/restart";
const here = () => Promise.resolve({ endpoints: [member.clientUrl], tls: undefined, etcdctl: "etcdctl" });

describe("the restart lock", () => {
  it("three units asking at once each get it, one at a time, and leave no key behind", async () => {
    const held: Array<[number, number]> = [];
    await Promise.all(
      [0, 1, 2].map((unit) =>
        withRestartLock(here, NAME, 60_000, async () => {
          const from = Date.now();
          await sleep(700);
          held.push([from, Date.now()]);
          return unit;
        }),
      ),
    );
    held.sort((a, b) => a[0] - b[0]);
    expect(held).toHaveLength(3);
    for (let i = 1; i < held.length; i++) expect(held[i]![0]).toBeGreaterThanOrEqual(held[i - 1]![1]);
    expect(await new Etcdctl({ endpoints: [member.clientUrl] }).createRevisions(`${NAME}/`)).toEqual([]);
  });

  it("a holder that died (its lease no longer kept alive) keeps the others out only until its lease expires", async () => {
    const etcd = new Etcdctl({ endpoints: [member.clientUrl] });
    const lease = await etcd.leaseGrant(3);
    expect(await etcd.createIfAbsent(`${NAME}/charm-lock`, "a killed hook", lease)).toBe(true);
    const asked = Date.now();
    const waited = await withRestartLock(here, NAME, 30_000, async () => Date.now() - asked);
    expect(waited).toBeGreaterThanOrEqual(1500);
    expect(waited).toBeLessThan(LOCK_TTL_SECONDS * 1000);
  });

  it("a unit of an earlier revision holding `etcdctl lock` is waited for, and the lock is taken once it lets go", async () => {
    const old = execa("etcdctl", [`--endpoints=${member.clientUrl}`, "lock", NAME, "sleep", "2"], { env: { ETCDCTL_API: "3" }, reject: false });
    // Until its key exists.
    const etcd = new Etcdctl({ endpoints: [member.clientUrl] });
    while ((await etcd.createRevisions(`${NAME}/`)).length === 0) await sleep(50);
    const earlierKeys = (await etcd.createRevisions(`${NAME}/`)).map((kv) => kv.key);
    // While this revision holds the lock, the earlier revision's key is gone: it let go first. (Its process may
    // exit a moment after it deleted the key, so the order of the two processes' ends proves nothing.)
    const heldWith = await withRestartLock(here, NAME, 30_000, async () => (await etcd.createRevisions(`${NAME}/`)).map((kv) => kv.key));
    expect(earlierKeys).toHaveLength(1);
    expect(heldWith).not.toContain(earlierKeys[0]);
    expect(heldWith).toHaveLength(1);
    expect((await old).exitCode).toBe(0);
  });

  it("gives up at its deadline, with why, when no member answers; `work` never runs", async () => {
    let ran = false;
    const nowhere = () => Promise.resolve({ endpoints: ["http://127.0.0.207:2379"], tls: undefined, etcdctl: "etcdctl" });
    const error = await withRestartLock(nowhere, NAME, 2000, async () => {
      ran = true;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockNotTakenError);
    expect((error as Error).message).toMatch(/^could not take the etcd lock "etcd-charm\/restart" within 2s \(.+\)$/);
    expect(ran).toBe(false);
  });
});
