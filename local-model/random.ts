/**
 * The model's seeded generator: every choice the model makes (leaders, the order of a round, relation order,
 * injected faults) is drawn from it, so a seed replays the same run. Its state is a number saved with the
 * model's state.
 */

/** mulberry32: small, fast and good enough to make every choice of the model replayable from a seed. */
export function nextRandom(generator: { rng: number }): number {
  generator.rng = (generator.rng + 0x6d2b79f5) >>> 0;
  let t = generator.rng;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A copy of the items in an order drawn from the generator (Fisher-Yates). Items are never undefined, so every index holds one. */
export function shuffled<T extends NonNullable<unknown>>(generator: { rng: number }, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(nextRandom(generator) * (i + 1));
    const [atI, atJ] = [copy[i], copy[j]];
    if (atI === undefined || atJ === undefined) continue;
    copy[i] = atJ;
    copy[j] = atI;
  }
  return copy;
}
