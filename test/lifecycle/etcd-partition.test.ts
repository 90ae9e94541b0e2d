import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import { type ClientCredentialFiles, LocalModelFixture } from "../local-model/harness.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";

oneClusterFileAtATime();

/**
 * A network partition of a real three-member etcd cluster of the packed charm, made with the local model's
 * `partition` verb (fault injection: each unit's machine has its own network namespace, see
 * local-model/network/). The majority keeps serving writes, the isolated member serves neither writes nor
 * linearizable reads, and once healed it catches up. etcdctl runs on the host, which reaches every member
 * throughout.
 */

const SUBNET = "127.0.31";
const charm = inject("packedCharms")["24.04/amd64"];
const endpoint = (unit: number) => `https://${SUBNET}.${11 + unit}:2379`;
/** The client-credentials action's identity, once the cluster exists. */
let credentials: ClientCredentialFiles;

interface Outcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function etcdctl(unit: number, ...args: string[]): Promise<Outcome> {
  const result = await execa("etcdctl", [`--endpoints=${endpoint(unit)}`, "--dial-timeout=2s", "--command-timeout=3s", ...tlsFlags(credentials), ...args], {
    env: { ETCDCTL_API: "3" },
    reject: false,
  });
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Retries until the command succeeds (a new raft leader may take an election); fails with its last error after `withinMs`. */
async function eventually(withinMs: number, attempt: () => Promise<Outcome>): Promise<Outcome> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const outcome = await attempt();
    if (outcome.exitCode === 0 || Date.now() > deadline) return outcome;
    await sleep(500);
  }
}

describe("a partitioned three-member etcd cluster, on the packed 24.04 charm and real etcd", { timeout: 300_000 }, () => {
  let model: LocalModelFixture;
  const duringPartition = ["during-1", "during-2", "during-3"];

  beforeAll(async () => {
    model = await LocalModelFixture.create(SUBNET, 11, ["--timeout", "300"]);
    await model.ok("deploy", charm, "-n", "3");
    credentials = await model.etcdClientCredentials();
    const units = (await model.status()).applications.etcd!.units!;
    for (const [name, unit] of Object.entries(units)) expect(unit["workload-status"].message, name).toMatch(/^3 members, healthy, raft leader etcd\/[0-2]$/);
    expect((await etcdctl(0, "put", "before-partition", "b")).exitCode).toBe(0);
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("while etcd/2 is cut off from the other two, the majority serves writes and the isolated member cannot", async () => {
    expect(await model.ok("partition", "etcd/2")).toBe("cut etcd/0 <-> etcd/2\ncut etcd/1 <-> etcd/2");
    for (const key of duringPartition) {
      const write = await eventually(30_000, () => etcdctl(0, "put", key, `value of ${key}`));
      expect(write.exitCode, write.stderr).toBe(0);
    }
    const majorityRead = await etcdctl(1, "get", "during-3", "--print-value-only", "--consistency=l");
    expect(majorityRead).toMatchObject({ exitCode: 0, stdout: "value of during-3" });

    const isolatedWrite = await etcdctl(2, "put", "isolated-write", "x");
    expect(isolatedWrite.exitCode).not.toBe(0);
    expect(isolatedWrite.stderr).toMatch(/context deadline exceeded|request timed out|no leader|leader changed/);
    const isolatedRead = await etcdctl(2, "get", "during-1", "--consistency=l");
    expect(isolatedRead.exitCode).not.toBe(0);
    // The host still reaches it: a serializable read answers from its own (stale) copy.
    expect(await etcdctl(2, "get", "before-partition", "--print-value-only", "--consistency=s")).toMatchObject({ exitCode: 0, stdout: "b" });
    expect(await etcdctl(2, "get", "during-1", "--print-value-only", "--consistency=s")).toMatchObject({ exitCode: 0, stdout: "" });
  });

  it("once healed, the isolated member catches up with every write of the partition and serves writes again", async () => {
    expect(await model.ok("heal")).toBe("healed etcd/0 <-> etcd/2\nhealed etcd/1 <-> etcd/2");
    const caughtUp = async (): Promise<Outcome> => {
      const read = await etcdctl(2, "get", "during", "--prefix", "--print-value-only", "--consistency=s");
      const expected = duringPartition.map((key) => `value of ${key}`).join("\n");
      return read.exitCode === 0 && read.stdout !== expected ? { ...read, exitCode: 1 } : read;
    };
    const read = await eventually(30_000, caughtUp);
    expect(read).toMatchObject({ exitCode: 0, stdout: duringPartition.map((key) => `value of ${key}`).join("\n") });
    const write = await eventually(30_000, () => etcdctl(2, "put", "after-heal", "h"));
    expect(write.exitCode, write.stderr).toBe(0);
    expect(await etcdctl(0, "get", "after-heal", "--print-value-only", "--consistency=l")).toMatchObject({ exitCode: 0, stdout: "h" });
    // The write the isolated member refused never happened.
    expect(await etcdctl(0, "get", "isolated-write", "--print-value-only")).toMatchObject({ exitCode: 0, stdout: "" });
  });
});
