import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensor, type Tensor, type Value } from '../../src/index.js';
import { bnToAffine, foldBatchNorm, fuseActivation } from '../../src/passes/index.js';
import { randomValues } from '../helpers.js';
import { apply, expectEqualGraphs, expectSameOutputs, opsOf, randomTensor } from './pass-helpers.js';

const EPS = 1e-3;

interface Bn {
  scale: number[];
  beta: number[];
  mean: number[];
  variance: number[];
}

/** Parameters rounded to float32, as the graph stores them. */
function randomBn(c: number, seed: number): Bn {
  const r = (k: number, lo: number, hi: number) => randomValues(c, seed + k, lo, hi).map(Math.fround);
  return { scale: r(0, 0.5, 2), beta: r(1, -1, 1), mean: r(2, -0.5, 0.5), variance: r(3, 0.1, 2) };
}

const t32 = (values: number[], shape: number[]) => tensor('float32', values, shape);

function addBn(b: GraphBuilder, x: Value, p: Bn, attrs: { epsilon?: number } = { epsilon: EPS }): Value {
  const c = p.scale.length;
  return b.batchNorm(x, t32(p.scale, [c]), t32(p.beta, [c]), t32(p.mean, [c]), t32(p.variance, [c]), attrs);
}

/** Expected folded weights: W[i] * scale[c] / sqrt(var[c] + eps) in float64, stored as float32. */
function foldW(w: Tensor, p: Bn, channelOf: (i: number) => number, eps = EPS): Tensor {
  return t32(w.toNumbers().map((v, i) => v * (p.scale[channelOf(i)] / Math.sqrt(p.variance[channelOf(i)] + eps))), [...w.shape]);
}

/** Expected folded bias: (b - mean) * f + beta. */
function foldB(bias: number[] | undefined, p: Bn, eps = EPS): Tensor {
  const c = p.scale.length;
  return t32(Array.from({ length: c }, (_, k) => ((bias?.[k] ?? 0) - p.mean[k]) * (p.scale[k] / Math.sqrt(p.variance[k] + eps)) + p.beta[k]), [c]);
}

describe('foldBatchNorm into Conv', () => {
  const cases = [
    { name: 'plain conv with bias', cin: 3, cout: 4, group: 1, bias: true },
    { name: 'conv without bias', cin: 3, cout: 4, group: 1, bias: false },
    { name: 'grouped conv', cin: 4, cout: 6, group: 2, bias: true },
    { name: 'depthwise conv', cin: 5, cout: 5, group: 5, bias: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const w = randomTensor([c.cout, c.cin / c.group, 3, 3], 11);
      const bias = c.bias ? randomValues(c.cout, 12).map(Math.fround) : undefined;
      const p = randomBn(c.cout, 13);
      const attrs = { group: c.group, pads: [1, 1, 1, 1] };
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', [2, c.cin, 5, 5]);
      b.output(addBn(b, b.conv(x, w, bias && t32(bias, [c.cout]), attrs), p), 'y');
      const g = b.build();
      const out = apply(g, foldBatchNorm);

      const inner = w.size / c.cout;
      const e = new GraphBuilder('g');
      const ex = e.input('x', 'float32', [2, c.cin, 5, 5]);
      e.output(e.conv(ex, foldW(w, p, (i) => Math.floor(i / inner)), foldB(bias, p), attrs), 'y');
      expectEqualGraphs(out, e.build());
      expect([...out.initializers.keys()].length).toBe(2);
      expectSameOutputs(g, out, { rtol: 1e-5, atol: 1e-5 });
    });
  }

  it('3-D input (Conv1d) with default epsilon, BN output feeding more nodes', () => {
    const w = randomTensor([4, 2, 3], 21);
    const p = randomBn(4, 22);
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 2, 8]);
    const y = addBn(b, b.conv(x, w), p, {});
    b.output(b.relu(y), 'r');
    b.output(b.sigmoid(y), 's');
    const g = b.build();
    const out = apply(g, foldBatchNorm);
    expect(opsOf(out)).toEqual(['Conv', 'Relu', 'Sigmoid']);
    expectSameOutputs(g, out, { dims: { n: 3 } });
  });
});

describe('foldBatchNorm with float16 weights', () => {
  it('computes in float64 and stores float16', () => {
    const f16 = (values: number[], shape: number[]) => tensor('float16', values, shape);
    const w = f16(randomValues(4 * 2 * 3 * 3, 101), [4, 2, 3, 3]);
    const p = randomBn(4, 102);
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float16', [1, 2, 5, 5]);
    const conv = b.conv(x, w);
    b.output(b.batchNorm(conv, f16(p.scale, [4]), f16(p.beta, [4]), f16(p.mean, [4]), f16(p.variance, [4]), { epsilon: EPS }), 'y');
    const g = b.build();
    const out = apply(g, foldBatchNorm);
    expect(opsOf(out)).toEqual(['Conv']);
    const [wName, bName] = out.nodes[0].inputs.slice(1);
    expect(out.initializers.get(wName)!.dtype).toBe('float16');
    expect(out.initializers.get(bName)!.dtype).toBe('float16');
    expectSameOutputs(g, out, { rtol: 1e-2, atol: 1e-2 });
  });
});

describe('foldBatchNorm into ConvTranspose', () => {
  for (const group of [1, 2]) {
    it(`group ${group}`, () => {
      const cin = 4;
      const mPerGroup = 3;
      const w = randomTensor([cin, mPerGroup, 2, 2], 31);
      const bias = randomValues(mPerGroup * group, 32).map(Math.fround);
      const p = randomBn(mPerGroup * group, 33);
      const attrs = { group, strides: [2, 2] };
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', [1, cin, 3, 3]);
      b.output(addBn(b, b.convTranspose(x, w, t32(bias, [bias.length]), attrs), p), 'y');
      const g = b.build();
      const out = apply(g, foldBatchNorm);

      const channelOf = (i: number) => {
        const c = Math.floor(i / (4 * mPerGroup));
        const j = Math.floor(i / 4) % mPerGroup;
        return Math.floor(c / (cin / group)) * mPerGroup + j;
      };
      const e = new GraphBuilder('g');
      const ex = e.input('x', 'float32', [1, cin, 3, 3]);
      e.output(e.convTranspose(ex, foldW(w, p, channelOf), foldB(bias, p), attrs), 'y');
      expectEqualGraphs(out, e.build());
      expectSameOutputs(g, out);
    });
  }
});

describe('foldBatchNorm into Gemm and MatMul', () => {
  for (const transB of [0, 1]) {
    it(`Gemm transB=${transB} with a [N] bias`, () => {
      const w = randomTensor(transB ? [4, 3] : [3, 4], 41);
      const c = randomValues(4, 42).map(Math.fround);
      const p = randomBn(4, 43);
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', [5, 3]);
      b.output(addBn(b, b.gemm(x, w, t32(c, [4]), { transB }), p), 'y');
      const g = b.build();
      const out = apply(g, foldBatchNorm);

      const e = new GraphBuilder('g');
      const ex = e.input('x', 'float32', [5, 3]);
      e.output(e.gemm(ex, foldW(w, p, transB ? (i) => Math.floor(i / 3) : (i) => i % 4), foldB(c, p), { transB }), 'y');
      expectEqualGraphs(out, e.build());
      expectSameOutputs(g, out);
    });
  }

  it('Gemm with beta, alpha and a [M, 1] bias, and without bias', () => {
    const w = randomTensor([4, 3], 51);
    const p = randomBn(4, 53);
    for (const bias of [randomTensor([5, 1], 52), randomTensor([1, 4], 54), tensor('float32', 0.25, []), undefined]) {
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', [5, 3]);
      b.output(addBn(b, b.gemm(x, w, bias, { transB: 1, alpha: 0.5, beta: bias ? 2 : undefined }), p), 'y');
      const g = b.build();
      const out = apply(g, foldBatchNorm);
      expect(opsOf(out)).toEqual(['Gemm']);
      expect(out.nodes[0].attrs.beta).toBeUndefined();
      expectSameOutputs(g, out);
    }
  });

  it('MatMul with a constant weight becomes Gemm with a bias', () => {
    const w = randomTensor([3, 4], 61);
    const p = randomBn(4, 62);
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 3]);
    b.output(addBn(b, b.matmul(x, w), p), 'y');
    const g = b.build();
    const out = apply(g, foldBatchNorm);

    const e = new GraphBuilder('g');
    const ex = e.input('x', 'float32', ['n', 3]);
    e.output(e.gemm(ex, foldW(w, p, (i) => i % 4), foldB(undefined, p)), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out, { dims: { n: 4 } });
  });

  it('leaves MatMul whose output channel is not axis 1 (rank 3)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 4, 3]);
    b.output(addBn(b, b.matmul(x, randomTensor([3, 4], 63)), randomBn(4, 64)), 'y');
    const g = b.build();
    expect(apply(g, foldBatchNorm)).toBe(g);
  });
});

describe('foldBatchNorm preconditions', () => {
  const convBn = (mod: (b: GraphBuilder, x: Value, conv: (x: Value) => Value) => Value) => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const w = b.constant(randomTensor([3, 2, 1, 1], 71));
    b.output(mod(b, x, (v) => b.conv(v, w)), 'y');
    return b.build();
  };
  it('needs BN to be the only reader of the producer', () => {
    const g = convBn((b, x, conv) => {
      const c = conv(x);
      return b.add(addBn(b, c, randomBn(3, 72)), c);
    });
    expect(apply(g, foldBatchNorm)).toBe(g);
  });
  it('needs the producer to have no fused activation', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    b.output(addBn(b, b.conv(x, randomTensor([3, 2, 1, 1], 73), undefined, { activation: 'Relu' }), randomBn(3, 74)), 'y');
    const g = b.build();
    expect(apply(g, foldBatchNorm)).toBe(g);
  });
  it('needs constant weights and statistics, and inference mode', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const w = b.input('w', 'float32', [3, 2, 1, 1]);
    b.output(addBn(b, b.conv(x, w), randomBn(3, 75)), 'y');
    const g = b.build();
    expect(apply(g, foldBatchNorm)).toBe(g);

    const b2 = new GraphBuilder('g');
    const x2 = b2.input('x', 'float32', [1, 2, 4, 4]);
    const mean = b2.input('mean', 'float32', [3]);
    const p = randomBn(3, 76);
    const c = b2.conv(x2, randomTensor([3, 2, 1, 1], 77));
    b2.output(b2.batchNorm(c, t32(p.scale, [3]), t32(p.beta, [3]), mean, t32(p.variance, [3])), 'y');
    const g2 = b2.build();
    expect(apply(g2, foldBatchNorm)).toBe(g2);
  });
  it('leaves NHWC convolutions alone (BN normalizes axis 1)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 4, 4, 3]);
    b.output(addBn(b, b.conv(x, randomTensor([4, 3, 1, 1], 78), undefined, { layout: 'NHWC' }), randomBn(4, 79)), 'y');
    const g = b.build();
    expect(apply(g, foldBatchNorm)).toBe(g);
  });
});

describe('bnToAffine', () => {
  it('rewrites a standalone BN as Mul + Add with [C,1,1] constants', () => {
    const p = randomBn(3, 81);
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 3, 4, 4]);
    b.output(addBn(b, b.relu(x), p), 'y');
    const g = b.build();
    const out = apply(g, foldBatchNorm, bnToAffine);

    const f = p.scale.map((s, k) => s / Math.sqrt(p.variance[k] + EPS));
    const e = new GraphBuilder('g');
    const ex = e.input('x', 'float32', ['n', 3, 4, 4]);
    const scaled = e.mul(e.relu(ex), t32(f, [3, 1, 1]));
    e.output(e.add(scaled, t32(f.map((v, k) => p.beta[k] - p.mean[k] * v), [3, 1, 1])), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out, { dims: { n: 2 } });
  });
});

describe('foldBatchNorm then fuseActivation', () => {
  it('Conv -> BN -> Relu becomes one Conv', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    b.output(b.relu(addBn(b, b.conv(x, randomTensor([3, 2, 3, 3], 91)), randomBn(3, 92))), 'y');
    const g = b.build();
    const out = apply(g, foldBatchNorm, fuseActivation);
    expect(opsOf(out)).toEqual(['Conv']);
    expect(out.nodes[0].attrs.activation).toBe('Relu');
    expect(out.nodes[0].outputs).toEqual(['y']);
    expectSameOutputs(g, out);
  });
});
