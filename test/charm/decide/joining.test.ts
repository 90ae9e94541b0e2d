import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { parseCharmConfig } from "../../../src/charm/config.js";
import type { Observed } from "../../../src/charm/observed.js";
import {
  action,
  peerValues,
  CA_FINGERPRINT,
  clientUrl,
  cluster,
  converged,
  defaults,
  member,
  NOW,
  peer,
  peerUrl,
  rendered,
  run,
  NOTHING_RENDERED,
} from "./fixtures.js";
import { STRANDED_LEARNER_MS } from "../../../src/charm/decide.js";

/** What a unit whose member does not run publishes: no trusted CAs (its etcd runs with none). */
const waitingPeerData = (n: number): Record<string, string> => {
  const { "tls-trusted-cas": _running, "member-id": _member, "etcd-version": _version, ...values } = peerValues(n, { "member-state": "waiting" });
  return values;
};

describe("joining: a unit adds itself as a learner, starts it and promotes it; the leader cleans up", () => {
  /** etcd/3, installed, no member yet, seeing the 3-member cluster through the leader's recorded client URLs. */
  const joiner = (overrides: Partial<Observed> = {}): Observed =>
    converged(3, {
      rendered: NOTHING_RENDERED,
      serviceActive: false,
      hasMemberData: false,
      peers: [],
      publishedPeerData: {},
      ...overrides,
    });

  it("a unit without a member adds itself as a learner once it sees a cluster with a raft leader", () => {
    expect(run(joiner())).toEqual({
      action: { kind: "add-learner", memberName: "etcd3", peerUrl: peerUrl(3), endpoints: [0, 1, 2].map((i) => clientUrl(i)) },
      status: { kind: "maintenance", message: "joining the cluster as a learner" },
    });
    // Not without a raft leader, not before the cluster's token exists, never with member data of its own.
    expect(action(joiner({ cluster: { ...cluster([member(0), member(1), member(2)]), raftLeaderId: undefined } }))?.kind).not.toBe("add-learner");
    expect(action(joiner({ leaderData: { ...converged().leaderData, token: undefined } }))?.kind).not.toBe("add-learner");
    expect(action(joiner({ hasMemberData: true }))?.kind).not.toBe("add-learner");
    expect(action(joiner({ config: parseCharmConfig({ ...defaults, "heartbeat-interval": 0 }) }))?.kind).not.toBe("add-learner");
  });

  it("its own unstarted learner is started with initial-cluster-state existing and every named member", () => {
    const mine = { ...member(3), name: "", clientUrls: [], isLearner: true };
    const view = joiner({ cluster: cluster([member(0), member(1), member(2), mine]) });
    const write = action(view);
    expect(write?.kind).toBe("write-files");
    const expected = [0, 1, 2, 3].map((i) => `etcd${i}=${peerUrl(i)}`).join(",");
    expect(parseYaml((write as { configText: string }).configText)).toMatchObject({ "initial-cluster": expected, "initial-cluster-state": "existing" });
    const written = { ...view, rendered: rendered(3, expected) };
    const files = rendered(3, expected);
    expect(action(written)).toEqual({
      kind: "start",
      // A learner is not healthy until promoted: it has joined once the voters list it by name.
      wait: { kind: "listed", url: clientUrl(3), memberName: "etcd3", endpoints: [0, 1, 2].map((i) => clientUrl(i)) },
      running: { configText: files.configText, unitText: files.unitText },
    });
  });

  it("a unit whose started member is still a learner promotes itself before publishing 'started'", () => {
    const grant = [0, 1, 2].map((i) => `etcd${i}=${peerUrl(i)}`).join(",");
    const joined = converged(2, {
      rendered: rendered(2, grant),
      leaderData: { ...converged().leaderData, members: "etcd0,etcd1" },
      publishedPeerData: {
        "peer-url": peerUrl(2),
        "client-url": clientUrl(2),
        "member-state": "waiting",
        "tls-cert-issuer": CA_FINGERPRINT,
        "tls-client-issuers": "none",
      },
      cluster: cluster([member(0), member(1), member(2, { isLearner: true })]),
    });
    expect(run(joined)).toEqual({
      action: { kind: "promote", memberId: "1002", memberName: "etcd2", endpoints: [clientUrl(0), clientUrl(1)] },
      status: { kind: "maintenance", message: "promoting etcd2 to a voting member" },
    });
    // Not before its etcd runs and has published its name, and never for a member that already votes.
    expect(action({ ...joined, serviceActive: false })?.kind).not.toBe("promote");
    expect(action({ ...joined, cluster: cluster([member(0), member(1), member(2, { isLearner: true, name: "" })]) })?.kind).not.toBe("promote");
    expect(action({ ...joined, cluster: cluster([member(0), member(1), member(2)]) })?.kind).toBe("publish-peer");
  });

  it("a member registered under this unit's name without its data here blocks, naming the member: never re-created silently", () => {
    const view = joiner({
      cluster: cluster([member(0), member(1), member(2), { ...member(3), clientUrls: [] }]),
      publishedPeerData: waitingPeerData(3),
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
    const stale = { ...member(7), peerUrls: [peerUrl(3)] };
    const view = joiner({
      cluster: cluster([member(0), member(1), member(2), stale]),
      publishedPeerData: waitingPeerData(3),
    });
    expect(run(view)).toEqual({
      action: undefined,
      status: { kind: "waiting", message: "member etcd7 holds this unit's peer URL; waiting for the leader to remove it" },
    });
    const leader = converged(0, { peers: [peer(1), peer(2), peer(3, false)], cluster: cluster([member(0), member(1), member(2), stale]) });
    expect(action(leader)).toEqual({
      kind: "remove-member",
      memberId: "1007",
      memberName: "etcd7",
      endpoints: [clientUrl(1), clientUrl(2), clientUrl(7), clientUrl(0)],
      selfUrl: clientUrl(0),
      self: false,
    });
  });

  it("a learner whose unit runs it is promoted by the leader when it did not promote itself", () => {
    const view = converged(0, { cluster: cluster([member(0), member(1), member(2, { isLearner: true })]) });
    expect(action(view)).toEqual({ kind: "promote", memberId: "1002", memberName: "etcd2", endpoints: [clientUrl(1), clientUrl(0)] });
  });

  it("a learner no unit claims is noted first and removed only after it stayed unclaimed for long", () => {
    const unclaimed = { ...member(9), name: "", clientUrls: [], isLearner: true };
    const view = converged(0, { cluster: cluster([member(0), member(1), member(2), unclaimed]) });
    expect(action(view)).toEqual({ kind: "note-unclaimed-learners", since: { "1009": NOW } });
    const noted = { ...view, unclaimedLearners: { "1009": NOW } };
    expect(action({ ...noted, now: NOW + STRANDED_LEARNER_MS - 1 })?.kind).not.toBe("remove-member");
    expect(action({ ...noted, now: NOW + STRANDED_LEARNER_MS })).toEqual({
      kind: "remove-member",
      memberId: "1009",
      memberName: `unstarted member ${peerUrl(9)}`,
      endpoints: [clientUrl(1), clientUrl(2), clientUrl(0)],
      selfUrl: clientUrl(0),
      self: false,
    });
    // Once claimed (its unit joined the relation), the note is dropped.
    expect(action({ ...noted, peers: [peer(1), peer(2), peer(9, false)] })).toEqual({ kind: "note-unclaimed-learners", since: {} });
  });

  it("the leader records the voters and their client URLs, where a joiner that sees no peer yet finds the cluster", () => {
    const view = converged(0, { leaderData: { ...converged().leaderData, members: "etcd0,etcd1", clientUrls: [clientUrl(0)], grants: { etcd2: "x=y" } } });
    expect(action(view)).toEqual({
      kind: "record-members",
      members: "etcd0,etcd1,etcd2",
      clientUrls: [0, 1, 2].map((i) => clientUrl(i)),
      dropGrants: ["etcd2"],
    });
    // The same names on other URLs (a client-port change) are recorded again.
    expect(action(converged(0, { leaderData: { ...converged().leaderData, clientUrls: ["http://10.0.0.10:4001"] } }))?.kind).toBe("record-members");
  });
});
