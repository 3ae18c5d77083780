/**
 * The layout clean-up inside prepareGraph: the NHWC graph computes what the NCHW one does, passes
 * the verifier, and has no Transpose left where none is needed.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, optimize, run, verify, type Graph } from '@mo/ir';
import { buildModel } from '@mo/models';
import { prepareGraph } from '../src/index.js';
import { floatInput, relError, toNhwc } from './helpers/data.js';
import { toQdq } from './helpers/qdq.js';

function sameValues(g: Graph, p: Graph): number {
  const x = floatInput(g, 0, 3);
  const a = run(g, { [g.inputs[0].name]: x })[g.outputs[0].name];
  const xh = new Tensor('float32', [x.shape[0], x.shape[2], x.shape[3], x.shape[1]], toNhwc(x.data, x.shape));
  const b = run(p, { [p.inputs[0].name]: xh })[p.outputs[0].name];
  return relError(b.toFloat32(), a.toFloat32());
}

const count = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;

describe('prepareGraph layout', () => {
  for (const [name, transposes] of [['mobilenetV2', 0], ['mobilenetV3Small', 0], ['squeezeNet1_1', 0], ['shuffleNetV2', 16]] as const) {
    it(`${name}: NHWC, ${transposes} Transposes left, same values, verifies`, () => {
      const g = buildModel(name, { batch: 1, resolution: 32, seed: 1 } as never);
      const p = prepareGraph(g);
      expect(() => verify(p)).not.toThrow();
      expect(count(p, 'Transpose')).toBe(transposes);
      expect(p.inputs[0].type.shape).toEqual([1, 32, 32, 3]);
      expect(sameValues(g, p)).toBeLessThan(1e-5);
    });
  }

  it('QDQ MobileNetV2: QDQ pairs stay next to their operators, no Transposes', () => {
    const g = buildModel('mobilenetV2', { batch: 1, resolution: 32, seed: 1 } as never);
    const q = toQdq(g, [{ input: floatInput(g, 0, 1) }]);
    const p = prepareGraph(q);
    expect(count(p, 'Transpose')).toBe(0);
    for (const n of p.nodes.filter((x) => x.op === 'Conv')) expect(p.producerOf(n.inputs[0])?.op).toBe('DequantizeLinear');
    expect(sameValues(q, p)).toBeLessThan(1e-5);
  });

  it('no-op on a graph without layout-sensitive ops', () => {
    const g = buildModel('mlp', { batch: 1, seed: 1 } as never);
    const p = prepareGraph(g);
    expect(p.nodes.map((n) => n.op)).toEqual(optimize(g).nodes.map((n) => n.op));
  });
});
