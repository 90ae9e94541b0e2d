import { access, constants } from "node:fs/promises";
import { runProgram } from "../run-program.js";
import type { Logger } from "../log.js";
import type { EtcdFiles } from "./files.js";
import type { EtcdTools } from "./paths.js";
import type { SystemdService } from "./service.js";

export const ETCD_PACKAGES = ["etcd-server", "etcd-client"] as const;
const APT_ENV = { DEBIAN_FRONTEND: "noninteractive", PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" };
/** Wait for another apt or dpkg run (unattended-upgrades, cloud-init) instead of failing. */
const LOCK_WAIT = ["-o", "DPkg::Lock::Timeout=600", "-o", "Acquire::Retries=3"];

async function packagesInstalled(): Promise<boolean> {
  // dpkg-query's own format syntax, not a template string.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query expands ${Status} itself
  const result = await runProgram("dpkg-query", ["-W", "-f=${Status}\\n", ...ETCD_PACKAGES]);
  const lines = result.stdout.split("\n").filter(Boolean);
  return result.exitCode === 0 && lines.length === ETCD_PACKAGES.length && lines.every((line) => line.endsWith("install ok installed"));
}

async function aptInstall(log: Logger): Promise<void> {
  const install = () => runProgram("apt-get", ["install", "-y", "--no-install-recommends", ...LOCK_WAIT, ...ETCD_PACKAGES], { env: APT_ENV });
  let result = await install();
  if (result.exitCode !== 0 && /Unable to locate package|has no installation candidate/.test(result.stderr)) {
    log.info("package lists are stale; running apt-get update");
    const update = await runProgram("apt-get", ["update", ...LOCK_WAIT], { env: APT_ENV });
    if (update.exitCode !== 0) throw new Error(`apt-get update failed: ${update.stderr.trim().split("\n").pop() || update.reason}`);
    result = await install();
  }
  if (result.exitCode !== 0) throw new Error(`apt-get install ${ETCD_PACKAGES.join(" ")} failed: ${result.stderr.trim().split("\n").pop()}`);
}

/**
 * Installs etcd from the distribution so that its packaged service never runs a stray default member:
 * stopped if it already runs, masked before the package's postinst could start it. Our own unit later
 * replaces the mask.
 */
export async function installEtcd(files: EtcdFiles, service: SystemdService, log: Logger): Promise<void> {
  const [unitPathTaken, installed] = await Promise.all([files.unitPathTaken(), packagesInstalled()]);
  if (!unitPathTaken) {
    if (await service.isActive()) await service.stop();
    await service.mask();
  }
  if (!installed) await aptInstall(log);
}

/** "3.4.23" from `etcd --version`. */
export async function etcdVersion(tools: EtcdTools): Promise<string | undefined> {
  const result = await runProgram(tools.etcd, ["--version"]);
  return /etcd Version:\s*(\S+)/.exec(result.stdout)?.[1];
}

export async function etcdBinariesPresent(tools: EtcdTools): Promise<boolean> {
  const executable = (file: string) =>
    access(file, constants.X_OK).then(
      () => true,
      () => false,
    );
  const present = await Promise.all([tools.etcd, tools.etcdctl].map(executable));
  return present.every(Boolean);
}
