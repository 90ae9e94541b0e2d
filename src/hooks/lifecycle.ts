import { isTeardown } from "../charm/intent.js";
import { reconcile } from "../charm/reconcile.js";
import type { CharmRuntime } from "../charm/runtime.js";

/**
 * Every lifecycle hook converges the unit the same way (reconcile). Teardown hooks never fail: the machine
 * goes away whatever happens, so what was left undone is logged instead.
 */
export async function lifecycleHook(charm: CharmRuntime): Promise<void> {
  const { event, log, tools } = charm;
  if (event.kind !== "hook") return;
  if (!isTeardown(event)) {
    await reconcile(charm);
    return;
  }
  try {
    await reconcile(charm);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error({ err: error }, "teardown step failed");
    await tools.jujuLog(`${event.name}: ${message}`, "WARNING").catch(() => undefined);
  }
}
