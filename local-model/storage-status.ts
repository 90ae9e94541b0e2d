import { textTable } from "./text-table.js";
import type { ModelState, StorageInstance } from "./state.js";
import { machineIdOf } from "./state.js";
import { formatSizeMiB } from "./storage-spec.js";
import { jujuTime } from "./status.js";

/**
 * `juju storage` (and the `storage` key of `status --format=json`) for the model's instances, in the shape of
 * juju's CombinedStorage (interfaces §7.5). Only the `storage` map is produced: the filesystem and volume
 * entries' details are unverified (interfaces §11.6).
 */

const idNumber = (id: string) => Number(id.slice(id.indexOf("/") + 1));

function sorted(state: ModelState): StorageInstance[] {
  return Object.values(state.storage ?? {}).sort((a, b) => idNumber(a.id) - idNumber(b.id));
}

const statusOf = (instance: StorageInstance) => (instance.unit === null ? "detached" : instance.detaching ? "detaching" : "attached");

/** `{"storage": {"data/0": {kind, life, status, persistent, attachments?}}}`, or {} with no storage. */
export function storageJson(state: ModelState): Record<string, unknown> {
  const instances = sorted(state);
  if (instances.length === 0) return {};
  const storage: Record<string, unknown> = {};
  for (const instance of instances) {
    const unit = instance.unit === null ? undefined : state.units[instance.unit];
    storage[instance.id] = {
      kind: instance.kind,
      life: "alive",
      status: { current: statusOf(instance), since: jujuTime(instance.since) },
      // rootfs/tmpfs/loop storage lives and dies with the machine in Juju.
      persistent: false,
      ...(unit
        ? { attachments: { units: { [unit.name]: { machine: machineIdOf(unit), location: instance.location, life: instance.detaching ? "dying" : "alive" } } } }
        : {}),
    };
  }
  return { storage };
}

/** The tabular `juju storage`. */
export function storageTable(state: ModelState): string {
  const instances = sorted(state);
  if (instances.length === 0) return "No storage to display.\n";
  const rows = [["Unit", "Storage ID", "Type", "Pool", "Mountpoint", "Size", "Status", "Message"]];
  for (const instance of instances) {
    rows.push([instance.unit ?? "", instance.id, instance.kind, instance.pool, instance.location, formatSizeMiB(instance.sizeMiB), statusOf(instance), ""]);
  }
  return `${textTable(rows)}\n`;
}
