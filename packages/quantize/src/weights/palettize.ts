/**
 * Palettization (non-linear weight quantization): every weight becomes an index into a lookup
 * table of 2^bits float values found by k-means, one table per tensor or per group of output
 * channels. The result carries `lut` QuantParams and dequantizes with the IR's `Dequantize`.
 */
import { ArgumentError, Tensor, allocate, lut, writeElement, type LutQuant, type TypedArray } from '@mo/ir';
import { ErrorStats } from '../math.js';
import { splitAt } from './affine.js';
import { kmeans1d, nearest } from './kmeans.js';

export interface PalettizeOptions {
  /** Index bits, 1..8 (tables of 2^bits entries). */
  readonly bits: number;
  /** Slices along `axis` that share a table; 0 = one table for the tensor (default 0). */
  readonly groupSize?: number;
  /** Axis of the grouped channels (default 0, the output channels of Conv/Gemm weights). */
  readonly axis?: number;
  /** k-means++ seed (default 0). */
  readonly seed?: number;
}

export interface PalettizeResult {
  readonly q: Tensor;
  readonly params: LutQuant;
  readonly dequantized: Float32Array;
  readonly error: ErrorStats;
  /** Distinct centroids found per table (<= 2^bits). */
  readonly tableSizes: readonly number[];
}

/**
 * Palettizes a float tensor: uint4 indices up to 4 bits, uint8 above.
 *
 * @example
 * ```ts
 * const { q } = palettize(w, { bits: 4 }); // q: uint4 tensor with a 16-entry lookup table
 * ```
 */
export function palettize(t: Tensor, opts: PalettizeOptions): PalettizeResult {
  const bits = opts.bits;
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 8)) throw new ArgumentError(`palettization takes 1..8 bits, got ${bits}`);
  const groupSize = opts.groupSize ?? 0;
  if (!(Number.isInteger(groupSize) && groupSize >= 0)) throw new ArgumentError(`palettization groupSize must be an integer >= 0, got ${groupSize}`);
  const rank = t.shape.length;
  const axis = opts.axis === undefined ? 0 : opts.axis < 0 ? opts.axis + rank : opts.axis;
  if (groupSize > 0 && !(axis >= 0 && axis < rank)) throw new ArgumentError(`palettization axis ${opts.axis} is out of range for rank ${rank}`);
  const x = t.toFloat32();
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw new ArgumentError(`cannot palettize a tensor holding ${x[i]} (element ${i})`);
  const { dim, inner } = groupSize > 0 ? splitAt(t.shape, axis) : { dim: 1, inner: x.length };
  const groups = groupSize > 0 ? Math.ceil(dim / groupSize) : 1;
  const groupOf = (i: number) => (groupSize > 0 ? Math.floor((Math.floor(i / inner) % dim) / groupSize) : 0);
  const members: number[][] = Array.from({ length: groups }, () => []);
  for (let i = 0; i < x.length; i++) members[groupOf(i)].push(i);

  const entries = 1 << bits;
  const tables = new Float32Array(groups * entries);
  const dtype = bits <= 4 ? 'uint4' : 'uint8';
  const data = allocate(dtype, x.length) as TypedArray;
  const dequantized = new Float32Array(x.length);
  const tableSizes: number[] = [];
  for (let g = 0; g < groups; g++) {
    const idx = members[g];
    const vals = idx.length ? idx.map((i) => x[i]) : [0];
    const { centroids } = kmeans1d(vals, entries, { seed: opts.seed ?? 0 });
    // Stored as float32; rounding can merge neighbours, so dedupe after rounding.
    const c32 = Float32Array.from(new Set(Array.from(centroids, (v) => Math.fround(v)))).sort();
    tableSizes.push(c32.length);
    for (let e = 0; e < entries; e++) tables[g * entries + e] = c32[Math.min(e, c32.length - 1)];
    for (const i of idx) {
      const e = nearest(c32, x[i]);
      writeElement(dtype, data, i, e);
      dequantized[i] = c32[e];
    }
  }
  const params = lut(bits, tables, groupSize > 0 ? { axis, groupSize } : {});
  return { q: new Tensor(dtype, t.shape, data as Uint8Array, params) as Tensor, params, dequantized, error: new ErrorStats().add(x, dequantized), tableSizes };
}
