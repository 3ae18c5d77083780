/**
 * Shapes: static dimensions are numbers, symbolic ones are strings (`'batch'`, `'seq'`).
 */
import { ShapeError, type ErrorContext } from './errors.js';

/** A dimension: a non-negative integer, or a symbol naming an unknown size. */
export type Dim = number | string;
export type Shape = readonly Dim[];
/** A shape whose every dimension is known. */
export type StaticShape = readonly number[];

export const isStaticShape = (s: Shape): s is StaticShape => s.every((d) => typeof d === 'number');

/** Number of elements of a static shape (1 for a scalar). */
export function sizeOf(shape: StaticShape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a static shape, in elements. */
export function stridesOf(shape: StaticShape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(s: Shape): string {
  return `[${s.join(',')}]`;
}

/** Throws unless every dimension is a finite non-negative integer (or a non-empty symbol). */
export function checkShape(shape: Shape, ctx: ErrorContext = {}): void {
  for (const d of shape) {
    if (typeof d === 'string' ? d.length === 0 : !(Number.isInteger(d) && d >= 0)) {
      throw new ShapeError(`invalid dimension ${JSON.stringify(d)} in shape ${formatShape(shape)}`, ctx);
    }
  }
}

/**
 * Multidirectional (numpy) broadcasting of any number of shapes. Symbolic dims broadcast with 1
 * and with themselves; two different symbols, or a symbol against a number > 1, are assumed equal
 * to the other side only when one of them is 1.
 */
export function broadcastShapes(shapes: readonly Shape[], ctx: ErrorContext = {}): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = new Array(rank).fill(1);
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (dim !== d) {
        if (typeof dim === 'string' && typeof d === 'number') dim = d;
        else if (typeof dim === 'number' && typeof d === 'string') continue;
        else if (typeof dim === 'string' && typeof d === 'string') continue;
        else throw new ShapeError(`shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast (dimension ${i} is ${dim} vs ${d})`, ctx);
      }
    }
    out[i] = dim;
  }
  return out;
}

/** Normalises a possibly negative axis into [0, rank). */
export function normalizeAxis(axis: number, rank: number, ctx: ErrorContext = {}): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new ShapeError(`axis ${axis} is out of range for rank ${rank} (valid: ${-rank}..${rank - 1})`, ctx);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Index mapping for broadcasting: for an output of shape `out`, returns for each input shape an
 * array of strides aligned to the output rank (0 on broadcast dimensions).
 */
export function broadcastStrides(inShape: StaticShape, out: StaticShape): number[] {
  const st = stridesOf(inShape);
  const r = out.length;
  const res = new Array<number>(r).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const oi = r - inShape.length + i;
    res[oi] = inShape[i] === 1 ? 0 : st[i];
  }
  return res;
}
