import { describe, expect, it } from "vitest";
import { parseDepartedUnits, parseLeaderData, parsePeerUnitData } from "../../src/charm/cluster-data.js";

const TOKEN = "0123456789abcdef0123456789abcdef";
const CA_SECRET = "secret:d0000000000000000001";
const CLIENT_SECRET = "secret://8b4b9a5e-7f2c-4d3b-9f0e-1a2b3c4d5e6f/d0000000000000000002";
const CA_PEM = "-----BEGIN CERTIFICATE-----\nTUlJQmNsdXN0ZXJDQQ==\n-----END CERTIFICATE-----\n";

describe("leader settings are validated key by key", () => {
  it("a well-formed set parses into the token, the bootstrap claim, grants, voters and their client URLs, and the CA", () => {
    const { data, rejected } = parseLeaderData({
      "cluster-token": TOKEN,
      "bootstrap-member": "etcd0",
      "join-etcd3": "etcd0=https://10.0.0.10:2380,etcd3=https://10.0.0.13:2380",
      "cluster-members": "etcd0,etcd1,etcd2",
      "cluster-client-urls": "https://10.0.0.10:2379,http://10.0.0.11:2379,https://10.0.0.12:2379",
      "tls-ca-secret": CA_SECRET,
      // Stored without its trailing newline and with CRLF: read back in canonical PEM.
      "tls-ca": CA_PEM.trimEnd().replaceAll("\n", "\r\n"),
      "tls-client-4": CLIENT_SECRET,
    });
    expect(rejected).toEqual([]);
    expect(data).toEqual({
      token: TOKEN,
      bootstrapMember: "etcd0",
      grants: { etcd3: "etcd0=https://10.0.0.10:2380,etcd3=https://10.0.0.13:2380" },
      members: "etcd0,etcd1,etcd2",
      clientUrls: ["https://10.0.0.10:2379", "http://10.0.0.11:2379", "https://10.0.0.12:2379"],
      caSecretId: CA_SECRET,
      caBundle: CA_PEM,
      clientSecrets: { "4": CLIENT_SECRET },
    });
  });

  it.each([
    ["tls-ca-secret", "secret:../../etc/passwd"],
    ["tls-ca", `${CA_PEM}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`],
    ["tls-ca", "not a certificate"],
    ["tls-client-4", "secret:short"],
    ["tls-client-x", CLIENT_SECRET],
  ])("a malformed %s is rejected and not used: leader data carries public certificates and secret URIs only", (key, value) => {
    const { data, rejected } = parseLeaderData({ [key]: value });
    expect(rejected).toEqual([{ key, reason: expect.any(String) as string }]);
    expect(data).toMatchObject({ caSecretId: undefined, caBundle: undefined, clientSecrets: {} });
  });

  it("an empty client URL list is no URLs; a missing one too", () => {
    expect(parseLeaderData({ "cluster-client-urls": "" }).data.clientUrls).toEqual([]);
    expect(parseLeaderData({}).data.clientUrls).toEqual([]);
  });

  it.each([
    ["cluster-token", "short"],
    ["cluster-token", "$(reboot)0123456789abcdef"],
    ["bootstrap-member", "Etcd0; rm -rf /"],
    ["join-etcd3", "etcd3=http://10.0.0.13:2380\n[Service]\nExecStart=/bin/sh"],
    ["join-Etcd3", "etcd0=http://10.0.0.10:2380"],
    ["cluster-members", "etcd0,,etcd1"],
    ["cluster-client-urls", "http://10.0.0.10:2379,file:///etc/passwd"],
    ["cluster-client-urls", "http://10.0.0.10:2379 --peer-urls=x"],
    ["cluster-client-urls", Array.from({ length: 65 }, (_, i) => `http://10.0.1.${i}:2379`).join(",")],
  ])("a malformed %s (%j) is rejected with a reason and not used", (key, value) => {
    const { data, rejected } = parseLeaderData({ [key]: value });
    expect(rejected).toEqual([{ key, reason: expect.any(String) as string }]);
    expect(data).toMatchObject({ token: undefined, bootstrapMember: undefined, grants: {}, members: undefined, clientUrls: [] });
  });
});

describe("a peer's bag is validated key by key", () => {
  it("keeps the valid keys and names each rejected one", () => {
    const { data, rejected } = parsePeerUnitData({
      "private-address": "10.0.0.11",
      "peer-url": "http://10.0.0.11:2380",
      "client-url": "http://10.0.0.11:2379/; touch /tmp/pwned",
      "member-state": "started",
      "tls-trusted-cas": "0123456789abcdef,fedcba9876543210",
      unknown: "ignored",
    });
    expect(data).toEqual({
      address: "10.0.0.11",
      peerUrl: "http://10.0.0.11:2380",
      clientUrl: undefined,
      started: true,
      trustedCas: ["0123456789abcdef", "fedcba9876543210"],
    });
    expect(rejected.map((r) => r.key)).toEqual(["client-url"]);
  });

  it("trusted CAs are fingerprints or nothing: a malformed list trusts none", () => {
    const { data, rejected } = parsePeerUnitData({ "tls-trusted-cas": "0123456789abcdef,$(reboot)" });
    expect(data.trustedCas).toEqual([]);
    expect(rejected.map((r) => r.key)).toEqual(["tls-trusted-cas"]);
  });
});

describe("departed units kept in unit state", () => {
  it("parses a JSON list of unit names and ignores anything else", () => {
    expect(parseDepartedUnits('["etcd/1","etcd/12"]')).toEqual(["etcd/1", "etcd/12"]);
    expect(parseDepartedUnits('["etcd/1","../x"]')).toEqual([]);
    expect(parseDepartedUnits("not json")).toEqual([]);
    expect(parseDepartedUnits(undefined)).toEqual([]);
  });
});
