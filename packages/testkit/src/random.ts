/**
 * Deterministic pseudo-random numbers for generated test data and benchmark inputs.
 *
 * @packageDocumentation
 */

/**
 * A seeded generator (mulberry32) of numbers in [0, 1): the same seed gives the same sequence on
 * every run, so generated inputs are reproducible and a failing one can be replayed.
 */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
