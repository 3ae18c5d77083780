/**
 * Test helpers: run one op through inference and the reference implementation, infer alone,
 * compare tensors with tolerances, and small index references written independently of the IR.
 */
import { expect } from 'vitest';
import { Tensor, getSchema, isStaticShape, tensor, type Attrs, type Node, type TensorType } from '../src/index.js';
import { inferContext, inferNode, typeOfTensor } from '../src/verify/infer.js';
import { runNode } from '../src/interpreter/run-node.js';

export interface RunOpOptions {
  /** Number of outputs (default 1). */
  outputs?: number;
  /**
   * Inputs whose values inference may see (like initializers). Default: every input, so that ops
   * taking shapes/axes as inputs infer static shapes.
   */
  constInputs?: readonly number[];
}

/**
 * Runs `op` on `inputs` with the reference implementation and checks that the outputs agree with
 * the op's own type inference (dtype, and every static dimension).
 */
export function runOp(op: string, inputs: readonly (Tensor | undefined)[], attrs: Attrs = {}, opts: RunOpOptions = {}): Tensor[] {
  const n = opts.outputs ?? 1;
  const names = inputs.map((t, i) => (t ? `in${i}` : ''));
  const node: Node = { name: `${op}_test`, op, inputs: names, outputs: Array.from({ length: n }, (_, i) => `out${i}`), attrs };
  const consts = new Set(opts.constInputs ?? inputs.map((_, i) => i));
  const types: (TensorType | undefined)[] = inputs.map((t) => (t ? typeOfTensor(t) : undefined));
  const inferred = inferNode(node, types, (name) => {
    const i = Number(name.slice(2));
    return consts.has(i) ? inputs[i] : undefined;
  }, { n: 0 });
  const outs = runNode(node, inputs);
  expect(outs.length).toBeGreaterThanOrEqual(n);
  for (let k = 0; k < n; k++) {
    const t = inferred.types[k];
    expect(outs[k].dtype, `output ${k} dtype`).toBe(t.dtype);
    expect(outs[k].shape.length, `output ${k} rank`).toBe(t.shape.length);
    t.shape.forEach((d, j) => {
      if (typeof d === 'number') expect(outs[k].shape[j], `output ${k} dim ${j}`).toBe(d);
    });
    if (isStaticShape(t.shape) && consts.size === inputs.length) {
      // With every input known, inference must produce a fully static shape.
      expect([...outs[k].shape]).toEqual([...t.shape]);
    }
  }
  return outs;
}

/** The single output of `runOp`. */
export function runOp1(op: string, inputs: readonly (Tensor | undefined)[], attrs: Attrs = {}, opts: RunOpOptions = {}): Tensor {
  return runOp(op, inputs, attrs, opts)[0];
}

/**
 * An input of `inferOp`: a Tensor is a constant inference may read (like an initializer; its
 * quant params are not passed on), a TensorType a runtime value (symbolic dims allowed),
 * undefined an absent optional input.
 */
export type InferInput = Tensor | TensorType | undefined;

/** Runs only `op`'s inference: output types, and the outputs it could fold to constants. */
export function inferOp(op: string, inputs: readonly InferInput[], attrs: Attrs = {}, outputs = 1): { types: TensorType[]; constants?: Tensor[] } {
  const node: Node = { name: `${op}_test`, op, inputs: inputs.map((t, i) => (t ? `in${i}` : '')), outputs: Array.from({ length: outputs }, (_, i) => `out${i}`), attrs };
  const types = inputs.map((t) => (t instanceof Tensor ? { dtype: t.dtype, shape: t.shape } : t));
  return inferNode(node, types, (name) => {
    const t = inputs[Number(name.slice(2))];
    return t instanceof Tensor ? t : undefined;
  }, { n: 0 });
}

/** The output types of `inferOp`. */
export function inferTypes(op: string, inputs: readonly InferInput[], attrs: Attrs = {}, outputs = 1): TensorType[] {
  return inferOp(op, inputs, attrs, outputs).types;
}

/** Multiply-accumulates the schema reports for `op` on inputs of the given types. */
export function macsOf(op: string, types: TensorType[], attrs: Attrs = {}): number {
  const node: Node = { name: `${op}_test`, op, inputs: types.map((_, i) => `in${i}`), outputs: ['out0'], attrs };
  const outs = inferNode(node, types, () => undefined, { n: 0 }).types;
  return getSchema(op).macs!(inferContext(node, types, () => undefined, { n: 0 }), outs);
}

/** Asserts `actual` has `shape` and values close to `expected` (|a-e| <= atol + rtol*|e|; NaN == NaN). */
export function expectClose(actual: Tensor, expected: ArrayLike<number>, opts: { rtol?: number; atol?: number; shape?: readonly number[] } = {}): void {
  const rtol = opts.rtol ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  if (opts.shape) expect([...actual.shape]).toEqual([...opts.shape]);
  expect(actual.size).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual.get(i);
    const e = expected[i];
    if (Number.isNaN(e)) {
      expect(Number.isNaN(a), `element ${i}: expected NaN, got ${a}`).toBe(true);
      continue;
    }
    if (!Number.isFinite(e)) {
      expect(a, `element ${i}`).toBe(e);
      continue;
    }
    const ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
    expect(ok, `element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`).toBe(true);
  }
}

/** Deterministic pseudo-random numbers (mulberry32) for test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform values in [lo, hi) from a seeded generator. */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

// ------------------------------------------------------------------ data and index references

/** A 1-D (or `shape`d) int64 tensor. */
export const i64 = (v: readonly number[], shape?: readonly number[]): Tensor => tensor('int64', v as number[], shape ?? [v.length]);
/** A 1-D (or `shape`d) int32 tensor. */
export const i32 = (v: readonly number[], shape?: readonly number[]): Tensor => tensor('int32', v as number[], shape ?? [v.length]);
/** A 1-D (or `shape`d) float32 tensor. */
export const f32 = (v: readonly number[], shape?: readonly number[]): Tensor => tensor('float32', v as number[], shape ?? [v.length]);

/** Product of numbers (1 for none): the element count of a shape. */
export const prod = (a: readonly number[]): number => a.reduce((x, y) => x * y, 1);

/** [start, start + 1, ..., start + n - 1]. */
export const iota = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => i + start);

/** The multi-index of row-major flat index `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a];
    i = Math.floor(i / shape[a]);
  }
  return idx;
}

/** The row-major flat index of multi-index `idx` in `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let a = 0; a < shape.length; a++) f = f * shape[a] + idx[a];
  return f;
}

/** An NCHW tensor's values rearranged to NHWC ([N, C, D1, ...] -> [N, D1, ..., C]). */
export function toNHWC(t: Tensor): Tensor {
  const [n, c, ...sp] = t.shape;
  const outShape = [n, ...sp, c];
  const vals = t.toNumbers();
  const out = new Array<number>(t.size);
  for (let i = 0; i < t.size; i++) {
    const [b, ch, ...pos] = unravel(i, t.shape);
    out[ravel([b, ...pos, ch], outShape)] = vals[i];
  }
  return tensor(t.dtype, out, outShape);
}

/** The exact values of an int64 tensor. */
export const bigs = (t: Tensor): bigint[] => Array.from(t.data as BigInt64Array);
