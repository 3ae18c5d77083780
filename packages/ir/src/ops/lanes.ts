/**
 * Lanes: the 1-D runs of elements along one axis, which Softmax, ArgMax/ArgMin, TopK, CumSum,
 * LpNormalization and Concat work on; and the NaN-propagating max that Softmax and ReduceMax share.
 */
import { sizeOf, type StaticShape } from '../core/shape.js';

/** Sizes before, along and after `axis`: element k of lane (o, i) is at (o * len + k) * inner + i. */
export function laneGeometry(shape: StaticShape, axis: number): { outer: number; len: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), len: shape[axis], inner: sizeOf(shape.slice(axis + 1)) };
}

/** Largest of `xs`; NaN when any value is NaN (unlike a NaN-skipping `>` scan), -Infinity when empty. */
export function nanMax(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) {
    if (Number.isNaN(x)) return NaN;
    if (x > m) m = x;
  }
  return m;
}
