import { describe, expect, it } from "vitest";
import { assessCluster } from "../../src/charm/health.js";
import { goDurationMs } from "../../src/domain/go-duration.js";
import type { EndpointHealth, EndpointStatus, Member } from "../../src/etcd/etcdctl.js";

const ids = ["10501334649042878790", "13717492988206526783", "2"] as const;
const member = (i: number, extra: Partial<Member> = {}): Member => ({
  id: ids[i]!,
  name: `etcd${i}`,
  peerUrls: [`http://127.0.0.1${i}:2380`],
  clientUrls: [`http://127.0.0.1${i}:2379`],
  isLearner: false,
  ...extra,
});
const status = (i: number, leader: string = ids[0]): EndpointStatus => ({
  Endpoint: `http://127.0.0.1${i}:2379`,
  Status: {
    header: { cluster_id: "1", member_id: ids[i]!, raft_term: 3, revision: 9 },
    version: "3.4.23",
    dbSize: 20480,
    leader,
    raftIndex: 40 + i,
    raftTerm: 3,
    isLearner: false,
    errors: [],
  },
});
const healthy = (i: number): EndpointHealth => ({ endpoint: `http://127.0.0.1${i}:2379`, health: true, took: "4.862335ms" });

describe("cluster health verdict", () => {
  it("three answering members agreeing on a leader are healthy; uint64 ids compare exactly", () => {
    const report = assessCluster(
      [0, 1, 2].map((i) => member(i)),
      [0, 1, 2].map((i) => status(i)),
      [0, 1, 2].map(healthy),
    );
    expect(report.verdict).toBe("healthy");
    expect(report.summary).toBe("healthy: 3 members, raft leader etcd0");
    expect(report.members.map((m) => m.raftLeader)).toEqual([true, false, false]);
    expect(report.members[0]).toMatchObject({ id: "91bc3c398fb3c146", raftIndex: 40, dbSizeBytes: 20480, roundTripMs: 4.862 });
  });

  it("one member down out of three keeps quorum: degraded, naming the member", () => {
    const report = assessCluster(
      [0, 1, 2].map((i) => member(i)),
      [0, 1].map((i) => status(i)),
      [healthy(0), healthy(1), { endpoint: "http://127.0.0.12:2379", health: false, took: "", error: "context deadline exceeded" }],
    );
    expect(report.verdict).toBe("degraded");
    expect(report.summary).toContain("etcd2 (context deadline exceeded)");
  });

  it("two of three down is unhealthy: no quorum", () => {
    const report = assessCluster(
      [0, 1, 2].map((i) => member(i)),
      [status(0)],
      [healthy(0)],
    );
    expect(report.verdict).toBe("unhealthy");
    expect(report.summary).toBe("unhealthy: 3 members, only 1 of 3 voting members answer (quorum is 2)");
  });

  it("a learner does not count towards quorum, and an unstarted member is reported as such", () => {
    const learner = member(2, { isLearner: true, name: "", clientUrls: [] });
    const report = assessCluster([member(0), member(1), learner], [status(0), status(1)], [healthy(0), healthy(1)]);
    expect(report.verdict).toBe("degraded");
    expect(report.members[2]).toMatchObject({ name: "unstarted-2", learner: true, error: "member was added but has not started" });
  });

  it("members that disagree about the leader are unhealthy", () => {
    const report = assessCluster([member(0), member(1)], [status(0, ids[0]), status(1, ids[1])], [healthy(0), healthy(1)]);
    expect(report.verdict).toBe("unhealthy");
    expect(report.summary).toContain("disagree about the raft leader");
  });
});

describe("Go durations from etcdctl", () => {
  it.each([
    ["4.862335ms", 4.862],
    ["1.5s", 1500],
    ["850µs", 0.85],
    ["1m2s", 62000],
    ["fast", undefined],
    ["", undefined],
  ])("%s → %s ms", (text, ms) => expect(goDurationMs(text)).toBe(ms));
});
