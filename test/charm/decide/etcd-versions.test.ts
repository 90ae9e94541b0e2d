import { describe, expect, it } from "vitest";
import type { Observed } from "../../../src/charm/observed.js";
import { clientUrl, cluster, converged, member, NOTHING_RENDERED, peerUrl, run } from "./fixtures.js";

/** Interfaces §8.2 and §8.3: 22.04 ships etcd 3.3 (no learners), 24.04 3.4, 26.04 3.5; etcd moves a cluster up one minor at a time. */
const members = [0, 1, 2].map((i) => member(i));
/** The converged cluster with each member running the given version. */
const runningVersions = (...versions: string[]) => ({
  ...cluster(members),
  versions: Object.fromEntries(versions.map((version, i) => [clientUrl(i), version])),
});
/** etcd/3, installed, no member yet, seeing the cluster through the leader's recorded client URLs. */
const joiner = (localEtcdVersion: string, overrides: Partial<Observed> = {}): Observed =>
  converged(3, { rendered: NOTHING_RENDERED, serviceActive: false, hasMemberData: false, peers: [], publishedPeerData: {}, localEtcdVersion, ...overrides });

describe("etcd versions", () => {
  it("etcd older than 3.4 found on a unit: blocked naming the version and the supported bases, nothing configured or started", () => {
    expect(run(converged(0, { localEtcdVersion: "3.3.25", rendered: NOTHING_RENDERED, serviceActive: false, cluster: undefined }))).toEqual({
      action: undefined,
      status: {
        kind: "blocked",
        message:
          "etcd 3.3.25 is installed on this machine, which this charm cannot run (no learners before 3.4): it supports etcd 3.4 (Ubuntu 24.04) and 3.5 (Ubuntu 26.04); deploy on ubuntu@24.04 or ubuntu@26.04",
      },
    });
  });

  it("a 3.5 unit joining a 3.4 cluster takes a verified snapshot from a voter first, then joins as a learner", () => {
    expect(run(joiner("3.5.16", { cluster: runningVersions("3.4.23", "3.4.23", "3.4.23") }))).toEqual({
      action: {
        kind: "add-learner",
        memberName: "etcd3",
        peerUrl: peerUrl(3),
        endpoints: [0, 1, 2].map((i) => clientUrl(i)),
        snapshotFrom: clientUrl(0),
      },
      status: { kind: "maintenance", message: "taking a snapshot, then joining as the cluster's first etcd 3.5.16 member" },
    });
  });

  it("a 3.5 unit joining a cluster that already has a 3.5 member joins without another snapshot", () => {
    const decision = run(joiner("3.5.16", { cluster: runningVersions("3.4.23", "3.5.16", "3.4.23") }));
    expect(decision.action).toEqual({ kind: "add-learner", memberName: "etcd3", peerUrl: peerUrl(3), endpoints: [0, 1, 2].map((i) => clientUrl(i)) });
  });

  it("a 3.4 unit never joins a cluster whose members all run 3.5: etcd does not move a cluster back, and the unit says so", () => {
    expect(run(joiner("3.4.30", { cluster: runningVersions("3.5.16", "3.5.16", "3.5.16") }))).toEqual({
      action: undefined,
      status: {
        kind: "blocked",
        message:
          "etcd 3.4.30 on this machine cannot join a cluster whose members run etcd 3.5: etcd does not move a cluster back a minor version; deploy this unit on the base its peers run (ubuntu@26.04 for 3.5)",
      },
    });
  });

  it("the status line says where a move between minor versions stands", () => {
    expect(run(converged(1, { cluster: runningVersions("3.5.16", "3.4.23", "3.4.23") })).status).toEqual({
      kind: "active",
      message: "3 members, healthy, raft leader etcd/0; moving to etcd 3.5: 1 of 3 members run 3.5.16, the cluster stays at 3.4 until all do",
    });
    expect(run(converged(1, { cluster: runningVersions("3.5.16", "3.5.16", "3.5.16") })).status).toEqual({
      kind: "active",
      message: "3 members, healthy, raft leader etcd/0",
    });
  });
});
