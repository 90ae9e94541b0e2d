import type { AppState, ModelState, StatusRecord, UnitState } from "./state.js";

/** The statuses `status` shows and `status-get` reports: a unit's, and its application's as Juju derives it. */

export interface StatusInfo {
  current: string;
  message?: string;
  since: string;
}

const info = (status: StatusRecord): StatusInfo => ({ current: status.current, ...(status.message ? { message: status.message } : {}), since: status.since });

/** What `juju status` shows for a unit: a failed hook shows as error in both columns (contract §1.4). */
export function unitStatuses(unit: UnitState): { workload: StatusInfo; agent: StatusInfo } {
  const agent = info(unit.agent);
  if (unit.failed) {
    const message = `hook failed: "${unit.failed.hook.name}"`;
    return { workload: { current: "error", message, since: unit.agent.since }, agent: { current: "error", message, since: unit.agent.since } };
  }
  return { workload: info(unit.workload), agent };
}

const SEVERITY = ["error", "blocked", "maintenance", "waiting", "active", "unknown", "terminated"];

/**
 * An application's status: the leader's if it set one, else the most severe of its units' (Juju derives it so for
 * `status` and for `status-get --application` alike, contract §3.10).
 */
export function applicationStatus(state: ModelState, app: AppState): StatusInfo {
  if (app.status.current !== "unknown") return info(app.status);
  const units = app.units
    .map((name) => state.units[name])
    .filter((u): u is UnitState => u !== undefined)
    .map((u) => unitStatuses(u).workload);
  units.sort((a, b) => SEVERITY.indexOf(a.current) - SEVERITY.indexOf(b.current));
  return units[0] ?? info(app.status);
}
