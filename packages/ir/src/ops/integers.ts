/**
 * Exact integer values (bigint) of the integer dtypes: ranges, wrapping like C/ONNX integer
 * arithmetic, saturation, and conversion from floats.
 */
import { dtypeInfo, type DType, type TypedArray } from '../core/dtype.js';
import { writeElement } from '../core/tensor.js';

/**
 * Two's-complement wrap of v to the width of an integer dtype, like a C cast (other dtypes:
 * unchanged).
 *
 * @example
 * ```ts
 * wrapInt('int8', 200n); // -56n
 * ```
 */
export function wrapInt(dtype: DType, v: bigint): bigint {
  const info = dtypeInfo(dtype);
  if (info.kind === 'int') return BigInt.asIntN(info.bits, v);
  if (info.kind === 'uint') return BigInt.asUintN(info.bits, v);
  return v;
}

/** Smallest and largest value of an integer dtype, as bigints. */
export function intRange(dtype: DType): { min: bigint; max: bigint } {
  const { bits, kind } = dtypeInfo(dtype);
  const b = BigInt(bits);
  return kind === 'uint' ? { min: 0n, max: (1n << b) - 1n } : { min: -(1n << (b - 1n)), max: (1n << (b - 1n)) - 1n };
}

/** Saturates an integer to dtype d's range. */
export function saturateInt(d: DType, v: bigint): bigint {
  const { min, max } = intRange(d);
  return v < min ? min : v > max ? max : v;
}

/**
 * A float converted to integer dtype d: truncated toward zero, then saturated to d's range
 * (NaN -> 0). ONNX leaves out-of-range conversions undefined; saturation is the deterministic
 * choice (it is what WebGPU and Rust `as` do).
 */
export function floatToInt(d: DType, x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  const { min, max } = intRange(d);
  if (x <= Number(min)) return min; // Number(min) is exact (a power of two or 0)
  if (x >= Number(max) + 1) return max; // Number(max) + 1 is an exact power of two
  return BigInt(Math.trunc(x));
}

/** Writes an exact integer result into element i of integer storage, wrapped to the dtype's width. */
export function writeInt(dtype: DType, data: TypedArray, i: number, v: bigint): void {
  const w = wrapInt(dtype, v);
  if (dtypeInfo(dtype).big) (data as BigInt64Array)[i] = w;
  else writeElement(dtype, data, i, Number(w));
}
