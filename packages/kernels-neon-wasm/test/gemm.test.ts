/** Gemm and MatMul through sessions against the reference interpreter. */
import { GraphBuilder } from '@mo/ir';
import { describe, expect, it } from 'vitest';
import { compareWithReference, randomTensor } from './helpers.js';

describe('Gemm', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1], [3, 7, 5], [4, 8, 16], [5, 9, 17], [8, 16, 8], [13, 33, 21], [64, 64, 64], [65, 40, 129],
  ];
  it.each(sizes)('M=%i N=%i K=%i, all transposes, bias [N]', (m, n, k) => {
    for (const transA of [0, 1]) {
      for (const transB of [0, 1]) {
        const b = new GraphBuilder('gemm');
        const a = b.input('a', 'float32', transA ? [k, m] : [m, k]);
        const w = randomTensor(transB ? [n, k] : [k, n], m + n + k);
        b.output(b.gemm(a, w, randomTensor([n], 3), { transA, transB }), 'y');
        compareWithReference(b.build(), { a: randomTensor(transA ? [k, m] : [m, k], 4) }, { expectUkernels: ['f32-gemm-'] });
      }
    }
  });

  it('alpha, beta, bias shapes [], [1, N], fused activations', () => {
    for (const [c, attrs] of [
      [randomTensor([], 1), { alpha: 0.5, beta: 2 }],
      [randomTensor([1, 10], 2), { alpha: -1.5, beta: 0.25, activation: 'Relu' }],
      [undefined, { activation: 'Clip', activation_params: [-0.2, 0.3] }],
      [randomTensor([10], 3), { activation: 'HardSwish' }],
      [randomTensor([10], 4), { activation: 'Sigmoid' }],
    ] as const) {
      const b = new GraphBuilder('gemm');
      const a = b.input('a', 'float32', [6, 12]);
      b.output(b.gemm(a, randomTensor([12, 10], 5), c, attrs as never), 'y');
      compareWithReference(b.build(), { a: randomTensor([6, 12], 6) });
    }
  });

  it('C of shape [M, N] falls back to the reference, and says why', () => {
    const b = new GraphBuilder('gemm');
    const a = b.input('a', 'float32', [3, 4]);
    b.output(b.gemm(a, randomTensor([4, 5], 1), randomTensor([3, 5], 2)), 'y');
    const s = compareWithReference(b.build(), { a: randomTensor([3, 4], 3) }, { allowFallback: ['Gemm'] });
    expect(s.fallbackOps).toHaveLength(1);
    expect(s.fallbackOps[0].reason).toMatch(/bias per column/);
  });
});

describe('MatMul', () => {
  it.each([
    ['2-d x constant', [7, 9], [9, 11]],
    ['batched A x constant (batch folds into M)', [2, 3, 5, 8], [8, 6]],
    ['1-d A', [8], [8, 5]],
    ['1-d B', [4, 8], [8]],
    ['256 x 256 x 256', [256, 256], [256, 256]],
  ] as [string, number[], number[]][])('%s', (_n, as, bs) => {
    const b = new GraphBuilder('mm');
    const a = b.input('a', 'float32', as);
    b.output(b.matmul(a, randomTensor(bs, 2)), 'y');
    compareWithReference(b.build(), { a: randomTensor(as, 3) }, { expectUkernels: ['f32-gemm-'] });
  });

  it.each([
    ['2-d x 2-d', [5, 7], [7, 9]],
    ['batch x batch', [3, 4, 6], [3, 6, 5]],
    ['broadcast batch', [2, 1, 4, 6], [3, 6, 9]],
    ['matrix x batch', [4, 6], [2, 6, 3]],
  ] as [string, number[], number[]][])('both inputs computed: %s', (_n, as, bs) => {
    const b = new GraphBuilder('mm');
    const a = b.input('a', 'float32', as);
    const c = b.input('b', 'float32', bs);
    b.output(b.matmul(a, c, { activation: 'Relu' }), 'y');
    compareWithReference(b.build(), { a: randomTensor(as, 3), b: randomTensor(bs, 4) }, { expectUkernels: ['f32-gemm-'] });
  });
});
