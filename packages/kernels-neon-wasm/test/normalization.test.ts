/** Softmax, LogSoftmax, LayerNormalization and BatchNormalization against the reference. */
import { GraphBuilder, Tensor } from '@mo/ir';
import { describe, expect, it } from 'vitest';
import { compareWithReference, randomTensor } from './helpers.js';

describe('Softmax / LogSoftmax', () => {
  it.each([
    [[2, 10], -1],
    [[3, 1], -1],
    [[4, 7, 9], -1],
    [[5, 1001], 1],
    [[2, 6, 5], 1],
    [[3, 4, 7], 0],
    [[2, 3, 4, 5], 2],
  ] as [number[], number][])('shape %j axis %i', (shape, axis) => {
    for (const op of ['softmax', 'logSoftmax'] as const) {
      const b = new GraphBuilder('sm');
      const x = b.input('x', 'float32', shape);
      b.output(b[op](x, axis), 'y');
      const inner = shape.slice((axis + shape.length) % shape.length + 1).reduce((p, d) => p * d, 1);
      compareWithReference(b.build(), { x: randomTensor(shape, 3, -8, 8) }, { expectUkernels: [inner === 1 ? 'f32-softmax-simd128-rows' : 'f32-softmax-simd128-strided4'] });
    }
  });
  it('large inputs do not overflow', () => {
    const b = new GraphBuilder('sm');
    const x = b.input('x', 'float32', [2, 5]);
    b.output(b.softmax(x, -1), 'y');
    compareWithReference(b.build(), { x: new Tensor('float32', [2, 5], new Float32Array([1000, 999, 998, -1000, 0, 80, 85, 90, 88, 87])) });
  });
});

describe('LayerNormalization', () => {
  it.each([
    [[2, 16], -1, true],
    [[3, 5, 7], -1, true],
    [[3, 5, 7], -1, false],
    [[2, 3, 4, 5], -2, true],
    [[4, 1], -1, true],
    [[2, 768], -1, true],
  ] as [number[], number, boolean][])('shape %j axis %i bias %s', (shape, axis, bias) => {
    const b = new GraphBuilder('ln');
    const x = b.input('x', 'float32', shape);
    const norm = shape.slice((axis + shape.length) % shape.length);
    b.output(b.layerNorm(x, randomTensor(norm, 1), bias ? randomTensor(norm, 2) : undefined, { axis, epsilon: 1e-5 }), 'y');
    compareWithReference(b.build(), { x: randomTensor(shape, 3, -3, 5) }, { expectUkernels: ['f32-layernorm-simd128-8x'] });
  });
});

describe('BatchNormalization (inference)', () => {
  it.each([[[2, 5, 4, 3]], [[3, 7]], [[1, 9, 6, 6]]] as [number[]][])('shape %j', (shape) => {
    const c = shape[1];
    const b = new GraphBuilder('bn');
    const x = b.input('x', 'float32', shape);
    b.output(b.batchNorm(x, randomTensor([c], 1), randomTensor([c], 2), randomTensor([c], 3), randomTensor([c], 4, 0.5, 2), { epsilon: 1e-3 }), 'y');
    compareWithReference(b.build(), { x: randomTensor(shape, 5) }, { expectUkernels: ['f32-vaffinec-simd128-4c'] });
  });
});

describe('ReduceMean / ReduceSum', () => {
  it.each([
    [[2, 3, 4, 5], [2, 3], 1],
    [[2, 3, 4, 5], [2, 3], 0],
    [[2, 3, 4, 5], [1], 1],
    [[2, 3, 4, 5], [-1], 0],
    [[2, 3, 4, 5], [0, 1], 1],
    [[4, 7], undefined, 0],
    [[3, 1, 6], [1, 2], 1],
  ] as [number[], number[] | undefined, number][])('shape %j axes %j keepdims %i', (shape, axes, keepdims) => {
    for (const op of ['ReduceMean', 'ReduceSum']) {
      const b = new GraphBuilder('r');
      const x = b.input('x', 'float32', shape);
      b.output(b.op1(op, [x, axes ? b.ints(axes) : undefined], { keepdims }), 'y');
      compareWithReference(b.build(), { x: randomTensor(shape, 1) }, { expectUkernels: ['f32-gavgpool-'] });
    }
  });
  it('spatial mean of a channels-last value (TF-style global pooling) needs no conversion', () => {
    const b = new GraphBuilder('r');
    const x = b.input('x', 'float32', [2, 3, 8, 8]);
    const c = b.conv(x, randomTensor([16, 3, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] });
    b.output(b.reduceMean(c, [2, 3], false), 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([2, 3, 8, 8], 2) }, { expectUkernels: ['f32-gavgpool-simd128-nhwc4c'] });
    expect(s.kernels.filter((k) => k.kernel === 'wasm/layout')).toHaveLength(1);
  });
  it('non-contiguous axes fall back', () => {
    const b = new GraphBuilder('r');
    const x = b.input('x', 'float32', [2, 3, 4]);
    b.output(b.reduceSum(x, [0, 2], true), 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([2, 3, 4], 1) }, { allowFallback: ['ReduceSum'] });
    expect(s.fallbackOps[0].reason).toMatch(/contiguous block/);
  });
});
