import { rm } from "node:fs/promises";
import { applyHookTransition, commitCharmChanges, forgetUnit } from "./hook-commit.js";
import type { HookContext } from "./hook-context.js";
import { machineOf, rebootMachine } from "./machine-boot.js";
import type { HookProcessResult } from "./hook-runner.js";
import { statusRecord, type HookSpec, type ModelState, type UnitState } from "./state.js";
import type { ServiceManager } from "./systemd/service-manager.js";
import { unmountUnder } from "./storage-mounts.js";
import type { MachineNetwork } from "./network/model-network.js";
import { dropPartitionsOf } from "./network/partitions.js";

/**
 * The unit agent around a hook: the statuses Juju sets before it, and after it what its exit means: killed
 * (re-queued), failed (the unit is in error until the retry or `resolved`) or done (committed).
 */

const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 300_000;

/** Statuses Juju sets around hooks when the charm has not (contract §1.4). */
export function beforeHook(unit: UnitState, hook: HookSpec): void {
  const set = (current: string, message: string) => {
    unit.workload = statusRecord(current, message);
  };
  if (hook.name === "install" && !unit.statusSet) set("maintenance", "installing charm software");
  if (hook.name === "stop") set("maintenance", "stopping charm software");
  if (hook.name === "remove") set("maintenance", "cleaning up prior to charm deletion");
}

export async function finishHook(
  state: ModelState,
  services: ServiceManager,
  network: MachineNetwork,
  unit: UnitState,
  hook: HookSpec,
  context: HookContext,
  result: HookProcessResult,
): Promise<void> {
  if (result.signal === "SIGTERM" || result.signal === "SIGKILL") {
    // Killed (not failed): Juju re-queues the hook (ErrTerminated); nothing is committed. `juju-reboot --now`
    // kills it so: the machine reboots, then the hook runs again (contract §3.17).
    if (context.pending.reboot === "now") await rebootMachine(services, unit);
    unit.agent = statusRecord("idle");
    return;
  }
  if (result.exitCode !== 0 && unit.life === "dying" && unit.forceRemoval) {
    // remove-unit --force: the failed teardown is given up; the unit leaves its relations (the others see it
    // depart) and its machine goes, its remaining hooks skipped.
    forgetUnit(state, unit);
    await destroyMachine(state, services, network, unit);
    return;
  }
  if (result.exitCode !== 0) {
    const attempts = (unit.failed?.attempts ?? 0) + 1;
    const retry = state.modelConfig["automatically-retry-hooks"];
    // The automatic retry backs off: 5 s, doubling up to 5 min.
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempts - 1));
    unit.failed = { hook, attempts, retryAt: retry ? Date.now() + delay : null };
    unit.agent = statusRecord("error", `hook failed: "${hook.name}"`);
    unit.agent.data = {
      hook: hook.name,
      ...(hook.relationId !== undefined ? { "relation-id": hook.relationId } : {}),
      ...(hook.remoteUnit ? { "remote-unit": hook.remoteUnit } : {}),
    };
    return;
  }
  unit.failed = null;
  if (result.found) commitCharmChanges(state, unit, context);
  applyHookTransition(state, unit, hook);
  unit.agent = statusRecord("idle");
  if (hook.name === "start" && !unit.statusSet) unit.workload = statusRecord("unknown");
  if (hook.name === "stop") unit.workload = statusRecord("maintenance");
  if (hook.name === "remove") await destroyMachine(state, services, network, unit);
  // `juju-reboot` without --now: the machine reboots once the hook has committed (contract §3.17).
  else if (context.pending.reboot === "after") await rebootMachine(services, unit);
}

/**
 * `remove-unit --force --no-wait`: the unit goes at once, none of its teardown hooks run; it leaves its
 * relations (the other units see it depart) and its machine goes.
 */
export async function removeUnitAtOnce(state: ModelState, services: ServiceManager, network: MachineNetwork, unit: UnitState): Promise<void> {
  forgetUnit(state, unit);
  await destroyMachine(state, services, network, unit);
}

/** The unit's machine goes away with it: its services stop, its partitions, network and files are removed. */
async function destroyMachine(state: ModelState, services: ServiceManager, network: MachineNetwork, unit: UnitState): Promise<void> {
  await services.stopMachine(machineOf(unit));
  await dropPartitionsOf(state, network, unit);
  await network.removeMachine(unit.address);
  // Whatever is still mounted in the machine's root (storage) must not be removed through the mount.
  unmountUnder(unit.dir);
  await rm(unit.dir, { recursive: true, force: true });
}
