import { setTimeout as sleep } from "node:timers/promises";
import { EtcdFiles } from "../etcd/files.js";
import { etcdBinariesPresent, etcdVersion } from "../etcd/install.js";
import { loadTemplate } from "../etcd/render.js";
import { SystemdService } from "../etcd/service.js";
import { act } from "./act.js";
import { DEPARTED_STATE_KEY } from "./cluster-data.js";
import { decide, type Decision } from "./decide.js";
import { observe, readJujuView } from "./observe.js";
import type { CharmRuntime } from "./runtime.js";

/** Enough for the longest path (install, bootstrap, re-render, publish, a membership change, consumers). */
const MAX_STEPS = 25;
/** How many times (a second apart) a hook looks again at a cluster that names no raft leader. */
const ELECTION_WAITS = 8;

export interface ReconcileOptions {
  /** This unit is leaving the application (its own departure, stop, remove). */
  readonly departing: boolean;
  /** A peer unit that left, to remember so that its member is removed. */
  readonly departedUnit?: string;
  /** update-status only reports on a unit that was never installed: installing is the install hook's job. */
  readonly mayInstall?: boolean;
}

/**
 * One hook's work, level-triggered: observe, decide the next action, do it, and again, until nothing is left
 * to do; then report the status. The same state always leads to the same actions, and a converged unit
 * does nothing.
 */
export async function reconcile(charm: CharmRuntime, options: ReconcileOptions): Promise<Decision> {
  const { tools, log, paths, event } = charm;
  const files = new EtcdFiles(paths);
  const service = new SystemdService();
  const juju = await readJujuView(tools, event.unit, log);
  if (options.departedUnit && !juju.departedUnits.includes(options.departedUnit)) {
    juju.departedUnits = [...juju.departedUnits, options.departedUnit];
    await tools.stateSet({ [DEPARTED_STATE_KEY]: JSON.stringify(juju.departedUnits) });
  }
  const templates = { config: await loadTemplate(event.charmDir, "etcd.conf.yml"), unit: await loadTemplate(event.charmDir, "etcd.service") };
  const machine = { files, service, installed: etcdBinariesPresent, etcdVersion };
  let last: Decision | undefined;
  let electionWaits = 0;
  for (let step = 0; step < MAX_STEPS; step++) {
    const observing = Date.now();
    const observed = await observe(juju, machine, options.departing, log);
    // How long each look at the machine and the cluster took: the usual suspect when a hook is slow.
    const observeMs = Date.now() - observing;
    const decision = decide({ observed, templates, paths });
    // Members that answer but name no raft leader are usually mid-election (e.g. right after a restart):
    // look again shortly rather than report a leaderless cluster that is about to have a leader.
    if (!decision.action && observed.cluster && !observed.cluster.raftLeaderId && electionWaits < ELECTION_WAITS) {
      electionWaits++;
      step--;
      await sleep(1000);
      continue;
    }
    if (!decision.action || (decision.action.kind === "install" && options.mayInstall === false)) {
      const status = decision.action ? { kind: "waiting" as const, message: "waiting for etcd to be installed" } : decision.status;
      log.info({ step, observeMs, electionWaits }, `done: ${status.kind}: ${status.message}`);
      await tools.statusSet(status.kind, status.message);
      return decision;
    }
    log.info({ action: decision.action.kind, step, observeMs }, decision.status.message);
    if (decision.status.message !== last?.status.message) await tools.statusSet(decision.status.kind, decision.status.message);
    await act(decision.action, observed, juju, { tools, files, service, log });
    last = decision;
  }
  throw new Error(`no convergence after ${MAX_STEPS} steps; the last action was ${last?.action?.kind ?? "none"}`);
}
