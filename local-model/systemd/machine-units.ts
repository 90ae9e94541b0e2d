import path from "node:path";
import { ServiceUnit } from "./service-unit.js";
import type { UnitView } from "./show-properties.js";
import { unitFileState } from "./unit-install.js";
import { tailLines, UnitLog } from "./unit-log.js";
import { loadUnit, unitFingerprint, type LoadedUnit, type Machine } from "./unit-lookup.js";
import { idleSnapshot } from "./unit-state.js";

/**
 * The units the service manager has loaded on one machine, and their logs: loading on first use,
 * daemon-reload, and the view of a unit that `show`, `status` and `list-units` render.
 */

/** A unit's log file: <stateDir>/logs/<machine>/<unit>.log, "/" in the machine's name becoming "-". */
export function unitLogFile(stateDir: string, machine: Machine, unitName: string): string {
  return path.join(stateDir, "logs", machine.name.replaceAll("/", "-"), `${unitName}.log`);
}

/** The last `lines` lines of a unit's log (all when undefined), each ending in a newline; `log` is flushed first. */
export async function readJournal(file: string, log: UnitLog | undefined, lines?: number): Promise<string> {
  await log?.flush();
  const tail = await tailLines(file, lines);
  return tail.map((line) => `${line}\n`).join("");
}

export class MachineUnits {
  readonly units = new Map<string, ServiceUnit>();
  readonly logs = new Map<string, UnitLog>();

  constructor(
    /** Replaced on every call: the machine as the caller knows it now. */
    public machine: Machine,
    private readonly stateDir: string,
    /** Called whenever a unit's processes change. */
    private readonly processesChanged: () => void,
  ) {}

  logFor(unitName: string): UnitLog {
    let log = this.logs.get(unitName);
    if (!log) {
      log = new UnitLog(unitLogFile(this.stateDir, this.machine, unitName));
      this.logs.set(unitName, log);
    }
    return log;
  }

  journal(unitName: string, lines?: number): Promise<string> {
    return readJournal(unitLogFile(this.stateDir, this.machine, unitName), this.logs.get(unitName), lines);
  }

  /**
   * The unit as the manager has it loaded; a unit not loaded yet (or not found before) is read from disk.
   * Returns the load result alone for a unit that is not found.
   */
  async resolve(name: string): Promise<{ unit: ServiceUnit | undefined; loaded: LoadedUnit }> {
    const known = this.units.get(name);
    if (known && known.loaded.loadState !== "not-found") return { unit: known, loaded: known.loaded };
    const loaded = await loadUnit(this.machine, name);
    const current = this.units.get(name);
    if (current) {
      current.replaceLoaded(loaded);
      return { unit: current, loaded };
    }
    if (loaded.loadState === "not-found") return { unit: undefined, loaded };
    const log = this.logFor(name);
    for (const warning of loaded.warnings) log.note(name, warning);
    const unit = new ServiceUnit({ machine: this.machine, log, processesChanged: this.processesChanged }, loaded);
    this.units.set(name, unit);
    return { unit, loaded };
  }

  async needsDaemonReload(unit: ServiceUnit): Promise<boolean> {
    return unit.loaded.loadState !== "not-found" && unit.loaded.fingerprint !== (await unitFingerprint(this.machine, unit.name));
  }

  /** daemon-reload: every loaded unit is read again; running processes are left as they are. */
  async reload(): Promise<void> {
    for (const [name, unit] of this.units) {
      const loaded = await loadUnit(this.machine, name);
      if (loaded.loadState === "not-found" && unit.activeState === "inactive") {
        this.units.delete(name);
        continue;
      }
      for (const warning of loaded.warnings) this.logFor(name).note(name, warning);
      unit.replaceLoaded(loaded);
    }
  }

  async view(name: string): Promise<UnitView> {
    const { unit, loaded } = await this.resolve(name);
    return {
      snapshot: unit ? unit.snapshot() : idleSnapshot(loaded),
      unitFileState: await unitFileState(this.machine, name),
      needDaemonReload: unit ? await this.needsDaemonReload(unit) : false,
    };
  }
}
