/**
 * An etcd member as the charm reasons about it: the domain type of the pure core, independent of etcdctl's
 * JSON (which src/etcd/etcdctl.ts maps to this). Ids stay decimal strings: uint64 values lose precision
 * as doubles.
 */
export interface Member {
  readonly id: string;
  /** "" for a learner that was added but has not started yet (etcd learns the name when it starts). */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** etcdctl takes member ids in hex on its command line, and operators read them so. */
export function hexId(decimalId: string): string {
  return BigInt(decimalId).toString(16);
}

/** etcd member name for a unit: the unit name without its slash (`etcd/0` → `etcd0`), as earlier etcd charms do. */
export function memberNameOf(unit: string): string {
  return unit.replace("/", "");
}

/** The member's first client URL, where the charm asks it things ("" for a learner that never started). */
export function clientUrlOf(member: Member): string {
  return member.clientUrls[0] ?? "";
}

/** Named, voting members sorted by name: the cluster as consumers and leader data describe it. */
export function namedVoters(members: readonly Member[]): Member[] {
  return members.filter((m) => m.name !== "" && !m.isLearner).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
