import { access, constants, readFile } from "node:fs/promises";
import path from "node:path";

/**
 * What giving each machine its own network namespace needs of the host: `ip` (iproute2) to make the
 * namespaces, links and routes, `nsenter` (util-linux) to run the machine's processes in them, and the
 * capabilities both need (CAP_NET_ADMIN for links and routes, CAP_SYS_ADMIN for the namespaces). Checked
 * before a model's controller starts, so that the model is refused with what is missing rather than
 * falling back to sharing the host's network.
 */

/** Where root's tools live (the CLI checks before the controller starts, and need not load the controller's code). */
const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

async function installed(name: string): Promise<boolean> {
  for (const dir of SYSTEM_PATH) {
    if (
      await access(path.join(dir, name), constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

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
  if (!(await installed("ip"))) missing.push("the `ip` command (apt-get install iproute2; scripts/setup.sh installs it)");
  if (!(await installed("nsenter"))) missing.push("the `nsenter` command (util-linux)");
  const capabilities = await effectiveCapabilities();
  const lacking = Object.entries(CAPABILITIES).filter(([, bit]) => (capabilities & (1n << bit)) === 0n);
  if (lacking.length > 0) missing.push(`${lacking.map(([name]) => name).join(" and ")} (run the local model as root)`);
  if (missing.length === 0) return undefined;
  return `cannot run the model: each machine gets its own network namespace, which needs ${missing.join(", ")}`;
}
