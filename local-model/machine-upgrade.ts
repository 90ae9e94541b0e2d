import { writeFile } from "node:fs/promises";
import path from "node:path";
import { type Base, compareBases, formatBase, machineBase, manifestBases, osRelease, parseBase, supportsBase } from "./base.js";
import { machineOf, rebootMachine } from "./machine-boot.js";
import { ModelError } from "./model-error.js";
import { MachinePackages, type PackageArchive } from "./packages.js";
import { machineIdOf, type ModelState, type UnitState } from "./state.js";
import type { ServiceManager } from "./systemd/service-manager.js";

/**
 * `juju upgrade-machine <machine> prepare <base>` / `complete` (interfaces §8.1, Juju 3.x): prepare runs
 * pre-series-upgrade on every unit of the machine, after which its units run no other hook (actions still run)
 * and their applications' leadership stays where it is; complete upgrades the machine's OS here, as the operator
 * does between the two on a real machine (do-release-upgrade: every package from the new release's archive, so
 * etcd 3.4 becomes 3.5 going to 26.04, then a reboot), and runs post-series-upgrade.
 */

export interface MachineUpgradeChange {
  readonly units: string[];
  readonly from: string;
  readonly to: string;
  /** complete: the packages the OS upgrade replaced ("etcd-server 3.4.23-4+b4 → 3.5.16-4"). */
  readonly packages?: string[];
}

function unitsOnMachine(state: ModelState, machine: string): UnitState[] {
  const units = Object.values(state.units).filter((unit) => machineIdOf(unit) === machine);
  if (units.length === 0) throw new ModelError(`machine ${machine} not found`);
  return units;
}

/** Whether an application's leadership is pinned: one of its units' machines is between prepare and complete. */
export function leadershipPinned(state: ModelState, app: string): boolean {
  return Object.values(state.units).some((unit) => unit.app === app && unit.seriesUpgrade !== undefined);
}

export async function prepareMachineUpgrade(state: ModelState, machine: string, baseText: string, force: boolean): Promise<MachineUpgradeChange> {
  const target = parseBase(baseText);
  const units = unitsOnMachine(state, machine);
  const current = machineBase(state, units[0] ?? { app: "" });
  if (units.some((unit) => unit.seriesUpgrade)) throw new ModelError(`machine ${machine} is already being upgraded; run upgrade-machine ${machine} complete`);
  if (target.name !== current.name || compareBases(target, current) <= 0) {
    throw new ModelError(`machine ${machine} is on ${formatBase(current)}: it can only be upgraded to a newer ${current.name} base, not ${formatBase(target)}`);
  }
  if (!force) {
    for (const unit of units) {
      const app = state.applications[unit.app];
      const supported = app ? await manifestBases(app.charmDir) : [];
      if (!supportsBase(supported, target)) {
        throw new ModelError(
          `${unit.app}'s charm does not support ${formatBase(target)} (it supports ${supported.map(formatBase).join(", ")}): ` +
            `set-application-base and refresh it to a charm that does, or use --force`,
        );
      }
    }
  }
  for (const unit of units) unit.seriesUpgrade = { target, hook: "pre-series-upgrade" };
  return { units: units.map((unit) => unit.name), from: formatBase(current), to: formatBase(target) };
}

export async function completeMachineUpgrade(
  state: ModelState,
  services: ServiceManager,
  archive: PackageArchive,
  machine: string,
): Promise<MachineUpgradeChange> {
  const units = unitsOnMachine(state, machine);
  const upgrade = units[0]?.seriesUpgrade;
  if (!upgrade || units.some((unit) => unit.seriesUpgrade?.hook === "pre-series-upgrade")) {
    throw new ModelError(`machine ${machine} has no prepared upgrade: run upgrade-machine ${machine} prepare <base> first (and resolve its units' errors)`);
  }
  const from = formatBase(machineBase(state, units[0] ?? { app: "" }));
  const target: Base = { ...upgrade.target };
  const changed: string[] = [];
  // One machine, one root: the units of a machine share it here only as far as each has its own (one unit each).
  for (const unit of units) {
    const root = machineOf(unit).root;
    for (const change of await new MachinePackages(archive, root).upgradeTo(target)) {
      changed.push(`${change.name} ${change.from ?? "(none)"} → ${change.to}`);
    }
    await writeFile(path.join(root, "etc", "os-release"), osRelease(target));
    unit.base = { ...target };
    await rebootMachine(services, unit);
    unit.seriesUpgrade = { target, hook: "post-series-upgrade" };
  }
  return { units: units.map((unit) => unit.name), from, to: formatBase(target), packages: changed };
}
