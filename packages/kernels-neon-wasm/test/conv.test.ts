/** Conv through sessions (NCHW graphs run channels-last inside) against the reference interpreter. */
import { GraphBuilder } from '@mo/ir';
import { describe, it } from 'vitest';
import { compareWithReference, randomTensor } from './helpers.js';

interface Case {
  x: number[];
  w: number[];
  attrs?: Record<string, unknown>;
  bias?: boolean;
  ukernel: string;
}

function convCase(c: Case, seed: number) {
  const b = new GraphBuilder('conv');
  const x = b.input('x', 'float32', c.x);
  const y = b.conv(x, randomTensor(c.w, seed), c.bias === false ? undefined : randomTensor([c.w[0]], seed + 1), c.attrs as never);
  b.output(y, 'y');
  compareWithReference(b.build(), { x: randomTensor(c.x, seed + 2) }, { expectUkernels: [c.ukernel] });
}

const cases: [string, Case][] = [
  ['1x1 pointwise (GEMM on the pixel rows)', { x: [1, 16, 5, 7], w: [24, 16, 1, 1], ukernel: 'f32-gemm-simd128-4x8' }],
  ['1x1 pointwise, batch 3, no bias', { x: [3, 5, 4, 4], w: [7, 5, 1, 1], bias: false, ukernel: 'f32-gemm-' }],
  ['1x1 stride 2 (IGEMM)', { x: [1, 8, 7, 7], w: [8, 8, 1, 1], attrs: { strides: [2, 2] }, ukernel: 'f32-igemm-' }],
  ['3x3 pad 1', { x: [1, 3, 10, 10], w: [16, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] }, ukernel: 'f32-igemm-simd128-4x8' }],
  ['3x3 stride 2 SAME_UPPER, odd channels', { x: [2, 5, 9, 11], w: [13, 5, 3, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' }, ukernel: 'f32-igemm-' }],
  ['3x3 SAME_LOWER stride 2', { x: [1, 4, 8, 8], w: [6, 4, 3, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_LOWER' }, ukernel: 'f32-igemm-' }],
  ['5x5 VALID', { x: [1, 2, 9, 9], w: [3, 2, 5, 5], attrs: { auto_pad: 'VALID' }, ukernel: 'f32-igemm-' }],
  ['asymmetric pads, dilation 2', { x: [1, 3, 9, 8], w: [5, 3, 3, 3], attrs: { pads: [0, 2, 1, 1], dilations: [2, 2] }, ukernel: 'f32-igemm-' }],
  ['rectangular kernel 1x7', { x: [1, 4, 6, 12], w: [4, 4, 1, 7], attrs: { pads: [0, 3, 0, 3] }, ukernel: 'f32-igemm-' }],
  ['groups 2', { x: [1, 8, 6, 6], w: [10, 4, 3, 3], attrs: { group: 2, pads: [1, 1, 1, 1] }, ukernel: 'f32-igemm-' }],
  ['groups 4, 1x1', { x: [2, 8, 5, 5], w: [12, 2, 1, 1], attrs: { group: 4 }, ukernel: 'f32-igemm-' }],
  ['depthwise 3x3 stride 1', { x: [1, 32, 10, 10], w: [32, 1, 3, 3], attrs: { group: 32, pads: [1, 1, 1, 1] }, ukernel: 'f32-dwconv-simd128-9p8c' }],
  ['depthwise 3x3 stride 2, odd channels', { x: [2, 13, 11, 9], w: [13, 1, 3, 3], attrs: { group: 13, pads: [1, 1, 1, 1], strides: [2, 2] }, ukernel: 'f32-dwconv-simd128-9p8c' }],
  ['depthwise 3x3, 3 channels (4c tile)', { x: [1, 3, 8, 8], w: [3, 1, 3, 3], attrs: { group: 3, pads: [1, 1, 1, 1] }, ukernel: 'f32-dwconv-simd128-9p4c' }],
  ['depthwise 5x5 stride 1', { x: [1, 24, 9, 9], w: [24, 1, 5, 5], attrs: { group: 24, pads: [2, 2, 2, 2] }, ukernel: 'f32-dwconv-simd128-25p8c' }],
  ['depthwise 5x5 stride 2 SAME_UPPER', { x: [1, 20, 12, 12], w: [20, 1, 5, 5], attrs: { group: 20, strides: [2, 2], auto_pad: 'SAME_UPPER' }, ukernel: 'f32-dwconv-simd128-25p8c' }],
  ['depthwise 7x7 (looped taps)', { x: [1, 9, 10, 10], w: [9, 1, 7, 7], attrs: { group: 9, pads: [3, 3, 3, 3] }, ukernel: 'f32-dwconv-simd128-up8c' }],
  ['depthwise with multiplier 2 (grouped IGEMM)', { x: [1, 4, 6, 6], w: [8, 1, 3, 3], attrs: { group: 4, pads: [1, 1, 1, 1] }, ukernel: 'f32-igemm-' }],
  ['NHWC layout attribute', { x: [1, 7, 7, 6], w: [8, 6, 3, 3], attrs: { layout: 'NHWC', pads: [1, 1, 1, 1] }, ukernel: 'f32-igemm-' }],
  ['NHWC depthwise', { x: [1, 7, 7, 16], w: [16, 1, 3, 3], attrs: { layout: 'NHWC', group: 16, pads: [1, 1, 1, 1] }, ukernel: 'f32-dwconv-' }],
  ['1-d convolution', { x: [2, 4, 17], w: [6, 4, 3], attrs: { pads: [1, 1], strides: [2] }, ukernel: 'f32-igemm-' }],
];

describe('Conv', () => {
  it.each(cases)('%s', (_name, c) => convCase(c, cases.findIndex(([n]) => n === _name) * 10 + 1));

  it.each([
    ['Relu', []],
    ['Clip', [0, 6]],
    ['HardSwish', []],
    ['LeakyRelu', [0.2]],
    ['HardSigmoid', [0.3, 0.4]],
    ['Sigmoid', []],
    ['Tanh', []],
  ] as [string, number[]][])('fused %s', (activation, params) => {
    convCase({ x: [1, 6, 7, 7], w: [10, 6, 3, 3], attrs: { pads: [1, 1, 1, 1], activation, activation_params: params }, ukernel: 'f32-igemm-' }, 3);
    convCase({ x: [1, 12, 7, 7], w: [12, 1, 3, 3], attrs: { pads: [1, 1, 1, 1], group: 12, activation, activation_params: params }, ukernel: 'f32-dwconv-' }, 4);
    convCase({ x: [1, 12, 4, 4], w: [9, 12, 1, 1], attrs: { activation, activation_params: params }, ukernel: 'f32-gemm-' }, 5);
  });

  it('a chain of convolutions stays channels-last (one conversion in, one out)', () => {
    const b = new GraphBuilder('chain');
    const x = b.input('x', 'float32', [1, 8, 12, 12]);
    let h = b.conv(x, randomTensor([16, 8, 3, 3], 1), randomTensor([16], 2), { pads: [1, 1, 1, 1], activation: 'Relu' });
    h = b.conv(h, randomTensor([16, 1, 3, 3], 3), randomTensor([16], 4), { pads: [1, 1, 1, 1], group: 16, strides: [2, 2], activation: 'Clip', activation_params: [0, 6] });
    h = b.conv(h, randomTensor([24, 16, 1, 1], 5), randomTensor([24], 6));
    b.output(h, 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([1, 8, 12, 12], 7) });
    const conversions = s.kernels.filter((k) => k.kernel === 'wasm/layout');
    if (conversions.length !== 2) throw new Error(`expected 2 layout conversions, got ${JSON.stringify(s.kernels)}`);
  });
});
