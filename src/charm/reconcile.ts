import type { Decision } from "./actions.js";
import { act } from "./act.js";
import { decide, ELECTION_WAITS } from "./decide.js";
import { hookIntent } from "./intent.js";
import { JujuState } from "./juju-state.js";
import { observe } from "./observe.js";
import type { CharmRuntime } from "./runtime.js";
import { ServiceFailedError } from "./waits.js";

/** Enough for the longest path (install, bootstrap, re-render, publish, a membership change, consumers) and the election waits. */
const MAX_STEPS = 25 + ELECTION_WAITS;

/**
 * One hook's work, level-triggered: observe, decide the next action, do it, and again, until nothing is left
 * to do; then report the status. The same state always leads to the same actions, and a converged unit
 * does nothing. Every choice is decide's; this loop only carries state between the world and it.
 */
export async function reconcile(charm: CharmRuntime): Promise<Decision> {
  const { tools, log, paths, event, machine, etcd, clock, offsite } = charm;
  const hook = hookIntent(event);
  const [juju, templates] = await Promise.all([JujuState.read(tools, event.unit, log), machine.templates()]);
  const world = { juju, etcd, machine, log, clock, offsite };
  let lastStatus: string | undefined;
  let lastAction = "none";
  let electionWaits = 0;
  for (let step = 0; step < MAX_STEPS; step++) {
    const observing = clock.now();
    const observed = await observe(juju.facts, world, hook, electionWaits);
    // How long each look at the machine and the cluster took: the usual suspect when a hook is slow.
    const observeMs = clock.now() - observing;
    const decision = decide({ observed, templates, paths });
    const { action, status } = decision;
    if (!action) {
      log.info({ step, observeMs, electionWaits }, `done: ${status.kind}: ${status.message}`);
      await tools.statusSet(status.kind, status.message);
      return decision;
    }
    if (action.kind === "await-election") electionWaits++;
    lastAction = action.kind;
    log.info({ action: action.kind, step, observeMs }, status.message);
    if (!decision.quiet && status.message !== lastStatus) {
      await tools.statusSet(status.kind, status.message);
      lastStatus = status.message;
    }
    try {
      await act(action, world);
    } catch (error) {
      // A service that cannot start says why where the operator looks first; the hook fails and is retried.
      if (error instanceof ServiceFailedError) await tools.statusSet("blocked", `${error.message}; fix the cause, then run juju resolved`);
      throw error;
    }
  }
  throw new Error(`no convergence after ${MAX_STEPS} steps; the last action was ${lastAction}`);
}
