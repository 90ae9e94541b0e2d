import type { CharmRuntime } from "../charm/runtime.js";
import { clientUrls, readRenderedConfig } from "../etcd/config-file.js";
import { Etcdctl, EtcdctlError, firstErrorLine } from "../etcd/etcdctl.js";

/** Re-checks the local member and reports what it finds; never fails the hook over etcd's state. */
export async function updateStatus({ event, tools, paths }: CharmRuntime): Promise<void> {
  const config = await readRenderedConfig(paths.configFile);
  if (!config) {
    await tools.statusSet("waiting", "etcd is not configured on this unit yet");
    return;
  }
  const urls = clientUrls(config);
  try {
    const [health] = await new Etcdctl({ endpoints: urls }).endpointHealth();
    if (health?.health) {
      await tools.statusSet("active", `member ${config.name} healthy`);
    } else {
      await tools.statusSet("blocked", `member ${config.name} unhealthy: ${health?.error ?? "no answer"}`);
    }
  } catch (error) {
    if (!(error instanceof EtcdctlError)) throw error;
    const reason = error.notInstalled ? "etcdctl is not installed" : `no answer from ${urls.join(", ")}: ${firstErrorLine(error.stderr)}`;
    await tools.statusSet("blocked", `member ${config.name} on ${event.unit} is down: ${reason}`);
  }
}
