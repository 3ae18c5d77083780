/**
 * A small seeded random generator for shuffling, augmentation and dropout seeds. A 32-bit counter
 * run through an integer hash: fast, stateless to fork, and identical on every platform.
 */
import { ArgumentError } from '@mo/ir';

function hash32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/**
 * A deterministic random generator. `fork(k)` gives an independent stream (e.g. one per epoch).
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const order = rng.permutation(10);
 * const u = rng.next();
 * ```
 */
export class Rng {
  private state: number;
  readonly seed: number;

  constructor(seed = 0) {
    if (!Number.isSafeInteger(seed)) throw new ArgumentError(`seed must be a safe integer, got ${String(seed)}`);
    this.seed = seed;
    // Fold both 32-bit halves of the seed in.
    this.state = hash32(hash32(seed >>> 0) ^ Math.floor(seed / 2 ** 32));
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return hash32(this.state) / 4294967296;
  }

  /** A 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return hash32(this.state);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal sample (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /** An independent generator for sub-stream `k`. */
  fork(k: number): Rng {
    return new Rng(hash32(hash32(this.state ^ 0x5bd1e995) + Math.imul(k + 1, 0x27d4eb2d)));
  }
}
