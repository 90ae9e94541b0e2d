import { setTimeout as sleep } from "node:timers/promises";
import type { ClientTls } from "../src/etcd/etcdctl.js";
import { type Access, clientUrl, clusterView, memberDirInode, memberName, membersNotUnder, readPrefix, runningSettings, type SoakUnit } from "./cluster.js";

/**
 * What must hold once a step has converged: the members are the units, all voters, all under the scheme
 * `tls` asks for; each unit keeps its
 * member id and data dir; each unit's etcd runs with the configured settings; every acknowledged write
 * reads back with its value through every unit. Each broken invariant is added to the run's problems.
 */
export class InvariantChecker {
  /** Acknowledged keys that some member did not return with their value. */
  readonly lost = new Set<string>();
  /** Each unit's member id and member/ inode, as first seen. */
  private readonly identities = new Map<string, { id: string; inode: number }>();
  /** Stale settings already reported, so that a restart that never came is reported once. */
  private readonly staleReported = new Set<string>();

  constructor(
    private readonly modelDir: string,
    /** The prefix of the run's keys. */
    private readonly keyPrefix: string,
    private readonly problems: string[],
  ) {}

  /**
   * Checks the units against the writes acknowledged so far (key → value) and the settings etcd should
   * run with; `label` names the step in the problems.
   */
  async check(
    units: readonly SoakUnit[],
    label: string,
    acknowledged: ReadonlyMap<string, string>,
    effective: Readonly<Record<string, number>>,
    access: Access,
  ): Promise<void> {
    const expected = [...acknowledged];
    const view = await clusterView(units, access.credentials);
    const names = view.members.map((m) => m.name).sort();
    const want = units.map((u) => memberName(u.name)).sort();
    if (JSON.stringify(names) !== JSON.stringify(want)) this.problems.push(`${label}: members [${names.join(", ")}] are not the units [${want.join(", ")}]`);
    const learners = view.members.filter((m) => m.isLearner).map((m) => m.name);
    if (learners.length > 0) this.problems.push(`${label}: learners left: ${learners.join(", ")}`);
    const otherScheme = membersNotUnder(view.members, access.scheme);
    if (otherScheme.length > 0) this.problems.push(`${label}: members not under ${access.scheme}: ${otherScheme.join(", ")}`);
    for (const unit of units) {
      const member = view.members.find((m) => m.name === memberName(unit.name));
      const inode = await memberDirInode(this.modelDir, unit.name);
      if (!member || inode === undefined) {
        this.problems.push(`${label}: ${unit.name} has ${member ? "no member/ data dir" : "no member"}`);
        continue;
      }
      await this.checkSettings(unit, label, effective);
      this.checkIdentity(unit, label, member.id, inode);
      await this.checkWrites(view.urls.get(unit.name) ?? clientUrl(unit), unit, label, expected, access.credentials);
    }
  }

  /** The settings the unit's etcd last started with are the configured ones. */
  private async checkSettings(unit: SoakUnit, label: string, effective: Readonly<Record<string, number>>): Promise<void> {
    const running = await runningSettings(this.modelDir, unit.name);
    // etcd counts the election timeout in whole heartbeats: 1000 ms at 150 ms heartbeats runs as 900 ms.
    const heartbeat = effective["heartbeat-interval"]!;
    const wanted = { ...effective, "election-timeout": Math.floor(effective["election-timeout"]! / heartbeat) * heartbeat };
    const stale = Object.entries(wanted).filter(([option, value]) => running?.[option as keyof typeof running] !== value);
    if (stale.length === 0) return;
    const shown = stale.map(([option, value]) => `${option} ${running?.[option as keyof typeof running] ?? "?"} (expected ${value})`).join(", ");
    // Reported once: a restart that never came stays missing at every later check.
    if (!this.staleReported.has(`${unit.name} ${shown}`)) this.problems.push(`${label}: ${unit.name}'s etcd runs with stale settings: ${shown}`);
    this.staleReported.add(`${unit.name} ${shown}`);
  }

  /** The unit keeps the member id and member/ directory it was first seen with. */
  private checkIdentity(unit: SoakUnit, label: string, id: string, inode: number): void {
    const known = this.identities.get(unit.name);
    if (!known) this.identities.set(unit.name, { id, inode });
    else if (known.id !== id || known.inode !== inode) {
      this.problems.push(`${label}: ${unit.name} was recreated: member id ${known.id} → ${id}, member/ inode ${known.inode} → ${inode}`);
      this.identities.set(unit.name, { id, inode });
    }
  }

  /** Every acknowledged write reads back with its value through the unit's URL (three tries to read). */
  private async checkWrites(url: string, unit: SoakUnit, label: string, expected: ReadonlyArray<[string, string]>, tls: ClientTls): Promise<void> {
    let values: Map<string, string> | undefined;
    for (let attempt = 1; attempt <= 3 && !values; attempt++) {
      values = await readPrefix(url, this.keyPrefix, tls).catch((error: unknown) => {
        if (attempt === 3) this.problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      });
      if (!values) await sleep(1000);
    }
    if (!values) return;
    const missing = expected.filter(([key, value]) => values.get(key) !== value).map(([key]) => key);
    const fresh = missing.filter((key) => !this.lost.has(key));
    for (const key of missing) this.lost.add(key);
    if (fresh.length > 0)
      this.problems.push(`${label}: ${fresh.length} acknowledged writes missing or different on ${unit.name}, e.g. ${fresh.slice(0, 3).join(", ")}`);
  }
}
