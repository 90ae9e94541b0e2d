import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Etcdctl, EtcdctlError, parseEtcdJson } from "../../src/etcd/etcdctl.js";
import { startSingleMember, type EtcdMember } from "../helpers/etcd-process.js";

let member: EtcdMember;
beforeAll(async () => {
  member = await startSingleMember("127.0.0.201");
});
afterAll(async () => {
  await member?.stop();
});

describe("etcdctl against a real etcd 3.4 member", () => {
  it("lists the member with its uint64 id intact", async () => {
    const [listed, ...others] = await new Etcdctl({ endpoints: [member.clientUrl] }).memberList();
    expect(others).toEqual([]);
    expect(listed).toMatchObject({ name: "etcd0", peerUrls: [member.peerUrl], clientUrls: [member.clientUrl], isLearner: false });
    expect(listed!.id).toMatch(/^[0-9]+$/);
    const [status] = await new Etcdctl({ endpoints: [member.clientUrl] }).endpointStatus();
    // The leader id etcd reports must equal the member id exactly: no double rounding.
    expect(status!.Status.leader).toBe(listed!.id);
    expect(status!.Status.version).toBe("3.4.23");
  });

  it("reports a healthy endpoint with its round trip", async () => {
    const [health] = await new Etcdctl({ endpoints: [member.clientUrl] }).endpointHealth();
    expect(health).toMatchObject({ endpoint: member.clientUrl, health: true });
    expect(health!.took).toMatch(/s$/);
  });

  it("promoting a voter is 'already-voting'; a learner that has not caught up is an error, not success", async () => {
    const client = new Etcdctl({ endpoints: [member.clientUrl] });
    const [voter] = await client.memberList();
    expect(await client.promote(voter!.id)).toBe("already-voting");
    const { added } = await client.addLearner("etcd-never-started", "http://127.0.0.230:2380");
    try {
      const error = await client.promote(added.id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EtcdctlError);
      expect((error as EtcdctlError).message).toContain("which is in sync with leader");
    } finally {
      await client.remove(added.id);
    }
    expect((await client.memberList()).map((m) => m.id)).toEqual([voter!.id]);
  });

  it("a member that does not answer is an EtcdctlError with etcdctl's reason", async () => {
    const error = await new Etcdctl({ endpoints: ["http://127.0.0.202:2379"], timeouts: { dialTimeoutMs: 300, commandTimeoutMs: 500 } })
      .memberList()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtcdctlError);
    expect((error as EtcdctlError).message).toMatch(/context deadline exceeded|connection refused/);
  });

  it("a missing etcdctl binary is reported as not installed", async () => {
    const error = (await new Etcdctl({ endpoints: [member.clientUrl], binary: "etcdctl-absent" }).memberList().catch((e: unknown) => e)) as EtcdctlError;
    expect(error.notInstalled).toBe(true);
  });
});

describe("lossless JSON", () => {
  it("keeps integers beyond 2^53 as decimal strings", () => {
    expect(parseEtcdJson('{"ID":13717492988206526783,"n":5}')).toEqual({ ID: "13717492988206526783", n: 5 });
  });
});
