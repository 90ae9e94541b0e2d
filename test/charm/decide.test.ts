import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/build.js";
import { parseCharmConfig } from "../../src/charm/config.js";
import { decide, type Action, type Decision } from "../../src/charm/decide.js";
import type { ClusterView, Observed, Peer } from "../../src/charm/observed.js";
import type { Member } from "../../src/etcd/etcdctl.js";
import { etcdPaths } from "../../src/etcd/paths.js";
import { renderEtcdConfig, renderServiceUnit } from "../../src/etcd/render.js";

const templates = {
  config: await readFile(path.join(repoRoot, "templates", "etcd.conf.yml"), "utf8"),
  unit: await readFile(path.join(repoRoot, "templates", "etcd.service"), "utf8"),
};
const paths = etcdPaths("/");
const defaults = Object.fromEntries(
  Object.entries((parseYaml(await readFile(path.join(repoRoot, "config.yaml"), "utf8")) as { options: Record<string, { default: unknown }> }).options).map(([k, v]) => [k, v.default]),
);
const TOKEN = "0123456789abcdef0123456789abcdef";
const ip = (n: number) => `10.0.0.${10 + n}`;
const peerUrl = (n: number) => `http://${ip(n)}:2380`;
const clientUrl = (n: number) => `http://${ip(n)}:2379`;
const member = (n: number, extra: Partial<Member> = {}): Member => ({ ID: String(1000 + n), name: `etcd${n}`, peerURLs: [peerUrl(n)], clientURLs: [clientUrl(n)], isLearner: false, ...extra });
const peer = (n: number, started = true): Peer => ({ unit: `etcd/${n}`, memberName: `etcd${n}`, address: ip(n), peerUrl: peerUrl(n), clientUrl: clientUrl(n), started });
const cluster = (members: Member[], leader = members[0]!.ID): ClusterView => ({
  members,
  raftLeaderId: leader,
  answering: members.filter((m) => m.name !== "").map((m) => m.clientURLs[0]!),
  version: "3.4.23",
});

/** The config this unit would have rendered for a member with the given identity. */
function rendered(n: number, initialCluster: string, state: "new" | "existing" = "existing") {
  const settings = parseCharmConfig(defaults);
  if (!settings.ok) throw new Error("defaults invalid");
  const configText = renderEtcdConfig({ settings: settings.settings, member: { name: `etcd${n}`, address: ip(n), initialCluster, initialClusterState: state, clusterToken: TOKEN }, paths }, templates.config);
  const unitText = renderServiceUnit({ memberName: `etcd${n}`, paths }, templates.unit);
  return { configText, unitText, initialCluster, initialClusterState: state, clientPort: 2379, peerPort: 2380 };
}

/** A converged three-unit cluster seen from unit n (etcd/0 is the Juju leader and the raft leader). */
function converged(n = 0, overrides: Partial<Observed> = {}): Observed {
  const members = [0, 1, 2].map((i) => member(i));
  return {
    unit: `etcd/${n}`,
    memberName: `etcd${n}`,
    address: ip(n),
    isLeader: n === 0,
    departing: false,
    config: parseCharmConfig(defaults),
    installed: true,
    etcdVersion: "3.4.23",
    rendered: rendered(n, `etcd0=${peerUrl(0)}`),
    serviceActive: true,
    serviceRestarts: 0,
    hasMemberData: true,
    leaderData: { token: TOKEN, bootstrapMember: "etcd0", grants: {}, members: "etcd0,etcd1,etcd2", clientUrls: [0, 1, 2].map(clientUrl) },
    peers: [0, 1, 2].filter((i) => i !== n).map((i) => peer(i)),
    publishedPeerData: { "peer-url": peerUrl(n), "client-url": clientUrl(n), "member-state": "started" },
    departedUnits: [],
    cluster: cluster(members),
    consumers: {},
    ...overrides,
  };
}

const run = (observed: Observed): Decision => decide({ observed, templates, paths });
const action = (observed: Observed): Action | undefined => run(observed).action;

describe("a converged unit does nothing and reports the cluster", () => {
  it("the leader: no action, active with members, health and the raft leader's unit", () => {
    expect(run(converged(0))).toEqual({ action: undefined, status: { kind: "active", message: "3 members, healthy, raft leader etcd/0" } });
  });

  it("a member systemd had to restart says so", () => {
    expect(run(converged(1, { serviceRestarts: 1 })).status.message).toBe("3 members, healthy, raft leader etcd/0; etcd here was restarted by systemd 1 time");
  });

  it("a follower: no action either", () => {
    expect(run(converged(2)).action).toBeUndefined();
  });

  it("a member that does not answer is named in an active, degraded status", () => {
    const view = { ...cluster([0, 1, 2].map((i) => member(i))), answering: [clientUrl(0), clientUrl(1)] };
    expect(run(converged(0, { cluster: view })).status.message).toBe("3 members, degraded: etcd/2 not answering, raft leader etcd/0");
  });
});

describe("install and bootstrap, on the Juju leader only", () => {
  const fresh = (overrides: Partial<Observed> = {}): Observed =>
    converged(0, {
      installed: true,
      rendered: { configText: undefined, unitText: undefined, initialCluster: undefined, initialClusterState: undefined, clientPort: undefined, peerPort: undefined },
      serviceActive: false,
      hasMemberData: false,
      leaderData: { token: undefined, bootstrapMember: undefined, grants: {}, members: undefined, clientUrls: [] },
      peers: [],
      publishedPeerData: {},
      cluster: undefined,
      ...overrides,
    });

  it("installs first", () => {
    expect(action(fresh({ installed: false }))).toEqual({ kind: "install" });
  });

  it("claims the bootstrap in leader data before anything else", () => {
    expect(action(fresh())).toEqual({ kind: "claim-bootstrap" });
  });

  it("once claimed, renders a new single-member cluster, then starts it and waits for health", () => {
    const claimed = fresh({ leaderData: { token: TOKEN, bootstrapMember: "etcd0", grants: {}, members: undefined, clientUrls: [] } });
    const write = action(claimed);
    expect(write).toMatchObject({ kind: "write-files", restart: false });
    const config = parseYaml((write as { configText: string }).configText) as Record<string, unknown>;
    expect(config).toMatchObject({ "initial-cluster-state": "new", "initial-cluster": `etcd0=${peerUrl(0)}`, "initial-cluster-token": TOKEN });
    const written = { ...claimed, rendered: rendered(0, `etcd0=${peerUrl(0)}`, "new") };
    expect(action(written)).toEqual({ kind: "start", waitHealthy: true });
  });

  it("after bootstrap the config says existing, without a restart, so a lost data dir can never bootstrap a second cluster", () => {
    const running = converged(0, { rendered: rendered(0, `etcd0=${peerUrl(0)}`, "new"), peers: [], cluster: cluster([member(0)]) });
    const next = action(running);
    expect(next).toMatchObject({ kind: "write-files", restart: false });
    expect(parseYaml((next as { configText: string }).configText)).toMatchObject({ "initial-cluster-state": "existing" });
  });

  it.each([
    ["another unit claimed the bootstrap", { leaderData: { token: TOKEN, bootstrapMember: "etcd5", grants: {}, members: undefined, clientUrls: [] } }],
    ["a peer already runs a member", { peers: [peer(1, true)] }],
    ["a cluster answers", { cluster: cluster([member(1)]) }],
    ["this unit is not the leader", { isLeader: false }],
  ])("never bootstraps when %s", (_why, overrides) => {
    const decision = run(fresh(overrides as Partial<Observed>));
    expect(decision.action?.kind).not.toBe("claim-bootstrap");
    expect(decision.action?.kind === "write-files" && decision.action.configText.includes("initial-cluster-state: new")).toBe(false);
  });
});

describe("joining: the leader adds one learner at a time and promotes it once it runs", () => {
  it("a unit without a member gets added as a learner", () => {
    const view = converged(0, { peers: [peer(1), peer(2, false)], cluster: cluster([member(0), member(1)]) });
    expect(action(view)).toEqual({ kind: "add-learner", memberName: "etcd2", peerUrl: peerUrl(2), replacing: undefined });
  });

  it("units join in unit order, and not while another learner is in progress", () => {
    const learner = member(2, { isLearner: true, name: "", clientURLs: [] });
    const view = converged(0, { peers: [peer(1), peer(2, false), peer(3, false)], cluster: cluster([member(0), member(1), learner]), leaderData: { ...converged().leaderData, members: "etcd0,etcd1", clientUrls: [0, 1].map(clientUrl), grants: { etcd2: "x=y" } } });
    expect(action(view)).toBeUndefined();
  });

  it("a learner whose unit runs it is promoted", () => {
    const view = converged(0, { cluster: cluster([member(0), member(1), member(2, { isLearner: true })]) });
    expect(action(view)).toEqual({ kind: "promote", memberId: "1002", memberName: "etcd2" });
  });

  it("a unit whose started member is still a learner promotes itself before publishing 'started'", () => {
    const grant = `etcd0=${peerUrl(0)},etcd1=${peerUrl(1)},etcd2=${peerUrl(2)}`;
    const joined = converged(2, {
      rendered: rendered(2, grant),
      leaderData: { ...converged().leaderData, members: "etcd0,etcd1", grants: { etcd2: grant } },
      publishedPeerData: { "peer-url": peerUrl(2), "client-url": clientUrl(2), "member-state": "waiting" },
      cluster: cluster([member(0), member(1), member(2, { isLearner: true })]),
    });
    expect(run(joined)).toEqual({ action: { kind: "promote", memberId: "1002", memberName: "etcd2" }, status: { kind: "maintenance", message: "promoting etcd2 to a voting member" } });
    // Not before its etcd runs and has published its name, and never for a member that already votes.
    expect(action({ ...joined, serviceActive: false })?.kind).not.toBe("promote");
    expect(action({ ...joined, cluster: cluster([member(0), member(1), member(2, { isLearner: true, name: "" })]) })?.kind).not.toBe("promote");
    expect(action({ ...joined, cluster: cluster([member(0), member(1), member(2)]) })?.kind).toBe("publish-peer");
  });

  it("the leader records the voters and their client URLs, where a joiner that sees no peer yet finds the cluster", () => {
    const view = converged(0, { leaderData: { ...converged().leaderData, members: "etcd0,etcd1", clientUrls: [clientUrl(0)], grants: { etcd2: "x=y" } } });
    expect(action(view)).toEqual({ kind: "record-members", members: "etcd0,etcd1,etcd2", clientUrls: [0, 1, 2].map(clientUrl).join(","), dropGrants: ["etcd2"] });
    // The same names on other URLs (a client-port change) are recorded again.
    expect(action(converged(0, { leaderData: { ...converged().leaderData, clientUrls: ["http://10.0.0.10:4001"] } }))?.kind).toBe("record-members");
  });

  it("a stale member holding the joining unit's peer URL is replaced", () => {
    const stale = { ...member(7), peerURLs: [peerUrl(2)] };
    const view = converged(0, { peers: [peer(1), peer(2, false)], cluster: cluster([member(0), member(1), stale]), leaderData: { ...converged().leaderData, members: "etcd0,etcd1,etcd7" } });
    expect(action(view)).toEqual({ kind: "add-learner", memberName: "etcd2", peerUrl: peerUrl(2), replacing: "1007" });
  });

  it("the joining unit starts from its grant with initial-cluster-state existing", () => {
    const grant = `etcd0=${peerUrl(0)},etcd1=${peerUrl(1)},etcd2=${peerUrl(2)}`;
    const view = converged(2, {
      rendered: { configText: undefined, unitText: undefined, initialCluster: undefined, initialClusterState: undefined, clientPort: undefined, peerPort: undefined },
      serviceActive: false,
      hasMemberData: false,
      leaderData: { ...converged().leaderData, grants: { etcd2: grant } },
      publishedPeerData: {},
    });
    const write = action(view);
    expect(write?.kind).toBe("write-files");
    expect(parseYaml((write as { configText: string }).configText)).toMatchObject({ "initial-cluster": grant, "initial-cluster-state": "existing" });
    const waiting = run({ ...view, leaderData: converged().leaderData });
    expect(waiting.action).toEqual({ kind: "publish-peer", values: { "peer-url": peerUrl(2), "client-url": clientUrl(2), "member-state": "waiting" } });
    expect(run({ ...view, leaderData: converged().leaderData, publishedPeerData: waiting.action!.kind === "publish-peer" ? waiting.action.values : {} }).status).toEqual({
      kind: "waiting",
      message: "waiting for the leader to add this unit to the cluster",
    });
  });

  it("a grant that does not name this unit's own peer URL is not used", () => {
    const view = converged(2, { hasMemberData: false, serviceActive: false, leaderData: { ...converged().leaderData, grants: { etcd2: `etcd0=${peerUrl(0)},etcd2=http://10.9.9.9:2380` } } });
    expect(action(view)?.kind).not.toBe("write-files");
  });
});

describe("departures", () => {
  it("the leader removes the member of a unit that departed", () => {
    expect(action(converged(0, { departedUnits: ["etcd/2"], peers: [peer(1)] }))).toEqual({ kind: "remove-member", memberId: "1002", memberName: "etcd2", self: false });
  });

  it("…moving raft leadership away first when that member leads", () => {
    const view = converged(0, { departedUnits: ["etcd/2"], peers: [peer(1)], cluster: cluster([0, 1, 2].map((i) => member(i)), "1002") });
    expect(action(view)).toMatchObject({ kind: "move-leader", toMemberId: "1000" });
  });

  it("members of units that are merely absent from relation-list are never removed", () => {
    expect(action(converged(0, { peers: [] }))).toBeUndefined();
  });

  it("a departing unit hands over raft leadership, then removes itself", () => {
    expect(action(converged(0, { departing: true }))).toMatchObject({ kind: "move-leader", toMemberId: "1001" });
    expect(action(converged(1, { departing: true }))).toEqual({ kind: "remove-member", memberId: "1001", memberName: "etcd1", self: true });
  });

  it("the last unit only stops etcd", () => {
    const last = converged(0, { departing: true, peers: [], cluster: cluster([member(0)]) });
    expect(action(last)).toEqual({ kind: "stop" });
    expect(run({ ...last, serviceActive: false })).toEqual({ action: undefined, status: { kind: "maintenance", message: "left the cluster" } });
  });
});

describe("config changes", () => {
  it("an invalid value blocks with the option named, touches no file and stops nothing", () => {
    const decision = run(converged(1, { config: parseCharmConfig({ ...defaults, "election-timeout": 5 }) }));
    expect(decision).toEqual({ action: undefined, status: { kind: "blocked", message: "election-timeout 5 must be ≥ 5 × heartbeat-interval (100)" } });
  });

  it("a change etcd must restart for is written with a restart", () => {
    const next = action(converged(1, { config: parseCharmConfig({ ...defaults, "heartbeat-interval": 200 }) }));
    expect(next).toMatchObject({ kind: "write-files", restart: true });
  });

  it("a stopped member with a valid config is started, not restarted", () => {
    expect(action(converged(1, { serviceActive: false }))).toEqual({ kind: "start", waitHealthy: true });
  });
});

describe("consumers", () => {
  it("db gets every voter's client URL and the version, proxy gets name=peerURL (the existing charms' keys)", () => {
    const next = action(converged(1, { consumers: { "db:4": { endpoint: "db", bag: {} }, "proxy:5": { endpoint: "proxy", bag: {} } } }));
    expect(next).toEqual({
      kind: "publish-consumers",
      bags: {
        "db:4": { connection_string: [0, 1, 2].map(clientUrl).join(","), version: "3.4.23" },
        "proxy:5": { cluster: [0, 1, 2].map((i) => `etcd${i}=${peerUrl(i)}`).join(",") },
      },
    });
  });

  it("unchanged consumer data is not written again", () => {
    const bag = { connection_string: [0, 1, 2].map(clientUrl).join(","), version: "3.4.23" };
    expect(action(converged(1, { consumers: { "db:4": { endpoint: "db", bag } } }))).toBeUndefined();
  });
});
