import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CaMaterial, createCa, type SubjectAltNames } from "../../src/tls/pki.js";
import {
  type CredentialFiles,
  type EtcdProcess,
  etcdctl,
  eventually,
  startProcess,
  startTlsMember,
  tlsMemberConfig,
  writeCredentials,
} from "../helpers/tls-etcd.js";

/**
 * What the certificates src/tls issues do to a real etcd 3.4.23 (/usr/bin/etcd) started from a config file as the
 * charm renders it (etcd-on-this-machine.md, "Proxies in 3.4" and "TLS between units on one machine"). Observed here:
 *
 * - `peer-cert-allowed-cn` as a top-level key of the config file is IGNORED by 3.4.23 (no such key in its config
 *   schema; only the flag sets it, and flags are ignored with --config-file): the peer port then admits any
 *   certificate from the CA, a consumer's client certificate included. What works from a file is the nested
 *   `PeerTLSInfo: {AllowedCN: …}` (Go's case-insensitive JSON field match on embed.Config.PeerTLSInfo); likewise
 *   `PeerTLSInfo: {AllowedHostname: …, SkipClientSANVerify: true}`.
 * - etcd checks only the CN (or hostname) at the peer port: a "client"-profile certificate (EKU clientAuth only) that
 *   carries the allowed CN is admitted there. Client identities must never carry the peer CN.
 * - The peer port also checks the connecting address against the certificate's IP SANs (or DNS SANs, resolved),
 *   unless SkipClientSANVerify: on one loopback every connection comes from 127.0.0.1.
 * - Without `enable-grpc-gateway: true` in the file, POST /v3/kv/range answers "404 page not found" (HTTP 404).
 * - Plain HTTP to the TLS client port: no HTTP answer (curl exit 52, empty reply); etcd logs "first record does not
 *   look like a TLS handshake". TLS 1.0/1.1: "client offered only unsupported versions". TLS 1.2 CBC suites: "no
 *   cipher suite supported by both client and server". TLS 1.3 is negotiated (the suite list governs only 1.2).
 *
 * Proxies, exactly the flags they needed:
 * - grpc-proxy: `etcd grpc-proxy start --endpoints=https://IP:2379 --listen-addr=IP:2379 --cert C --key K --cacert CA`
 *   (--cert/--key/--cacert are its client credentials towards the members). A certificate with a CN makes it exit 1
 *   at start with "cert has non empty Common Name (<cn>)"; an O-only certificate works.
 * - v2 proxy: `etcd --proxy on --name N --data-dir D --initial-cluster m=https://IP:2380 --listen-client-urls
 *   http://IP:2379 --peer-cert-file C --peer-key-file K --peer-trusted-ca-file CA`. It reads the member list from
 *   the PEER port (GET /members) with the --peer-* credentials, then forwards to the client URLs with the same
 *   credentials (etcd falls back to the peer TLS info when no --cert-file is given). With only --cert-file/
 *   --key-file/--trusted-ca-file it cannot read /members ("x509: certificate signed by unknown authority") and
 *   answers "zero endpoints currently available". So its certificate must pass the peer port's CN/hostname check:
 *   with AllowedCN that means a CN, which the grpc-proxy refuses; with AllowedHostname + SkipClientSANVerify one
 *   O-only certificate with the allowed hostname as DNS SAN serves both proxies (last describe block).
 */

const PEER_CN = "etcd-peer";
const PEER_HOSTNAME = "etcd-peer";
const noSans: SubjectAltNames = { dnsNames: [], ipAddresses: [] };

let dir: string;
let ca: CaMaterial;
let caFile: string;
let otherCaFile: string;
const creds: Record<string, CredentialFiles> = {};
const processes: EtcdProcess[] = [];

function track(process: EtcdProcess): EtcdProcess {
  processes.push(process);
  return process;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tls-etcd-"));
  ca = await createCa({ subject: { commonName: "etcd test CA" }, now: Date.now(), validityMs: 24 * 3600_000 });
  const otherCa = await createCa({ subject: { commonName: "etcd test CA" }, now: Date.now(), validityMs: 24 * 3600_000 });
  caFile = path.join(dir, "ca.pem");
  otherCaFile = path.join(dir, "other-ca.pem");
  await writeFile(caFile, ca.certificatePem);
  await writeFile(otherCaFile, otherCa.certificatePem);
  const issue = (name: string, subject: { commonName?: string; organization?: string }, sans: SubjectAltNames, profile: "member" | "client", by = ca) =>
    writeCredentials(dir, name, by, subject, sans, profile).then((files) => {
      creds[name] = files;
    });
  await Promise.all([
    issue("member211", { commonName: PEER_CN }, { dnsNames: [], ipAddresses: ["127.0.0.211"] }, "member"),
    issue("member212", { commonName: PEER_CN }, { dnsNames: [], ipAddresses: ["127.0.0.212"] }, "member"),
    issue("member217", { commonName: "etcd2" }, { dnsNames: [PEER_HOSTNAME], ipAddresses: ["127.0.0.217"] }, "member"),
    issue("client", { organization: "consumer" }, noSans, "client"),
    issue("clientWithCn", { commonName: "consumer" }, noSans, "client"),
    issue("clientWithPeerCn", { commonName: PEER_CN }, noSans, "client"),
    // The v2 proxy dials from 127.0.0.1 here; on a real machine this would be the proxy's own address.
    issue("v2ProxyWithPeerCn", { commonName: PEER_CN }, { dnsNames: [], ipAddresses: ["127.0.0.1"] }, "client"),
    issue("proxyByHostname", { organization: "my-proxy" }, { dnsNames: [PEER_HOSTNAME], ipAddresses: [] }, "client"),
    issue("foreign", { organization: "consumer" }, noSans, "client", otherCa),
  ]);
});

afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function run(command: string, args: readonly string[], timeoutMs = 15_000) {
  const result = await execa(command, args, { reject: false, timeout: timeoutMs, input: "" });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("a TLS member from the config the charm renders (AllowedCN as PeerTLSInfo, gateway and v2 on)", () => {
  const endpoint = "https://127.0.0.211:2379";
  let member: EtcdProcess;
  beforeAll(async () => {
    const options = { dir, name: "etcd211", address: "127.0.0.211", ca: caFile, member: creds.member211!, extra: {} };
    const extra = { "enable-grpc-gateway": true, PeerTLSInfo: { AllowedCN: PEER_CN } };
    member = track(await startTlsMember({ ...options, extra }, creds.client!));
  });

  it("etcdctl with a client certificate from the CA puts and gets a key", async () => {
    expect((await etcdctl([endpoint], caFile, creds.client, ["put", "greeting", "hello"])).stdout).toBe("OK");
    expect((await etcdctl([endpoint], caFile, creds.client, ["get", "greeting", "--print-value-only"])).stdout).toBe("hello");
  });

  it("refuses a client without a certificate and one whose certificate comes from another CA", async () => {
    const before = member.rejectedConnections().length;
    const anonymous = await etcdctl([endpoint], caFile, undefined, ["get", "greeting"]);
    const foreign = await etcdctl([endpoint], caFile, creds.foreign, ["get", "greeting"]);
    expect(anonymous.exitCode).toBe(1);
    expect(anonymous.stderr).toContain("context deadline exceeded");
    expect(foreign.exitCode).toBe(1);
    expect(foreign.stderr).toContain("context deadline exceeded");
    const reasons = new Set(member.rejectedConnections().slice(before));
    expect(reasons).toContain("tls: client didn't provide a certificate");
    expect([...reasons].some((reason) => reason.startsWith("tls: failed to verify client certificate: x509: certificate signed by unknown authority"))).toBe(
      true,
    );
  });

  it("plain HTTP on the client port gets no HTTP answer", async () => {
    const before = member.rejectedConnections().length;
    const plain = await run("curl", ["-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.211:2379/version"]);
    expect(plain.exitCode).toBe(52);
    expect(plain.stdout).toBe("000");
    expect(plain.stderr).toContain("Empty reply from server");
    expect(member.rejectedConnections().slice(before)).toContain("tls: first record does not look like a TLS handshake");
  });

  it("the v3 JSON gateway answers POST /v3/kv/put and /v3/kv/range over TLS with the client's certificate", async () => {
    const tls = ["--cacert", caFile, "--cert", creds.client!.cert, "--key", creds.client!.key];
    const put = await run("curl", [
      "-sS",
      "-f",
      ...tls,
      "-X",
      "POST",
      `${endpoint}/v3/kv/put`,
      "-d",
      JSON.stringify({ key: b64("gw-key"), value: b64("gw-value") }),
    ]);
    expect(put.exitCode).toBe(0);
    expect(JSON.parse(put.stdout)).toHaveProperty("header.revision");
    const range = await run("curl", ["-sS", "-f", ...tls, "-X", "POST", `${endpoint}/v3/kv/range`, "-d", JSON.stringify({ key: b64("gw-key") })]);
    expect(range.exitCode).toBe(0);
    const body = JSON.parse(range.stdout) as { count: string; kvs: { key: string; value: string }[] };
    expect(body.count).toBe("1");
    expect(body.kvs.map((kv) => [kv.key, kv.value])).toEqual([[b64("gw-key"), b64("gw-value")]]);
    expect((await etcdctl([endpoint], caFile, creds.client, ["get", "gw-key", "--print-value-only"])).stdout).toBe("gw-value");
  });

  it("TLS 1.1 and a TLS 1.2 CBC suite are refused; TLS 1.2 ECDHE-GCM and TLS 1.3 are accepted", async () => {
    const sClient = (...args: string[]) =>
      run("openssl", ["s_client", "-connect", "127.0.0.211:2379", "-CAfile", caFile, "-cert", creds.client!.cert, "-key", creds.client!.key, ...args]);
    const before = member.rejectedConnections().length;
    // SECLEVEL=0 lets Debian's openssl offer TLS 1.1 at all, so that the refusal is etcd's.
    const tls11 = await sClient("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
    const cbc = await sClient("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA");
    const cbc384 = await sClient("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384");
    const gcm = await sClient("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384");
    const tls13 = await sClient("-tls1_3");
    expect(tls11.stdout).toContain("New, (NONE), Cipher is (NONE)");
    expect(cbc.stdout).toContain("New, (NONE), Cipher is (NONE)");
    expect(cbc384.stdout).toContain("New, (NONE), Cipher is (NONE)");
    expect(member.rejectedConnections().slice(before)).toEqual([
      "tls: client offered only unsupported versions: [302 301]",
      "tls: no cipher suite supported by both client and server",
      "tls: no cipher suite supported by both client and server",
    ]);
    expect(gcm.stdout).toContain("New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384");
    expect(tls13.stdout).toContain("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256");
    expect(tls13.stdout).toContain("Verify return code: 0 (ok)");
  });

  it("the peer port refuses client certificates without the peer CN and admits a member certificate with it", async () => {
    const members = (files: CredentialFiles, ...extra: string[]) =>
      run("curl", ["-sS", "--http1.1", "-m", "5", ...extra, "--cacert", caFile, "--cert", files.cert, "--key", files.key, "https://127.0.0.211:2380/members"]);
    const before = member.rejectedConnections().length;
    const client = await members(creds.client!);
    const clientWithCn = await members(creds.clientWithCn!);
    expect(client.exitCode).toBe(56);
    expect(client.stderr).toContain("alert bad certificate");
    expect(clientWithCn.exitCode).toBe(56);
    expect(member.rejectedConnections().slice(before)).toEqual(["client certificate authentication failed", "client certificate authentication failed"]);
    // A real peer connects from its own address, which its certificate names.
    const peer = await members(creds.member211!, "--interface", "127.0.0.211");
    expect(peer.exitCode).toBe(0);
    expect(JSON.parse(peer.stdout)).toEqual([expect.objectContaining({ name: "etcd211", peerURLs: ["https://127.0.0.211:2380"] })]);
    // From another address (127.0.0.1) the same certificate fails etcd's SAN check of the connecting address.
    const elsewhere = await members(creds.member211!);
    expect(elsewhere.exitCode).not.toBe(0);
    expect(member.rejectedConnections().at(-1)).toBe("x509: certificate is valid for 127.0.0.211, not 127.0.0.1");
    // etcd checks the CN only: a client-only certificate (EKU clientAuth) named like a peer is admitted.
    expect((await members(creds.clientWithPeerCn!)).exitCode).toBe(0);
  });

  it("a grpc-proxy with a CN-less client certificate serves put and get; one with a CN exits at start", async () => {
    const tlsArgs = (files: CredentialFiles) => ["--cert", files.cert, "--key", files.key, "--cacert", caFile];
    const proxy = track(
      startProcess("grpc-proxy", ["grpc-proxy", "start", `--endpoints=${endpoint}`, "--listen-addr=127.0.0.213:2379", ...tlsArgs(creds.client!)]),
    );
    await eventually(
      async () => (await etcdctl(["127.0.0.213:2379"], undefined, undefined, ["put", "via-grpc-proxy", "1"])).exitCode === 0,
      "put via grpc-proxy",
    );
    expect((await etcdctl(["127.0.0.213:2379"], undefined, undefined, ["get", "via-grpc-proxy", "--print-value-only"])).stdout).toBe("1");
    expect((await etcdctl([endpoint], caFile, creds.client, ["get", "via-grpc-proxy", "--print-value-only"])).stdout).toBe("1");
    expect(proxy.running).toBe(true);

    const refused = track(
      startProcess("grpc-proxy-cn", ["grpc-proxy", "start", `--endpoints=${endpoint}`, "--listen-addr=127.0.0.214:2379", ...tlsArgs(creds.clientWithCn!)]),
    );
    expect(await refused.exited).toBe(1);
    expect(refused.log).toContain("cert has non empty Common Name (consumer)");
  });

  it("a v2 proxy with --peer-* credentials carrying the peer CN serves v2 writes and reads; with --cert-file alone it finds no endpoint", async () => {
    const v2 = (address: string, tlsFlags: string[]) =>
      track(
        startProcess(`v2-proxy-${address}`, [
          ...["--proxy", "on", "--name", `proxy-${address}`, "--data-dir", path.join(dir, `proxy-${address}`)],
          ...["--initial-cluster", "etcd211=https://127.0.0.211:2380", "--listen-client-urls", `http://${address}:2379`],
          ...tlsFlags,
        ]),
      );
    const proxied = creds.v2ProxyWithPeerCn!;
    v2("127.0.0.215", ["--peer-cert-file", proxied.cert, "--peer-key-file", proxied.key, "--peer-trusted-ca-file", caFile]);
    const write = () => run("curl", ["-sS", "-m", "3", "-X", "PUT", "http://127.0.0.215:2379/v2/keys/through-v2", "-d", "value=1"]);
    await eventually(async () => (await write()).stdout.includes('"action":"set"'), "a v2 write through the proxy");
    const read = await run("curl", ["-sS", "-m", "3", "http://127.0.0.215:2379/v2/keys/through-v2"]);
    expect(JSON.parse(read.stdout)).toMatchObject({ action: "get", node: { key: "/through-v2", value: "1" } });

    const clientOnly = v2("127.0.0.216", ["--cert-file", proxied.cert, "--key-file", proxied.key, "--trusted-ca-file", caFile]);
    await eventually(async () => clientOnly.log.includes("x509: certificate signed by unknown authority"), "the client-TLS-only v2 proxy's failure");
    const answer = await run("curl", ["-sS", "-m", "3", "http://127.0.0.216:2379/v2/keys/through-v2"]);
    expect(answer.stdout).toBe('{"message":"httpproxy: zero endpoints currently available"}');
  });
});

describe("what etcd 3.4.23 ignores or leaves off in a config file", () => {
  it("serves no /v3/ gateway without enable-grpc-gateway, and ignores a top-level peer-cert-allowed-cn", async () => {
    const options = { dir, name: "etcd212", address: "127.0.0.212", ca: caFile, member: creds.member212!, extra: { "peer-cert-allowed-cn": PEER_CN } };
    expect(tlsMemberConfig(options)).not.toHaveProperty("enable-grpc-gateway");
    track(await startTlsMember(options, creds.client!));
    const tls = ["--cacert", caFile, "--cert", creds.client!.cert, "--key", creds.client!.key];
    const range = await run("curl", [
      "-sS",
      ...tls,
      "-w",
      "\n%{http_code}",
      "-X",
      "POST",
      "https://127.0.0.212:2379/v3/kv/range",
      "-d",
      JSON.stringify({ key: b64("k") }),
    ]);
    expect(range.stdout).toBe("404 page not found\n\n404");
    // The consumer's client certificate (no CN at all) is admitted at the peer port: the key did nothing.
    const peer = await run("curl", ["-sS", "--http1.1", "-m", "5", ...tls, "https://127.0.0.212:2380/members"]);
    expect(peer.exitCode).toBe(0);
    expect(JSON.parse(peer.stdout)).toEqual([expect.objectContaining({ name: "etcd212" })]);
  });
});

describe("one CN-less proxy identity for both proxies: AllowedHostname with SkipClientSANVerify", () => {
  it("the same O-only certificate (DNS SAN = the peer hostname) serves a v2 proxy and a grpc-proxy; other client certificates stay off the peer port", async () => {
    const extra = { PeerTLSInfo: { AllowedHostname: PEER_HOSTNAME, SkipClientSANVerify: true } };
    const member = track(await startTlsMember({ dir, name: "etcd217", address: "127.0.0.217", ca: caFile, member: creds.member217!, extra }, creds.client!));
    const proxyCreds = creds.proxyByHostname!;
    track(
      startProcess("v2-proxy-218", [
        ...["--proxy", "on", "--name", "proxy-218", "--data-dir", path.join(dir, "proxy-218")],
        ...["--initial-cluster", "etcd217=https://127.0.0.217:2380", "--listen-client-urls", "http://127.0.0.218:2379"],
        ...["--peer-cert-file", proxyCreds.cert, "--peer-key-file", proxyCreds.key, "--peer-trusted-ca-file", caFile],
      ]),
    );
    const grpcProxy = track(
      startProcess("grpc-proxy-219", [
        ...["grpc-proxy", "start", "--endpoints=https://127.0.0.217:2379", "--listen-addr=127.0.0.219:2379"],
        ...["--cert", proxyCreds.cert, "--key", proxyCreds.key, "--cacert", caFile],
      ]),
    );
    const v2Write = () => run("curl", ["-sS", "-m", "3", "-X", "PUT", "http://127.0.0.218:2379/v2/keys/both", "-d", "value=v2"]);
    await eventually(async () => (await v2Write()).stdout.includes('"action":"set"'), "a v2 write through the proxy");
    await eventually(async () => (await etcdctl(["127.0.0.219:2379"], undefined, undefined, ["put", "both-v3", "v3"])).exitCode === 0, "put via grpc-proxy");
    expect((await etcdctl(["127.0.0.219:2379"], undefined, undefined, ["get", "both-v3", "--print-value-only"])).stdout).toBe("v3");
    expect(grpcProxy.running).toBe(true);
    const before = member.rejectedConnections().length;
    const tls = (files: CredentialFiles) => ["--cacert", caFile, "--cert", files.cert, "--key", files.key];
    const consumer = await run("curl", ["-sS", "--http1.1", "-m", "5", ...tls(creds.client!), "https://127.0.0.217:2380/members"]);
    expect(consumer.exitCode).toBe(56);
    expect(member.rejectedConnections().slice(before)).toEqual(["client certificate authentication failed"]);
  });
});
