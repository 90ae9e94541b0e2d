import { healthAction } from "./actions/health.js";
import type { CharmRuntime, Handler } from "./charm/runtime.js";
import { lifecycleHook } from "./hooks/lifecycle.js";

const LIFECYCLE_HOOKS = [
  "install",
  "config-changed",
  "start",
  "stop",
  "remove",
  "upgrade-charm",
  "update-status",
  "leader-elected",
  "leader-settings-changed",
  ...["created", "joined", "changed", "departed"].map((kind) => `cluster-relation-${kind}`),
  ...["db", "proxy"].flatMap((endpoint) => ["created", "joined", "changed", "departed", "broken"].map((kind) => `${endpoint}-relation-${kind}`)),
];

/** Hooks the charm handles. hooks/ holds a shim for exactly these (a test keeps the two in step). */
export const HOOK_HANDLERS: Readonly<Record<string, Handler>> = Object.fromEntries(LIFECYCLE_HOOKS.map((hook) => [hook, lifecycleHook]));

/** Actions the charm implements; actions.yaml declares exactly these. */
export const ACTION_HANDLERS: Readonly<Record<string, Handler>> = {
  health: healthAction,
};

export type DispatchOutcome = "handled" | "ignored";

/**
 * Runs the handler for the event. A hook the charm does not handle is ignored, as Juju treats a missing
 * hook; an action without a handler is an error, as Juju fails an action it cannot find.
 */
export async function dispatch(charm: CharmRuntime): Promise<DispatchOutcome> {
  const { event } = charm;
  const handlers = event.kind === "hook" ? HOOK_HANDLERS : ACTION_HANDLERS;
  const handler = Object.hasOwn(handlers, event.name) ? handlers[event.name] : undefined;
  if (!handler) {
    if (event.kind === "action") throw new Error(`action "${event.name}" is not implemented by this charm`);
    charm.log.debug({ hook: event.name }, "hook not handled by this charm");
    return "ignored";
  }
  await handler(charm);
  return "handled";
}
