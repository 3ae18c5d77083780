/**
 * Arithmetic and tests on possibly symbolic dims and shapes (numbers, or strings naming unknown
 * sizes).
 */
import type { Dim, Shape } from '../core/shape.js';

/** True unless both dims are static and differ (symbols may turn out equal to anything). */
export function dimsMatch(a: Dim, b: Dim): boolean {
  return typeof a !== 'number' || typeof b !== 'number' || a === b;
}

/** Product of dims: numeric when all are numbers, a symbol when it is the only non-1 factor. */
export function productDim(dims: readonly Dim[], fresh: () => Dim): Dim {
  let n = 1;
  const syms: Dim[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else syms.push(d);
  }
  if (n === 0 || syms.length === 0) return n;
  return syms.length === 1 && n === 1 ? syms[0] : fresh();
}

/** A scalar or one-element 1-D shape: how per-tensor scales and zero points are given. */
export function isPerTensorShape(s: Shape): boolean {
  return s.length === 0 || (s.length === 1 && s[0] === 1);
}
