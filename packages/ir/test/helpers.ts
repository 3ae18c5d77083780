/**
 * Test helpers: run one op through inference and the reference implementation, and compare
 * tensors with tolerances.
 */
import { expect } from 'vitest';
import { isStaticShape, type Attrs, type Node, type Tensor, type TensorType } from '../src/index.js';
import { inferNode, typeOfTensor } from '../src/verify/infer.js';
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
