/**
 * Test helpers: seeded random tensors, the error metric, and a golden comparison of a session
 * against the @mo/ir reference interpreter.
 */
import { run, Tensor, type Graph } from '@mo/ir';
import { expect } from 'vitest';
import { createSessionSync, type Session, type SessionOptions } from '../src/index.js';

/** mulberry32: deterministic uniform floats in [0, 1). */
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

/** A float32 tensor of uniform values in [lo, hi). */
export function randomTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor<'float32'> {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * r();
  return new Tensor('float32', shape, data);
}

/** Tolerance of every f32 kernel test: max relative error (see maxRelErr). */
export const TOLERANCE = 1e-4;

/**
 * max_i |a_i - e_i| / max(|e_i|, 1e-2 * max_j |e_j|): the relative error, with elements much
 * smaller than the tensor's largest measured against 1/100 of it (so that values that cancel to
 * ~0 are not judged on their last bits). NaN must match NaN; an infinity must match exactly.
 */
export function maxRelErr(actual: Tensor, expected: Tensor): number {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.toFloat32();
  const e = expected.toFloat32();
  let scale = 0;
  for (const v of e) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  const floor = Math.max(1e-2 * scale, 1e-30);
  let worst = 0;
  for (let i = 0; i < e.length; i++) {
    if (Number.isNaN(e[i]) || Number.isNaN(a[i])) {
      if (Number.isNaN(e[i]) !== Number.isNaN(a[i])) return Infinity;
      continue;
    }
    if (!Number.isFinite(e[i]) || !Number.isFinite(a[i])) {
      if (a[i] !== e[i]) return Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(a[i] - e[i]) / Math.max(Math.abs(e[i]), floor));
  }
  return worst;
}

export interface CompareOptions extends SessionOptions {
  /** Ops that may fall back (default none: every node must run on a wasm kernel). */
  allowFallback?: readonly string[];
  tolerance?: number;
  /** Microkernel names (or prefixes) that must appear in the plan. */
  expectUkernels?: readonly string[];
}

/** Runs `graph` on the reference interpreter and on a session; compares every output. Returns the session. */
export function compareWithReference(graph: Graph, feeds: Record<string, Tensor>, opts: CompareOptions = {}): Session {
  const expected = run(graph, feeds);
  const session = createSessionSync(graph, opts);
  const actual = session.runSync(feeds);
  const unexpected = session.fallbackOps.filter((f) => !(opts.allowFallback ?? []).includes(f.op));
  expect(unexpected, `fallbacks: ${JSON.stringify(unexpected)}`).toEqual([]);
  for (const u of opts.expectUkernels ?? []) {
    expect(session.kernels.map((k) => k.ukernel ?? '').some((k) => k.startsWith(u)), `${u} not in ${JSON.stringify(session.kernels)}`).toBe(true);
  }
  for (const name of Object.keys(expected)) {
    const err = maxRelErr(actual[name], expected[name]);
    expect(err, `output ${name}: max rel err ${err}`).toBeLessThanOrEqual(opts.tolerance ?? TOLERANCE);
  }
  // a second run reuses the plan and must give the same values
  const again = session.runSync(feeds);
  for (const name of Object.keys(expected)) expect(Array.from(again[name].toFloat32())).toEqual(Array.from(actual[name].toFloat32()));
  return session;
}
