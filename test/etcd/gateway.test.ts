import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MachinePackages, PackageArchive } from "../../local-model/packages.js";
import { goDurationMs } from "../../src/domain/go-duration.js";
import { etcdctlCluster } from "../../src/etcd/cluster.js";
import { Etcdctl } from "../../src/etcd/etcdctl.js";
import { EtcdGateway, EtcdGatewayError } from "../../src/etcd/gateway.js";
import { etcdPaths } from "../../src/etcd/paths.js";
import { createCa } from "../../src/tls/pki.js";
import { type EtcdMember, startSingleMember } from "../helpers/etcd-process.js";
import { type CredentialFiles, type EtcdProcess, startTlsMember, writeCredentials } from "../helpers/tls-etcd.js";

/**
 * The questions a hook asks of every member (member list, status, health) go to etcd's v3 JSON gateway, not
 * through etcdctl (src/etcd/gateway.ts). Its answers must read exactly as etcdctl's do, on etcd 3.4 and 3.5
 * (etcd-on-this-machine.md: both serve the gateway on the client URLs when enable-grpc-gateway is on).
 */

const OBSERVE = { timeouts: { dialTimeoutMs: 1000, commandTimeoutMs: 2000 } };
let work = "";
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "gateway-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const versions = [
  { version: "3.4.23", base: "24.04", address: "127.0.0.236" },
  { version: "3.5.16", base: "26.04", address: "127.0.0.237" },
] as const;

describe.each(versions)("the gateway of a real etcd $version member reads as etcdctl does", ({ version, base, address }) => {
  let member: EtcdMember;
  let etcdctlBinary = "";
  beforeAll(async () => {
    // Each base's own packages, as the local model's archive installs them on a machine.
    const root = path.join(work, `root-${base}`);
    await new MachinePackages(new PackageArchive(), root).install({ name: "ubuntu", channel: base }, ["etcd-server", "etcd-client"]);
    const { tools } = etcdPaths(root);
    etcdctlBinary = tools.etcdctl;
    member = await startSingleMember(address, "etcd0", { binary: tools.etcd });
  });
  afterAll(async () => {
    await member?.stop();
  });

  it("the member list is etcdctl's, a learner that never started included (no name, no client URL)", async () => {
    const etcdctl = new Etcdctl({ endpoints: [member.clientUrl], binary: etcdctlBinary });
    const { added } = await etcdctl.addLearner("etcd-never-started", "http://127.0.0.239:2380");
    try {
      const listed = await new EtcdGateway(undefined).memberList(member.clientUrl, OBSERVE);
      expect(listed).toEqual(await etcdctl.memberList());
      expect(listed.find((m) => m.id === added.id)).toEqual({ id: added.id, name: "", peerUrls: ["http://127.0.0.239:2380"], clientUrls: [], isLearner: true });
    } finally {
      await etcdctl.remove(added.id);
    }
  });

  it("the status names the version, and the leader by the member's own uint64 id, digit for digit", async () => {
    const gateway = new EtcdGateway(undefined);
    const [self] = await gateway.memberList(member.clientUrl, OBSERVE);
    const status = await gateway.status(member.clientUrl, OBSERVE);
    const [fromEtcdctl] = await new Etcdctl({ endpoints: [member.clientUrl], binary: etcdctlBinary }).endpointStatus();
    expect(status.Endpoint).toBe(member.clientUrl);
    expect(status.Status.version).toBe(version);
    expect(status.Status.leader).toBe(self!.id);
    expect(status.Status.header.member_id).toBe(self!.id);
    expect(status.Status.errors).toEqual([]);
    expect(status.Status.dbSize).toBe(fromEtcdctl!.Status.dbSize);
    expect(status.Status.dbSize).toBeGreaterThan(0);
  });

  it("a healthy member answers the health read, with its round trip in Go's format", async () => {
    const health = await new EtcdGateway(undefined).health(member.clientUrl, OBSERVE);
    expect(health).toMatchObject({ endpoint: member.clientUrl, health: true });
    expect(goDurationMs(health.took)).toBeGreaterThan(0);
  });
});

describe("a member that does not answer", () => {
  it("is an EtcdGatewayError that says so, unreachable, within the dial timeout", async () => {
    const error = await new EtcdGateway(undefined)
      .memberList("http://127.0.0.239:2379", { timeouts: { dialTimeoutMs: 300, commandTimeoutMs: 500 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtcdGatewayError);
    expect((error as EtcdGatewayError).reachable).toBe(false);
    expect((error as EtcdGatewayError).message).toMatch(/^etcd at http:\/\/127\.0\.0\.239:2379: .*(ECONNREFUSED|deadline exceeded)/);
  });

  it("is unhealthy, and left out of the cluster's statuses and answering", async () => {
    expect(await new EtcdGateway(undefined).health("http://127.0.0.239:2379", OBSERVE)).toMatchObject({ health: false });
    const cluster = etcdctlCluster(undefined, "etcdctl");
    expect(await cluster.statuses(["http://127.0.0.239:2379"])).toEqual([]);
    expect(await cluster.answering(["http://127.0.0.239:2379"])).toEqual([]);
  });
});

describe("over mutual TLS, with the unit's client certificate", () => {
  const address = "127.0.0.238";
  const url = `https://${address}:2379`;
  let member: EtcdProcess;
  let tls: { caFile: string; certFile: string; keyFile: string };
  let stranger: CredentialFiles;
  beforeAll(async () => {
    const dir = path.join(work, "tls");
    await mkdir(dir, { recursive: true });
    const now = Date.now();
    const ca = await createCa({ subject: { commonName: "etcd test CA" }, now, validityMs: 24 * 3600_000 });
    const otherCa = await createCa({ subject: { commonName: "etcd test CA" }, now, validityMs: 24 * 3600_000 });
    const caFile = path.join(dir, "ca.pem");
    await writeFile(caFile, ca.certificatePem);
    const memberFiles = await writeCredentials(dir, "member", ca, { commonName: "etcd" }, { dnsNames: [], ipAddresses: [address] }, "member");
    const client = await writeCredentials(dir, "client", ca, { organization: "etcd" }, { dnsNames: [], ipAddresses: [] }, "client");
    stranger = await writeCredentials(dir, "stranger", otherCa, { organization: "etcd" }, { dnsNames: [], ipAddresses: [] }, "client");
    tls = { caFile, certFile: client.cert, keyFile: client.key };
    member = await startTlsMember({ dir, name: "etcd238", address, ca: caFile, member: memberFiles, extra: { "enable-grpc-gateway": true } }, client);
  });
  afterAll(async () => {
    await member?.stop();
  });

  it("the cluster's members, statuses and health come over https", async () => {
    const cluster = etcdctlCluster(tls, "etcdctl");
    const [self] = await cluster.members([url]);
    expect(self).toMatchObject({ name: "etcd238", clientUrls: [url], isLearner: false });
    const statuses = await cluster.statuses([url]);
    expect(statuses.map((s) => [s.Endpoint, s.Status.leader])).toEqual([[url, self!.id]]);
    expect(await cluster.healths([url])).toMatchObject([{ endpoint: url, health: true }]);
    expect(await cluster.answering([url])).toEqual([url]);
  });

  it("a certificate from another CA is refused at the handshake: no answer, never a member list", async () => {
    const gateway = new EtcdGateway({ caFile: tls.caFile, certFile: stranger.cert, keyFile: stranger.key });
    const error = (await gateway.memberList(url, OBSERVE).catch((e: unknown) => e)) as EtcdGatewayError;
    expect(error).toBeInstanceOf(EtcdGatewayError);
    expect(error.reachable).toBe(false);
  });

  it("a certificate rewritten between two questions is used for the second (the agent is per identity)", async () => {
    const dir = path.join(work, "tls");
    const swapped = { caFile: tls.caFile, certFile: path.join(dir, "swap.pem"), keyFile: path.join(dir, "swap.key") };
    await copyFile(stranger.cert, swapped.certFile);
    await copyFile(stranger.key, swapped.keyFile);
    const gateway = new EtcdGateway(swapped);
    expect((await gateway.health(url, OBSERVE)).health).toBe(false);
    await copyFile(tls.certFile, swapped.certFile);
    await copyFile(tls.keyFile, swapped.keyFile);
    expect((await gateway.health(url, OBSERVE)).health).toBe(true);
  });
});
