import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { etcdPaths } from "../../src/etcd/paths.js";
import { parseRenderedConfig, renderEtcdConfig, renderServiceUnit, UnsafeValueError, type MemberIdentity } from "../../src/etcd/render.js";

import { configTemplate, input, paths, render, settings, unitTemplate } from "./render-fixtures.js";

describe("etcd's config file", () => {
  it("starts with the template's header and is YAML with every etcd 3.4 key the charm sets", () => {
    const text = render();
    expect(text.split("\n")[0]).toBe("# Rendered by the etcd charm. Edits are overwritten on the next hook.");
    expect(parseYaml(text)).toEqual({
      name: "etcd0",
      "data-dir": "/var/lib/etcd/member-data",
      "listen-peer-urls": "http://10.1.2.3:2380",
      "listen-client-urls": "http://10.1.2.3:2379",
      "initial-advertise-peer-urls": "http://10.1.2.3:2380",
      "advertise-client-urls": "http://10.1.2.3:2379",
      "initial-cluster": "etcd0=http://10.1.2.3:2380",
      "initial-cluster-state": "new",
      "initial-cluster-token": "Q7X2KD",
      "heartbeat-interval": 100,
      "election-timeout": 1000,
      "snapshot-count": 100000,
      "quota-backend-bytes": 2147483648,
      "auto-compaction-mode": "periodic",
      // etcd's field is a string: a bare number of hours must stay quoted.
      "auto-compaction-retention": "1",
      "enable-v2": true,
      "log-level": "info",
      logger: "zap",
      "log-outputs": ["stderr"],
      "strict-reconfig-check": true,
      "max-snapshots": 5,
      "max-wals": 5,
      // etcd 3.4 started from a config file serves the v3 JSON gateway only when asked (etcd-on-this-machine.md).
      "enable-grpc-gateway": true,
    });
    expect(text.endsWith("enable-grpc-gateway: true\n")).toBe(true);
  });

  it("uses only keys etcd 3.4 knows (it ignores unknown keys in a config file silently)", async () => {
    const help = await execa(paths.tools.etcd, ["--help"], { reject: false, all: true });
    const flags = new Set([...(help.all ?? "").matchAll(/^\s+--([a-z0-9-]+)/gm)].map((match) => match[1]));
    const undocumented = Object.keys(parseYaml(render()) as object).filter((key) => !flags.has(key));
    // --help leaves out a few flags etcd defines (enable-grpc-gateway): etcd's own flag parser decides,
    // refusing an unknown one with "flag provided but not defined".
    const unknown: string[] = [];
    for (const key of undocumented) {
      const parsed = await execa(paths.tools.etcd, [`--${key}=true`, "--version"], { reject: false, all: true });
      if (parsed.exitCode !== 0) unknown.push(`${key}: ${parsed.all?.split("\n")[0] ?? ""}`);
    }
    expect(unknown).toEqual([]);
    expect(undocumented).toEqual(["enable-grpc-gateway"]);
  });

  it("listens on the unit's own address and the configured ports only", () => {
    const config = parseYaml(render({ settings: { clientPort: 4001, peerPort: 7001 }, member: { address: "127.0.0.12" } })) as Record<string, unknown>;
    expect(config["listen-client-urls"]).toBe("http://127.0.0.12:4001");
    expect(config["listen-peer-urls"]).toBe("http://127.0.0.12:7001");
    expect(render()).not.toMatch(/0\.0\.0\.0|127\.0\.0\.1\b/);
  });

  it("brackets an IPv6 address in its URLs", () => {
    const config = parseYaml(render({ member: { address: "fd00::5", initialCluster: "etcd0=http://[fd00::5]:2380,etcd1=http://[fd00::6]:2380" } })) as Record<
      string,
      unknown
    >;
    expect(config["advertise-client-urls"]).toBe("http://[fd00::5]:2379");
    expect(config["initial-cluster"]).toBe("etcd0=http://[fd00::5]:2380,etcd1=http://[fd00::6]:2380");
  });

  it("renders a joining member as existing, with the whole cluster", () => {
    const config = parseYaml(
      render({ member: { name: "etcd2", initialClusterState: "existing", initialCluster: "etcd0=http://10.1.2.1:2380,etcd2=http://10.1.2.3:2380" } }),
    ) as Record<string, unknown>;
    expect(config).toMatchObject({ name: "etcd2", "initial-cluster-state": "existing" });
  });

  it("with TLS files, serves and dials peers with mutual TLS and GCM suites only; https URLs only when the scheme says so", () => {
    const tls = {
      caFile: "/etc/etcd/tls/ca-0123456789abcdef.pem",
      certFile: "/etc/etcd/tls/member.pem",
      keyFile: "/etc/etcd/tls/member.key",
      peerHostname: "etcd.etcd-peer",
    };
    const security = { "cert-file": tls.certFile, "key-file": tls.keyFile, "trusted-ca-file": tls.caFile, "client-cert-auth": true };
    const https = parseYaml(render({ scheme: "https", tls, member: { initialCluster: "etcd0=https://10.1.2.3:2380" } })) as Record<string, unknown>;
    expect(https).toMatchObject({
      "listen-peer-urls": "https://10.1.2.3:2380",
      "listen-client-urls": "https://10.1.2.3:2379",
      "initial-advertise-peer-urls": "https://10.1.2.3:2380",
      "advertise-client-urls": "https://10.1.2.3:2379",
      "initial-cluster": "etcd0=https://10.1.2.3:2380",
      "client-transport-security": security,
      "peer-transport-security": security,
      // Only certificates naming the peer host name pass the peer port (test/etcd/tls-etcd.test.ts).
      PeerTLSInfo: { AllowedHostname: "etcd.etcd-peer", SkipClientSANVerify: true },
      "cipher-suites": [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      ],
    });
    // Half-way through a switch a member serves http but already holds its certificate: it can dial https peers.
    const http = parseYaml(render({ scheme: "http", tls })) as Record<string, unknown>;
    expect(http).toMatchObject({ "listen-peer-urls": "http://10.1.2.3:2380", "peer-transport-security": security });
    // Without files no security block at all.
    expect(Object.keys(parseYaml(render()) as object).filter((key) => key.includes("security") || key === "cipher-suites")).toEqual([]);
    // The renderer reads back which CA file the member trusts (how peers learn what it can dial).
    expect(parseRenderedConfig(render({ scheme: "https", tls })).trustedCaFile).toBe(tls.caFile);
  });

  describe("refuses identity values outside their strict form, so nothing untrusted reaches the file", () => {
    it.each<[keyof MemberIdentity, string]>([
      ["name", "etcd0\nlisten-client-urls: http://0.0.0.0:2379"],
      ["name", "etcd 0"],
      ["name", ""],
      ["name", "-etcd0"],
      ["name", "etcd%i"],
      ["name", "etcd0: {}"],
      ["name", "x".repeat(64)],
      ["address", "0.0.0.0"],
      ["address", "::"],
      ["address", "localhost"],
      ["address", "etcd.example.com"],
      ["address", "10.1.2.3 "],
      ["address", "10.1.2.3:2379"],
      ["address", "10.1.2.300"],
      ["address", "010.1.2.3"],
      ["address", "fe80::1%eth0"],
      ["address", "10.1.2.3\n"],
      ["clusterToken", "tok en"],
      ["clusterToken", "tok'en"],
      ["clusterToken", '"; rm -rf /'],
      ["clusterToken", ""],
      ["initialCluster", ""],
      ["initialCluster", "etcd0=http://10.1.2.3:2380,"],
      ["initialCluster", "etcd0=http://10.1.2.3:2380\nforce-new-cluster: true"],
      ["initialCluster", "etcd0=http://0.0.0.0:2380"],
      ["initialCluster", "etcd0=http://10.1.2.3:0"],
      ["initialCluster", "etcd0=http://10.1.2.3:65536"],
      ["initialCluster", "etcd0=http://10.1.2.3"],
      ["initialCluster", "etcd0=http://[10.1.2.3]:2380"],
      ["initialCluster", "etcd0=http://fd00::5:2380"],
      ["initialCluster", "etcd0=http://evil.example.com:2380"],
      ["initialCluster", "et cd0=http://10.1.2.3:2380"],
      ["initialCluster", "etcd0=http://10.1.2.3:2380/path"],
    ])("%s %j", (field, value) => {
      expect(() => render({ member: { [field]: value } })).toThrow(UnsafeValueError);
    });

    it("refuses a data dir that is not a plain absolute path", () => {
      for (const dataDir of ["var/lib/etcd", "/var/lib/../etcd", "/var/lib/etcd data", "/var/lib/etcd\n"]) {
        expect(() => renderEtcdConfig({ ...input(), paths: { dataDir } }, configTemplate)).toThrow(UnsafeValueError);
      }
    });
  });

  it("fails loudly when the template and the renderer disagree", () => {
    expect(() => renderEtcdConfig(input(), "# header only\n")).toThrow(/no placeholder for \{\{body\}\}/);
    expect(() => renderEtcdConfig(input(), "{{body}}\n{{footer}}\n")).toThrow(/\{\{footer\}\} has no value/);
  });
});

describe("the etcd.service unit", () => {
  const renderUnit = (changes: Partial<{ memberName: string; etcdBinary: string; configFile: string; dataDir: string }> = {}) =>
    renderServiceUnit(
      {
        memberName: changes.memberName ?? "etcd0",
        paths: {
          configFile: changes.configFile ?? paths.configFile,
          dataDir: changes.dataDir ?? paths.dataDir,
          tools: { ...paths.tools, ...(changes.etcdBinary === undefined ? {} : { etcd: changes.etcdBinary }) },
        },
      },
      unitTemplate,
    );

  it("runs etcd from its config file as the etcd user, always restarting", () => {
    const unit = renderUnit();
    const lines = unit.split("\n");
    expect(lines).toContain(`ExecStart=${paths.tools.etcd} --config-file /etc/etcd/etcd.conf.yml`);
    expect(lines).toContain("ReadWritePaths=/var/lib/etcd/member-data");
    expect(lines).toEqual(expect.arrayContaining(["Type=notify", "User=etcd", "Group=etcd", "Restart=always", "StartLimitIntervalSec=0"]));
    expect(lines).toContain("Description=etcd key-value store (member etcd0, managed by Juju)");
    expect(unit).not.toContain("{{");
  });

  it("passes `systemd-analyze verify` with exit 0 and nothing on stderr", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "etcd-unit-"));
    try {
      const file = path.join(dir, "etcd.service");
      await writeFile(file, renderUnit());
      const verify = await execa("systemd-analyze", ["verify", file], { reject: false });
      expect({ exitCode: verify.exitCode, stderr: verify.stderr }).toEqual({ exitCode: 0, stderr: "" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each<[string, Partial<{ memberName: string; etcdBinary: string; configFile: string; dataDir: string }>]>([
    ["a relative binary", { etcdBinary: "etcd" }],
    ["a path with a space", { configFile: "/etc/etcd/my etcd.yml" }],
    ["a path with a specifier", { dataDir: "/var/lib/%i" }],
    ["a path with a variable", { configFile: "/etc/$HOME/etcd.yml" }],
    ["a path with a quote", { configFile: '/etc/etcd/"x.yml' }],
    ["a path with a newline", { dataDir: "/var/lib/etcd\nExecStartPre=/bin/sh" }],
    ["a path that is not normalised", { dataDir: "/var/lib/etcd/../../root" }],
    ["a path with a trailing slash", { dataDir: "/var/lib/etcd/" }],
    ["a member name with a specifier", { memberName: "etcd%n" }],
    ["a member name with a newline", { memberName: "etcd0\nUser=root" }],
  ])("refuses %s", (_what, changes) => {
    expect(() => renderUnit(changes)).toThrow(UnsafeValueError);
  });
});

describe("a rendered config on a real etcd 3.4", () => {
  const address = "127.0.0.160";
  const endpoint = `--endpoints=http://${address}:2379`;
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "etcd-render-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("starts a single new member that serves writes and reads", async () => {
    const unitPaths = etcdPaths(root);
    const config = renderEtcdConfig(
      {
        settings: { ...settings, logLevel: "warn", quotaBackendBytes: 209715200 },
        member: { name: "etcd0", address, initialCluster: `etcd0=http://${address}:2380`, initialClusterState: "new", clusterToken: "RENDER1" },
        paths: unitPaths,
        scheme: "http",
        tls: undefined,
      },
      configTemplate,
    );
    await mkdir(unitPaths.configDir, { recursive: true });
    await writeFile(unitPaths.configFile, config);

    const etcd = spawn(paths.tools.etcd, ["--config-file", unitPaths.configFile], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    etcd.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<void>((resolve) => etcd.once("exit", () => resolve()));
    try {
      let healthy = false;
      for (let attempt = 0; attempt < 100 && !healthy && etcd.exitCode === null; attempt++) {
        const probe = await execa("etcdctl", [endpoint, "--dial-timeout=500ms", "endpoint", "health"], { reject: false });
        healthy = probe.exitCode === 0;
        if (!healthy) await sleep(100);
      }
      expect(healthy, `etcd did not become healthy; its log:\n${log}`).toBe(true);

      await execa("etcdctl", [endpoint, "put", "/render-test", "rendered"]);
      const read = await execa("etcdctl", [endpoint, "get", "/render-test", "--print-value-only"]);
      expect(read.stdout).toBe("rendered");
      const status = JSON.parse((await execa("etcdctl", [endpoint, "-w", "json", "endpoint", "status"])).stdout) as Array<{ Status: { version: string } }>;
      expect(status[0]?.Status.version).toMatch(/^3\.4\./);
      // The member runs with the rendered settings, not etcd's defaults.
      const metrics = await (await fetch(`http://${address}:2379/metrics`)).text();
      expect(metrics).toMatch(/^etcd_server_quota_backend_bytes 2\.097152e\+08$/m);
    } finally {
      etcd.kill("SIGKILL");
      await exited;
    }
  });
});
