import { loadTemplates } from "../../../src/etcd/templates.js";
import { etcdPaths } from "../../../src/etcd/paths.js";
import type { CharmRuntime, Clock } from "../../../src/charm/runtime.js";
import { dispatch } from "../../../src/dispatch.js";
import { HookTools } from "../../../src/juju/client.js";
import { readEventContext } from "../../../src/juju/context.js";
import { pino } from "pino";
import { repoRoot } from "../../../scripts/build.js";
import { FakeCluster } from "./fake-cluster.js";
import { FakeJuju, type ToolCall } from "./fake-juju.js";
import { FakeMachine } from "./fake-machine.js";
import { FakeBucket } from "./fake-offsite.js";

/** Time that passes only when the charm sleeps: retries and waits run in microseconds. */
export class FakeClock implements Clock {
  constructor(public current = 1_800_000_000_000) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.current += ms;
  }
}

const templates = await loadTemplates(repoRoot);
const DEFAULT_CONFIG = {
  "client-port": 2379,
  "peer-port": 2380,
  "heartbeat-interval": 100,
  "election-timeout": 1000,
  "snapshot-count": 10000,
  "quota-backend-bytes": 2147483648,
  "auto-compaction-mode": "periodic",
  "auto-compaction-retention": "1",
  "enable-v2": true,
  "log-level": "info",
  tls: true,
  "tls-extra-sans": "",
  "snapshot-interval": "off",
  "snapshot-retention": 7,
};

/** What one hook or action run did: the outcome and everything it touched, in order. */
export interface RunRecord {
  readonly error: string | undefined;
  readonly calls: readonly ToolCall[];
  /** Tools that change Juju's state (leader-set, relation-set, state-set, application-version-set). */
  readonly jujuWrites: readonly string[];
  readonly machineWrites: readonly string[];
  readonly etcdOperations: readonly string[];
  readonly sleptMs: number;
  /** The action kinds reconcile ran, in order (from its structured log). */
  readonly actions: readonly string[];
}

const JUJU_WRITES = new Set(["leader-set", "relation-set", "state-set", "application-version-set"]);

/**
 * A model of N etcd units in memory: Juju (FakeJuju), one machine per unit (FakeMachine) and the etcd
 * cluster they form (FakeCluster). Runs the charm's real dispatch for an event on a unit, exactly as main.ts
 * does but with this world injected, and records what the run did.
 */
export class FakeWorld {
  readonly juju = new FakeJuju();
  readonly cluster = new FakeCluster();
  readonly machines = new Map<string, FakeMachine>();
  readonly clock = new FakeClock();
  /** The s3-credentials relation's bucket, when a test relates one. */
  readonly bucket = new FakeBucket();
  readonly peerRelation: string;
  /** Every structured log line the charm wrote, parsed. */
  readonly logLines: Record<string, unknown>[] = [];

  constructor(units = 0) {
    this.juju.config = { ...DEFAULT_CONFIG };
    this.peerRelation = this.juju.addRelation("cluster", []);
    for (let i = 0; i < units; i++) this.addUnit();
  }

  addUnit(): string {
    const n = this.machines.size;
    const unit = `etcd/${n}`;
    const address = `10.0.0.${10 + n}`;
    this.juju.addUnit(unit, address);
    this.juju.relations.get(this.peerRelation)?.units.push(unit);
    this.machines.set(unit, new FakeMachine(address, this.cluster, templates, `machine-${n}`));
    return unit;
  }

  machine(unit: string): FakeMachine {
    const machine = this.machines.get(unit);
    if (!machine) throw new Error(`no unit ${unit}`);
    return machine;
  }

  runtime(unit: string, dispatchPath: string, env: Record<string, string> = {}): CharmRuntime {
    const event = readEventContext({ JUJU_DISPATCH_PATH: dispatchPath, JUJU_UNIT_NAME: unit, JUJU_CHARM_DIR: repoRoot, JUJU_VERSION: "3.6.0", ...env });
    const tools = new HookTools(this.juju.runner(unit));
    const log = pino({ level: "info", base: { unit } }, { write: (line: string) => this.logLines.push(JSON.parse(line) as Record<string, unknown>) });
    return {
      event,
      tools,
      etcd: this.cluster,
      machine: this.machine(unit),
      paths: etcdPaths("/"),
      log,
      clock: this.clock,
      offsite: this.bucket.offsite(tools, "etcd", log),
    };
  }

  /** Runs a hook on a unit; relation hooks take JUJU_RELATION* as Juju sets them. */
  async hook(unit: string, name: string, env: Record<string, string> = {}): Promise<RunRecord> {
    return this.record(unit, () => dispatch(this.runtime(unit, `hooks/${name}`, env)));
  }

  async action(unit: string, name: string): Promise<RunRecord> {
    this.juju.actionResults = {};
    this.juju.actionFailure = undefined;
    return this.record(unit, () => dispatch(this.runtime(unit, `actions/${name}`, { JUJU_ACTION_UUID: "1" })));
  }

  private async record(unit: string, run: () => Promise<unknown>): Promise<RunRecord> {
    const calls = this.juju.calls.length;
    const machineWrites = this.machine(unit).written.length;
    const operations = this.cluster.operations.length;
    const started = this.clock.now();
    const lines = this.logLines.length;
    let error: string | undefined;
    try {
      await run();
      this.juju.commit(unit);
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
      // A failed hook leaves no secret it wrote (juju-interfaces-and-features.md §6.6).
      this.juju.discard(unit);
    }
    const made = this.juju.calls.slice(calls);
    return {
      error,
      calls: made,
      jujuWrites: made.filter((c) => JUJU_WRITES.has(c.tool)).map((c) => c.tool),
      machineWrites: this.machine(unit).written.slice(machineWrites),
      etcdOperations: this.cluster.operations.slice(operations),
      sleptMs: this.clock.now() - started,
      actions: this.logLines.slice(lines).flatMap((line) => (typeof line.action === "string" ? [line.action] : [])),
    };
  }

  /** A converged model of `units` units: deployed, each unit having seen the others. */
  static async converged(units: number): Promise<FakeWorld> {
    const world = new FakeWorld(units);
    await world.deploy();
    return world;
  }

  /** Installs and converges units one after another, as a deploy followed by their first hooks would. */
  async deploy(): Promise<void> {
    for (const unit of this.machines.keys()) {
      const run = await this.hook(unit, "install");
      if (run.error) throw new Error(`${unit} install: ${run.error}`);
    }
    // Every unit sees the others' published data (leader-settings-changed, cluster-relation-changed), until
    // a round changes nothing: the leader publishes its CA a hook after it made it, the others join after that,
    // and the leader then records them.
    for (let round = 0; round < 5; round++) {
      let acted = false;
      for (const unit of this.machines.keys()) {
        const run = await this.hook(unit, "leader-settings-changed");
        if (run.error) throw new Error(`${unit} leader-settings-changed: ${run.error}`);
        acted ||= run.actions.length > 0;
      }
      if (!acted) return;
    }
    throw new Error("the deploy did not settle in 5 rounds of hooks");
  }

  status(unit: string): string {
    const status = this.juju.statusOf(unit);
    return status ? `${status.kind}: ${status.message}` : "unknown";
  }
}
