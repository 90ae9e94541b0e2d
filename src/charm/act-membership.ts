import { underBothSchemes } from "../domain/address.js";
import type { Action } from "./actions.js";
import type { ActWorld } from "./act.js";
import { LEFT_STATE_KEY } from "./cluster-data.js";
import { removalStep } from "./membership.js";
import { readClusterView } from "./observe.js";
import { CLUSTER_LOCK, RECONFIGURATION_WAIT_MS, retry } from "./waits.js";

type RemoveMember = Extract<Action, { kind: "remove-member" }>;

/** How many times a removal hands raft leadership over before it removes the member anyway. */
const HAND_OVERS = 2;

/**
 * Removes a member under the cluster's lock, asking the cluster again once the lock is held (membership.ts,
 * removalStep): the decision was made before other units' removals and restarts that ran while this one
 * waited. This unit's own member, once removed (or found gone), is recorded as left and stopped; when the
 * cluster can no longer remove it (the last voter, no majority) it is stopped as it is.
 */
export async function removeMember(action: RemoveMember, world: ActWorld): Promise<void> {
  const { etcd, juju, log, clock } = world;
  const urls = underBothSchemes([...new Set([...action.endpoints, action.selfUrl])]);
  const outcome = await etcd.withLock(urls, CLUSTER_LOCK, RECONFIGURATION_WAIT_MS, async () => {
    for (let handOvers = 0; ; handOvers++) {
      const view = await readClusterView(etcd, urls, log);
      const step = removalStep(view, action.memberId, action.selfUrl);
      log.info(
        { step: step.kind, members: view?.members.length, raftLeaderId: view?.raftLeaderId, answering: view?.answering.length },
        "holding the cluster's lock for a removal",
      );
      if (step.kind === "hand-over" && handOvers < HAND_OVERS) {
        await retry(clock, 3000, 500, () => etcd.moveLeader(step.endpoints, step.toMemberId)).catch((error: unknown) =>
          log.warn({ error: error instanceof Error ? error.message : String(error) }, "could not hand over raft leadership before a removal"),
        );
        continue;
      }
      if (step.kind === "remove" || step.kind === "hand-over") {
        // "Unhealthy cluster" (the leader not yet connected to every voter for 5 s) is waited out.
        await retry(clock, RECONFIGURATION_WAIT_MS, 500, () => etcd.remove(action.endpoints.length > 0 ? action.endpoints : urls, action.memberId));
      }
      return step;
    }
  });
  switch (outcome.kind) {
    case "remove":
    case "hand-over":
      await juju.tools.jujuLog(`removed ${action.memberName} from the cluster`);
      break;
    case "gone":
      log.info({ member: action.memberName }, "the member was already removed");
      break;
    case "last-voter":
      if (!action.self) throw new Error(`not removing ${action.memberName}: it is the cluster's last voting member`);
      await juju.tools.jujuLog(`leaving without removing member ${action.memberName}: it is the cluster's last voting member, kept as it is`);
      await world.machine.service.stopAndDisable();
      return;
    case "no-majority": {
      const why =
        outcome.voters === 0 ? "no member answers" : `the cluster has lost its majority (${outcome.answering} of ${outcome.voters} voting members answer)`;
      if (!action.self) throw new Error(`cannot remove ${action.memberName}: ${why}`);
      await juju.tools.jujuLog(`leaving without removing member ${action.memberName}: ${why}`);
      await world.machine.service.stopAndDisable();
      return;
    }
  }
  if (action.self) {
    await juju.stateSet({ [LEFT_STATE_KEY]: "true" });
    // A removed member exits and would be restarted by systemd into a member that no longer exists.
    await world.machine.service.stopAndDisable();
  }
}
