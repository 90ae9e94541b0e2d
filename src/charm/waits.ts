import type { EtcdCluster } from "../etcd/cluster.js";
import type { Machine } from "../etcd/machine.js";
import { lastErrorLine } from "../etcd/service.js";
import type { Clock } from "./runtime.js";

/** How the shell waits for etcd: retries on an injected clock, and a service that keeps failing noticed quickly. */

export interface WaitWorld {
  readonly etcd: EtcdCluster;
  readonly machine: Machine;
  readonly clock: Clock;
}

/** How long a membership change waits out etcd's "unhealthy cluster" before the hook fails. */
export const RECONFIGURATION_WAIT_MS = 120_000;

/**
 * The cluster's lock (an etcd key, src/etcd/restart-lock.ts): restarts and member removals take turns under it,
 * so that no two of them together take more members away than quorum allows.
 */
export const CLUSTER_LOCK = "etcd-charm/restart";

/** Retries `attempt` until it succeeds or `timeoutMs` passes; the last error is rethrown. */
export async function retry<T>(clock: Clock, timeoutMs: number, intervalMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (clock.now() + intervalMs > deadline) throw error;
      await clock.sleep(intervalMs);
    }
  }
}

/** etcd exited and systemd is restarting it (or gave up): waiting longer cannot help, the log says why. */
export class ServiceFailedError extends Error {
  override readonly name = "ServiceFailedError";
}

/** How often a wait looks at the service's state. */
const SERVICE_CHECK_INTERVAL_MS = 1000;
/** How many lines of the service's log are searched for the reason it failed. */
const LOG_LINES = 20;

/** The line of the service's recent log that says why it failed, if the log says anything. */
async function failureReason(world: WaitWorld): Promise<string | undefined> {
  return lastErrorLine(await world.machine.service.recentLog(LOG_LINES).catch(() => []));
}

/**
 * Throws ServiceFailedError when etcd's service has exited since the charm (re)started it: systemd counts a
 * restart (a manual start resets the count), is waiting to restart it, or marked it failed. A config etcd
 * cannot read crashes it at once; without this the hook would wait for health until its timeout.
 */
export async function checkServiceAlive(world: WaitWorld): Promise<void> {
  const { service } = world.machine;
  const state = await service.state();
  const exited = state.restarts > 0 || state.subState === "auto-restart" || state.activeState === "failed";
  if (!exited) return;
  const reason = (await failureReason(world)) ?? "no log lines";
  const counted = state.restarts > 0 ? `, restarted by systemd ${state.restarts} time${state.restarts === 1 ? "" : "s"}` : "";
  throw new ServiceFailedError(`etcd exits at start (${state.activeState}/${state.subState}${counted}): ${reason}`);
}

/**
 * Runs a systemctl start or restart; when systemd itself reports the job failed (real systemd does when
 * etcd exits before it says it is ready), the error names the reason from the service's log too.
 */
export async function startingService(world: WaitWorld, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    const reason = await failureReason(world);
    throw new ServiceFailedError(reason ? `${message}; etcd's log says: ${reason}` : (message ?? "systemctl failed"));
  }
}

/**
 * Waits until etcd, just (re)started by the charm, listens on its client URL (a quick TCP probe), then until
 * `ready` succeeds, checking between tries that the service has not exited.
 */
export async function waitServing(world: WaitWorld, url: string, timeoutMs: number, ready: () => Promise<void>): Promise<void> {
  const { clock, etcd } = world;
  const deadline = clock.now() + timeoutMs;
  // The service's state (a systemctl call) is looked at about once a second: cheap on the usual path,
  // and a service that exits at once is still noticed within a few seconds.
  let lastCheck = clock.now();
  const checkNowAndThen = async () => {
    if (clock.now() - lastCheck < SERVICE_CHECK_INTERVAL_MS) return;
    lastCheck = clock.now();
    await checkServiceAlive(world);
  };
  while (!(await etcd.accepting(url)) && clock.now() < deadline) {
    await checkNowAndThen();
    await clock.sleep(50);
  }
  for (;;) {
    try {
      await ready();
      return;
    } catch (error) {
      await checkNowAndThen();
      if (clock.now() + 100 > deadline) throw error;
      await clock.sleep(100);
    }
  }
}

export async function waitHealthy(world: WaitWorld, url: string, timeoutMs: number): Promise<void> {
  await waitServing(world, url, timeoutMs, async () => {
    const [health] = await world.etcd.healths([url]);
    if (!health?.health) throw new Error(`etcd at ${url} is not healthy yet${health?.error ? `: ${health.error}` : ""}`);
  });
}
