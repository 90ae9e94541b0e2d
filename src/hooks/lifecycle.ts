import { reconcile } from "../charm/reconcile.js";
import type { CharmRuntime } from "../charm/runtime.js";

/** Hooks after which the unit only winds down, and which must never fail (the last unit's teardown). */
const TEARDOWN = new Set(["stop", "remove"]);

/**
 * Every lifecycle hook converges the unit the same way (reconcile); the hook only says whether this unit
 * is leaving and which peer left.
 */
export async function lifecycleHook(charm: CharmRuntime): Promise<void> {
  const { event, log, tools } = charm;
  if (event.kind !== "hook") return;
  const relation = event.relation;
  const clusterDeparture = relation?.endpoint === "cluster" && relation.kind === "departed";
  const selfDeparting = clusterDeparture && relation.departingUnit === event.unit;
  const departing = TEARDOWN.has(event.name) || selfDeparting;
  const departedUnit = clusterDeparture && !selfDeparting ? relation.remoteUnit : undefined;
  if (!TEARDOWN.has(event.name)) {
    await reconcile(charm, { departing, mayInstall: event.name !== "update-status", ...(departedUnit ? { departedUnit } : {}) });
    return;
  }
  try {
    await reconcile(charm, { departing: true });
  } catch (error) {
    // Teardown must not fail: the machine goes away whatever happens; say what was left undone.
    const message = error instanceof Error ? error.message : String(error);
    log.error({ err: error }, "teardown step failed");
    await tools.jujuLog(`${event.name}: ${message}`, "WARNING").catch(() => undefined);
  }
}
