import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/build.js";
import { parseCharmConfig } from "../../src/charm/config.js";
import { decide, STRANDED_LEARNER_MS, type Action, type Decision } from "../../src/charm/decide.js";
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
  Object.entries((parseYaml(await readFile(path.join(repoRoot, "config.yaml"), "utf8")) as { options: Record<string, { default: unknown }> }).options).map(
    ([k, v]) => [k, v.default],
  ),
);
const TOKEN = "0123456789abcdef0123456789abcdef";
const NOW = 1_800_000_000_000;
const ip = (n: number) => `10.0.0.${10 + n}`;
const peerUrl = (n: number) => `http://${ip(n)}:2380`;
const clientUrl = (n: number) => `http://${ip(n)}:2379`;
const member = (n: number, extra: Partial<Member> = {}): Member => ({
  ID: String(1000 + n),
  name: `etcd${n}`,
  peerURLs: [peerUrl(n)],
  clientURLs: [clientUrl(n)],
  isLearner: false,
  ...extra,
});
const peer = (n: number, started = true): Peer => ({
  unit: `etcd/${n}`,
  memberName: `etcd${n}`,
  address: ip(n),
  peerUrl: peerUrl(n),
  clientUrl: clientUrl(n),
  started,
});
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
  const configText = renderEtcdConfig(
    { settings: settings.settings, member: { name: `etcd${n}`, address: ip(n), initialCluster, initialClusterState: state, clusterToken: TOKEN }, paths },
    templates.config,
  );
  const unitText = renderServiceUnit({ memberName: `etcd${n}`, paths }, templates.unit);
  return { configText, unitText, initialCluster, initialClusterState: state, clientPort: 2379, peerPort: 2380, running: { configText, unitText } };
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
    unclaimedLearners: {},
    now: NOW,
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
      rendered: {
        configText: undefined,
        unitText: undefined,
        initialCluster: undefined,
        initialClusterState: undefined,
        clientPort: undefined,
        peerPort: undefined,
        running: undefined,
      },
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

describe("joining: a unit adds itself as a learner, starts it and promotes it; the leader cleans up", () => {
  /** etcd/3, installed, no member yet, seeing the 3-member cluster through the leader's recorded client URLs. */
  const joiner = (overrides: Partial<Observed> = {}): Observed =>
    converged(3, {
      rendered: {
        configText: undefined,
        unitText: undefined,
        initialCluster: undefined,
        initialClusterState: undefined,
        clientPort: undefined,
        peerPort: undefined,
        running: undefined,
      },
      serviceActive: false,
      hasMemberData: false,
      peers: [],
      publishedPeerData: {},
      ...overrides,
    });

  it("a unit without a member adds itself as a learner once it sees a cluster with a raft leader", () => {
    expect(run(joiner())).toEqual({
      action: { kind: "add-learner", memberName: "etcd3", peerUrl: peerUrl(3) },
      status: { kind: "maintenance", message: "joining the cluster as a learner" },
    });
    // Not without a raft leader, not before the cluster's token exists, never with member data of its own.
    expect(action(joiner({ cluster: { ...cluster([member(0), member(1), member(2)]), raftLeaderId: undefined } }))?.kind).not.toBe("add-learner");
    expect(action(joiner({ leaderData: { ...converged().leaderData, token: undefined } }))?.kind).not.toBe("add-learner");
    expect(action(joiner({ hasMemberData: true }))?.kind).not.toBe("add-learner");
    expect(action(joiner({ config: parseCharmConfig({ ...defaults, "heartbeat-interval": 0 }) }))?.kind).not.toBe("add-learner");
  });

  it("its own unstarted learner is started with initial-cluster-state existing and every named member", () => {
    const mine = { ...member(3), name: "", clientURLs: [], isLearner: true };
    const view = joiner({ cluster: cluster([member(0), member(1), member(2), mine]) });
    const write = action(view);
    expect(write?.kind).toBe("write-files");
    const expected = [0, 1, 2, 3].map((i) => `etcd${i}=${peerUrl(i)}`).join(",");
    expect(parseYaml((write as { configText: string }).configText)).toMatchObject({ "initial-cluster": expected, "initial-cluster-state": "existing" });
    const written = { ...view, rendered: rendered(3, expected) };
    expect(action(written)).toEqual({ kind: "start", waitHealthy: false });
  });

  it("a unit whose started member is still a learner promotes itself before publishing 'started'", () => {
    const grant = [0, 1, 2].map((i) => `etcd${i}=${peerUrl(i)}`).join(",");
    const joined = converged(2, {
      rendered: rendered(2, grant),
      leaderData: { ...converged().leaderData, members: "etcd0,etcd1" },
      publishedPeerData: { "peer-url": peerUrl(2), "client-url": clientUrl(2), "member-state": "waiting" },
      cluster: cluster([member(0), member(1), member(2, { isLearner: true })]),
    });
    expect(run(joined)).toEqual({
      action: { kind: "promote", memberId: "1002", memberName: "etcd2" },
      status: { kind: "maintenance", message: "promoting etcd2 to a voting member" },
    });
    // Not before its etcd runs and has published its name, and never for a member that already votes.
    expect(action({ ...joined, serviceActive: false })?.kind).not.toBe("promote");
    expect(action({ ...joined, cluster: cluster([member(0), member(1), member(2, { isLearner: true, name: "" })]) })?.kind).not.toBe("promote");
    expect(action({ ...joined, cluster: cluster([member(0), member(1), member(2)]) })?.kind).toBe("publish-peer");
  });

  it("a member registered under this unit's name without its data here blocks, naming the member: never re-created silently", () => {
    const view = joiner({
      cluster: cluster([member(0), member(1), member(2), { ...member(3), clientURLs: [] }]),
      publishedPeerData: { "peer-url": peerUrl(3), "client-url": clientUrl(3), "member-state": "waiting" },
    });
    expect(run(view)).toEqual({
      action: undefined,
      status: {
        kind: "blocked",
        message: `member etcd3 is in the cluster but its data is not on this unit: remove the member (etcdctl member remove ${(1003).toString(16)}) to let the unit join afresh`,
      },
    });
  });

  it("a stale member on the joining unit's peer URL: the joiner waits, the leader removes it", () => {
    const stale = { ...member(7), peerURLs: [peerUrl(3)] };
    const view = joiner({
      cluster: cluster([member(0), member(1), member(2), stale]),
      publishedPeerData: { "peer-url": peerUrl(3), "client-url": clientUrl(3), "member-state": "waiting" },
    });
    expect(run(view)).toEqual({
      action: undefined,
      status: { kind: "waiting", message: "member etcd7 holds this unit's peer URL; waiting for the leader to remove it" },
    });
    const leader = converged(0, { peers: [peer(1), peer(2), peer(3, false)], cluster: cluster([member(0), member(1), member(2), stale]) });
    expect(action(leader)).toEqual({ kind: "remove-member", memberId: "1007", memberName: "etcd7", self: false });
  });

  it("a learner whose unit runs it is promoted by the leader when it did not promote itself", () => {
    const view = converged(0, { cluster: cluster([member(0), member(1), member(2, { isLearner: true })]) });
    expect(action(view)).toEqual({ kind: "promote", memberId: "1002", memberName: "etcd2" });
  });

  it("a learner no unit claims is noted first and removed only after it stayed unclaimed for long", () => {
    const unclaimed = { ...member(9), name: "", clientURLs: [], isLearner: true };
    const view = converged(0, { cluster: cluster([member(0), member(1), member(2), unclaimed]) });
    expect(action(view)).toEqual({ kind: "note-unclaimed-learners", since: { "1009": NOW } });
    const noted = { ...view, unclaimedLearners: { "1009": NOW } };
    expect(action({ ...noted, now: NOW + STRANDED_LEARNER_MS - 1 })?.kind).not.toBe("remove-member");
    expect(action({ ...noted, now: NOW + STRANDED_LEARNER_MS })).toEqual({
      kind: "remove-member",
      memberId: "1009",
      memberName: `unstarted member ${peerUrl(9)}`,
      self: false,
    });
    // Once claimed (its unit joined the relation), the note is dropped.
    expect(action({ ...noted, peers: [peer(1), peer(2), peer(9, false)] })).toEqual({ kind: "note-unclaimed-learners", since: {} });
  });

  it("the leader records the voters and their client URLs, where a joiner that sees no peer yet finds the cluster", () => {
    const view = converged(0, { leaderData: { ...converged().leaderData, members: "etcd0,etcd1", clientUrls: [clientUrl(0)], grants: { etcd2: "x=y" } } });
    expect(action(view)).toEqual({ kind: "record-members", members: "etcd0,etcd1,etcd2", clientUrls: [0, 1, 2].map(clientUrl), dropGrants: ["etcd2"] });
    // The same names on other URLs (a client-port change) are recorded again.
    expect(action(converged(0, { leaderData: { ...converged().leaderData, clientUrls: ["http://10.0.0.10:4001"] } }))?.kind).toBe("record-members");
  });
});

describe("departures", () => {
  it("the leader removes the member of a unit that departed", () => {
    expect(action(converged(0, { departedUnits: ["etcd/2"], peers: [peer(1)] }))).toEqual({
      kind: "remove-member",
      memberId: "1002",
      memberName: "etcd2",
      self: false,
    });
  });

  it("…moving raft leadership away first when that member leads", () => {
    const view = converged(0, {
      departedUnits: ["etcd/2"],
      peers: [peer(1)],
      cluster: cluster(
        [0, 1, 2].map((i) => member(i)),
        "1002",
      ),
    });
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

  it("a restart that failed after the new files were written is retried by the next hook, and only then is it done", () => {
    const settings = parseCharmConfig({ ...defaults, "snapshot-count": 5000 });
    const before = converged(1);
    const next = action(converged(1, { config: settings })) as Extract<Action, { kind: "write-files" }>;
    expect(next).toMatchObject({ kind: "write-files", restart: true });
    // The files are on disk, but etcd still runs with the old ones: the next hook restarts it.
    const written = { ...before.rendered, configText: next.configText, unitText: next.unitText };
    expect(action(converged(1, { config: settings, rendered: written }))).toEqual({ ...next, restart: true });
    // Once a restart succeeded the record matches the files: nothing left to do.
    const restarted = { ...written, running: { configText: next.configText, unitText: next.unitText } };
    expect(action(converged(1, { config: settings, rendered: restarted }))).toBeUndefined();
    // A unit from before the record existed compares with its files: no restart on upgrade.
    expect(action(converged(1, { config: settings, rendered: { ...written, running: undefined } }))).toBeUndefined();
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
