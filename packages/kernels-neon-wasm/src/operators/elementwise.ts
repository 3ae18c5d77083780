/**
 * Elementwise operators: numpy broadcasting reduced to at most 4 collapsed dims with a dense
 * output, run by f32-vbinary-simd128-nd; unary ops by f32-vunary-simd128.
 */
import { ShapeError } from '@mo/ir';
import type { Runtime } from '../runtime/module.js';
import { F32_VBINARY_OPS } from '../microkernels/variants.js';
import type { Task } from '../runtime/threads.js';
import { splitRange } from './gemm.js';

/** Elements below which an elementwise step runs on one thread (memory-bound: waking a worker costs ~1 µs). */
export const PARALLEL_MIN_ELEMENTS = 1 << 15;

export type BinaryOp = (typeof F32_VBINARY_OPS)[number];

interface Collapsed {
  shape: number[];
  a: number[];
  b: number[];
}

/** Element strides of `shape` (aligned right to `out`), 0 on broadcast axes. */
function stridesFor(shape: readonly number[], out: readonly number[]): number[] {
  const r = out.length;
  const res = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const oi = r - shape.length + i;
    res[oi] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i];
  }
  return res;
}

/** Output shape of broadcasting a and b (static). */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ShapeError(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/**
 * Collapses the iteration space: drops size-1 axes, merges neighbours that are contiguous for both
 * operands, and splits an innermost axis whose strides are not 0/1 (then the inner size is 1).
 */
function collapse(out: readonly number[], as: number[], bs: number[]): Collapsed {
  const shape: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 1) continue;
    const k = shape.length - 1;
    if (k >= 0 && a[k] === as[i] * out[i] && b[k] === bs[i] * out[i]) {
      shape[k] *= out[i];
      a[k] = as[i];
      b[k] = bs[i];
    } else {
      shape.push(out[i]);
      a.push(as[i]);
      b.push(bs[i]);
    }
  }
  const last = shape.length - 1;
  if (last < 0 || (a[last] > 1 || b[last] > 1)) {
    // innermost axis strided (or no axes): iterate it with an inner size of 1
    shape.push(1);
    a.push(0);
    b.push(0);
  }
  return { shape, a, b };
}

/**
 * Binds y = a op b (a, b, y float32 in wasm memory; a and b broadcast to `outShape`, y dense).
 * `alloc` gives plan-lifetime memory for the parameter blocks.
 */
export function bindBinary(rt: Runtime, op: BinaryOp, aShape: readonly number[], bShape: readonly number[], outShape: readonly number[], a: number, b: number, y: number, alloc: (bytes: number) => number): () => void {
  const code = F32_VBINARY_OPS.indexOf(op);
  const { shape, a: as, b: bs } = collapse(outShape, stridesFor(aShape, outShape), stridesFor(bShape, outShape));
  // pad to at least 4 dims at the front
  while (shape.length < 4) {
    shape.unshift(1);
    as.unshift(0);
    bs.unshift(0);
  }
  const f = rt.fn('f32_vbinary_simd128_nd');
  const extra = shape.length - 4;
  const inner = shape.slice(extra);
  if (extra === 0) {
    // with threads and enough elements, split the outermost non-unit axis (an elementwise op:
    // every element is computed the same way whatever the split)
    const total = inner.reduce((p, d) => p * d, 1);
    const axis = Math.max(0, inner.findIndex((d) => d > 1));
    const parts = total >= PARALLEL_MIN_ELEMENTS ? splitRange(inner[axis], rt.parts, 1) : [[0, inner[axis]]];
    const ys = inner.slice(axis + 1).reduce((p, d) => p * d, 1);
    const tasks = parts.map(([d0, d1]): Task => {
      const params = alloc(12 * 4);
      const part = inner.map((d, i) => (i === axis ? d1 - d0 : d));
      rt.heap.i32.set([...part, ...as, ...bs], params >> 2);
      return ['f32_vbinary_simd128_nd', [code, params, a + d0 * as[axis] * 4, b + d0 * bs[axis] * 4, y + d0 * ys * 4]];
    });
    return rt.parallel(tasks);
  }
  const params = alloc(12 * 4);
  rt.heap.i32.set([...inner, ...as.slice(extra), ...bs.slice(extra)], params >> 2);
  // more than 4 collapsed dims: loop over the leading ones here
  const lead = shape.slice(0, extra);
  const calls: [number, number, number][] = [];
  const idx = new Array<number>(extra).fill(0);
  const innerCount = inner.reduce((p, d) => p * d, 1);
  const count = lead.reduce((p, d) => p * d, 1);
  for (let t = 0; t < count; t++) {
    let ao = 0;
    let bo = 0;
    for (let d = 0; d < extra; d++) {
      ao += idx[d] * as[d];
      bo += idx[d] * bs[d];
    }
    calls.push([a + ao * 4, b + bo * 4, y + t * innerCount * 4]);
    for (let d = extra - 1; d >= 0; d--) {
      if (++idx[d] < lead[d]) break;
      idx[d] = 0;
    }
  }
  return () => {
    for (const [pa, pb, py] of calls) f(code, params, pa, pb, py);
  };
}

/** Binds y = op(x) over n floats. */
export function bindUnary(rt: Runtime, op: number, n: number, x: number, y: number, p0 = 0, p1 = 0): () => void {
  const f = rt.fn('f32_vunary_simd128');
  return () => f(op, n, x, y, p0, p1);
}
