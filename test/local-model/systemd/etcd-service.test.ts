import { chmod, chown, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applicableNoFileLimit } from "../../../local-model/systemd/service-process.js";
import { createFixture, isRunning, waitFor, type ManagerFixture } from "./fixture.js";

/** The address this file's etcd listens on; other test files use other 127.0.0.x addresses. */
const ADDRESS = "127.0.0.150";
const CLIENT_URL = `http://${ADDRESS}:2379`;
const PEER_URL = `http://${ADDRESS}:2380`;

const healthy = async () =>
  (await execa("etcdctl", [`--endpoints=${CLIENT_URL}`, "--dial-timeout=500ms", "--command-timeout=1s", "endpoint", "health"], { reject: false })).exitCode ===
  0;

/** The uid a process runs as, from /proc/<pid>/status. */
async function uidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

let fixture: ManagerFixture;
beforeAll(async () => {
  fixture = await createFixture("etcd/0");
});
afterAll(async () => {
  await fixture?.cleanup();
});

describe("the real etcd as a service", () => {
  it("runs etcd as User=etcd and brings it back healthy after a SIGKILL (Restart=always)", async () => {
    const { uid, gid } = await execa("id", ["-u", "etcd"]).then(async (user) => ({
      uid: Number(user.stdout),
      gid: Number((await execa("id", ["-g", "etcd"])).stdout),
    }));
    const dataDir = path.join(fixture.machine.root, "var", "lib", "etcd", "member-data");
    await mkdir(dataDir, { recursive: true });
    await chmod(dataDir, 0o700);
    await chown(path.dirname(dataDir), uid, gid);
    await chown(dataDir, uid, gid);
    // Shaped like the charm's unit: Type=notify, sandboxing settings this manager keeps but does not apply.
    await fixture.writeUnit(
      "etcd.service",
      [
        "[Unit]",
        "Description=etcd key-value store",
        "After=network-online.target",
        "StartLimitIntervalSec=0",
        "[Service]",
        "Type=notify",
        "User=etcd",
        "Group=etcd",
        `ExecStart=/usr/bin/etcd --name=etcd0 --data-dir=${dataDir} \\`,
        `  --listen-client-urls=${CLIENT_URL} --advertise-client-urls=${CLIENT_URL} \\`,
        `  --listen-peer-urls=${PEER_URL} --initial-advertise-peer-urls=${PEER_URL} \\`,
        `  --initial-cluster=etcd0=${PEER_URL} --initial-cluster-state=new --log-level=warn`,
        "Restart=always",
        "RestartSec=5",
        "TimeoutStopSec=10",
        "LimitNOFILE=65536",
        "ProtectSystem=full",
        `ReadWritePaths=${dataDir}`,
        "[Install]",
        "WantedBy=multi-user.target",
      ].join("\n"),
    );
    // A drop-in brings the restart delay down for the test.
    await fixture.writeUnit("etcd.service.d/10-test.conf", "[Service]\nRestartSec=100ms\n");

    expect(await fixture.systemctl("enable", "--now", "etcd")).toMatchObject({ code: 0 });
    await waitFor("etcd to be healthy", healthy, 20_000);
    const first = await fixture.mainPid("etcd");
    expect(await uidOf(first)).toBe(uid);
    // 65536, or the daemon's own hard limit where it may not raise it (a container without CAP_SYS_RESOURCE).
    const expectedLimit = applicableNoFileLimit({ soft: 65536, hard: 65536 }).limit!.hard;
    expect(await readFile(`/proc/${first}/limits`, "utf8")).toMatch(new RegExp(`^Max open files\\s+${expectedLimit}\\s+${expectedLimit}\\s+files`, "m"));

    process.kill(first, "SIGKILL");
    const second = await fixture.nextMainPid("etcd", first, 10_000);
    await waitFor("etcd to be healthy again", healthy, 20_000);
    expect(await fixture.property("etcd", "NRestarts")).toBe("1");
    expect(await uidOf(second)).toBe(uid);

    expect((await fixture.systemctl("stop", "etcd")).code).toBe(0);
    expect(isRunning(second)).toBe(false);
    expect(await fixture.property("etcd", "Result")).toBe("success");
  });
});
