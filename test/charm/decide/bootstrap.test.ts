import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import type { Observed } from "../../../src/charm/observed.js";
import { action, clientUrl, cluster, converged, member, peer, peerUrl, rendered, run, TOKEN, NOTHING_RENDERED, WITH_CA } from "./fixtures.js";

describe("install and bootstrap, on the Juju leader only", () => {
  const fresh = (overrides: Partial<Observed> = {}): Observed =>
    converged(0, {
      installed: true,
      rendered: NOTHING_RENDERED,
      serviceActive: false,
      hasMemberData: false,
      leaderData: { token: undefined, bootstrapMember: undefined, grants: {}, members: undefined, clientUrls: [], ...WITH_CA },
      peers: [],
      publishedPeerData: {},
      cluster: undefined,
      ...overrides,
    });

  it("installs first", () => {
    expect(action(fresh({ installed: false }))).toEqual({ kind: "install" });
  });

  it("update-status never installs: it only says the unit waits for its install hook", () => {
    const reportOnly = {
      departing: false,
      departedPeer: undefined,
      mayInstall: false,
      dataAttached: false,
      relationBroken: false,
      machineUpgradeTo: undefined,
    };
    expect(run(fresh({ installed: false, hook: reportOnly }))).toEqual({
      action: undefined,
      status: { kind: "waiting", message: "waiting for etcd to be installed" },
    });
  });

  it("claims the bootstrap in leader data before anything else", () => {
    expect(action(fresh())).toEqual({ kind: "claim-bootstrap", memberName: "etcd0", existingToken: undefined });
  });

  it("once claimed, renders a new single-member cluster, then starts it and waits for health", () => {
    const claimed = fresh({ leaderData: { token: TOKEN, bootstrapMember: "etcd0", grants: {}, members: undefined, clientUrls: [], ...WITH_CA } });
    const write = action(claimed);
    expect(write).toMatchObject({ kind: "write-files", restart: undefined });
    const config = parseYaml((write as { configText: string }).configText) as Record<string, unknown>;
    expect(config).toMatchObject({ "initial-cluster-state": "new", "initial-cluster": `etcd0=${peerUrl(0)}`, "initial-cluster-token": TOKEN });
    const written = { ...claimed, rendered: rendered(0, `etcd0=${peerUrl(0)}`, "new") };
    const files = rendered(0, `etcd0=${peerUrl(0)}`, "new");
    expect(action(written)).toEqual({
      kind: "start",
      wait: { kind: "healthy", url: clientUrl(0) },
      running: { configText: files.configText, unitText: files.unitText },
    });
  });

  it("after bootstrap the config says existing, without a restart, so a lost data dir can never bootstrap a second cluster", () => {
    const running = converged(0, { rendered: rendered(0, `etcd0=${peerUrl(0)}`, "new"), peers: [], cluster: cluster([member(0)]) });
    const next = action(running);
    expect(next).toMatchObject({ kind: "write-files", restart: undefined });
    expect(parseYaml((next as { configText: string }).configText)).toMatchObject({ "initial-cluster-state": "existing" });
  });

  it.each([
    [
      "another unit claimed the bootstrap",
      { leaderData: { token: TOKEN, bootstrapMember: "etcd5", grants: {}, members: undefined, clientUrls: [], ...WITH_CA } },
    ],
    ["a peer already runs a member", { peers: [peer(1, true)] }],
    ["a cluster answers", { cluster: cluster([member(1)]) }],
    ["this unit is not the leader", { isLeader: false }],
  ])("never bootstraps when %s", (_why, overrides) => {
    const decision = run(fresh(overrides as Partial<Observed>));
    expect(decision.action?.kind).not.toBe("claim-bootstrap");
    expect(decision.action?.kind === "write-files" && decision.action.configText.includes("initial-cluster-state: new")).toBe(false);
  });
});
