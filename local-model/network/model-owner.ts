import { readdir, readFile } from "node:fs/promises";
import { ip } from "./ip-command.js";
import { NETNS_DIR, networkNames } from "./network-names.js";

/**
 * Which controller a model's bridge belongs to, kept in the bridge's alias: a controller killed outright (an
 * interrupted test run, `kill -9`) leaves its bridge, namespaces and routes behind, and a later model on the
 * same subnet can then tell that leftover apart from a model that is alive.
 */

const ALIAS = /^local-model controller pid=(\d+) start=(\d+)$/;

/**
 * A running process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), so that a reused
 * pid differs; undefined for no process or a zombie (field 3 "Z": killed, not yet reaped).
 */
async function startTicks(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ")".
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields?.[0] === "Z" ? undefined : fields?.[19];
}

/** The alias that names this process as the bridge's controller. */
export async function ownerAlias(): Promise<string> {
  return `local-model controller pid=${process.pid} start=${(await startTicks(process.pid)) ?? 0}`;
}

/**
 * Whether the bridge `device` is a leftover: a model's bridge whose recorded controller is no longer running
 * and in whose machines' namespaces no process is left. A bridge with no record, or anything else, is not.
 */
export async function isAbandonedModelBridge(device: string): Promise<boolean> {
  const id = /^lmb([0-9a-f]{8})$/.exec(device)?.[1];
  if (id === undefined) return false;
  const alias = ALIAS.exec((await readFile(`/sys/class/net/${device}/ifalias`, "utf8").catch(() => "")).trim());
  if (!alias) return false;
  const [, pid = "", start = ""] = alias;
  if ((await startTicks(Number(pid))) === start) return false;
  const namespaces = (await readdir(NETNS_DIR).catch(() => [] as string[])).filter((name) => name.startsWith(networkNames(id).namespacePrefix));
  for (const namespace of namespaces) if ((await ip("netns", "pids", namespace)).trim() !== "") return false;
  return true;
}
