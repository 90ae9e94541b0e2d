import { parse as parseYaml } from "yaml";
import { memberUrl, schemeOf } from "../../../src/domain/address.js";
import type { RunningFiles } from "../../../src/etcd/files.js";
import type { SnapshotFacts } from "../../../src/etcd/snapshots.js";
import type { Machine } from "../../../src/etcd/machine.js";
import { etcdPaths } from "../../../src/etcd/paths.js";
import { parseRenderedConfig } from "../../../src/etcd/render.js";
import type { ServiceState } from "../../../src/etcd/service.js";
import type { Templates } from "../../../src/etcd/templates.js";
import type { FakeCluster } from "./fake-cluster.js";
import { FakeTlsStore } from "./fake-tls.js";

/**
 * One unit's machine in memory: etcd's files, its systemd service and its packages. Starting the service
 * starts the member in the fake cluster from the rendered config, as etcd would; `failing` makes the service
 * exit at start the way etcd does on a config it cannot read (systemd waiting to restart it). Every write
 * and service operation is recorded. etcd serves the scheme its config names, and exits at start when the
 * config names TLS files the machine does not have.
 */
export class FakeMachine implements Machine {
  readonly written: string[] = [];
  config: string | undefined;
  unit: string | undefined;
  runningFiles: RunningFiles | undefined;
  memberData = false;
  packagesPresent = false;
  unitMasked = false;
  /** The service's journal, as `systemctl status` shows it. */
  journal: string[] = [];
  state: ServiceState = { active: false, restarts: 0, activeState: "inactive", subState: "dead" };
  /** When set, etcd exits at start with this log line. */
  failing: string | undefined;
  /** When set, the next restart fails with this systemctl error (once). */
  restartError: string | undefined;
  /** The client URL the running etcd serves (what a stop takes out of the cluster, whatever the files say now). */
  servingClientUrl: string | undefined;
  readonly tls: FakeTlsStore;
  /** Snapshots kept on this machine, oldest first; `snapshotError` makes the next take fail (once). */
  readonly kept: SnapshotFacts[] = [];
  snapshotError: string | undefined;
  readonly snapshots: Machine["snapshots"] = {
    take: async (save, member, now, scheduled = false) => {
      const name = `etcd-snapshot-${now
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d+Z$/, "Z")}-rev${this.kept.length + 1}.db`;
      await save(`/var/lib/etcd-snapshots/.taking-1.db`);
      const error = this.snapshotError;
      this.snapshotError = undefined;
      if (error) throw new Error(error);
      const facts: SnapshotFacts = {
        name,
        path: `/var/lib/etcd-snapshots/${name}`,
        revision: this.kept.length + 1,
        keys: 1,
        sizeBytes: 20480,
        hash: 1,
        sha256: "0".repeat(64),
        takenAt: now.toISOString(),
        member,
        scheduled,
      };
      this.kept.push(facts);
      this.note(`snapshot ${name}`);
      return facts;
    },
    prune: async (keep) => {
      const scheduled = this.kept.filter((s) => s.scheduled);
      const old = scheduled.slice(0, Math.max(0, scheduled.length - keep));
      for (const snapshot of old) this.kept.splice(this.kept.indexOf(snapshot), 1);
      if (old.length > 0) this.note(`prune ${old.map((s) => s.name).join(",")}`);
      return old.map((s) => s.name);
    },
  };

  constructor(
    private readonly address: string,
    private readonly cluster: FakeCluster,
    private readonly templateTexts: Templates,
    private readonly machineHostname = "machine-0",
  ) {
    this.tls = new FakeTlsStore(etcdPaths("/"), (what) => this.note(what));
  }

  hostname(): string {
    return this.machineHostname;
  }

  private note(what: string): void {
    this.written.push(what);
  }

  private run(): void {
    const { name, clientPort, peerPort, clientUrls } = parseRenderedConfig(this.config);
    const scheme = schemeOf(clientUrls[0]);
    const usable = name && clientPort && peerPort && scheme ? { name, clientPort, peerPort, scheme } : undefined;
    const failure = this.failing ?? (usable ? this.missingTlsFile() : "etcdmain: no config");
    if (failure !== undefined || !usable) {
      this.state = { active: false, restarts: 0, activeState: "activating", subState: "auto-restart" };
      this.journal.push(`Nov 30 18:00:00 machine etcd[4242]: ${failure ?? "etcdmain: no config"}`);
      this.journal.push("Nov 30 18:00:00 machine systemd[1]: etcd.service: Main process exited, code=exited, status=1/FAILURE");
      return;
    }
    this.servingClientUrl = memberUrl(this.address, usable.clientPort, usable.scheme);
    this.cluster.started(usable.name, memberUrl(this.address, usable.peerPort, usable.scheme), this.servingClientUrl);
    this.memberData = true;
    this.state = { active: true, restarts: 0, activeState: "active", subState: "running" };
  }

  /** etcd's own complaint about a certificate, key or CA file its config names that is not on the machine. */
  private missingTlsFile(): string | undefined {
    const config = parseYaml(this.config ?? "") as Record<string, Record<string, unknown> | undefined>;
    for (const block of ["client-transport-security", "peer-transport-security"]) {
      for (const key of ["cert-file", "key-file", "trusted-ca-file"]) {
        const file = config[block]?.[key];
        if (typeof file === "string" && !this.tls.files.has(file)) return `etcdmain: open ${file}: no such file or directory`;
      }
    }
    return undefined;
  }

  private halt(): void {
    if (this.servingClientUrl !== undefined) this.cluster.stopped(this.servingClientUrl);
    this.servingClientUrl = undefined;
    this.state = { active: false, restarts: 0, activeState: "inactive", subState: "dead" };
  }

  readonly files: Machine["files"] = {
    readConfig: async () => this.config,
    readUnit: async () => this.unit,
    readRunning: async () => this.runningFiles,
    hasMemberData: async () => this.memberData,
    replaceMemberData: async (restore, now) => {
      await restore("/var/lib/etcd/member-data.restoring");
      this.memberData = true;
      this.note("replace-member-data");
      return `/var/lib/etcd/member-data.removed-${now.toISOString()}`;
    },
    copyMemberData: async (now) => {
      this.note("copy-member-data");
      return `/var/lib/etcd/member-data.before-rebuild-${now.toISOString()}`;
    },
    setAsideMemberData: async (now) => {
      this.memberData = false;
      this.note("set-aside-member-data");
      return `/var/lib/etcd/member-data.removed-${now.toISOString()}`;
    },
    unitPathTaken: async () => this.unit !== undefined || this.unitMasked,
    ensureDataDir: async () => undefined,
    writeConfig: async (text) => {
      this.config = text;
      this.note("config");
    },
    writeUnit: async (text) => {
      this.unit = text;
      this.note("unit");
    },
    writeRunning: async (running) => {
      this.runningFiles = running;
      this.note("running");
    },
  };

  readonly service: Machine["service"] = {
    state: async () => this.state,
    daemonReload: async () => this.note("daemon-reload"),
    enableAndStart: async () => {
      this.note("start");
      if (!this.state.active) this.run();
    },
    restart: async () => {
      this.note("restart");
      const error = this.restartError;
      this.restartError = undefined;
      if (error) throw new Error(`systemctl restart etcd.service failed (exit 1): ${error}`);
      this.halt();
      this.run();
    },
    stopAndDisable: async () => {
      this.note("stop");
      this.halt();
    },
    recentLog: async (lines) => this.journal.slice(-lines),
  };

  readonly packages: Machine["packages"] = {
    present: async () => this.packagesPresent,
    install: async () => {
      this.note("install");
      this.packagesPresent = true;
      this.unitMasked = true;
    },
    version: async () => (this.packagesPresent ? "3.4.23" : undefined),
  };

  templates = async (): Promise<Templates> => this.templateTexts;
}
