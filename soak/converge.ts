import { setTimeout as sleep } from "node:timers/promises";
import type { LocalModelFixture, StatusJson, UnitStatusJson } from "../test/local-model/harness.js";
import { type Access, clusterView, memberName, membersNotUnder, type SoakUnit } from "./cluster.js";

/**
 * Waiting for the model and the cluster to settle after a step: every etcd unit active and idle, the
 * members exactly the units, all voting and healthy. A unit left in error past the automatic retry
 * horizon gets `resolved`.
 */

/** A unit still in error after this long (the automatic retry has had 4 tries by then) gets `resolved`. */
const RESOLVE_AFTER_MS = 90_000;
/** How often the model's status is polled. */
export const POLL_MS = 2000;

export class NotConverged extends Error {
  override readonly name = "NotConverged";
}

/** The etcd units in the model's status. */
export const etcdUnits = (status: StatusJson): SoakUnit[] =>
  Object.entries(status.applications.etcd?.units ?? {}).map(([name, unit]) => ({ name, address: unit["public-address"] }));

/** The etcd unit that holds Juju leadership, if any. */
export const jujuLeaderOf = (status: StatusJson): string | undefined =>
  Object.entries(status.applications.etcd?.units ?? {}).find(([, unit]) => unit.leader)?.[0];

export class Convergence {
  /** `resolved` calls made for units in error past the automatic retry horizon. */
  resolved = 0;
  /** When each unit in error was first seen in error. */
  private readonly errorSince = new Map<string, number>();

  constructor(
    private readonly model: LocalModelFixture,
    private readonly timeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Polls until every etcd unit is active and idle, the members are the units, all voting and healthy, and
   * every member's URLs are under the scheme `tls` asks for (a rolling switch has finished).
   */
  async converge(what: string, access: Access): Promise<{ status: StatusJson; units: SoakUnit[] }> {
    const deadline = Date.now() + this.timeoutMs;
    let last = "nothing observed yet";
    for (;;) {
      const remaining = Math.ceil((deadline - Date.now()) / 1000);
      if (remaining <= 0) throw new NotConverged(`${what}: not converged after ${Math.round(this.timeoutMs / 1000)}s; last seen: ${last}`);
      const waited = await this.model.run("--timeout", String(Math.min(remaining, 300)), "wait");
      if (waited.exitCode !== 0) {
        last = waited.stderr.trim();
        continue;
      }
      const status = await this.model.status();
      const units = Object.entries(status.applications.etcd?.units ?? {});
      await this.resolveStuck(units);
      const size = units.length;
      const unready = units.filter(
        ([, unit]) =>
          unit["juju-status"].current !== "idle" ||
          unit["workload-status"].current !== "active" ||
          !new RegExp(`^${size} members?, healthy`).test(unit["workload-status"].message ?? ""),
      );
      if (size === 0 || unready.length > 0) {
        last = unready
          .map(([name, unit]) => `${name} ${unit["juju-status"].current}/${unit["workload-status"].current} "${unit["workload-status"].message ?? ""}"`)
          .join("; ");
        await sleep(POLL_MS);
        continue;
      }
      const soakUnits = etcdUnits(status);
      const unsettled = await clusterUnsettled(soakUnits, access);
      if (unsettled === undefined) return { status, units: soakUnits };
      last = unsettled;
      await sleep(POLL_MS);
    }
  }

  /** `resolved` for each unit in error for longer than RESOLVE_AFTER_MS. */
  private async resolveStuck(units: ReadonlyArray<[string, UnitStatusJson]>): Promise<void> {
    const now = Date.now();
    for (const [name, unit] of units) {
      if (unit["juju-status"].current !== "error") {
        this.errorSince.delete(name);
        continue;
      }
      const since = this.errorSince.get(name) ?? now;
      this.errorSince.set(name, since);
      if (now - since > RESOLVE_AFTER_MS) {
        this.log(`    ${name} in error for ${Math.round((now - since) / 1000)}s (${unit["juju-status"].message ?? ""}): resolved`);
        await this.model.run("resolved", name);
        this.resolved++;
        this.errorSince.delete(name);
      }
    }
  }
}

/** Undefined when the members are exactly the units, none a learner, all healthy and under the scheme; else what is not so. */
async function clusterUnsettled(units: readonly SoakUnit[], access: Access): Promise<string | undefined> {
  try {
    const view = await clusterView(units, access.credentials);
    const names = view.members.map((m) => m.name).sort();
    const expected = units.map((u) => memberName(u.name)).sort();
    const otherScheme = membersNotUnder(view.members, access.scheme);
    if (
      JSON.stringify(names) === JSON.stringify(expected) &&
      view.members.every((m) => !m.isLearner) &&
      view.unhealthy.length === 0 &&
      otherScheme.length === 0
    )
      return undefined;
    const learners =
      view.members
        .filter((m) => m.isLearner)
        .map((m) => m.name)
        .join(", ") || "none";
    const unhealthy = view.unhealthy.map((u) => `${u.unit} (${u.error})`).join(", ") || "none";
    return `members [${names.join(", ")}] (learners: ${learners}), unhealthy: ${unhealthy}, not yet ${access.scheme}: ${otherScheme.join(", ") || "none"}`;
  } catch (error) {
    return `cluster: ${error instanceof Error ? error.message : String(error)}`;
  }
}
