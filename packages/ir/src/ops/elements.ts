/**
 * Bit-exact element copies: elements move through integer views of the storage, so int64 stays
 * exact, float NaN payloads survive and int4/uint4 nibbles move one at a time. The movement,
 * indexing, shape and resize ops (and the passes' tensor transpose) build their outputs with
 * these; `forEachIndex` walks the multi-indices of any shape.
 */
import { allocate, dtypeInfo, type DType, type TypedArray } from '../core/dtype.js';
import type { QuantParams } from '../core/quant.js';
import { sizeOf, type StaticShape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';

/** Integer view of storage: copying through it preserves every bit (NaN payloads included). */
export type RawArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | BigInt64Array | BigUint64Array;

/** An integer view of `data` (float32 -> Uint32Array, float64 -> BigUint64Array, others as is). */
export function rawView(data: TypedArray): RawArray {
  if (data instanceof Float32Array) return new Uint32Array(data.buffer, data.byteOffset, data.length);
  if (data instanceof Float64Array) return new BigUint64Array(data.buffer, data.byteOffset, data.length);
  return data as RawArray;
}

/** Copies element `si` of `src` to element `di` of `dst` (both raw views of one dtype). */
export type ElementCopy = (src: RawArray, si: number, dst: RawArray, di: number) => void;

const copyWhole: ElementCopy = (src, si, dst, di) => {
  (dst as Int32Array)[di] = (src as Int32Array)[si];
};

const copyNibble: ElementCopy = (src, si, dst, di) => {
  const n = (src[si >> 1] as number >> ((si & 1) * 4)) & 0xf;
  const j = di >> 1;
  (dst as Uint8Array)[j] = di & 1 ? ((dst[j] as number) & 0x0f) | (n << 4) : ((dst[j] as number) & 0xf0) | n;
};

/** The bit-exact element copy for `dtype` (packed 4-bit types move one nibble). */
export function elementCopier(dtype: DType): ElementCopy {
  return dtypeInfo(dtype).packed ? copyNibble : copyWhole;
}

/**
 * Calls `fn(idx, flat)` for every multi-index of `shape` in row-major order. `idx` is reused
 * between calls (copy it to keep it).
 */
export function forEachIndex(shape: StaticShape, fn: (idx: readonly number[], flat: number) => void): void {
  const size = sizeOf(shape);
  if (size === 0) return;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < size; flat++) {
    fn(idx, flat);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/** Where an output element comes from when the index map says "none" (-1). */
export interface FillSource {
  readonly tensor: Tensor;
  readonly index: number;
}

/**
 * Builds a tensor of `outShape` whose element at multi-index `idx` is input element `map(idx)`
 * (a flat index); -1 takes the fill element (zero bits without one). Bits are preserved.
 */
export function remap(
  input: Tensor,
  outShape: StaticShape,
  map: (idx: readonly number[], flat: number) => number,
  fill?: FillSource,
  quant?: QuantParams,
): Tensor {
  const data = allocate(input.dtype, sizeOf(outShape));
  const src = rawView(input.data as TypedArray);
  const dst = rawView(data as TypedArray);
  const fsrc = fill ? rawView(fill.tensor.data as TypedArray) : undefined;
  const copy = elementCopier(input.dtype);
  forEachIndex(outShape, (idx, flat) => {
    const s = map(idx, flat);
    if (s >= 0) copy(src, s, dst, flat);
    else if (fsrc) copy(fsrc, fill!.index, dst, flat);
  });
  return new Tensor(input.dtype, outShape, data, quant);
}

/**
 * Like `remap`, for maps that are separable per axis: `tables[a][o]` is the input offset
 * (index times stride) contributed by output coordinate o on axis a, or -1 for "fill".
 */
export function remapAxes(input: Tensor, outShape: StaticShape, tables: readonly (readonly number[])[], fill?: FillSource, quant?: QuantParams): Tensor {
  return remap(
    input,
    outShape,
    (idx) => {
      let s = 0;
      for (let a = 0; a < idx.length; a++) {
        const t = tables[a][idx[a]];
        if (t < 0) return -1;
        s += t;
      }
      return s;
    },
    fill,
    quant,
  );
}
