import { readFile } from "node:fs/promises";
import { resolveExecutable } from "../systemd/exec-command.js";

/**
 * What giving each machine its own network namespace needs of the host: `ip` (iproute2) to make the
 * namespaces, links and routes, `nsenter` (util-linux) to run the machine's processes in them, and the
 * capabilities both need (CAP_NET_ADMIN for links and routes, CAP_SYS_ADMIN for the namespaces). Checked
 * before a model's controller starts, so that the model is refused with what is missing rather than
 * falling back to sharing the host's network.
 */

/** Capability numbers (linux/capability.h). */
const CAPABILITIES = { CAP_NET_ADMIN: 12n, CAP_SYS_ADMIN: 21n } as const;

async function effectiveCapabilities(): Promise<bigint> {
  const status = await readFile("/proc/self/status", "utf8").catch(() => "");
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex === undefined ? 0n : BigInt(`0x${hex}`);
}

/** Undefined when the host can give machines their own network; otherwise a message naming what is missing. */
export async function missingNetworkRequirements(): Promise<string | undefined> {
  const missing: string[] = [];
  if (!resolveExecutable("ip")) missing.push("the `ip` command (apt-get install iproute2; scripts/setup.sh installs it)");
  if (!resolveExecutable("nsenter")) missing.push("the `nsenter` command (util-linux)");
  const capabilities = await effectiveCapabilities();
  const lacking = Object.entries(CAPABILITIES).filter(([, bit]) => (capabilities & (1n << bit)) === 0n);
  if (lacking.length > 0) missing.push(`${lacking.map(([name]) => name).join(" and ")} (run the local model as root)`);
  if (missing.length === 0) return undefined;
  return `cannot run the model: each machine gets its own network namespace, which needs ${missing.join(", ")}`;
}
