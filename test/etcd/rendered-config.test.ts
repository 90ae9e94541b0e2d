import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { parseRenderedConfig, restartNeeded } from "../../src/etcd/render.js";
import { type input, render } from "./render-fixtures.js";

describe("restartNeeded", () => {
  it("is true when etcd has never been rendered a config", () => {
    expect(restartNeeded(undefined, render())).toBe(true);
  });

  it("is false for the same settings, whatever the comments, key order or formatting", () => {
    const text = render();
    expect(restartNeeded(text, text)).toBe(false);
    const reordered = `# another header\n${stringifyYaml(Object.fromEntries(Object.entries(parseYaml(text) as object).reverse()))}`;
    expect(restartNeeded(reordered, text)).toBe(false);
    expect(restartNeeded(text.replace("log-outputs:\n  - stderr", "log-outputs: [ stderr ]"), text)).toBe(false);
  });

  it.each<[string, Parameters<typeof input>[0]]>([
    ["initial-cluster-state new → existing", { member: { initialClusterState: "existing" } }],
    ["initial-cluster gains a member", { member: { initialCluster: "etcd0=http://10.1.2.3:2380,etcd1=http://10.1.2.4:2380" } }],
    ["initial-cluster-token", { member: { clusterToken: "OTHER1" } }],
  ])("is false when only %s changes: etcd reads it only on an empty data dir", (_what, changes) => {
    expect(restartNeeded(render(), render(changes))).toBe(false);
  });

  it.each<[string, Parameters<typeof input>[0]]>([
    ["heartbeat-interval", { settings: { heartbeatInterval: 200, electionTimeout: 2000 } }],
    ["log-level", { settings: { logLevel: "debug" } }],
    ["enable-v2", { settings: { enableV2: false } }],
    ["auto-compaction-retention", { settings: { autoCompactionRetention: "2" } }],
    ["client-port", { settings: { clientPort: 4001 } }],
    ["peer-port (and with it initial-advertise-peer-urls)", { settings: { peerPort: 7001 } }],
    ["address", { member: { address: "10.1.2.4", initialCluster: "etcd0=http://10.1.2.4:2380" } }],
    ["name", { member: { name: "etcd9", initialCluster: "etcd9=http://10.1.2.3:2380" } }],
  ])("is true when %s changes", (_what, changes) => {
    expect(restartNeeded(render(), render(changes))).toBe(true);
  });

  it("is true when a key appears or disappears, or the value's type changes", () => {
    const text = render();
    expect(restartNeeded(text.replace("max-wals: 5\n", ""), text)).toBe(true);
    expect(restartNeeded(`${text}force-new-cluster: false\n`, text)).toBe(true);
    expect(restartNeeded(text.replace("heartbeat-interval: 100", 'heartbeat-interval: "100"'), text)).toBe(true);
  });

  it("is true when the previous file is not a config it can read", () => {
    expect(restartNeeded("", render())).toBe(true);
    expect(restartNeeded("name: [unclosed", render())).toBe(true);
    expect(restartNeeded("- a list\n", render())).toBe(true);
  });

  it("refuses a next config that is not a YAML mapping", () => {
    expect(() => restartNeeded(render(), "just text")).toThrow(/not a YAML mapping/);
  });
});

describe("reading a rendered config back", () => {
  it("finds the member's name, client URLs, initial-* values and ports", () => {
    expect(parseRenderedConfig(render())).toEqual({
      name: "etcd0",
      clientUrls: ["http://10.1.2.3:2379"],
      initialCluster: "etcd0=http://10.1.2.3:2380",
      initialClusterState: "new",
      clientPort: 2379,
      peerPort: 2380,
    });
  });

  it("reads IPv6 URLs' ports", () => {
    const text = render({ member: { address: "fd00::5", initialCluster: "etcd0=http://[fd00::5]:2380" }, settings: { clientPort: 4001 } });
    expect(parseRenderedConfig(text)).toMatchObject({ clientUrls: ["http://[fd00::5]:4001"], clientPort: 4001, peerPort: 2380 });
  });

  it("reads a missing, damaged or foreign file as nothing rendered, key by key, never throwing", () => {
    const nothing = { name: undefined, clientUrls: [], initialCluster: undefined, initialClusterState: undefined, clientPort: undefined, peerPort: undefined };
    expect(parseRenderedConfig(undefined)).toEqual(nothing);
    expect(parseRenderedConfig("name: [unclosed")).toEqual(nothing);
    expect(parseRenderedConfig("- a list\n")).toEqual(nothing);
    expect(parseRenderedConfig("initial-cluster-state: sideways\nname: 7\n")).toEqual(nothing);
    expect(parseRenderedConfig("name: etcd4\nadvertise-client-urls: http://10.0.0.4:2379,http://10.0.0.5:2379\n")).toMatchObject({
      name: "etcd4",
      clientUrls: ["http://10.0.0.4:2379", "http://10.0.0.5:2379"],
      clientPort: 2379,
      peerPort: undefined,
    });
  });
});
