/**
 * Test helpers: random tensors, float64 copies of graphs, and the gradient check. The check
 * compares the analytic gradients of the tape with central finite differences of
 * L = sum_k <r_k, y_k> (random projections r_k of the outputs), where every evaluation of L runs
 * the graph in float64 through the reference interpreter.
 */
import { Graph, Tensor, run, type Feeds } from '@mo/ir';
import { Rng, recordForward } from '../src/index.js';

/** A float64 tensor with uniform values in [low, high), kept `margin` away from the `avoid` points. */
export function randomTensor(rng: Rng, shape: readonly number[], low = -1, high = 1, avoid: readonly number[] = [], margin = 0.02): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let v = low + (high - low) * rng.next();
    for (let tries = 0; tries < 100 && avoid.some((a) => Math.abs(v - a) < margin); tries++) v = low + (high - low) * rng.next();
    data[i] = v;
  }
  return new Tensor('float64', shape, data);
}

/** A copy of `graph` computing in float64: float32 initializers and inputs become float64. */
export function toFloat64(graph: Graph): Graph {
  const inits = new Map<string, Tensor>();
  for (const [k, t] of graph.initializers) inits.set(k, t.dtype === 'float32' ? new Tensor('float64', t.shape, Float64Array.from(t.data as Float32Array)) : t);
  const retype = (v: Graph['inputs'][number]) => (v.type.dtype === 'float32' ? { ...v, type: { ...v.type, dtype: 'float64' as const } } : v);
  return graph.with({ initializers: inits, inputs: graph.inputs.map(retype), outputs: graph.outputs.map(retype), valueTypes: new Map() });
}

/** Result of a gradient check: the worst relative error and the largest gradient seen. */
export interface CheckResult {
  readonly maxRelErr: number;
  readonly maxGrad: number;
  readonly worst: string;
  readonly checked: number;
}

/** Relative error of one element with a floor so that tiny gradients next to large ones do not dominate. */
function relErr(a: number, f: number, floor: number): number {
  return Math.abs(a - f) / Math.max(Math.abs(a), Math.abs(f), floor);
}

export interface GradCheckOptions {
  /** Graph outputs (or any values) the projection covers (default: graph outputs). */
  outputs?: readonly string[];
  /** Values to check: graph inputs or initializers (float64). */
  wrt: readonly string[];
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** At most this many elements per checked value (sampled; default: all). */
  samples?: number;
  seed?: number;
  /** 3-point (default) or 5-point central differences. */
  stencil?: 3 | 5;
  /** Record in training mode (default false). */
  training?: boolean;
}

/**
 * Analytic gradients (tape) versus central finite differences through the interpreter.
 * Relative error per element: |a - f| / max(|a|, |f|, 1e-3 * max |gradient|).
 */
export function gradCheck(graph: Graph, feeds: Readonly<Record<string, Tensor>>, opts: GradCheckOptions): CheckResult {
  const rng = new Rng(opts.seed ?? 1);
  const outputs = opts.outputs ?? graph.outputs.map((o) => o.name);
  const eps = opts.eps ?? 1e-6;
  const base = run(graph, feeds, { outputs });
  const proj: Record<string, Tensor> = {};
  for (const o of outputs) proj[o] = randomTensor(rng, base[o].shape, -1, 1);
  const lossOf = (g: Graph, f: Feeds) => {
    const out = run(g, f, { outputs });
    let s = 0;
    for (const o of outputs) {
      const y = out[o].data as Float64Array;
      const r = proj[o].data as Float64Array;
      for (let i = 0; i < y.length; i++) s += y[i] * r[i];
    }
    return s;
  };
  const tape = recordForward(graph, feeds, { training: opts.training ?? false });
  const grads = tape.backward(proj, opts.wrt);
  const pairs: [number, number, string][] = [];
  for (const name of opts.wrt) {
    const isFeed = name in feeds;
    const orig = isFeed ? feeds[name] : graph.initializers.get(name)!;
    const analytic = grads.get(name)!.data as Float64Array;
    const n = orig.size;
    const idx = opts.samples !== undefined && opts.samples < n ? Array.from({ length: opts.samples }, () => rng.int(n)) : Array.from({ length: n }, (_, i) => i);
    for (const j of idx) {
      const evalAt = (delta: number) => {
        const d = (orig.data as Float64Array).slice();
        d[j] += delta;
        const t = new Tensor('float64', orig.shape, d);
        return isFeed ? lossOf(graph, { ...feeds, [name]: t }) : lossOf(graph.withInitializer(name, t), feeds);
      };
      // Central differences; the 5-point stencil (error O(eps^4)) allows the larger steps that
      // ops computing at float32 inside (LayerNormalization's stash) need.
      const fd = opts.stencil === 5
        ? (-evalAt(2 * eps) + 8 * evalAt(eps) - 8 * evalAt(-eps) + evalAt(-2 * eps)) / (12 * eps)
        : (evalAt(eps) - evalAt(-eps)) / (2 * eps);
      pairs.push([analytic[j], fd, `${name}[${j}]`]);
    }
  }
  const maxGrad = Math.max(1e-300, ...pairs.map(([a, f]) => Math.max(Math.abs(a), Math.abs(f))));
  let maxRelErr = 0;
  let worst = '';
  for (const [a, f, where] of pairs) {
    const e = relErr(a, f, 1e-3 * maxGrad);
    if (e > maxRelErr) {
      maxRelErr = e;
      worst = `${where}: analytic ${a}, finite difference ${f}`;
    }
  }
  return { maxRelErr, maxGrad, worst, checked: pairs.length };
}
