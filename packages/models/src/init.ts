/**
 * Seeded weight initialization. Every parameter draws from its own stream, keyed by the seed and
 * the parameter's name, so a weight does not change when an unrelated part of the model does.
 */
import { Tensor, seededRandom as irSeededRandom } from '@mo/ir';

/** A parameter's shape and how to fill it when no weights are given for it. */
export type ParamInit =
  /** Uniform in [-sqrt(6 / fanIn), +sqrt(6 / fanIn)]: He/Kaiming-uniform for layers followed by ReLU. */
  | { readonly kind: 'kaiming-uniform'; readonly fanIn: number }
  /** Uniform in [-1 / sqrt(fanIn), +1 / sqrt(fanIn)]: PyTorch's default for Linear weights and biases. */
  | { readonly kind: 'fan-in-uniform'; readonly fanIn: number }
  /** Uniform in [low, high). */
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  /** Every element equal to `value`. */
  | { readonly kind: 'constant'; readonly value: number };

/** FNV-1a over the UTF-16 code units of `name`, mixed with both 32-bit halves of the seed. */
function streamKey(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  h = Math.imul(h ^ lo, 0x9e3779b1);
  h = Math.imul(h ^ hi ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * A small, fast PRNG (mulberry32) returning floats in [0, 1).
 *
 * @example
 * ```ts
 * const next = seededRandom(42, 'features.0.0.weight');
 * const u = next(); // same value for the same seed and name, every time
 * ```
 */
export function seededRandom(seed: number, name = ''): () => number {
  return irSeededRandom(streamKey(seed, name));
}

/**
 * A float32 tensor of `shape` filled as `init` says, from the stream of (`seed`, `name`).
 *
 * @example
 * ```ts
 * const w = initTensor(0, 'fc.weight', [10, 64], { kind: 'fan-in-uniform', fanIn: 64 });
 * ```
 */
export function initTensor(seed: number, name: string, shape: readonly number[], init: ParamInit): Tensor<'float32'> {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  if (init.kind === 'constant') {
    data.fill(init.value);
  } else {
    let low: number;
    let high: number;
    if (init.kind === 'uniform') {
      low = init.low;
      high = init.high;
    } else {
      const bound = init.kind === 'kaiming-uniform' ? Math.sqrt(6 / init.fanIn) : 1 / Math.sqrt(init.fanIn);
      low = -bound;
      high = bound;
    }
    const next = seededRandom(seed, name);
    const span = high - low;
    for (let i = 0; i < size; i++) data[i] = low + span * next();
  }
  return new Tensor('float32', shape, data);
}
