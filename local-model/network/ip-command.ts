import { execa } from "execa";
import { resolveExecutable } from "../systemd/exec-command.js";

/** Runs iproute2's `ip` (and commands inside a namespace through nsenter) for the model's network. */

export class NetworkCommandError extends Error {
  override readonly name = "NetworkCommandError";
}

function executable(name: string): string {
  const found = resolveExecutable(name);
  if (!found) throw new NetworkCommandError(`${name} is not installed`);
  return found;
}

/** `ip <args>`: its stdout; throws NetworkCommandError with ip's message when it fails. */
export async function ip(...args: string[]): Promise<string> {
  const result = await execa(executable("ip"), args, { reject: false });
  if (result.exitCode !== 0) throw new NetworkCommandError(`ip ${args.join(" ")}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  return result.stdout;
}

/** `ip <args>` where failing because the object is already gone is success (removal is idempotent). */
export async function ipRemove(...args: string[]): Promise<void> {
  await ip(...args).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (!/Cannot find device|No such file|No such process|does not exist|not found/i.test(message)) throw error;
  });
}

/** A shell command run inside the namespace file `namespace` (for /proc/sys/net, which is per namespace). */
export async function inNamespace(namespace: string, script: string): Promise<void> {
  const result = await execa(executable("nsenter"), [`--net=${namespace}`, "--", "/bin/sh", "-c", script], { reject: false });
  if (result.exitCode !== 0) throw new NetworkCommandError(`in ${namespace}: ${script}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
}
