/**
 * The one seeded generator mo uses wherever results must repeat for a seed (Dropout's training
 * mode, seeded weight init, k-means++ seeding, shuffling).
 */

/**
 * mulberry32: a small, fast 32-bit generator returning floats in [0, 1).
 *
 * @example
 * ```ts
 * const next = seededRandom(42);
 * next(); // the same sequence for the same seed, every time
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
