import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tlsFlags } from "../../src/etcd/etcdctl.js";
import { clientUrl, etcdctlWith, writeClientCredentials } from "../helpers/etcd-client.js";
import { type ClientCredentialFiles, LocalModelFixture, testCharm, type StatusJson } from "../local-model/harness.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";
import { ETCD_BASES, type EtcdBase } from "../helpers/etcd-bases.js";
import { unitRoot } from "../../soak/cluster.js";

oneClusterFileAtATime();

const SUBNETS: Record<EtcdBase["base"], string> = { "24.04": "127.0.50", "26.04": "127.0.77" };

/** etcdctl with the credentials of the charm's client-credentials action (set once the cluster exists). */
let credentials: ClientCredentialFiles | undefined;
const etcdctl = (endpoint: string, ...args: string[]) => etcdctlWith(credentials)(endpoint, ...args);

interface ListedMember {
  name: string;
  isLearner?: boolean;
  peerURLs: string[];
  clientURLs?: string[];
}

/** What the consumer charm received from one etcd unit on one of its endpoints. */
async function consumerView(model: LocalModelFixture, endpoint: "db" | "proxy", unit: string): Promise<Record<string, string>> {
  const command = `relation-get -r $(relation-ids ${endpoint}) - ${unit} --format=json`;
  const out = JSON.parse(await model.ok("run", "consumer/0", "exec", `command=${command}`, "--format=json"));
  return JSON.parse(out["consumer/0"].results.stdout as string) as Record<string, string>;
}

/**
 * After each step: every unit active and idle, the member list equals the units, all voters, every key
 * readable on every member over mutual TLS, and the consumer told the current cluster and the same client
 * credentials by every unit, ready, and writing through them.
 */
async function expectConvergedCluster(model: LocalModelFixture, keys: Record<string, string>, etcdVersion: string): Promise<StatusJson> {
  credentials ??= await model.etcdClientCredentials(Object.keys((await model.status()).applications.etcd!.units!)[0]);
  const status = await model.status();
  const units = status.applications.etcd!.units!;
  const names = Object.keys(units).sort();
  for (const [name, unit] of Object.entries(units)) {
    expect(unit["juju-status"].current, `${name} agent`).toBe("idle");
    expect(unit["workload-status"], `${name} workload`).toMatchObject({ current: "active" });
    expect(unit["workload-status"].message).toMatch(new RegExp(`^${names.length} members?, healthy, raft leader etcd/[0-9]+$`));
  }
  const endpoint = clientUrl(units[names[0]!]!["public-address"]);
  const { members } = JSON.parse(await etcdctl(endpoint, "member", "list", "-w", "json")) as { members: ListedMember[] };
  expect(members.map((m) => m.name).sort()).toEqual(names.map((n) => n.replace("/", "")).sort());
  expect(members.filter((m) => m.isLearner)).toEqual([]);
  for (const [key, value] of Object.entries(keys)) {
    for (const unit of Object.values(units)) {
      expect(await etcdctl(clientUrl(unit["public-address"]), "get", key, "--print-value-only"), `${key} on ${unit["public-address"]}`).toBe(value);
    }
  }
  if (status.applications.consumer) {
    const clientUrls = names.map((name) => clientUrl(units[name]!["public-address"])).sort();
    const cluster = names.map((name) => `${name.replace("/", "")}=https://${units[name]!["public-address"]}:2380`).sort();
    const credentialsSeen = new Set<string>();
    for (const name of names) {
      const db = await consumerView(model, "db", name);
      expect(db.version).toBe(etcdVersion);
      expect(db.connection_string!.split(",").sort(), `connection_string from ${name}`).toEqual(clientUrls);
      expect(db.client_ca, `client_ca from ${name}`).toBe(await readFile(credentials.caFile, "utf8"));
      credentialsSeen.add(`${db.client_cert}|${db.client_key}`);
      const proxy = await consumerView(model, "proxy", name);
      expect(proxy.cluster!.split(",").sort(), `cluster from ${name}`).toEqual(cluster);
      expect(proxy.client_key, `proxy client_key from ${name}`).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    }
    // Consumers read whichever unit comes first (interfaces §5): every unit hands out one identity.
    expect(credentialsSeen.size).toBe(1);
    const consumer = status.applications.consumer.units!["consumer/0"]!;
    expect(consumer["workload-status"].current).toBe("active");
    expect(consumer["workload-status"].message).toMatch(/^ready: https:\/\//);
    const key = `consumer-${names.length}`;
    await model.ok("run", "consumer/0", "put", `key=${key}`, `value=members-${names.length}`);
    const got = JSON.parse(await model.ok("run", "consumer/0", "get", `key=${key}`, "--format=json"))["consumer/0"];
    expect(got.results.value).toBe(`members-${names.length}`);
  }
  return status;
}

const leaderOf = (status: StatusJson) => Object.entries(status.applications.etcd!.units!).find(([, u]) => u.leader)![0];

describe.each(ETCD_BASES)(
  "an etcd cluster through its whole life, on the packed $base charm and real etcd $etcd",
  { timeout: 300_000 },
  ({ base, platform, etcd }) => {
    const SUBNET = SUBNETS[base];
    const charm = inject("packedCharms")[platform];
    let model: LocalModelFixture;
    const keys: Record<string, string> = {};
    const write = async (status: StatusJson, key: string) => {
      const unit = Object.values(status.applications.etcd!.units!)[0]!;
      await etcdctl(clientUrl(unit["public-address"]), "put", key, `value of ${key}`);
      keys[key] = `value of ${key}`;
    };

    beforeAll(async () => {
      credentials = undefined;
      model = await LocalModelFixture.create(SUBNET, 7, ["--timeout", "300"]);
    });
    afterAll(async () => {
      await model.destroy();
    });

    /** etcd processes started for this model's machines (their config files live under the model dir). */
    const etcdProcesses = async () =>
      (await execa("pgrep", ["-f", `${model.dir}/units/.*/etcd.conf.yml`], { reject: false })).stdout.split("\n").filter(Boolean);

    it("deploy: the Juju leader bootstraps a one-member cluster and tells its consumer", async () => {
      await model.ok("deploy", charm);
      await model.ok("deploy", testCharm("etcd-consumer"), "consumer");
      await model.ok("integrate", "consumer:db", "etcd:db");
      await model.ok("integrate", "consumer:proxy", "etcd:proxy");
      const status = await expectConvergedCluster(model, keys, etcd);
      expect(status.applications.etcd!.version).toBe(etcd);
      await write(status, "after-deploy");
    });

    it("add-unit -n 2: each unit adds itself as a learner, once, and is promoted after that", async () => {
      await model.ok("add-unit", "etcd", "-n", "2");
      const status = await expectConvergedCluster(model, keys, etcd);
      const logs = (await model.debugLog()).flatMap((entry) => entry.logs.map((log) => log.message));
      const joins = logs
        .filter((line) => / as a learner$| to a voting member$/.test(line))
        .map((line) => line.replace(/^cluster:[0-9]+: /, "").replace(/ \(http[^)]*\)/, ""));
      for (const name of ["etcd1", "etcd2"]) {
        expect(joins.filter((line) => line === `added ${name} as a learner`)).toHaveLength(1);
        expect(joins.filter((line) => line === `promoted ${name} to a voting member`)).toHaveLength(1);
        expect(joins.indexOf(`added ${name} as a learner`)).toBeLessThan(joins.indexOf(`promoted ${name} to a voting member`));
      }
      await write(status, "after-three");
    });

    // A machine charm's deploy-time storage is attached before install (juju-hook-contract.md §6, deploy order), so
    // a new unit's first hook is data-storage-attached: it converges there, like in every other hook.
    it("add-unit -n 2 again: five voting members, each new unit joining in its own first hook", async () => {
      const runsBefore = (await model.debugLog()).length;
      await model.ok("add-unit", "etcd", "-n", "2");
      await write(await expectConvergedCluster(model, keys, etcd), "after-five");
      // The cluster was there before the units: each finds it through the client URLs in leader settings.
      const added = (await model.debugLog()).slice(runsBefore).filter((entry) => entry.logs.some((log) => / as a learner$/.test(log.message)));
      expect(added.map((entry) => `${entry.unit} ${entry.name}`).sort()).toEqual(["etcd/3 data-storage-attached", "etcd/4 data-storage-attached"]);
    });

    it("remove-unit of the Juju leader: it leaves the member list, another unit leads, nothing restarts", async () => {
      const before = await model.status();
      const leader = leaderOf(before);
      const startsBefore = (await model.debugLog()).length;
      await model.ok("remove-unit", leader);
      const status = await expectConvergedCluster(model, keys, etcd);
      expect(Object.keys(status.applications.etcd!.units!)).not.toContain(leader);
      expect(leaderOf(status)).not.toBe(leader);
      const later = (await model.debugLog()).slice(startsBefore).flatMap((entry) => entry.logs.map((log) => log.message));
      expect(later.filter((line) => /restarting|bootstrapping/.test(line))).toEqual([]);
      await write(status, "after-leader-left");
    });

    it("remove-unit of another unit: three members remain with every key", async () => {
      const status = await model.status();
      const victim = Object.keys(status.applications.etcd!.units!).find((name) => name !== leaderOf(status))!;
      await model.ok("remove-unit", victim);
      expect(Object.keys((await expectConvergedCluster(model, keys, etcd)).applications.etcd!.units!)).toHaveLength(3);
    });

    describe("consumers", () => {
      let clusterString = "";
      let connectionString = "";
      /** The proxy relation's client identity, as files for the proxies' flags. */
      let proxyFiles: ClientCredentialFiles;
      const children: ChildProcess[] = [];
      const dirs: string[] = [];
      /** The etcd a consumer on this base runs: the base's package, as the etcd units' machines have it. */
      const etcdOfThisBase = async () =>
        path.join(unitRoot(model.dir, Object.keys((await model.status()).applications.etcd!.units!)[0]!), "usr", "bin", "etcd");
      afterAll(async () => {
        for (const child of children) child.kill("SIGKILL");
        for (const dir of dirs) await rm(dir, { recursive: true, force: true });
      });

      it("the consumer's `cluster` and `connection_string` are the live members'", async () => {
        const status = await model.status();
        const unit = Object.keys(status.applications.etcd!.units!)[0]!;
        const proxy = await consumerView(model, "proxy", unit);
        clusterString = proxy.cluster!;
        connectionString = (await consumerView(model, "db", unit)).connection_string!;
        const dir = await mkdtemp(path.join(tmpdir(), "proxy-identity-"));
        dirs.push(dir);
        proxyFiles = await writeClientCredentials(dir, "proxy", { ca: proxy.client_ca!, cert: proxy.client_cert!, key: proxy.client_key! });
        expect(clusterString.split(",")).toHaveLength(3);
        expect(connectionString.split(",")).toHaveLength(3);
      });

      it("`etcd --proxy on --initial-cluster <cluster>` with the proxy relation's identity serves v2 reads and writes", async () => {
        const dir = await mkdtemp(path.join(tmpdir(), "v2proxy-"));
        dirs.push(dir);
        const url = `http://${SUBNET}.250:2379`;
        children.push(
          // The v2 proxy reads the member list from the peer port with its --peer-* identity (test/etcd/tls-etcd.test.ts).
          spawn(
            await etcdOfThisBase(),
            [
              "--proxy=on",
              `--initial-cluster=${clusterString}`,
              `--listen-client-urls=${url}`,
              `--data-dir=${dir}`,
              `--peer-cert-file=${proxyFiles.certFile}`,
              `--peer-key-file=${proxyFiles.keyFile}`,
              `--peer-trusted-ca-file=${proxyFiles.caFile}`,
            ],
            { stdio: "ignore" },
          ),
        );
        // --no-sync: etcdctl v2 would otherwise go around the proxy to the members' https URLs itself.
        const v2 = (...args: string[]) => execa("etcdctl", ["--no-sync", `--endpoints=${url}`, ...args], { env: { ETCDCTL_API: "2" }, reject: false });
        let set = await v2("set", "/through-v2-proxy", "yes");
        for (let i = 0; i < 50 && set.exitCode !== 0; i++) {
          await sleep(200);
          set = await v2("set", "/through-v2-proxy", "yes");
        }
        expect(set.exitCode, set.stderr).toBe(0);
        expect((await v2("get", "/through-v2-proxy")).stdout).toBe("yes");
      });

      it("`etcd grpc-proxy start --endpoints=<connection_string>` with the proxy relation's identity serves v3 reads and writes", async () => {
        const url = `${SUBNET}.251:2379`;
        const identity = tlsFlags(proxyFiles);
        children.push(
          spawn(await etcdOfThisBase(), ["grpc-proxy", "start", `--endpoints=${connectionString}`, `--listen-addr=${url}`, ...identity], { stdio: "ignore" }),
        );
        let put = await execa("etcdctl", [`--endpoints=${url}`, "put", "through-grpc-proxy", "yes"], { reject: false });
        for (let i = 0; i < 50 && put.exitCode !== 0; i++) {
          await sleep(200);
          put = await execa("etcdctl", [`--endpoints=${url}`, "put", "through-grpc-proxy", "yes"], { reject: false });
        }
        expect(put.exitCode, put.stderr).toBe(0);
        expect((await execa("etcdctl", [`--endpoints=${url}`, "get", "through-grpc-proxy", "--print-value-only"])).stdout).toBe("yes");
      });
    });

    it("the health action reports every member and the raft leader", async () => {
      const status = await model.status();
      const unit = Object.keys(status.applications.etcd!.units!)[0]!;
      const out = JSON.parse(await model.ok("run", unit, "health", "--format=json"))[unit];
      expect(out.status).toBe("completed");
      expect(out.results.verdict).toBe("healthy");
      expect(out.results.summary).toMatch(/^healthy: 3 members, raft leader etcd[0-9]+$/);
      const members = out.results.members as Record<string, Record<string, string>>;
      expect(Object.keys(members).sort()).toEqual(
        Object.keys(status.applications.etcd!.units!)
          .map((u) => u.replace("/", ""))
          .sort(),
      );
      for (const member of Object.values(members)) {
        expect(member).toMatchObject({ healthy: "true", learner: "false" });
        expect(Number(member["raft-term"])).toBeGreaterThan(0);
        expect(Number(member["db-size-bytes"])).toBeGreaterThan(0);
        expect(Number(member["round-trip-ms"])).toBeGreaterThan(0);
      }
      expect(Object.values(members).filter((m) => m["raft-leader"] === "true")).toHaveLength(1);
    });

    it("the health action with a parameter it does not take fails with a message naming it, and nothing runs", async () => {
      const unit = Object.keys((await model.status()).applications.etcd!.units!)[0]!;
      const runsBefore = (await model.debugLog()).length;
      const refused = await model.run("run", unit, "health", "verbose=true");
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toContain("validation failed: params must NOT have additional properties (verbose)");
      expect((await model.debugLog()).slice(runsBefore).filter((entry) => entry.kind === "action")).toEqual([]);
    });

    it("remove-application: every unit leaves and tears down without a hook error, the last one included", async () => {
      await model.ok("remove-relation", "consumer:db", "etcd:db");
      await model.ok("remove-relation", "consumer:proxy", "etcd:proxy");
      await model.ok("remove-application", "etcd");
      const status = await model.status();
      expect(status.applications.etcd).toBeUndefined();
      const failures = (await model.debugLog()).filter((entry) => entry.unit.startsWith("etcd/") && entry.exitCode !== 0);
      expect(failures.map((entry) => `${entry.unit} ${entry.name}: ${entry.stderr}`)).toEqual([]);
      expect(await etcdProcesses()).toEqual([]);
    });

    it("destroy leaves no etcd running", async () => {
      await model.ok("deploy", charm, "again");
      expect(await etcdProcesses()).toHaveLength(1);
      await model.ok("destroy");
      expect(await etcdProcesses()).toEqual([]);
    });
  },
);
