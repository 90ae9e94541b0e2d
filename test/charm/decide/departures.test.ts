import { describe, expect, it } from "vitest";
import { action, clientUrl, cluster, converged, LEAVING, member, peer, run } from "./fixtures.js";

describe("departures", () => {
  it("a peer's departure is remembered in unit state first, once", () => {
    const departed = { departing: false, departedPeer: "etcd/2", mayInstall: true, relationBroken: false };
    expect(run(converged(1, { hook: departed }))).toEqual({
      action: { kind: "record-departed", units: ["etcd/2"] },
      status: { kind: "maintenance", message: "noting that etcd/2 left" },
    });
    expect(action(converged(1, { hook: departed, departedUnits: ["etcd/2"] }))).toBeUndefined();
  });

  it("a unit that leaves before etcd was ever installed installs nothing", () => {
    expect(run(converged(1, { hook: LEAVING, installed: false }))).toEqual({ action: undefined, status: { kind: "maintenance", message: "left the cluster" } });
  });

  it("a unit that left in an earlier hook keeps winding down in every later one", () => {
    expect(action(converged(1, { leftCluster: true, cluster: cluster([member(0), member(2)]) }))).toEqual({ kind: "stop" });
  });

  it("the leader removes the member of a unit that departed", () => {
    expect(action(converged(0, { departedUnits: ["etcd/2"], peers: [peer(1)] }))).toEqual({
      kind: "remove-member",
      memberId: "1002",
      memberName: "etcd2",
      endpoints: [clientUrl(1), clientUrl(2), clientUrl(0)],
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
    expect(action(converged(0, { hook: LEAVING }))).toEqual({
      kind: "move-leader",
      toMemberId: "1001",
      endpoints: [clientUrl(0)],
      reason: "this unit is leaving",
    });
    // Its own removal is asked of the others: a member cannot be sure to hear its own removal commit.
    expect(action(converged(1, { hook: LEAVING }))).toEqual({
      kind: "remove-member",
      memberId: "1001",
      memberName: "etcd1",
      endpoints: [clientUrl(0), clientUrl(2)],
      self: true,
    });
  });

  it("the last unit only stops etcd", () => {
    const last = converged(0, { hook: LEAVING, peers: [], cluster: cluster([member(0)]) });
    expect(action(last)).toEqual({ kind: "stop" });
    expect(run({ ...last, serviceActive: false })).toEqual({ action: undefined, status: { kind: "maintenance", message: "left the cluster" } });
  });
});

describe("a majority lost for good (two of three machines gone)", () => {
  /** Unit n's view when only its own member answers: the others are listed but silent, and nobody leads. */
  const alone = (n: number, overrides = {}) => {
    const all = cluster([member(0), member(1), member(2)]);
    return converged(n, { cluster: { ...all, raftLeaderId: undefined, answering: [clientUrl(n)] }, ...overrides });
  };

  it("a departing unit stops and leaves without waiting for a member removal that cannot happen, saying why", () => {
    expect(run(alone(1, { hook: LEAVING }))).toEqual({
      action: { kind: "stop" },
      status: { kind: "maintenance", message: "leaving without removing member etcd1: the cluster has lost its majority (1 of 3 voting members answer)" },
    });
    expect(action(alone(1, { hook: LEAVING, serviceActive: false }))).toBeUndefined();
  });

  it("a survivor is blocked saying so, and asks for no membership change", () => {
    // Not looked at again for an election first: none can happen without a majority.
    expect(run(alone(0))).toEqual({
      action: undefined,
      status: { kind: "blocked", message: "the cluster has lost its majority: 1 of 3 voting members answer, and etcd serves nothing until a majority is back" },
    });
  });
});
