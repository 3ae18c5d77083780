/** Small tensor and permutation helpers shared by the exporter and the importer. */
import { Tensor, readElement, sizeOf, stridesOf, writeElement, zeros, type DType, type TypedArray } from '@mo/ir';

export const identityPerm = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);
export const isIdentityPerm = (p: readonly number[]): boolean => p.every((v, i) => v === i);

export function invertPerm(p: readonly number[]): number[] {
  const inv = new Array<number>(p.length);
  p.forEach((v, i) => (inv[v] = i));
  return inv;
}

/** The permutation equal to transposing by `p1`, then by `p2`. */
export function composePerms(p1: readonly number[], p2: readonly number[]): number[] {
  return p2.map((d) => p1[d]);
}

export const samePerm = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Channels to the end: [0, 2, ..., r-1, 1]. */
export function channelsLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** A copy of the data of `t` transposed by `perm`, as a new tensor (quant params dropped). */
export function transposeData<D extends DType>(t: Tensor<D>, perm: readonly number[]): Tensor<D> {
  const inShape = t.shape;
  const outShape = perm.map((p) => inShape[p]);
  const out = zeros(t.dtype, outShape);
  const inStrides = stridesOf(inShape);
  const srcStride = perm.map((p) => inStrides[p]);
  const rank = perm.length;
  const idx = new Array<number>(rank).fill(0);
  const src = t.data as TypedArray;
  const dst = out.data as TypedArray;
  const packed = t.dtype === 'int4' || t.dtype === 'uint4';
  if (out.size === 0) return out;
  // The innermost output axis is copied in one tight loop; an odometer steps the outer ones.
  const inner = outShape[rank - 1] ?? 1;
  const innerStride = srcStride[rank - 1] ?? 0;
  let off = 0;
  for (let i = 0; i < out.size; i += inner) {
    if (packed) for (let j = 0; j < inner; j++) writeElement(t.dtype, dst, i + j, readElement(t.dtype, src, off + j * innerStride));
    else for (let j = 0, o = off; j < inner; j++, o += innerStride) (dst as Float64Array)[i + j] = (src as Float64Array)[o];
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      off += srcStride[d];
      if (idx[d] < outShape[d]) break;
      off -= srcStride[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** The little-endian bytes of a tensor's storage (a view, not a copy). */
export function bytesOf(t: Tensor): Uint8Array {
  const d = t.data as TypedArray;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Integer values of a constant (int64 included) as numbers. */
export function intsOf(t: Tensor): number[] {
  return t.toNumbers().map((v) => Math.trunc(v));
}

export const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

export { sizeOf };
