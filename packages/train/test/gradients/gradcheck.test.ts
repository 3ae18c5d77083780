/**
 * Gradient checks: for every case in cases.ts, the tape's analytic gradients against central
 * finite differences computed in float64 through the reference interpreter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Graph, Tensor, run, verify, type ValueInfo } from '@mo/ir';
import { Rng, gradientOps } from '../../src/index.js';
import { gradCheck, randomTensor } from '../helpers.js';
import { GRAD_CASES, type GradCase } from './cases.js';

/** Relative error allowed between analytic and finite-difference gradients. */
const TOLERANCE = 1e-3;

function buildCase(c: GradCase, seed: number): { graph: Graph; feeds: Record<string, Tensor>; wrt: string[] } {
  const rng = new Rng(seed);
  const feeds: Record<string, Tensor> = {};
  const inits = new Map<string, Tensor>();
  const inputs: ValueInfo[] = [];
  const names = c.inputs.map((spec, i) => {
    if (spec === null) return '';
    const name = `x${i}`;
    if ('fixed' in spec) inits.set(name, spec.fixed);
    else {
      const t = randomTensor(rng, spec.shape, spec.low ?? -1, spec.high ?? 1, c.avoid ?? []);
      feeds[name] = t;
      inputs.push({ name, type: { dtype: 'float64', shape: t.shape } });
    }
    return name;
  });
  const outNames = Array.from({ length: c.outputs ?? 1 }, (_, k) => `y${k}`);
  const node = { name: 'node', op: c.op, inputs: names, outputs: outNames, attrs: c.attrs ?? {} };
  const probe = Graph.create({ name: c.name, inputs, nodes: [node], initializers: inits });
  const values = run(probe, feeds, { outputs: outNames });
  const seeded = (c.seedOutputs ?? outNames.map((_, k) => k)).map((k) => outNames[k]);
  const outputs: ValueInfo[] = seeded.map((o) => ({ name: o, type: { dtype: values[o].dtype, shape: values[o].shape } }));
  const graph = verify(probe.with({ outputs }));
  return { graph, feeds, wrt: Object.keys(feeds) };
}

/** Worst relative error per case (printed with GRADCHECK_REPORT=1). */
const worst = new Map<string, { err: number; checked: number }>();

describe('gradient checks (float64 finite differences through the reference interpreter)', () => {
  afterAll(() => {
    if (!process.env.GRADCHECK_REPORT) return;
    const rows = [...worst].map(([name, r]) => `${r.err.toExponential(1).padStart(8)}  ${String(r.checked).padStart(4)}  ${name}`);
    console.log(`max rel err  elements  case\n${rows.join('\n')}\nworst overall: ${Math.max(...[...worst.values()].map((r) => r.err)).toExponential(2)}`);
  });

  for (const c of GRAD_CASES) {
    it(`${c.op}: ${c.name}`, () => {
      for (const seed of [1, 2]) {
        const { graph, feeds, wrt } = buildCase(c, seed);
        const res = gradCheck(graph, feeds, { wrt, eps: c.eps ?? 1e-6, stencil: c.stencil, seed });
        expect(res.maxGrad, 'gradient is identically zero: the case checks nothing').toBeGreaterThan(1e-6);
        expect(res.maxRelErr, res.worst).toBeLessThanOrEqual(TOLERANCE);
        const key = `${c.op}: ${c.name}`;
        const prev = worst.get(key);
        worst.set(key, { err: Math.max(prev?.err ?? 0, res.maxRelErr), checked: (prev?.checked ?? 0) + res.checked });
      }
    });
  }

  it('every op with a gradient rule has at least one case', () => {
    const covered = new Set(GRAD_CASES.map((c) => c.op));
    expect(gradientOps().filter((op) => !covered.has(op))).toEqual([]);
  });
});
