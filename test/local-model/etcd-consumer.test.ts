import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { LocalModelFixture, testCharm } from "./harness.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";

oneClusterFileAtATime();

/**
 * The etcd-consumer test charm reads `db` as the Kubernetes `etcd` library does (interfaces §5, KL `_remote_data`,
 * `is_ready`) and writes and reads keys with etcdctl through what it got. The etcd charm's side is played by the
 * etcd-standin test charm (it publishes what the test gives it) and a real etcd 3.4 with client-certificate
 * auth that this test runs on the host, at the address the units reach the host by (`<subnet>.10`,
 * local-model/README.md "Each machine has its own network").
 */

const host = "127.0.38.10";
const tlsUrl = `https://${host}:2379`;
const plainUrl = `http://${host}:2381`;

const ActionOutcome = z.record(
  z.string(),
  z.object({ status: z.enum(["completed", "failed"]), message: z.string().optional(), results: z.record(z.string(), z.unknown()) }),
);

describe("etcd-consumer: the db relation as the Kubernetes etcd library reads it (interfaces §5)", () => {
  let model: LocalModelFixture;
  let dir: string;
  let etcd: ResultPromise;
  const pems: Record<string, string> = {};

  const openssl = (...args: string[]) => execa("openssl", args, { cwd: dir });
  /** A key and a certificate `name.{key,crt}`: self-signed (a CA) or signed by `ca`. */
  const issue = async (name: string, subject: string, ca?: string, ...extensions: string[]) => {
    const signer = ca ? ["-CA", `${ca}.crt`, "-CAkey", `${ca}.key`] : [];
    const ext = extensions.flatMap((extension) => ["-addext", extension]);
    await openssl(
      "req",
      "-x509",
      "-new",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-subj",
      subject,
      "-days",
      "1",
      ...signer,
      ...ext,
      "-out",
      `${name}.crt`,
    );
    pems[`${name}.crt`] = await readFile(path.join(dir, `${name}.crt`), "utf8");
    pems[`${name}.key`] = await readFile(path.join(dir, `${name}.key`), "utf8");
  };
  const hostEtcdctl = async (...args: string[]) =>
    (
      await execa(
        "etcdctl",
        [`--endpoints=${tlsUrl}`, "--cacert=ca.crt", "--cert=client.crt", "--key=client.key", "--dial-timeout=3s", "--command-timeout=5s", ...args],
        { cwd: dir, env: { ETCDCTL_API: "3" } },
      )
    ).stdout;

  /** The stand-in's publish action: PEMs go as YAML double-quoted strings (a JSON string is one). */
  const publish = async (unit: string, fields: Record<string, string>) => {
    await model.ok("run", unit, "publish", ...Object.entries(fields).map(([key, value]) => `${key}=${JSON.stringify(value)}`));
    await model.ok("wait");
  };
  const credentials = (cert = "client") => ({ client_cert: pems[`${cert}.crt`]!, client_key: pems[`${cert}.key`]!, client_ca: pems["ca.crt"]! });
  const consumerStatus = async () => (await model.status()).applications.consumer?.units?.["consumer/0"]?.["workload-status"];
  const act = async (action: string, ...params: string[]) => {
    const result = await model.run("run", "consumer/0", action, ...params, "--format=json");
    return ActionOutcome.parse(JSON.parse(result.stdout))["consumer/0"]!;
  };
  const stateDir = () => path.join(model.dir, "units", "consumer-0", "root", "var", "lib", "etcd-consumer");
  const stored = async () => (await readdir(stateDir())).sort();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "etcd-consumer-"));
    model = await LocalModelFixture.create("127.0.38", 7);
    // Deploying creates the model's network, and with it the host's address on it.
    await model.ok("deploy", testCharm("etcd-standin"), "standin");
    await model.ok("deploy", testCharm("etcd-consumer"), "consumer");
    await model.ok("integrate", "consumer:db", "standin:db");

    await issue("ca", "/CN=stand-in etcd CA", undefined, "basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign");
    await issue("server", "/CN=stand-in etcd", "ca", `subjectAltName=IP:${host}`, "basicConstraints=critical,CA:FALSE");
    await issue("client", "/O=consumer", "ca", "basicConstraints=critical,CA:FALSE");
    await issue("other-ca", "/CN=another CA", undefined, "basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign");
    await issue("rogue", "/O=consumer", "other-ca", "basicConstraints=critical,CA:FALSE");
    etcd = execa(
      "etcd",
      [
        "--name=standin",
        "--data-dir=data",
        `--listen-client-urls=${tlsUrl},${plainUrl}`,
        `--advertise-client-urls=${tlsUrl}`,
        `--listen-peer-urls=http://${host}:2380`,
        `--initial-advertise-peer-urls=http://${host}:2380`,
        `--initial-cluster=standin=http://${host}:2380`,
        "--cert-file=server.crt",
        "--key-file=server.key",
        "--trusted-ca-file=ca.crt",
        "--client-cert-auth",
      ],
      { cwd: dir, stdout: "ignore", stderr: { file: path.join(dir, "etcd.log") }, reject: false },
    );
    for (let tries = 0; ; tries++) {
      try {
        await hostEtcdctl("endpoint", "health");
        break;
      } catch (error) {
        if (tries > 30) throw error;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  }, 120_000);
  afterAll(async () => {
    etcd?.kill("SIGTERM");
    await etcd;
    await model?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it("waits for a connection string, then with connection_string alone (or three of four) for client credentials; put is refused meanwhile", async () => {
    expect(await consumerStatus()).toMatchObject({ current: "waiting", message: "waiting for a connection string" });
    await publish("standin/0", { connection_string: tlsUrl, version: "3.4.23" });
    expect(await consumerStatus()).toMatchObject({ current: "waiting", message: "waiting for etcd client credentials" });
    await publish("standin/0", { connection_string: tlsUrl, version: "3.4.23", ...credentials(), client_key: "" });
    expect(await consumerStatus()).toMatchObject({ current: "waiting", message: "waiting for etcd client credentials" });
    expect(await stored()).toEqual([]);
    const put = await act("put", "key=/consumer/early", "value=no");
    expect(put).toMatchObject({ status: "failed", message: "not ready: no etcd connection from the db relation" });
  }, 60_000);

  it("with all four keys it is ready and keeps the PEMs in the unit's own directory, the key 0600", async () => {
    await publish("standin/0", { connection_string: tlsUrl, version: "3.4.23", ...credentials() });
    expect(await consumerStatus()).toMatchObject({ current: "active", message: `ready: ${tlsUrl}` });
    expect(await stored()).toEqual(["client-ca.pem", "client-cert.pem", "client-key.pem", "connection"]);
    expect(await readFile(path.join(stateDir(), "client-cert.pem"), "utf8")).toBe(pems["client.crt"]);
    expect(await readFile(path.join(stateDir(), "client-ca.pem"), "utf8")).toBe(pems["ca.crt"]);
    expect(await readFile(path.join(stateDir(), "client-key.pem"), "utf8")).toBe(pems["client.key"]);
    expect((await stat(path.join(stateDir(), "client-key.pem"))).mode & 0o777).toBe(0o600);
  }, 60_000);

  it("put and get through the consumer reach the real etcd over mutual TLS", async () => {
    expect(await act("put", "key=/consumer/written", "value=through the relation")).toMatchObject({ status: "completed", results: { result: "OK" } });
    expect(await hostEtcdctl("get", "--print-value-only", "/consumer/written")).toBe("through the relation");
    await hostEtcdctl("put", "/consumer/from-host", "hello consumer");
    expect(await act("get", "key=/consumer/from-host")).toMatchObject({ status: "completed", results: { value: "hello consumer" } });
    expect(await act("get", "key=/consumer/absent")).toMatchObject({ status: "completed", results: { value: "" } });
  }, 60_000);

  it("a client certificate from another CA: etcd refuses the connection and put fails with etcdctl's error", async () => {
    await publish("standin/0", { connection_string: tlsUrl, version: "3.4.23", ...credentials("rogue") });
    expect(await consumerStatus()).toMatchObject({ current: "active", message: `ready: ${tlsUrl}` });
    const put = await act("put", "key=/consumer/rogue", "value=never");
    expect(put).toMatchObject({ status: "failed", message: "etcdctl: Error: context deadline exceeded" });
    const log = await readFile(path.join(dir, "etcd.log"), "utf8");
    // etcd's own reason, for a connection from the consumer's machine.
    const address = (await model.status()).applications.consumer?.units?.["consumer/0"]?.["public-address"] ?? "";
    expect(address).toMatch(/^127\.0\.38\.1\d$/);
    const refusals = log.split("\n").filter((line) => line.includes(`rejected connection from "${address}:`));
    expect(refusals.length).toBeGreaterThan(0);
    for (const line of refusals) expect(line).toContain('(error "tls: failed to verify client certificate: x509: certificate signed by unknown authority"');
    expect(await hostEtcdctl("get", "--print-value-only", "/consumer/rogue")).toBe("");
  }, 60_000);

  it("no credentials and http:// URLs is ready (plaintext): the old PEMs go and put works", async () => {
    await publish("standin/0", { connection_string: plainUrl, version: "3.4.23" });
    expect(await consumerStatus()).toMatchObject({ current: "active", message: `ready (plaintext): ${plainUrl}` });
    expect(await stored()).toEqual(["connection"]);
    expect(await act("put", "key=/consumer/plain", "value=in the clear")).toMatchObject({ status: "completed" });
    expect(await hostEtcdctl("get", "--print-value-only", "/consumer/plain")).toBe("in the clear");
    expect(await act("get", "key=/consumer/plain")).toMatchObject({ status: "completed", results: { value: "in the clear" } });
  }, 60_000);

  it("only the first unit of relation-list is read; when it departs, the next one is", async () => {
    await publish("standin/0", { connection_string: tlsUrl, version: "3.4.23", ...credentials() });
    await model.ok("add-unit", "standin");
    await publish("standin/1", { connection_string: plainUrl, version: "3.4.23" });
    expect(await model.ok("exec", "--unit", "consumer/0", "--", 'relation-list -r "$(relation-ids db)"')).toBe("standin/0\nstandin/1");
    expect(await consumerStatus()).toMatchObject({ current: "active", message: `ready: ${tlsUrl}` });
    await model.ok("remove-unit", "standin/0");
    expect(await consumerStatus()).toMatchObject({ current: "active", message: `ready (plaintext): ${plainUrl}` });
    expect(await stored()).toEqual(["connection"]);
    expect(await readFile(path.join(stateDir(), "connection"), "utf8")).toBe(`${plainUrl}\n`);
    // No etcdctl from the unit here: removing a machine can change the model's bridge MAC (the bridge takes its
    // lowest port's), and a unit's cached neighbour entry for the host then goes nowhere until it expires.
  }, 90_000);

  it("once the relation is broken it is not ready and keeps nothing", async () => {
    await model.ok("remove-relation", "consumer:db", "standin:db");
    expect(await consumerStatus()).toMatchObject({ current: "waiting", message: "waiting for a connection string" });
    expect(await stored()).toEqual([]);
    expect(await act("get", "key=/consumer/plain")).toMatchObject({ status: "failed", message: "not ready: no etcd connection from the db relation" });
  }, 60_000);

  it("no hook failed and no log of the model holds a private key", async () => {
    const log = await model.debugLog();
    expect(log.filter((entry) => entry.kind === "hook" && entry.exitCode !== 0).map((entry) => `${entry.unit} ${entry.name}`)).toEqual([]);
    expect(JSON.stringify(log)).not.toContain("PRIVATE KEY");
  });
});
