/** Pooling through sessions against the reference interpreter. */
import { GraphBuilder, type Value } from '@mo/ir';
import { describe, it } from 'vitest';
import { compareWithReference, randomTensor } from './helpers.js';

function poolCase(shape: number[], make: (b: GraphBuilder, x: Value) => Value, ukernel: string, seed = 1) {
  const b = new GraphBuilder('pool');
  const x = b.input('x', 'float32', shape);
  b.output(make(b, x), 'y');
  compareWithReference(b.build(), { x: randomTensor(shape, seed) }, { expectUkernels: [ukernel] });
}

describe('MaxPool', () => {
  it.each([
    ['2x2 stride 2', [1, 8, 8, 8], { kernel_shape: [2, 2], strides: [2, 2] }],
    ['3x3 stride 2 pad 1, odd channels, batch 2', [2, 5, 9, 9], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    ['3x3 stride 1 SAME_UPPER', [1, 3, 7, 6], { kernel_shape: [3, 3], auto_pad: 'SAME_UPPER' }],
    ['ceil mode', [1, 6, 8, 8], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
    ['dilation 2', [1, 4, 9, 9], { kernel_shape: [2, 2], dilations: [2, 2] }],
    ['NHWC', [1, 8, 8, 7], { kernel_shape: [2, 2], strides: [2, 2], layout: 'NHWC' }],
    ['1-d', [2, 3, 10], { kernel_shape: [3], strides: [2], pads: [1, 1] }],
  ] as [string, number[], Record<string, unknown>][])('%s', (_n, shape, attrs) => {
    poolCase(shape, (b, x) => b.maxPool(x, attrs as never), 'f32-maxpool-simd128-4c');
  });

  it('NaN inputs are skipped like the reference does', () => {
    const b = new GraphBuilder('pool');
    const x = b.input('x', 'float32', [1, 4, 4, 4]);
    b.output(b.maxPool(x, { kernel_shape: [2, 2], strides: [2, 2] }), 'y');
    const t = randomTensor([1, 4, 4, 4], 3);
    const d = t.data as Float32Array;
    d[0] = NaN; // one NaN in a window
    for (const i of [2, 3, 6, 7]) d[16 + i] = NaN; // a window of only NaN (channel 1)
    compareWithReference(b.build(), { x: t });
  });
});

describe('AveragePool', () => {
  it.each([
    ['2x2 stride 2', [1, 8, 8, 8], { kernel_shape: [2, 2], strides: [2, 2] }],
    ['3x3 pad 1, padding not counted', [2, 5, 7, 7], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }],
    ['3x3 pad 1, count_include_pad', [1, 6, 7, 7], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }],
    ['ceil mode with count_include_pad', [1, 3, 8, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }],
    ['SAME_LOWER stride 2', [1, 4, 7, 9], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' }],
    ['NHWC', [1, 6, 6, 5], { kernel_shape: [3, 3], layout: 'NHWC' }],
  ] as [string, number[], Record<string, unknown>][])('%s', (_n, shape, attrs) => {
    poolCase(shape, (b, x) => b.averagePool(x, attrs as never), 'f32-avgpool-simd128-4c');
  });
});

describe('global pooling', () => {
  it('GlobalAveragePool on an NCHW input (row sums)', () => poolCase([2, 7, 5, 6], (b, x) => b.globalAveragePool(x), 'f32-gavgpool-simd128-nchw8x'));
  it('GlobalAveragePool after a conv (channels-last column sums)', () =>
    poolCase([1, 3, 6, 6], (b, x) => b.globalAveragePool(b.conv(x, randomTensor([13, 3, 3, 3], 2), undefined, { pads: [1, 1, 1, 1] })), 'f32-gavgpool-simd128-nhwc4c'));
  it('GlobalAveragePool NHWC', () => poolCase([2, 4, 5, 9], (b, x) => b.globalAveragePool(x, { layout: 'NHWC' }), 'f32-gavgpool-simd128-nhwc4c'));
  it('GlobalMaxPool', () => poolCase([2, 6, 5, 5], (b, x) => b.globalMaxPool(x), 'f32-maxpool-simd128-4c'));
});
