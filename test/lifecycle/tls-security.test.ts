import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import { generatePrivateKey } from "../../src/tls/keys.js";
import { createCa, issueCertificate } from "../../src/tls/pki.js";
import { type ClientCredentialFiles, LocalModelFixture, testCharm } from "../local-model/harness.js";
import { writeClientCredentials } from "../helpers/etcd-client.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";

oneClusterFileAtATime();

/**
 * Who gets in, on the packed charm's default TLS cluster (and, on the same cluster, that every hook run twice
 * changes nothing): consumers with the identity their relation gave them
 * (etcdctl and plain HTTP/JSON on the v3 gateway), nobody without a certificate from the cluster's CA, nobody
 * in plaintext, no db consumer at the peer port; and no key in any log or status of the model.
 */

const SUBNET = "127.0.54";
const charm = inject("packedCharms")["24.04/amd64"];
const member = (n: number) => `${SUBNET}.${11 + n}`;

describe("mutual TLS on a three-member cluster of the packed charm", { timeout: 300_000 }, () => {
  let model: LocalModelFixture;
  let dir: string;
  /** The identities the db and proxy relations handed the consumer, and one from a CA the cluster never saw. */
  const identity: Record<"db" | "proxy" | "foreign", ClientCredentialFiles> = {} as Record<"db" | "proxy" | "foreign", ClientCredentialFiles>;
  let connectionString = "";

  const write = (name: string, pems: { ca: string; cert: string; key: string }) => writeClientCredentials(dir, name, pems);
  /**
   * What the consumer received on one endpoint from the first etcd unit (as the Kubernetes library reads it),
   * through a file on its machine: printed, the key would land in the model's log (which the last test checks).
   */
  const received = async (endpoint: "db" | "proxy") => {
    const file = `/tmp/${endpoint}-bag.json`;
    const command = `mkdir -p "$UNIT_FS_ROOT/tmp" && relation-get -r $(relation-ids ${endpoint}) - etcd/0 --format=json > "$UNIT_FS_ROOT${file}"`;
    await model.ok("run", "consumer/0", "exec", `command=${command}`);
    return JSON.parse(await readFile(path.join(model.dir, "units", "consumer-0", "root", file), "utf8")) as Record<string, string>;
  };
  const etcdctl = (files: ClientCredentialFiles | undefined, ...args: string[]) =>
    execa("etcdctl", [`--endpoints=${connectionString}`, "--dial-timeout=2s", "--command-timeout=3s", ...tlsFlags(files), ...args], {
      env: { ETCDCTL_API: "3" },
      reject: false,
    });
  const curl = (...args: string[]) => execa("curl", ["-sS", "-m", "5", ...args], { reject: false });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tls-security-"));
    model = await LocalModelFixture.create(SUBNET, 5, ["--timeout", "300"]);
    await model.ok("deploy", charm, "-n", "3");
    await model.ok("deploy", testCharm("etcd-consumer"), "consumer");
    await model.ok("integrate", "consumer:db", "etcd:db");
    await model.ok("integrate", "consumer:proxy", "etcd:proxy");
    const db = await received("db");
    const proxy = await received("proxy");
    connectionString = db.connection_string!;
    identity.db = await write("db", { ca: db.client_ca!, cert: db.client_cert!, key: db.client_key! });
    identity.proxy = await write("proxy", { ca: proxy.client_ca!, cert: proxy.client_cert!, key: proxy.client_key! });
    const otherCa = await createCa({ subject: { commonName: "not the cluster's CA" }, now: Date.now(), validityMs: 86_400_000 });
    const key = generatePrivateKey();
    const cert = await issueCertificate({
      privateKeyPem: key,
      subject: { organization: "consumer" },
      sans: { dnsNames: [], ipAddresses: [] },
      ca: otherCa,
      now: Date.now(),
      validityMs: 86_400_000,
      profile: "client",
    });
    identity.foreign = await write("foreign", { ca: db.client_ca!, cert, key });
  });
  afterAll(async () => {
    await model.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it("the consumer is ready with https URLs and all four keys, and writes and reads with etcdctl", async () => {
    expect(connectionString.split(",").sort()).toEqual([0, 1, 2].map((n) => `https://${member(n)}:2379`));
    const consumer = (await model.status()).applications.consumer!.units!["consumer/0"]!["workload-status"];
    expect(consumer).toMatchObject({ current: "active", message: `ready: ${connectionString}` });
    await model.ok("run", "consumer/0", "put", "key=from-consumer", "value=over-tls");
    const got = JSON.parse(await model.ok("run", "consumer/0", "get", "key=from-consumer", "--format=json"))["consumer/0"];
    expect(got.results.value).toBe("over-tls");
    expect((await etcdctl(identity.db, "get", "from-consumer", "--print-value-only")).stdout).toBe("over-tls");
  });

  it("the v3 JSON gateway answers plain HTTP/JSON over TLS with the consumer's credentials", async () => {
    const base64 = (text: string) => Buffer.from(text).toString("base64");
    const auth = ["--cacert", identity.db.caFile, "--cert", identity.db.certFile, "--key", identity.db.keyFile];
    const put = await curl(
      ...auth,
      "-X",
      "POST",
      `https://${member(1)}:2379/v3/kv/put`,
      "-d",
      JSON.stringify({ key: base64("gateway"), value: base64("json") }),
    );
    expect(put.exitCode, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout)).toHaveProperty("header.revision");
    const range = await curl(...auth, "-X", "POST", `https://${member(2)}:2379/v3/kv/range`, "-d", JSON.stringify({ key: base64("gateway") }));
    const kvs = (JSON.parse(range.stdout) as { kvs: Array<{ value: string }> }).kvs;
    expect(kvs.map((kv) => Buffer.from(kv.value, "base64").toString())).toEqual(["json"]);
  });

  it("refuses a client with no certificate, and one whose certificate is from another CA", async () => {
    const anonymous = await etcdctl({ ...identity.db, certFile: "", keyFile: "" }, "put", "anonymous", "x");
    expect(anonymous.exitCode).not.toBe(0);
    const foreign = await etcdctl(identity.foreign, "put", "foreign", "x");
    expect(foreign.exitCode).not.toBe(0);
    expect((await etcdctl(identity.db, "get", "anonymous", "--print-value-only")).stdout).toBe("");
    expect((await etcdctl(identity.db, "get", "foreign", "--print-value-only")).stdout).toBe("");
    const gateway = await curl("--cacert", identity.db.caFile, "-X", "POST", `https://${member(0)}:2379/v3/kv/range`, "-d", "{}");
    expect(gateway.exitCode).not.toBe(0);
  });

  it("plain HTTP to the client and peer ports gets no HTTP answer", async () => {
    for (const port of [2379, 2380]) {
      const plain = await curl(`http://${member(0)}:${port}/version`);
      // 52: the server closed the connection without an HTTP reply (it waits for a TLS handshake).
      expect(plain.exitCode, `port ${port}: ${plain.stdout}`).toBe(52);
    }
  });

  it("the peer port refuses the db consumer's identity and admits the proxy's, which etcd's v2 proxy needs there", async () => {
    const members = (files: ClientCredentialFiles) =>
      curl("--http1.1", "--cacert", files.caFile, "--cert", files.certFile, "--key", files.keyFile, `https://${member(0)}:2380/members`);
    const db = await members(identity.db);
    expect(db.exitCode).not.toBe(0);
    const proxy = await members(identity.proxy);
    expect(proxy.exitCode, proxy.stderr).toBe(0);
    expect((JSON.parse(proxy.stdout) as Array<{ name: string }>).map((m) => m.name).sort()).toEqual(["etcd0", "etcd1", "etcd2"]);
  });

  it("TLS 1.1 and TLS 1.2 CBC suites are refused; TLS 1.2 with ECDHE-GCM and TLS 1.3 are accepted", async () => {
    const handshake = (...args: string[]) =>
      execa(
        "openssl",
        ["s_client", "-connect", `${member(0)}:2379`, "-cert", identity.db.certFile, "-key", identity.db.keyFile, "-CAfile", identity.db.caFile, ...args],
        { input: "", reject: false },
      );
    expect((await handshake("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")).exitCode).not.toBe(0);
    expect((await handshake("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA")).exitCode).not.toBe(0);
    const gcm = await handshake("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
    expect(gcm.stdout).toMatch(/Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
    expect((await handshake("-tls1_3")).stdout).toMatch(/New, TLSv1\.3/);
  });

  it("every unit's etcdctl environment file reaches its member as is", async () => {
    for (const unit of ["etcd/0", "etcd/1", "etcd/2"]) {
      const root = path.join(model.dir, "units", unit.replace("/", "-"), "root");
      const out = await execa("sh", ["-c", `. ${root}/etc/etcd/etcdctl.env && etcdctl endpoint health`], { reject: false });
      expect(out.exitCode, out.stderr).toBe(0);
      expect(out.stderr).toMatch(/^https:\/\/127\.0\.54\.1[1-3]:2379 is healthy/);
    }
  });

  /**
   * Level-triggered hooks, on this same converged cluster: running any hook twice in a row changes nothing the
   * second time (and, converged as it is, nothing the first time either): no restart, no relation, leader or
   * state write. Before the key check below, so that it covers these runs' logs too.
   */
  describe("every hook, run twice on a converged cluster, changes nothing", () => {
    const WRITES = ["relation-set", "leader-set", "state-set", "application-version-set"];
    const units = async () => {
      const all = (await model.status()).applications.etcd?.units ?? {};
      const leader = Object.keys(all).find((name) => all[name]?.leader) ?? "";
      return { leader, follower: Object.keys(all).find((name) => name !== leader) ?? "" };
    };
    const relationId = async (unit: string, endpoint: string) => (await model.ok("exec", "--unit", unit, "--", `relation-ids ${endpoint}`)).trim();
    const starts = async () => {
      const counts: Record<string, number> = {};
      for (const unit of ["etcd/0", "etcd/1", "etcd/2"]) {
        const log = await readFile(path.join(model.dir, "services", "logs", unit.replace("/", "-"), "etcd.service.log"), "utf8");
        counts[unit] = log.split("\n").filter((line) => line.includes("etcd.service: Started ")).length;
      }
      return counts;
    };
    const cases: Array<[string, "leader" | "follower", string, { endpoint: string; remote: "leader" | "follower" | "consumer/0" }?]> = [
      ["install", "follower", "install"],
      ["config-changed on the leader", "leader", "config-changed"],
      ["start", "follower", "start"],
      ["upgrade-charm", "leader", "upgrade-charm"],
      ["update-status", "follower", "update-status"],
      ["leader-elected", "leader", "leader-elected"],
      ["leader-settings-changed", "follower", "leader-settings-changed"],
      ["cluster-relation-changed on the leader", "leader", "cluster-relation-changed", { endpoint: "cluster", remote: "follower" }],
      ["cluster-relation-joined on a follower", "follower", "cluster-relation-joined", { endpoint: "cluster", remote: "leader" }],
      ["db-relation-changed", "follower", "db-relation-changed", { endpoint: "db", remote: "consumer/0" }],
      ["proxy-relation-joined", "leader", "proxy-relation-joined", { endpoint: "proxy", remote: "consumer/0" }],
    ];
    it.each(cases)("%s", async (_name, which, hook, relation) => {
      const roles = await units();
      const unit = roles[which];
      const before = await starts();
      const remote = relation ? (relation.remote === "consumer/0" ? "consumer/0" : roles[relation.remote]) : "";
      const scope = relation ? ["-r", await relationId(unit, relation.endpoint), "--remote-unit", remote] : [];
      const args = ["exec", "--unit", unit, ...scope, "--", `JUJU_DISPATCH_PATH=hooks/${hook} JUJU_HOOK_NAME=${hook} ./dispatch`];
      await model.ok(...args);
      await model.ok(...args);
      const [first, second] = (await model.debugLog()).filter((entry) => entry.kind === "exec" && entry.unit === unit).slice(-2);
      for (const run of [first!, second!]) {
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.tools.filter((tool) => WRITES.includes(tool))).toEqual([]);
      }
      expect(await starts()).toEqual(before);
      expect((await model.status()).applications.etcd!.units![unit]!["workload-status"].current).toBe("active");
    });
  });

  it("no private key reaches the model's logs or any unit's status", async () => {
    const logs = [path.join(model.dir, "debug-log.jsonl"), path.join(model.dir, "controller.log")];
    const serviceLogs = path.join(model.dir, "services", "logs");
    for (const unitDir of await readdir(serviceLogs)) {
      for (const file of await readdir(path.join(serviceLogs, unitDir))) logs.push(path.join(serviceLogs, unitDir, file));
    }
    for (const file of logs) expect(await readFile(file, "utf8"), file).not.toContain("PRIVATE KEY");
    const status = await model.status();
    for (const app of Object.values(status.applications)) {
      for (const [name, unit] of Object.entries(app.units ?? {})) expect(unit["workload-status"].message ?? "", name).not.toContain("PRIVATE KEY");
    }
  });
});
