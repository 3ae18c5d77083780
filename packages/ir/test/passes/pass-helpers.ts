/**
 * Helpers for pass tests: run a pass with the verifier after it, check that the input graph was
 * not touched, compare graphs structurally and numerically.
 */
import { expect } from 'vitest';
import { Graph, explainDifference, formatGraph, run, tensor, verify, type Tensor } from '../../src/index.js';
import { runPasses, verifyInstrument, type Pass } from '../../src/passes/index.js';
import { prod, randomValues } from '../helpers.js';

/** A deep snapshot of everything a pass could mutate (node lists, attributes, tensor bytes). */
function snapshot(g: Graph): unknown {
  return {
    inputs: JSON.stringify(g.inputs),
    outputs: JSON.stringify(g.outputs),
    nodes: [...g.nodes],
    nodeJson: JSON.stringify(g.nodes),
    inits: [...g.initializers].map(([k, t]) => [k, t, t.dtype, [...t.shape], Array.from(t.data as ArrayLike<number | bigint>, String).join(',')]),
    valueTypes: JSON.stringify([...g.valueTypes]),
  };
}

/** Runs `passes` on `g` with verify() after each pass; checks that `g` itself is unchanged. */
export function apply(g: Graph, ...passes: Pass[]): Graph {
  const before = snapshot(g);
  const out = runPasses(g, passes, { instruments: [verifyInstrument(verify)] });
  expect(snapshot(g), 'the input graph must not change').toEqual(before);
  return out;
}

/** Asserts structural equality, showing the first difference. */
export function expectEqualGraphs(actual: Graph, expected: Graph): void {
  const diff = explainDifference(actual, expected);
  if (diff) expect.fail(`${diff}\n--- actual:\n${formatGraph(actual)}\n--- expected:\n${formatGraph(expected)}`);
}

/** Random feeds for every graph input (symbolic dims bound from `dims`, default 2). */
export function randomFeeds(g: Graph, seed = 1, dims: Record<string, number> = {}): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  g.inputs.forEach((i, k) => {
    const shape = i.type.shape.map((d) => (typeof d === 'number' ? d : dims[d] ?? 2));
    feeds[i.name] = randomTensor(shape, seed + k, i.type.dtype === 'float16' ? 'float16' : 'float32');
  });
  return feeds;
}

/** A tensor of uniform values in [lo, hi) from a seeded generator. */
export function randomTensor(shape: readonly number[], seed: number, dtype: 'float32' | 'float16' = 'float32', lo = -1, hi = 1): Tensor {
  return tensor(dtype, randomValues(prod(shape), seed, lo, hi), shape);
}

/** Asserts |a - b| <= atol + rtol * |b| elementwise, same shape and dtype. */
export function expectTensorsClose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-5, what = ''): void {
  expect(a.dtype, `${what} dtype`).toBe(b.dtype);
  expect([...a.shape], `${what} shape`).toEqual([...b.shape]);
  for (let i = 0; i < a.size; i++) {
    const x = a.get(i);
    const y = b.get(i);
    if (Math.abs(x - y) > atol + rtol * Math.abs(y)) expect.fail(`${what} element ${i}: ${x} vs ${y}`);
  }
}

/** Runs both graphs on the same random feeds and compares every output. */
export function expectSameOutputs(before: Graph, after: Graph, opts: { seed?: number; rtol?: number; atol?: number; dims?: Record<string, number> } = {}): void {
  const feeds = randomFeeds(before, opts.seed ?? 7, opts.dims);
  const a = run(before, feeds);
  const b = run(after, feeds);
  for (const o of before.outputs) expectTensorsClose(b[o.name], a[o.name], opts.rtol, opts.atol, `output '${o.name}'`);
}

/** Ops of a graph in node order (quick shape-of-the-result checks). */
export const opsOf = (g: Graph): string[] => g.topologicalOrder().map((n) => n.op);

/** A float32 tensor from a function of the flat index. */
export function f32(shape: readonly number[], f: (i: number) => number): Tensor {
  return tensor('float32', Array.from({ length: prod(shape) }, (_, i) => f(i)), shape);
}

/** Transpose perms between the NCHW and NHWC layouts of 4-D activations. */
export const TO_NHWC = [0, 2, 3, 1];
export const TO_NCHW = [0, 3, 1, 2];
