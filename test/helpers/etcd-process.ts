import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * A real single-member etcd on a loopback address, for tests of code that talks to etcd. Each test file
 * uses its own 127.0.0.x so files can run in parallel.
 */
export async function startSingleMember(
  address: string,
  name = "etcd0",
  options: { binary?: string; dataDir?: string; token?: string } = {},
): Promise<EtcdMember> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), `etcd-${name}-`)));
  const clientUrl = `http://${address}:2379`;
  const peerUrl = `http://${address}:2380`;
  const child: ChildProcess = spawn(
    options.binary ?? "etcd",
    [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${name}=${peerUrl}`,
      "--initial-cluster-state=new",
      ...(options.token ? [`--initial-cluster-token=${options.token}`] : []),
      "--log-level=error",
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGKILL");
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = await execa("etcdctl", [`--endpoints=${clientUrl}`, "--dial-timeout=500ms", "endpoint", "health"], { reject: false });
    if (probe.exitCode === 0) return { name, clientUrl, peerUrl, dataDir, stop };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  await stop();
  throw new Error(`etcd ${name} on ${address} did not become healthy`);
}
