import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PackageArchive, MachinePackages } from "../../local-model/packages.js";
import { Etcdctl } from "../../src/etcd/etcdctl.js";
import { etcdPaths } from "../../src/etcd/paths.js";
import { restoreSnapshot } from "../../src/etcd/snapshot-restore.js";
import { snapshotTool } from "../../src/etcd/snapshot-tool.js";
import { snapshotStatus } from "../../src/etcd/snapshots.js";
import { type EtcdMember, startSingleMember } from "../helpers/etcd-process.js";

/**
 * `snapshot status` and `snapshot restore` with each base's own packages, as the local model's archive installs
 * them on a machine: etcdctl on 24.04 (etcd 3.4 has no etcdutl), etcdutl on 26.04 (3.5 moved both there,
 * interfaces §8.3). A snapshot of a real member of that version reads back, restores into a new data dir and
 * serves its keys from a member of the same version.
 */

const cases = [
  { base: "24.04", version: "3.4.23", tool: "etcdctl", addresses: ["127.0.0.232", "127.0.0.233"] },
  { base: "26.04", version: "3.5.16", tool: "etcdutl", addresses: ["127.0.0.234", "127.0.0.235"] },
] as const;

describe.each(cases)("snapshots with ubuntu@$base's etcd packages ($version)", ({ base, version, tool, addresses }) => {
  const members: EtcdMember[] = [];
  let work = "";
  afterAll(async () => {
    for (const member of members) await member.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(`status and restore go through ${tool}, and the restored member serves every key`, async () => {
    work = await mkdtemp(path.join(tmpdir(), `snapshot-tools-${base}-`));
    const root = path.join(work, "root");
    await new MachinePackages(new PackageArchive(), root).install({ name: "ubuntu", channel: base }, ["etcd-server", "etcd-client"]);
    const { tools } = etcdPaths(root);
    expect(path.basename(await snapshotTool(tools))).toBe(tool);

    const [first = "", second = ""] = addresses;
    const source = await startSingleMember(first, "etcd0", { binary: tools.etcd });
    members.push(source);
    const client = new Etcdctl({ endpoints: [source.clientUrl], binary: tools.etcdctl });
    expect((await client.endpointStatus())[0]?.Status.version).toBe(version);
    for (let i = 0; i < 20; i++) await client.put(`snap/${i}`, `value ${i}`);
    const file = path.join(work, "snapshot.db");
    await client.snapshotSave(file);

    const status = await snapshotStatus(file, tools);
    expect(status.revision).toBeGreaterThanOrEqual(21);
    const dataDir = path.join(work, "restored");
    await restoreSnapshot(file, { name: "etcd1", peerUrl: `http://${second}:2380`, clusterToken: "restored" }, dataDir, tools);
    const restored = await startSingleMember(second, "etcd1", { binary: tools.etcd, dataDir, token: "restored" });
    members.push(restored);
    const read = new Etcdctl({ endpoints: [restored.clientUrl], binary: tools.etcdctl });
    expect(await read.get("snap/19")).toBe("value 19");
    expect((await read.endpointStatus())[0]?.Status.header.revision).toBe(status.revision);
  });
});
