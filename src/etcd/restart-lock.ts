import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { startProgram } from "../run-program.js";
import { type ClientTls, ETCDCTL_TIMEOUTS, Etcdctl, LockNotTakenError, tlsFlags } from "./etcdctl.js";

/**
 * The cluster's restart lock: one key, created in a transaction only while it is absent, on a lease the holder
 * keeps alive while it works and revokes when done (a holder that dies frees it within the lease's TTL).
 * Waiters write nothing: they try again every second, each time through whichever members answer then and under
 * their current scheme. (etcdctl's own `lock` queues a waiter key per attempt; a waiter whose members moved
 * between http and https while it waited could not withdraw its key, and every later attempt queued behind it
 * until its 30 s session expired: a TLS switch on 3 units spent ~40 s waiting for nobody.)
 */

/** How long a holder that stops keeping its lease alive (a killed hook) keeps others waiting. */
export const LOCK_TTL_SECONDS = 20;
/** How often a waiter tries again. */
export const LOCK_POLL_MS = 1000;

/** Who holds the lock, as the key's value says (for operators reading it with etcdctl). */
const holderName = () => `${hostname()} pid ${process.pid}`;

export interface LockAttempt {
  /** The members to ask now, all under one scheme, and the client identity for https. */
  readonly endpoints: readonly string[];
  readonly tls: ClientTls | undefined;
  /** The etcdctl program (the one the machine's etcd-client package installed). */
  readonly etcdctl: string;
}

/**
 * One try: the lease if this unit now holds the lock, else undefined (someone else holds it). The key lives
 * under the prefix earlier revisions locked with `etcdctl lock <name>`, whose holder is the key under it created
 * first: so the lock is ours only while ours is that key, and a unit of an earlier revision (mid-refresh) waits
 * for ours as it would for its own kind.
 */
async function tryTake(attempt: LockAttempt, name: string): Promise<string | undefined> {
  const etcd = new Etcdctl({
    endpoints: attempt.endpoints,
    timeouts: ETCDCTL_TIMEOUTS.change,
    binary: attempt.etcdctl,
    ...(attempt.tls ? { tls: attempt.tls } : {}),
  });
  const key = `${name}/charm-lock`;
  const lease = await etcd.leaseGrant(LOCK_TTL_SECONDS);
  if (await etcd.createIfAbsent(key, holderName(), lease)) {
    const keys = await etcd.createRevisions(`${name}/`).catch(() => undefined);
    const ours = keys?.find((k) => k.key === key);
    if (ours && keys?.every((k) => k.key === key || k.createRevision > ours.createRevision)) return lease;
  }
  // An unused lease holds nothing; revoking it deletes our key if one of an earlier revision's came first.
  await etcd.leaseRevoke(lease).catch(() => undefined);
  return undefined;
}

/**
 * Runs `work` holding the lock `name`. `where` says, at each try, which members to ask (they may change scheme
 * while this unit waits); errors reaching them count as "not taken" until the deadline.
 */
export async function withRestartLock<T>(where: () => Promise<LockAttempt>, name: string, acquireTimeoutMs: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + acquireTimeoutMs;
  let lastError = "held by another unit";
  for (;;) {
    const attempt = await where();
    const lease = await tryTake(attempt, name).catch((error: unknown) => {
      lastError = error instanceof Error ? error.message : String(error);
      return undefined;
    });
    if (lease) return holding(attempt, lease, work);
    if (Date.now() >= deadline) throw new LockNotTakenError(`could not take the etcd lock "${name}" within ${acquireTimeoutMs / 1000}s (${lastError})`);
    await sleep(LOCK_POLL_MS);
  }
}

async function holding<T>(attempt: LockAttempt, lease: string, work: () => Promise<T>): Promise<T> {
  const keepAlive = startProgram(attempt.etcdctl, [`--endpoints=${attempt.endpoints.join(",")}`, ...tlsFlags(attempt.tls), "lease", "keep-alive", lease], {
    output: "ignore",
    env: { ETCDCTL_API: "3" },
  });
  try {
    return await work();
  } finally {
    keepAlive.kill("SIGTERM");
    await keepAlive.outcome;
    // Revoking deletes the key; if the members cannot be reached now, it goes when the lease expires.
    const etcd = new Etcdctl({
      endpoints: attempt.endpoints,
      timeouts: ETCDCTL_TIMEOUTS.change,
      binary: attempt.etcdctl,
      ...(attempt.tls ? { tls: attempt.tls } : {}),
    });
    await etcd.leaseRevoke(lease).catch(() => undefined);
  }
}
