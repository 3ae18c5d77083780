/**
 * Test helpers: seeded random inputs, an independent float64 SQNR, argmax agreement and a deep
 * snapshot of a graph (to prove quantize never mutates its input).
 */
import { createHash } from 'node:crypto';
import { fromFunction, run, type Graph, type Tensor } from '@mo/ir';

/** mulberry32, independent of the package's own PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` samples of uniform [-1, 1) data for input `input` of `shape`. */
export function randomSamples(shape: readonly number[], n: number, seed = 1, name = 'input'): Record<string, Tensor>[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({ [name]: fromFunction('float32', shape, () => r() * 2 - 1) as Tensor }));
}

/** 10 log10(sum x^2 / sum (x - y)^2) in float64. */
export function sqnr(reference: ArrayLike<number>, approx: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < reference.length; i++) {
    s += reference[i] ** 2;
    n += (reference[i] - approx[i]) ** 2;
  }
  return 10 * Math.log10(s / n);
}

/** SQNR of output `out` of `b` against `a` over all samples. */
export function graphSqnr(a: Graph, b: Graph, samples: readonly Record<string, Tensor>[], out = a.outputs[0].name): number {
  const ref: number[] = [];
  const got: number[] = [];
  for (const s of samples) {
    ref.push(...run(a, s)[out].toNumbers());
    got.push(...run(b, s)[out].toNumbers());
  }
  return sqnr(ref, got);
}

/** Share of rows of [N, C] outputs whose argmax agrees. */
export function top1Agreement(a: Graph, b: Graph, samples: readonly Record<string, Tensor>[], out = a.outputs[0].name): number {
  let agree = 0;
  let rows = 0;
  const argmax = (v: number[]) => v.indexOf(Math.max(...v));
  for (const s of samples) {
    const x = run(a, s)[out];
    const y = run(b, s)[out];
    const [n, c] = x.shape;
    const xv = x.toNumbers();
    const yv = y.toNumbers();
    for (let r = 0; r < n; r++) {
      if (argmax(xv.slice(r * c, (r + 1) * c)) === argmax(yv.slice(r * c, (r + 1) * c))) agree++;
      rows++;
    }
  }
  return agree / rows;
}

/** A deep fingerprint of a graph: structure, attributes, metadata and every initializer's bytes. */
export function snapshot(g: Graph): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ name: g.name, inputs: g.inputs, outputs: g.outputs, nodes: g.nodes, metadata: g.metadata, types: [...g.valueTypes] }));
  for (const [k, t] of g.initializers) {
    h.update(`${k}:${t.dtype}:${t.shape.join(',')}:${JSON.stringify(t.quant ?? null)}`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

/** Distinct values of a numeric array. */
export function distinct(values: ArrayLike<number>): number {
  return new Set(Array.from(values)).size;
}
