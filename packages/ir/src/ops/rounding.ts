/**
 * Rounding to float dtypes. References compute in float64 and round where the dtype would: once
 * on write, or earlier where an intermediate must match what the dtype holds (fused activations,
 * stash precisions, accumulators).
 */
import type { DType } from '../core/dtype.js';
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from '../core/float16.js';

/**
 * The value a float dtype's storage holds for x, as a function on numbers (float16/bfloat16 round
 * through float32, as writing them does). Identity for float64 and non-float dtypes.
 *
 * @example
 * ```ts
 * floatRounder('float16')(0.1); // 0.0999755859375
 * ```
 */
export function floatRounder(dtype: DType): (x: number) => number {
  switch (dtype) {
    case 'float32': return Math.fround;
    case 'float16': return (x) => float16BitsToFloat32(float32ToFloat16Bits(x));
    case 'bfloat16': return (x) => bfloat16BitsToFloat32(float32ToBfloat16Bits(x));
    default: return (x) => x;
  }
}

/** Rounds intermediates the way the dtype computes: float32 precision for the 32- and 16-bit floats. */
export function accumulatorRound(d: DType): (x: number) => number {
  return d === 'float64' ? (x) => x : Math.fround;
}

/** Significand bits (with the implicit one) of each float dtype. */
export const FLOAT_PRECISION: Partial<Record<DType, number>> = { float64: 53, float32: 24, float16: 11, bfloat16: 8 };

/**
 * The integer v rounded to `precision` significant bits, ties to even, as an exact number (so that a
 * later conversion to a float type with that precision does not round a second time).
 */
export function bigintToFloat(v: bigint, precision: number): number {
  const neg = v < 0n;
  let m = neg ? -v : v;
  const bits = m.toString(2).length;
  if (bits > precision) {
    const shift = BigInt(bits - precision);
    const q = m >> shift;
    const rem = m - (q << shift);
    const half = 1n << (shift - 1n);
    const up = rem > half || (rem === half && (q & 1n) === 1n);
    m = (up ? q + 1n : q) << shift;
  }
  const n = Number(m); // exact: at most `precision` <= 53 significant bits
  return neg ? -n : n;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * x rounded to float32 with round-to-odd (an inexact result gets an odd last bit). Rounding that
 * to a type with at most 22 bits of precision gives the correctly rounded result of x, avoiding
 * the double-rounding error of float64 -> float32 -> float16.
 */
export function toFloat32RoundOdd(x: number): number {
  f32[0] = x;
  const r = f32[0];
  if (r === x || !Number.isFinite(r) || Number.isNaN(x)) return r;
  if ((u32[0] & 1) === 0) u32[0] += Math.abs(r) < Math.abs(x) ? 1 : -1; // same sign: magnitude order = bit order
  return f32[0];
}
