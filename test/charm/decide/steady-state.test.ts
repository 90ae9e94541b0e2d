import { describe, expect, it } from "vitest";
import { ELECTION_WAITS } from "../../../src/charm/decide.js";
import { action, CA_BUNDLE, clientUrl, cluster, converged, member, peerUrl, peerValues, run } from "./fixtures.js";

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

describe("consumers", () => {
  it("db gets every voter's client URL, the version and the CA, proxy gets name=peerURL and the CA (the existing charms' keys)", () => {
    const next = action(converged(1, { consumers: { "db:4": { endpoint: "db", bag: {} }, "proxy:5": { endpoint: "proxy", bag: {} } } }));
    expect(next).toEqual({
      kind: "publish-consumers",
      bags: {
        "db:4": { connection_string: [0, 1, 2].map((i) => clientUrl(i)).join(","), version: "3.4.23", client_ca: CA_BUNDLE },
        "proxy:5": { cluster: [0, 1, 2].map((i) => `etcd${i}=${peerUrl(i)}`).join(","), client_ca: CA_BUNDLE },
      },
      // The leader has not made these relations' client identities yet: nothing to copy from a secret.
      credentials: {},
    });
  });

  it("unchanged consumer data is not written again", () => {
    const bag = { connection_string: [0, 1, 2].map((i) => clientUrl(i)).join(","), version: "3.4.23", client_ca: CA_BUNDLE };
    expect(action(converged(1, { consumers: { "db:4": { endpoint: "db", bag } } }))).toBeUndefined();
  });
});

describe("a cluster that names no raft leader is looked at again before it is reported", () => {
  const leaderless = (electionWaits: number) =>
    converged(0, { electionWaits, cluster: { ...cluster([0, 1, 2].map((i) => member(i))), raftLeaderId: undefined } });

  it("waits a second, quietly (no status for a pause), while elections usually finish", () => {
    expect(run(leaderless(0))).toEqual({
      action: { kind: "await-election", delayMs: 1000 },
      status: { kind: "active", message: "3 members, healthy, no raft leader" },
      quiet: true,
    });
    expect(action(leaderless(ELECTION_WAITS - 1))).toEqual({ kind: "await-election", delayMs: 1000 });
  });

  it("after the last wait, reports the leaderless cluster", () => {
    expect(run(leaderless(ELECTION_WAITS))).toEqual({ action: undefined, status: { kind: "active", message: "3 members, healthy, no raft leader" } });
  });

  it("never waits when there is something to do", () => {
    const view = { ...leaderless(0), publishedPeerData: {} };
    expect(action(view)?.kind).toBe("publish-peer");
  });
});

describe("peer data", () => {
  it("is published only once the peer relation exists (install runs before Juju creates it)", () => {
    expect(action(converged(1, { publishedPeerData: {} }))).toEqual({
      kind: "publish-peer",
      relationId: "cluster:1",
      values: peerValues(1),
      applicationVersion: "3.4.23",
    });
    expect(action(converged(1, { publishedPeerData: {}, clusterRelationId: undefined }))).toBeUndefined();
  });
});

describe("the database's space", () => {
  it("a NOSPACE alarm blocks the unit, naming the way out; other alarms name alarm-list", () => {
    const full = converged(1);
    expect(run({ ...full, cluster: { ...full.cluster!, alarms: ["NOSPACE"] } }).status).toEqual({
      kind: "blocked",
      message:
        "etcd raised a NOSPACE alarm: the database reached quota-backend-bytes and writes are refused; free space (delete keys, or the compact action), then run defrag, then alarm-disarm",
    });
    expect(run({ ...full, cluster: { ...full.cluster!, alarms: ["CORRUPT"] } }).status).toEqual({
      kind: "blocked",
      message: "etcd raised a CORRUPT alarm: see etcd's log on the member that raised it (alarm-list names it)",
    });
  });

  it("above 80 % of quota-backend-bytes the status line says how full this member's database is", () => {
    const o = converged(1);
    const sized = (bytes: number) => run({ ...o, cluster: { ...o.cluster!, dbSizes: { [clientUrl(1)]: bytes } } }).status.message;
    // The default quota is 2 GiB.
    expect(sized(1_600_000_000)).toBe("3 members, healthy, raft leader etcd/0");
    expect(sized(1_800_000_000)).toBe(
      "3 members, healthy, raft leader etcd/0; database 84% of quota-backend-bytes (1717 MiB of 2048 MiB): run compact, then defrag",
    );
  });
});
