import { describe, expect, it } from 'vitest';
import { GraphBuilder, type FusedActivation, type Value } from '../../src/index.js';
import { fuseActivation } from '../../src/passes/index.js';
import { randomValues } from '../helpers.js';
import { apply, expectEqualGraphs, expectSameOutputs, f32, opsOf } from './pass-helpers.js';

const W = f32([4, 3, 3, 3], (i) => Math.sin(i) * 0.5);
const WT = f32([3, 2, 2, 2], (i) => Math.cos(i) * 0.5);
const G = f32([6, 4], (i) => Math.sin(i * 1.3));

type Producer = (b: GraphBuilder, x: Value, act?: { activation: FusedActivation; activation_params?: readonly number[] }) => Value;
const producers: Record<string, { shape: number[]; make: Producer }> = {
  Conv: { shape: [1, 3, 5, 5], make: (b, x, act) => b.conv(x, W, undefined, { pads: [1, 1, 1, 1], ...act }) },
  ConvTranspose: { shape: [1, 3, 3, 3], make: (b, x, act) => b.convTranspose(x, WT, undefined, { ...act }) },
  Gemm: { shape: [2, 4], make: (b, x, act) => b.gemm(x, G, undefined, { transB: 1, ...act }) },
  MatMul: { shape: [2, 6], make: (b, x, act) => b.matmul(x, G, { ...act }) },
};

const activations: { name: string; apply: (b: GraphBuilder, v: Value) => Value; fused: FusedActivation; params?: number[] }[] = [
  { name: 'Relu', apply: (b, v) => b.relu(v), fused: 'Relu' },
  { name: 'ReLU6 (Clip 0..6)', apply: (b, v) => b.clip(v, 0, 6), fused: 'Clip', params: [0, 6] },
  { name: 'Clip with only a max', apply: (b, v) => b.clip(v, undefined, 0.5), fused: 'Clip', params: [-Infinity, 0.5] },
  { name: 'LeakyRelu', apply: (b, v) => b.leakyRelu(v, 0.2), fused: 'LeakyRelu', params: [0.2] },
  { name: 'LeakyRelu default alpha', apply: (b, v) => b.leakyRelu(v), fused: 'LeakyRelu', params: [0.01] },
  { name: 'HardSwish', apply: (b, v) => b.hardSwish(v), fused: 'HardSwish' },
  { name: 'HardSigmoid', apply: (b, v) => b.hardSigmoid(v, 0.25, 0.4), fused: 'HardSigmoid', params: [0.25, 0.4] },
  { name: 'Sigmoid', apply: (b, v) => b.sigmoid(v), fused: 'Sigmoid' },
  { name: 'Tanh', apply: (b, v) => b.tanh(v), fused: 'Tanh' },
];

describe('fuseActivation', () => {
  for (const [op, p] of Object.entries(producers)) {
    for (const act of activations) {
      it(`${op} + ${act.name}`, () => {
        const b = new GraphBuilder('g');
        const x = b.input('x', 'float32', p.shape);
        b.output(act.apply(b, p.make(b, x)), 'y');
        const g = b.build();
        const out = apply(g, fuseActivation);

        const e = new GraphBuilder('g');
        const ex = e.input('x', 'float32', p.shape);
        e.output(p.make(e, ex, { activation: act.fused, ...(act.params ? { activation_params: act.params } : {}) }), 'y');
        expectEqualGraphs(out, e.build());
        expect(out.nodes[0].outputs).toEqual(['y']);
        expect(out.initializers.size).toBe(1); // Clip bounds are gone
        expectSameOutputs(g, out, { rtol: 1e-6, atol: 1e-6 });
      });
    }
  }

  it('fuses inside a chain and keeps downstream readers', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 3, 5, 5]);
    const h = b.clip(b.conv(x, W, f32([4], (i) => i * 0.1 - 0.2)), 0, 6);
    b.output(b.globalAveragePool(h), 'y');
    b.output(b.reduceMax(h, [1]), 'z');
    const g = b.build();
    const out = apply(g, fuseActivation);
    expect(opsOf(out)).toEqual(['Conv', 'GlobalAveragePool', 'ReduceMax']);
    expectSameOutputs(g, out, { dims: { n: 2 } });
  });

  it('does not fuse when the producer has other readers or an activation already', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 3, 5, 5]);
    const c = b.conv(x, W);
    b.output(b.add(b.relu(c), c), 'y');
    const c2 = b.conv(x, W, undefined, { activation: 'Relu' });
    b.output(b.sigmoid(c2), 'z');
    const c3 = b.conv(x, W);
    b.output(c3, 'c3');
    b.output(b.relu(c3), 'r3');
    const g = b.build();
    expect(apply(g, fuseActivation)).toBe(g);
  });

  it('does not fuse Clip with bounds that are not constants, nor non-activation ops', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 4]);
    const lo = b.input('lo', 'float32', []);
    b.output(b.clip(b.gemm(x, G, undefined, { transB: 1 }), lo, 6), 'y');
    b.output(b.exp(b.gemm(x, G, undefined, { transB: 1 })), 'z');
    b.output(b.relu(b.softmax(b.gemm(x, G, undefined, { transB: 1 }))), 'w');
    const g = b.build();
    expect(apply(g, fuseActivation)).toBe(g);
  });

  it('numerically matches on random data with a bias and a symbolic batch', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 6]);
    const bias = f32([4], (i) => randomValues(4, 3)[i]);
    b.output(b.hardSwish(b.gemm(x, f32([6, 4], (i) => Math.cos(i)), bias, { alpha: 0.7 })), 'y');
    const g = b.build();
    const out = apply(g, fuseActivation);
    expect(opsOf(out)).toEqual(['Gemm']);
    expect(out.nodes[0].attrs.activation).toBe('HardSwish');
    expectSameOutputs(g, out, { dims: { n: 5 } });
  });
});
