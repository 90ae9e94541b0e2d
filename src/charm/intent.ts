import type { EventContext } from "../juju/context.js";
import { CLUSTER_ENDPOINT, DATA_ATTACHED_HOOK, DATA_DETACHING_HOOK, PRE_MACHINE_UPGRADE_HOOK, REPORT_ONLY_HOOKS, TEARDOWN_HOOKS } from "../names.js";
import type { HookIntent } from "./observed.js";

/**
 * Whether an event is one after which the unit only winds down, and which must never fail: the machine goes
 * away, or the data storage does (a detach Juju carries out whatever the hook says).
 */
export function isTeardown(event: EventContext): boolean {
  return event.kind === "hook" && ((TEARDOWN_HOOKS as readonly string[]).includes(event.name) || event.name === DATA_DETACHING_HOOK);
}

/**
 * What a hook asks of the unit, from the event alone: every lifecycle hook converges the same way, and the
 * event only says whether this unit is leaving, which peer left, and whether it may install.
 */
export function hookIntent(event: EventContext): HookIntent {
  const relation = event.kind === "hook" ? event.relation : undefined;
  const clusterDeparture = relation?.endpoint === CLUSTER_ENDPOINT && relation.kind === "departed";
  const selfDeparting = clusterDeparture && relation?.departingUnit === event.unit;
  return {
    departing: isTeardown(event) || selfDeparting,
    departedPeer: clusterDeparture && !selfDeparting ? relation?.remoteUnit : undefined,
    mayInstall: !(REPORT_ONLY_HOOKS as readonly string[]).includes(event.name),
    dataAttached: event.kind === "hook" && event.name === DATA_ATTACHED_HOOK,
    // A unit being removed runs relation-broken hooks, and relation-departed hooks naming itself as the departing
    // unit, for every relation, in no set order: from its view relations end one by one while they live on.
    relationBroken: relation?.kind === "broken" || (relation?.kind === "departed" && relation.departingUnit === event.unit),
    machineUpgradeTo: event.kind === "hook" && event.name === PRE_MACHINE_UPGRADE_HOOK ? (event.targetBase ?? "a newer base") : undefined,
  };
}
