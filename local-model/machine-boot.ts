import { readdir } from "node:fs/promises";
import path from "node:path";
import type { UnitState } from "./state.js";
import { namespacePath } from "./network/network-names.js";
import type { Machine, ServiceManager } from "./systemd/service-manager.js";

/** A unit's machine as the service manager knows it: its name, its filesystem root and its network namespace. */
export const machineOf = (unit: Pick<UnitState, "name" | "dir" | "namespace">): Machine => ({
  name: unit.name,
  root: path.join(unit.dir, "root"),
  ...(unit.namespace ? { networkNamespace: namespacePath(unit.namespace) } : {}),
});

/** A machine boots: the services enabled for multi-user.target start, as systemd starts them at boot. */
export async function bootMachine(services: ServiceManager, unit: Pick<UnitState, "name" | "dir" | "namespace">): Promise<void> {
  const wants = path.join(unit.dir, "root", "etc", "systemd", "system", "multi-user.target.wants");
  const enabled = await readdir(wants).catch(() => [] as string[]);
  if (enabled.length > 0) await services.systemctl(machineOf(unit), ["start", ...enabled]);
}

/**
 * juju-reboot (contract §3.17): every service of the machine stops, then the machine boots again. The machine
 * keeps its network namespace, as a rebooted machine keeps its address.
 */
export async function rebootMachine(services: ServiceManager, unit: Pick<UnitState, "name" | "dir" | "namespace">): Promise<void> {
  await services.stopMachine(machineOf(unit));
  await bootMachine(services, unit);
}
