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

/** How many lines of the service's log are searched for the reason it failed. */
const LOG_LINES = 20;

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
  const reason = lastErrorLine(await service.recentLog(LOG_LINES).catch(() => [])) ?? "no log lines";
  const counted = state.restarts > 0 ? `, restarted by systemd ${state.restarts} time${state.restarts === 1 ? "" : "s"}` : "";
  throw new ServiceFailedError(`etcd exits at start (${state.activeState}/${state.subState}${counted}): ${reason}`);
}

/**
 * Waits until etcd, just (re)started by the charm, listens on its client URL (a quick TCP probe), then until
 * `ready` succeeds, checking between tries that the service has not exited.
 */
export async function waitServing(world: WaitWorld, url: string, timeoutMs: number, ready: () => Promise<void>): Promise<void> {
  const { clock, etcd } = world;
  const deadline = clock.now() + timeoutMs;
  let probes = 0;
  while (!(await etcd.accepting(url)) && clock.now() < deadline) {
    // A probe every 50 ms; the service's state every 10 probes (a systemctl call each).
    if (++probes % 10 === 0) await checkServiceAlive(world);
    await clock.sleep(50);
  }
  for (;;) {
    try {
      await ready();
      return;
    } catch (error) {
      await checkServiceAlive(world);
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
