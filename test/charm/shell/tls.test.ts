import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { schemeOf } from "../../../src/domain/address.js";
import { etcdPaths } from "../../../src/etcd/paths.js";
import { certificateMatchesKey, isIssuedBy, readCertificate } from "../../../src/tls/inspect.js";
import { FakeWorld } from "./fake-world.js";
import { settle, UNITS, watchRestarts } from "./settle.js";

/**
 * TLS through the real dispatch over the fake world: the CA in an application secret, each unit's own
 * certificate, https everywhere, a leader hook that fails half-way, and a rolling switch between http and https.
 */

const paths = etcdPaths("/");

/** The charm's CA secrets (label "tls-ca", act-tls.ts) as Juju holds them. */
const caSecrets = (world: FakeWorld) => [...world.juju.secrets.values()].filter((secret) => secret.label === "tls-ca");

/** Every URL the cluster and the units publish, with the scheme each uses. */
function publishedSchemes(world: FakeWorld, db: string): Set<string | undefined> {
  const urls = [
    ...world.cluster.snapshot().flatMap((m) => [...m.peerUrls, ...m.clientUrls]),
    ...UNITS.flatMap((unit) => [world.juju.bag(world.peerRelation, unit)["peer-url"], world.juju.bag(world.peerRelation, unit)["client-url"]]),
    ...(world.juju.leaderBag["cluster-client-urls"] ?? "").split(","),
    ...UNITS.flatMap((unit) => (world.juju.bag(db, unit).connection_string ?? "").split(",")),
    ...UNITS.map((unit) => world.machine(unit).servingClientUrl),
  ];
  expect(urls).toHaveLength(3 * 2 + 3 * 2 + 3 + 3 * 3 + 3);
  return new Set(urls.map(schemeOf));
}

describe("a 3-unit deploy under tls: true (the default)", () => {
  it("ends with one CA secret, every member certificate from it naming its unit, https everywhere, and no key in any status, log or action result", async () => {
    const world = await FakeWorld.converged(3);
    const db = world.juju.addRelation("db", ["kube-apiserver/0"]);
    await settle(world, "config-changed");
    const health = await world.action("etcd/1", "health");
    expect(health.error).toBeUndefined();
    expect(world.juju.actionResults.verdict).toBe("healthy");

    const [ca, ...more] = caSecrets(world);
    expect(more).toEqual([]);
    if (!ca) throw new Error("no CA secret");
    const caPem = ca.content.certificate ?? "";
    expect(world.juju.leaderBag).toMatchObject({ "tls-ca-secret": ca.id, "tls-ca": caPem });
    expect(readCertificate(caPem)).toMatchObject({ isCa: true, organization: "etcd", commonName: "etcd etcd CA" });

    const keys = [ca.content["private-key"] ?? ""];
    for (const [n, unit] of UNITS.entries()) {
      const files = world.machine(unit).tls.files;
      const cert = files.get(paths.certFile) ?? "";
      const key = files.get(paths.keyFile) ?? "";
      keys.push(key);
      expect(isIssuedBy(cert, caPem), unit).toBe(true);
      expect(certificateMatchesKey(cert, key), unit).toBe(true);
      expect(readCertificate(cert)).toMatchObject({ commonName: `etcd${n}`, ipAddresses: [`10.0.0.1${n}`], dnsNames: [`machine-${n}`, "etcd.etcd-peer"] });
      // Every member's key is its own.
      expect(new Set(keys).size).toBe(keys.length);
      expect(files.get(paths.etcdctlEnvFile)).toContain(`ETCDCTL_ENDPOINTS=https://10.0.0.1${n}:2379`);
      expect(world.machine(unit).config).toContain("client-cert-auth: true");
    }
    const client = [...world.juju.secrets.values()].find((secret) => secret.label === `tls-client-${db.split(":")[1]}`);
    keys.push(client?.content["private-key"] ?? "");
    expect(keys.every((key) => key.includes("-----BEGIN PRIVATE KEY-----"))).toBe(true);

    expect(publishedSchemes(world, db)).toEqual(new Set(["https"]));

    // Keys travel only through secret files and the consumer's bag (the interface's convention), never where
    // operators and other processes read: statuses, juju-log, action results, the charm's log, any tool's argv.
    const statuses = UNITS.flatMap((unit) => (world.juju.statuses.get(unit) ?? []).map((s) => s.message));
    const seen = [
      ...statuses,
      ...world.juju.logs,
      JSON.stringify(world.juju.actionResults),
      ...world.logLines.map((line) => JSON.stringify(line)),
      ...world.juju.calls.flatMap((call) => call.args),
    ].join("\n");
    expect(statuses.length).toBeGreaterThan(20);
    expect(seen).not.toContain("PRIVATE KEY");
    for (const key of keys) expect(seen).not.toContain(key.split("\n")[1]);
  });
});

describe("a leader hook that fails after it created the CA", () => {
  it("leaves leader data naming no secret Juju does not have; the retried hook makes a CA, a later hook publishes it, and the cluster converges on it", async () => {
    const world = new FakeWorld(3);
    world.machine("etcd/0").tls.failNextWrite = "ENOSPC: no space left on device, write '/etc/etcd/tls/ca.pem.charm-new'";
    const failed = await world.hook("etcd/0", "install");
    expect(failed.error).toContain("ENOSPC");
    expect(failed.actions).toEqual(["install", "create-ca", "write-trust"]);
    // Juju dropped the hook's secret and its unit state with it (§6.6, contract §3.18); leader data never named it.
    expect(world.juju.secrets.size).toBe(0);
    expect(world.juju.leaderBag["tls-ca-secret"]).toBeUndefined();
    expect(world.juju.unitState.get("etcd/0")?.["pending-ca"]).toBeUndefined();

    // Meanwhile another unit finds no CA and waits, without an error and without joining in plaintext.
    const early = await world.hook("etcd/1", "install");
    expect(early.error).toBeUndefined();
    expect(early.actions).not.toContain("add-learner");

    const retried = await world.hook("etcd/0", "install");
    expect(retried.error).toBeUndefined();
    expect(retried.actions.slice(0, 3)).toEqual(["create-ca", "write-trust", "issue-member-certificate"]);
    const [ca, ...more] = caSecrets(world);
    expect(more).toEqual([]);
    // Published only by the leader's next hook, once the secret is committed: not by the hook that made it.
    expect(retried.actions).not.toContain("record-ca");
    expect(world.juju.leaderBag["tls-ca-secret"]).toBeUndefined();
    const next = await world.hook("etcd/0", "update-status");
    expect(next.actions[0]).toBe("record-ca");
    expect(world.juju.leaderBag).toMatchObject({ "tls-ca-secret": ca?.id, "tls-ca": ca?.content.certificate });

    for (const unit of ["etcd/1", "etcd/2"]) expect((await world.hook(unit, "install")).error, unit).toBeUndefined();
    await settle(world);
    const caPem = ca?.content.certificate ?? "";
    for (const unit of UNITS) expect(isIssuedBy(world.machine(unit).tls.files.get(paths.certFile) ?? "", caPem), unit).toBe(true);
    expect(world.cluster.snapshot().map((m) => [m.name, m.isLearner, m.peerUrls[0]])).toEqual([
      ["etcd0", false, "https://10.0.0.10:2380"],
      ["etcd1", false, "https://10.0.0.11:2380"],
      ["etcd2", false, "https://10.0.0.12:2380"],
    ]);
    expect(world.status("etcd/2")).toBe("active: 3 members, healthy, raft leader etcd/0");
  });

  it("even when it failed only after it had issued its own certificate and started etcd from that lost CA", async () => {
    const world = new FakeWorld(3);
    // etcd runs, then the hook fails writing the operators' etcdctl environment: everything before it stays.
    const writeEnv = world.machine("etcd/0").tls.writeEtcdctlEnv.bind(world.machine("etcd/0").tls);
    let failOnce = true;
    world.machine("etcd/0").tls.writeEtcdctlEnv = async (text, profile) => {
      if (failOnce) {
        failOnce = false;
        throw new Error("EIO: i/o error, write '/etc/etcd/etcdctl.env.charm-new'");
      }
      await writeEnv(text, profile);
    };
    const failed = await world.hook("etcd/0", "install");
    expect(failed.error).toContain("EIO");
    expect(failed.actions).toContain("start");
    expect(world.juju.secrets.size).toBe(0);
    expect(world.juju.leaderBag["tls-ca-secret"]).toBeUndefined();
    const lostCert = world.machine("etcd/0").tls.files.get(paths.certFile) ?? "";

    const retried = await world.hook("etcd/0", "install");
    expect(retried.error).toBeUndefined();
    const [ca] = caSecrets(world);
    expect(ca).toBeDefined();
    expect(isIssuedBy(lostCert, ca?.content.certificate ?? "")).toBe(false);
    // Its member moved to a certificate from the new CA, restarting once to load it.
    expect(retried.actions.slice(0, 3)).toEqual(["create-ca", "write-trust", "issue-member-certificate"]);
    expect(retried.machineWrites.filter((write) => write === "restart")).toEqual(["restart"]);
    expect(world.juju.leaderBag["tls-ca-secret"]).toBeUndefined();
    expect((await world.hook("etcd/0", "update-status")).actions[0]).toBe("record-ca");
    expect(world.juju.leaderBag).toMatchObject({ "tls-ca-secret": ca?.id, "tls-ca": ca?.content.certificate });
    for (const unit of ["etcd/1", "etcd/2"]) expect((await world.hook(unit, "install")).error, unit).toBeUndefined();
    await settle(world);
    const caPem = ca?.content.certificate ?? "";
    for (const unit of UNITS) expect(isIssuedBy(world.machine(unit).tls.files.get(paths.certFile) ?? "", caPem), unit).toBe(true);
    expect(world.status("etcd/2")).toBe("active: 3 members, healthy, raft leader etcd/0");
  });
});

describe("tls: true → false → true on a running 3-unit cluster", () => {
  it("converges each time with every member's peer URL following, one restart at a time and never below quorum", async () => {
    const world = await FakeWorld.converged(3);
    const db = world.juju.addRelation("db", ["kube-apiserver/0"]);
    await settle(world, "config-changed");
    // At each restart: how many of the other members answer (a quorum of 3 needs both while one is down).
    const { othersAnswering } = watchRestarts(world);

    for (const [tls, scheme] of [
      [false, "http"],
      [true, "https"],
    ] as const) {
      world.juju.config.tls = tls;
      othersAnswering.length = 0;
      const runs = [...(await settle(world, "config-changed")), ...(await settle(world))];
      // Each member restarted once, each in its own hook, having told the cluster its new peer URL first.
      expect(runs.map((run) => run.machineWrites.filter((w) => w === "restart").length).filter((n) => n > 0)).toEqual([1, 1, 1]);
      expect(othersAnswering).toEqual([2, 2, 2]);
      const updates = runs.flatMap((run) => run.etcdOperations.filter((op) => op.startsWith("update-peer-url")));
      expect(updates.sort()).toEqual([0, 1, 2].map((n) => `update-peer-url 100${n} ${scheme}://10.0.0.1${n}:2380`));
      expect(publishedSchemes(world, db)).toEqual(new Set([scheme]));
      expect(UNITS.map((unit) => world.status(unit))).toEqual(UNITS.map(() => "active: 3 members, healthy, raft leader etcd/0"));
      // Converged: another round of every hook does nothing.
      for (const unit of UNITS)
        expect(await world.hook(unit, "config-changed")).toMatchObject({ error: undefined, machineWrites: [], etcdOperations: [], jujuWrites: [] });
    }
  });
});

describe("certificate renewal", () => {
  it("update-status renews a member certificate with a third of its life left, from the same CA and key, without a restart", async () => {
    const world = await FakeWorld.converged(3);
    const files = world.machine("etcd/1").tls.files;
    const before = { cert: files.get(paths.certFile) ?? "", key: files.get(paths.keyFile) ?? "" };
    const notAfter = readCertificate(before.cert)?.notAfterMs ?? 0;
    world.clock.current = notAfter - 100 * 24 * 3600_000;
    const run = await world.hook("etcd/1", "update-status");
    expect(run.error).toBeUndefined();
    expect(run.actions).toEqual(["issue-member-certificate"]);
    // The charm does not restart for a renewed certificate: etcd (3.2+) loads it at each new connection; a new CA bundle is a new file and a restart.
    expect(run.machineWrites).toEqual(["tls-member"]);
    const cert = files.get(paths.certFile) ?? "";
    expect(readCertificate(cert)?.notAfterMs).toBe(world.clock.current + 365 * 24 * 3600_000);
    expect(files.get(paths.keyFile)).toBe(before.key);
    expect(isIssuedBy(cert, world.juju.leaderBag["tls-ca"] ?? "")).toBe(true);
    expect(world.juju.logs.at(-1)).toBe(
      `etcd/1: issued this member's certificate for 10.0.0.11, machine-1, etcd.etcd-peer (the member certificate expires on ${new Date(notAfter).toISOString().slice(0, 10)})`,
    );
    expect(await world.hook("etcd/1", "update-status")).toMatchObject({ error: undefined, actions: [], machineWrites: [] });
  });
});

describe("a scheme change interrupted after the cluster was told the new peer URL", () => {
  it("is finished by the next hook, which checks the member at the URL it now serves", async () => {
    const world = await FakeWorld.converged(3);
    world.juju.config.tls = false;
    world.machine("etcd/1").restartError = "Job for etcd.service failed";
    const failed = await world.hook("etcd/1", "config-changed");
    expect(failed.error).toBe("systemctl restart etcd.service failed (exit 1): Job for etcd.service failed");
    expect(failed.etcdOperations).toEqual(["lock etcd-charm/restart", "update-peer-url 1001 http://10.0.0.11:2380"]);
    // Its peers now dial it over http while it still serves https: cut off until it restarts.
    expect(world.cluster.answers("https://10.0.0.11:2379")).toBe(false);

    const retried = await world.hook("etcd/1", "config-changed");
    expect(retried.error).toBeUndefined();
    expect(retried.etcdOperations).toEqual(["lock etcd-charm/restart"]);
    expect(retried.sleptMs).toBe(0);
    expect(world.machine("etcd/1").servingClientUrl).toBe("http://10.0.0.11:2379");
    expect(world.status("etcd/1")).toBe("active: 3 members, healthy, raft leader etcd/0");
  });
});

/**
 * What a plaintext revision of the charm left on a model: no CA in leader data or secrets, no TLS files,
 * configs without TLS keys (nor the v3 gateway), nothing trusted in peer data.
 */
function asEarlierRevision(world: FakeWorld): void {
  for (const key of Object.keys(world.juju.leaderBag)) if (key.startsWith("tls-")) delete world.juju.leaderBag[key];
  world.juju.secrets.clear();
  for (const unit of UNITS) {
    const machine = world.machine(unit);
    machine.tls.files.clear();
    const config = parseYaml(machine.config ?? "") as Record<string, unknown>;
    for (const key of ["client-transport-security", "peer-transport-security", "cipher-suites", "enable-grpc-gateway"]) delete config[key];
    machine.config = `# Rendered by an earlier revision.\n${stringifyYaml(config)}`;
    machine.runningFiles = { configText: machine.config, unitText: machine.unit ?? "" };
    delete world.juju.bag(world.peerRelation, unit)["tls-trusted-cas"];
    delete world.juju.bag(world.peerRelation, unit)["tls-cert-issuer"];
    world.juju.unitState.set(unit, {});
  }
}

describe("a plaintext cluster of an earlier revision, refreshed (tls: true by default)", () => {
  it("converts while it keeps quorum: members load their certificates on http, and move to https one at a time once all trust the CA", async () => {
    const world = new FakeWorld(3);
    world.juju.config.tls = false;
    await world.deploy();
    const db = world.juju.addRelation("db", ["kube-apiserver/0"]);
    await settle(world, "config-changed");
    asEarlierRevision(world);
    expect(publishedSchemes(world, db)).toEqual(new Set(["http"]));

    const { othersAnswering, restarted } = watchRestarts(world);
    world.juju.config.tls = true;
    await settle(world, "upgrade-charm");
    await settle(world);

    // No member moves to https before every other running member trusts the CA. The leader makes the CA and loads
    // its certificate on http; the others restart once on http for this revision's config (the v3 gateway) while
    // the CA is not yet published (record-ca comes in the leader's next hook), then load their certificates on
    // http; the last finds its peers trusting already and moves in the same restart.
    expect(restarted).toEqual([
      "etcd/0 http→http",
      "etcd/1 http→http",
      "etcd/2 http→http",
      "etcd/1 http→http",
      "etcd/2 http→https",
      "etcd/0 http→https",
      "etcd/1 http→https",
    ]);
    expect(othersAnswering).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(caSecrets(world)).toHaveLength(1);
    expect(publishedSchemes(world, db)).toEqual(new Set(["https"]));
    for (const unit of UNITS) expect(world.juju.bag(db, unit).client_ca).toBe(world.juju.leaderBag["tls-ca"]);
    expect(UNITS.map((unit) => world.status(unit))).toEqual(UNITS.map(() => "active: 3 members, healthy, raft leader etcd/0"));
  });
});
