import { describe, expect, it } from "vitest";
import { removalStep } from "../../../src/charm/membership.js";
import { action, clientUrl, cluster, converged, LEAVING, member, peer, run } from "./fixtures.js";

describe("departures", () => {
  it("a peer's departure is remembered in unit state first, once", () => {
    const departed = { departing: false, departedPeer: "etcd/2", mayInstall: true, dataAttached: false, relationBroken: false, machineUpgradeTo: undefined };
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
      selfUrl: clientUrl(0),
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

  it("a departing unit removes itself, asked of the others; the raft leader too (it hands leadership over under the lock)", () => {
    // Its own removal is asked of the others: a member cannot be sure to hear its own removal commit.
    for (const n of [0, 1]) {
      expect(action(converged(n, { hook: LEAVING }))).toEqual({
        kind: "remove-member",
        memberId: `100${n}`,
        memberName: `etcd${n}`,
        endpoints: [0, 1, 2].filter((i) => i !== n).map((i) => clientUrl(i)),
        selfUrl: clientUrl(n),
        self: true,
      });
    }
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

  it("a survivor whose silent members' units have all left the model reports at once: waiting cannot bring them back", () => {
    const gone = alone(0, { peers: [], departedUnits: ["etcd/1", "etcd/2"] });
    expect(run(gone)).toMatchObject({
      action: undefined,
      status: { kind: "blocked", message: expect.stringContaining("run rebuild-cluster force=true on etcd/0") },
    });
    // One of them still in the model (its machine may be only slow): looked at again.
    expect(action({ ...gone, departedUnits: ["etcd/2"], peers: [peer(1, false)] })).toEqual({ kind: "await-election", delayMs: 1000 });
  });

  it("a survivor looks again briefly, then is blocked saying so, and asks for no membership change", () => {
    // Members slow to answer look gone for a moment: looked at again 3 times (a second apart), not 8.
    expect(run(alone(0))).toMatchObject({ action: { kind: "await-election", delayMs: 1000 }, status: { kind: "blocked" } });
    expect(run({ ...alone(0), electionWaits: 2 }).action).toEqual({ kind: "await-election", delayMs: 1000 });
    expect(run({ ...alone(0), electionWaits: 3 })).toEqual({
      action: undefined,
      status: {
        kind: "blocked",
        message:
          "the cluster has lost its majority: 1 of 3 voting members answer, and etcd serves nothing until a majority is back; " +
          "if the others are gone for good, run rebuild-cluster force=true on etcd/0",
      },
    });
  });
});

describe("a removal, asked again once the unit holds the cluster's lock", () => {
  const three = () => [0, 1, 2].map((i) => member(i));
  it("removes a member that is there, answered for by a majority, and not raft leader", () => {
    expect(removalStep(cluster(three()), "1001", clientUrl(1))).toEqual({ kind: "remove" });
  });
  it("hands raft leadership to another answering voter first when the member leads", () => {
    expect(removalStep(cluster(three(), "1001"), "1001", clientUrl(1))).toEqual({ kind: "hand-over", toMemberId: "1000", endpoints: [clientUrl(1)] });
  });
  it("does nothing for a member another unit removed meanwhile", () => {
    expect(removalStep(cluster([member(0), member(2)]), "1001", clientUrl(1))).toEqual({ kind: "gone" });
  });
  it("never removes the last voter, even with learners left", () => {
    expect(removalStep(cluster([member(1), member(2, { isLearner: true })], "1001"), "1001", clientUrl(1))).toEqual({ kind: "last-voter" });
  });
  it("changes nothing without a majority of voters answering, or with no member answering", () => {
    const view = { ...cluster(three()), answering: [clientUrl(1)] };
    expect(removalStep(view, "1001", clientUrl(1))).toEqual({ kind: "no-majority", answering: 1, voters: 3 });
    expect(removalStep(undefined, "1001", clientUrl(1))).toEqual({ kind: "no-majority", answering: 0, voters: 0 });
  });
});

describe("data of a member the cluster no longer has", () => {
  const withoutTwo = cluster([member(0), member(1)]);
  it("is moved aside (the cluster answers with a majority and lists no member of this unit)", () => {
    expect(run(converged(2, { cluster: withoutTwo, serviceActive: false }))).toEqual({
      action: { kind: "set-aside-member-data", memberName: "etcd2" },
      status: { kind: "maintenance", message: "moving aside the data of member etcd2, which the cluster no longer has" },
    });
  });
  it("is kept while the cluster lists this unit's member, by name or as an unstarted learner on its peer URL", () => {
    expect(action(converged(2))?.kind).not.toBe("set-aside-member-data");
    const learner = { ...member(2), name: "", clientUrls: [], isLearner: true };
    expect(action(converged(2, { cluster: cluster([member(0), member(1), learner]) }))?.kind).not.toBe("set-aside-member-data");
  });
  it("is kept when no majority of voters answers, or no member does: that proves nothing", () => {
    const minority = { ...cluster([member(0), member(1), member(3)]), answering: [clientUrl(0)] };
    expect(action(converged(2, { cluster: minority, serviceActive: false }))?.kind).not.toBe("set-aside-member-data");
    expect(action(converged(2, { cluster: undefined, serviceActive: false }))?.kind).not.toBe("set-aside-member-data");
  });
});
