import { ModelError } from "../model-error.js";
import type { ModelState, UnitState } from "../state.js";
import type { MachineNetwork } from "./model-network.js";

/**
 * Network partitions between machines (fault injection, not a Juju feature). The state keeps the cut pairs
 * of units, each pair sorted and the list sorted; the network drops traffic between the two machines of a
 * pair, both ways, while the host still reaches both. `partition a b --from c` cuts a and b off from c
 * (from every other unit without --from); a and b still reach each other. `heal` mends pairs.
 */

export type CutPair = readonly [string, string];

const pairOf = (a: string, b: string): CutPair => (a < b ? [a, b] : [b, a]);
const keyOf = ([a, b]: CutPair) => `${a} ${b}`;

function knownUnits(state: ModelState, names: readonly string[]): string[] {
  for (const name of names) if (!state.units[name]) throw new ModelError(`unit "${name}" not found`);
  return [...new Set(names)];
}

/** The pairs `partition <side> [--from <others>]` cuts that are not cut yet; throws (changing nothing) for a bad request. */
export function pairsToCut(state: ModelState, side: readonly string[], from: readonly string[]): CutPair[] {
  if (side.length === 0) throw new ModelError("partition: name at least one unit to cut off");
  const inside = knownUnits(state, side);
  const outside = from.length > 0 ? knownUnits(state, from) : Object.keys(state.units).filter((name) => !inside.includes(name));
  const both = outside.find((name) => inside.includes(name));
  if (both !== undefined) throw new ModelError(`partition: unit "${both}" is on both sides`);
  if (outside.length === 0) throw new ModelError(`partition: there is no other unit to cut ${inside.join(", ")} off from`);
  const cut = new Set((state.partitions ?? []).map(keyOf));
  return inside.flatMap((a) => outside.map((b) => pairOf(a, b))).filter((pair) => !cut.has(keyOf(pair)));
}

/** The pairs `heal [<unit> …]` mends: every pair, or those of the named units; throws for a unit not cut off. */
export function pairsToMend(state: ModelState, units: readonly string[]): CutPair[] {
  const pairs = state.partitions ?? [];
  if (units.length === 0) return [...pairs];
  const named = knownUnits(state, units);
  const whole = named.find((name) => !pairs.some((pair) => pair.includes(name)));
  if (whole !== undefined) throw new ModelError(`heal: unit "${whole}" is not partitioned from any unit`);
  return pairs.filter((pair) => named.some((name) => pair.includes(name)));
}

/** The state's pairs with `added` cut and `removed` mended, sorted. */
export function withPairs(state: ModelState, added: readonly CutPair[], removed: readonly CutPair[]): Array<[string, string]> {
  const gone = new Set(removed.map(keyOf));
  const all = new Map([...(state.partitions ?? []), ...added].map((pair) => [keyOf(pair), pair]));
  return [...all.entries()]
    .filter(([key]) => !gone.has(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, [a, b]]) => [a, b]);
}

/** Each partitioned unit and the units it cannot reach, for `status`. */
export function unreachableUnits(state: ModelState): Record<string, string[]> {
  const view: Record<string, string[]> = {};
  for (const [a, b] of state.partitions ?? []) {
    view[a] = [...(view[a] ?? []), b].sort();
    view[b] = [...(view[b] ?? []), a].sort();
  }
  return Object.fromEntries(Object.entries(view).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The unit's machine is going away: its pairs are mended (the other machines forget its address) and dropped. */
export async function dropPartitionsOf(state: ModelState, network: Pick<MachineNetwork, "mend">, unit: Pick<UnitState, "name" | "address">): Promise<void> {
  const pairs = (state.partitions ?? []).filter((pair) => pair.includes(unit.name));
  if (pairs.length === 0) return;
  for (const [a, b] of pairs) {
    const other = state.units[a === unit.name ? b : a];
    if (other) await network.mend(unit.address, other.address);
  }
  state.partitions = withPairs(state, [], pairs);
}

const addressOf = (state: ModelState, name: string) => {
  const unit = state.units[name];
  if (!unit) throw new ModelError(`unit "${name}" not found`);
  return unit.address;
};

/**
 * `partition`: the machines of `side` stop reaching those of `from` (every other unit when empty), both
 * ways; the host still reaches all of them. The request is validated whole before anything changes.
 */
export async function partitionUnits(state: ModelState, network: MachineNetwork, side: readonly string[], from: readonly string[]): Promise<CutPair[]> {
  const added: CutPair[] = [];
  try {
    for (const pair of pairsToCut(state, side, from)) {
      await network.cut(addressOf(state, pair[0]), addressOf(state, pair[1]));
      added.push(pair);
    }
  } finally {
    // What the network did is what the state says, even when an `ip` command failed half way.
    state.partitions = withPairs(state, added, []);
  }
  return added;
}

/** `heal`: mends the partitions of the named units, or every partition. */
export async function healUnits(state: ModelState, network: MachineNetwork, units: readonly string[]): Promise<CutPair[]> {
  const mended: CutPair[] = [];
  try {
    for (const pair of pairsToMend(state, units)) {
      await network.mend(addressOf(state, pair[0]), addressOf(state, pair[1]));
      mended.push(pair);
    }
  } finally {
    state.partitions = withPairs(state, [], mended);
  }
  return mended;
}
