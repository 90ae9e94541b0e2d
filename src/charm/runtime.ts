import { setTimeout as sleep } from "node:timers/promises";
import { type EtcdCluster, etcdctlCluster } from "../etcd/cluster.js";
import { hostMachine, type Machine } from "../etcd/machine.js";
import { type EtcdPaths, etcdPaths } from "../etcd/paths.js";
import { HookTools } from "../juju/client.js";
import type { EventContext } from "../juju/context.js";
import type { Logger } from "../log.js";
import { type OffsiteCopies, s3Offsite } from "./offsite.js";

/** Time, injected so that the shell's waits and retries run instantly against a fake world in tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * Everything a handler reaches the world through: the event, Juju's hook tools, the etcd cluster and this
 * unit's machine, a logger and a clock. main.ts builds the real one; tests build one over a fake world.
 */
export interface CharmRuntime {
  readonly event: EventContext;
  readonly tools: HookTools;
  readonly etcd: EtcdCluster;
  readonly machine: Machine;
  readonly paths: EtcdPaths;
  readonly log: Logger;
  readonly clock: Clock;
  /** Copies of snapshots off the machines (the s3-credentials relation's bucket). */
  readonly offsite: OffsiteCopies;
}

export type Handler = (charm: CharmRuntime) => Promise<void>;

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

/** The runtime of a hook on a real unit: hook tools on PATH, etcdctl, systemd, apt and the charm's templates. */
export function hostRuntime(event: EventContext, log: Logger): CharmRuntime {
  const paths = etcdPaths();
  const tools = new HookTools();
  return {
    event,
    tools,
    etcd: etcdctlCluster({ caFile: paths.caFile, certFile: paths.certFile, keyFile: paths.keyFile }, paths.tools.etcdctl),
    machine: hostMachine(paths, event.charmDir, log),
    paths,
    log,
    clock: systemClock,
    offsite: s3Offsite(tools, event.unit.split("/")[0] ?? event.unit, log),
  };
}
