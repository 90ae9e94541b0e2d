import { describe, expect, it } from "vitest";
import { rebuildVerdict } from "../../../src/charm/rebuild.js";
import { clientUrl, cluster, member } from "./fixtures.js";

/** Issue (data safety), lost majority: rebuild-cluster on a survivor, refused whenever it could throw data away. */

const three = [member(0), member(1), member(2)];
/** A cluster of three whose members `alive` answer (none names a raft leader without a majority). */
const answering = (alive: number[], members = three) => ({
  ...cluster(members),
  raftLeaderId: alive.length >= 2 ? members[0]!.id : undefined,
  answering: alive.map((n) => clientUrl(n)),
});

describe("rebuild-cluster's verdict", () => {
  it("a survivor of a lost majority rebuilds from its own member, dropping the others", () => {
    expect(rebuildVerdict(answering([0]), [clientUrl(0)], { [clientUrl(0)]: 120 })).toEqual({
      kind: "rebuild",
      self: member(0),
      dropped: [member(1), member(2)],
      raftIndex: 120,
    });
  });

  it("is refused while a majority answers: nothing is lost", () => {
    expect(rebuildVerdict(answering([0, 1]), [clientUrl(0)], {})).toEqual({
      kind: "refuse",
      reason: "a majority of the voting members answers (2 of 3): the cluster is not lost. Remove units that are gone with juju remove-unit instead",
    });
  });

  it("is refused when another survivor's log reaches further, naming it", () => {
    const five = [0, 1, 2, 3, 4].map((n) => member(n));
    const view = answering([0, 1], five);
    expect(rebuildVerdict(view, [clientUrl(0)], { [clientUrl(0)]: 90, [clientUrl(1)]: 95 })).toEqual({
      kind: "refuse",
      reason: "etcd1 also survives and its log reaches further (raft index 95, here 90): run rebuild-cluster on its unit",
    });
    expect(rebuildVerdict(view, [clientUrl(1)], { [clientUrl(0)]: 90, [clientUrl(1)]: 95 })).toMatchObject({ kind: "rebuild", self: member(1) });
  });

  it("is refused on a unit whose etcd does not answer, and on a learner", () => {
    const reason = "etcd on this unit does not answer: the cluster is rebuilt from this unit's running member, so start it first";
    expect(rebuildVerdict(undefined, [clientUrl(0)], {})).toEqual({ kind: "refuse", reason });
    expect(rebuildVerdict(answering([1]), [clientUrl(0)], {})).toEqual({ kind: "refuse", reason });
    const withLearner = [...three, member(3, { isLearner: true })];
    expect(rebuildVerdict(answering([3], withLearner), [clientUrl(3)], {})).toEqual({
      kind: "refuse",
      reason: "etcd3 is a learner, whose data may lag behind: run rebuild-cluster on a unit whose member votes",
    });
  });
});
