import { clientCredentialsAction } from "./actions/client-credentials.js";
import { healthAction } from "./actions/health.js";
import { alarmDisarmAction, alarmListAction, compactAction, defragAction } from "./actions/maintenance.js";
import { rotateCaAction } from "./actions/rotate-ca.js";
import { rebuildClusterAction } from "./actions/rebuild-cluster.js";
import { restoreAction } from "./actions/restore.js";
import { listSnapshotsAction, snapshotAction } from "./actions/snapshots.js";
import type { CharmRuntime, Handler } from "./charm/runtime.js";
import { lifecycleHook } from "./hooks/lifecycle.js";
import { type ActionName, HANDLED_HOOKS } from "./names.js";

/** Hooks the charm handles (src/names.ts lists them): every one converges the unit the same way. */
export const HOOK_HANDLERS: Readonly<Record<string, Handler>> = Object.fromEntries(HANDLED_HOOKS.map((hook) => [hook, lifecycleHook]));

/** Actions the charm implements: one handler for each name in src/names.ts (the type checker holds them in step). */
export const ACTION_HANDLERS: Readonly<Record<ActionName, Handler>> = {
  health: healthAction,
  "client-credentials": clientCredentialsAction,
  "rotate-ca": rotateCaAction,
  defrag: defragAction,
  compact: compactAction,
  "alarm-list": alarmListAction,
  "alarm-disarm": alarmDisarmAction,
  snapshot: snapshotAction,
  "list-snapshots": listSnapshotsAction,
  restore: restoreAction,
  "rebuild-cluster": rebuildClusterAction,
};

export type DispatchOutcome = "handled" | "ignored";

/**
 * Runs the handler for the event. A hook the charm does not handle is ignored, as Juju treats a missing
 * hook; an action without a handler is an error, as Juju fails an action it cannot find.
 */
export async function dispatch(charm: CharmRuntime): Promise<DispatchOutcome> {
  const { event } = charm;
  const handlers: Readonly<Record<string, Handler>> = event.kind === "hook" ? HOOK_HANDLERS : ACTION_HANDLERS;
  const handler = Object.hasOwn(handlers, event.name) ? handlers[event.name] : undefined;
  if (!handler) {
    if (event.kind === "action") throw new Error(`action "${event.name}" is not implemented by this charm`);
    charm.log.debug({ hook: event.name }, "hook not handled by this charm");
    return "ignored";
  }
  await handler(charm);
  return "handled";
}
