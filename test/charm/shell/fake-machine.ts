import { memberUrl } from "../../../src/domain/address.js";
import type { RunningFiles } from "../../../src/etcd/files.js";
import type { Machine } from "../../../src/etcd/machine.js";
import { parseRenderedConfig } from "../../../src/etcd/render.js";
import type { ServiceState } from "../../../src/etcd/service.js";
import type { Templates } from "../../../src/etcd/templates.js";
import type { FakeCluster } from "./fake-cluster.js";

/**
 * One unit's machine in memory: etcd's files, its systemd service and its packages. Starting the service
 * starts the member in the fake cluster from the rendered config, as etcd would; `failing` makes the service
 * exit at start the way etcd does on a config it cannot read (systemd waiting to restart it). Every write
 * and service operation is recorded.
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

  constructor(
    private readonly address: string,
    private readonly cluster: FakeCluster,
    private readonly templateTexts: Templates,
  ) {}

  private note(what: string): void {
    this.written.push(what);
  }

  private run(): void {
    const rendered = parseRenderedConfig(this.config);
    if (this.failing !== undefined || !rendered.name || !rendered.clientPort || !rendered.peerPort) {
      this.state = { active: false, restarts: 0, activeState: "activating", subState: "auto-restart" };
      this.journal.push(`Nov 30 18:00:00 machine etcd[4242]: ${this.failing ?? "etcdmain: no config"}`);
      this.journal.push("Nov 30 18:00:00 machine systemd[1]: etcd.service: Main process exited, code=exited, status=1/FAILURE");
      return;
    }
    this.cluster.started(rendered.name, memberUrl(this.address, rendered.peerPort), memberUrl(this.address, rendered.clientPort));
    this.memberData = true;
    this.state = { active: true, restarts: 0, activeState: "active", subState: "running" };
  }

  private halt(): void {
    const { clientPort } = parseRenderedConfig(this.config);
    if (clientPort !== undefined) this.cluster.stopped(memberUrl(this.address, clientPort));
    this.state = { active: false, restarts: 0, activeState: "inactive", subState: "dead" };
  }

  readonly files: Machine["files"] = {
    readConfig: async () => this.config,
    readUnit: async () => this.unit,
    readRunning: async () => this.runningFiles,
    hasMemberData: async () => this.memberData,
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
