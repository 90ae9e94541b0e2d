import { statusRecord, type UnitState } from "./state.js";

/** A new unit's record: not installed, nothing seen yet, its agent allocating (contract §5.2). */
export function newUnitState(name: string, app: string, number: number, dir: string, address: string, charmRevision: number): UnitState {
  return {
    name,
    app,
    number,
    address,
    life: "alive",
    dir,
    charmRevision,
    installed: false,
    started: false,
    leaderElectedRun: false,
    leaderSettingsSeen: -1,
    configSeen: null,
    queued: [],
    failed: null,
    workload: statusRecord("waiting", "agent initialising"),
    agent: statusRecord("allocating"),
    statusSet: false,
    workloadVersion: "",
    relations: {},
    charmState: {},
    ports: [],
    actions: [],
    lastUpdateStatus: Date.now(),
  };
}
