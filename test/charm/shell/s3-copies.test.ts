import { describe, expect, it } from "vitest";
import { FakeWorld } from "./fake-world.js";

/**
 * Snapshot copies to S3 through the s3-credentials relation (interfaces §3.1, s3 v0): the leader asks for a
 * bucket, the provider's untrusted settings are checked, and the leader's scheduled snapshots are copied to the
 * bucket (an in-memory one here: test/s3 runs the real client against an S3 server).
 */

const SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
const READY = { bucket: "etcd-backups", "access-key": "AKIAEXAMPLE", "secret-key": SECRET, endpoint: "http://10.0.0.99:9000", path: "prod" };
const HEALTHY = "active: 3 members, healthy, raft leader etcd/0";

async function related(provider: Record<string, string> | undefined) {
  const world = await FakeWorld.converged(3);
  const relation = world.juju.addRelation("s3-credentials", ["s3-integrator/0"]);
  if (provider) world.juju.relations.get(relation)?.bags.set("app:s3-integrator", { ...provider });
  const env = { JUJU_RELATION: "s3-credentials", JUJU_RELATION_ID: relation, JUJU_REMOTE_APP: "s3-integrator", JUJU_REMOTE_UNIT: "s3-integrator/0" };
  const hook = (unit: string, name = "s3-credentials-relation-changed") => world.hook(unit, name, env);
  return { world, relation, hook };
}

describe("snapshot copies to S3", () => {
  it("the leader asks the provider for a bucket once, in its application databag; the other units write nothing", async () => {
    const { world, relation, hook } = await related(undefined);
    const asked = await hook("etcd/0", "s3-credentials-relation-joined");
    expect(asked).toMatchObject({ error: undefined, actions: ["request-s3-bucket"], machineWrites: [], etcdOperations: [] });
    expect(world.juju.relations.get(relation)?.bags.get("app:etcd")).toEqual({ bucket: `relation-${relation.split(":")[1]}` });
    expect((await hook("etcd/0")).actions).toEqual([]);
    expect(await hook("etcd/1")).toMatchObject({ error: undefined, actions: [], jujuWrites: [] });
    expect(world.status("etcd/1")).toBe(`${HEALTHY}; no snapshot copies to S3: waiting for the provider's settings`);
  });

  it("settings with problems are named in every unit's status, never showing the secret key, and etcd is left alone", async () => {
    const { world, hook } = await related({ ...READY, endpoint: `ftp://${SECRET}@10.0.0.99`, "access-key": "" });
    const run = await hook("etcd/1");
    expect(run).toMatchObject({ error: undefined, actions: [], machineWrites: [], etcdOperations: [] });
    const status = world.status("etcd/1");
    expect(status).toMatch(new RegExp(`^${HEALTHY}; no snapshot copies to S3: access-key is missing; endpoint `));
    expect(status).not.toContain(SECRET);
    expect(JSON.stringify(world.logLines)).not.toContain(SECRET);
    expect(world.logLines.some((line) => line.msg === "ignoring the s3-credentials provider's settings")).toBe(true);
  });

  it("with ready settings each scheduled snapshot is copied to the bucket as well as kept", async () => {
    const { world, hook } = await related(READY);
    await hook("etcd/0", "s3-credentials-relation-joined");
    world.juju.config["snapshot-interval"] = "1h";
    const run = await world.hook("etcd/0", "update-status");
    expect(run).toMatchObject({ error: undefined, actions: ["take-scheduled-snapshot"] });
    const kept = world.machine("etcd/0").kept.map((s) => s.name);
    expect([...world.bucket.objects.keys()]).toEqual(kept);
    expect(world.juju.logs.filter((line) => line.includes(`; copied to bucket "etcd-backups" path "prod" at http://10.0.0.99:9000`))).toHaveLength(1);
    expect(world.status("etcd/0")).toBe(`${HEALTHY}; last snapshot 0s ago`);
  });

  it("a failed copy keeps the snapshot, fails no hook, and every unit's status names it until a copy succeeds", async () => {
    const { world, hook } = await related(READY);
    await hook("etcd/0", "s3-credentials-relation-joined");
    world.juju.config["snapshot-interval"] = "1h";
    world.bucket.failure = "S3: could not upload: the server is unreachable (connection refused)";
    const run = await world.hook("etcd/0", "update-status");
    expect(run).toMatchObject({ error: undefined, actions: ["take-scheduled-snapshot"] });
    const [kept] = world.machine("etcd/0").kept;
    expect(world.bucket.objects.size).toBe(0);
    expect((await world.hook("etcd/1", "update-status")).actions).toEqual([]);
    expect(world.status("etcd/1")).toBe(
      `${HEALTHY}; the last scheduled snapshot failed 0s ago: ${kept?.name} is kept on this unit, but its copy to S3 failed: ` +
        "S3: could not upload: the server is unreachable (connection refused); last snapshot 0s ago",
    );
    world.bucket.failure = undefined;
    world.clock.current += 3_600_000;
    expect((await world.hook("etcd/0", "update-status")).actions).toEqual(["take-scheduled-snapshot"]);
    expect(world.bucket.objects.size).toBe(1);
    expect(world.status("etcd/0")).toBe(`${HEALTHY}; last snapshot 0s ago`);
  });

  it("without the relation nothing is copied and nothing is asked", async () => {
    const world = await FakeWorld.converged(3);
    world.juju.config["snapshot-interval"] = "1h";
    const run = await world.hook("etcd/0", "update-status");
    expect(run.actions).toEqual(["take-scheduled-snapshot"]);
    expect(world.bucket.objects.size).toBe(0);
    expect(world.juju.calls.some((call) => call.tool === "relation-set" && call.args.includes("--app"))).toBe(false);
  });
});
