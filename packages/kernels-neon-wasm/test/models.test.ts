/** Whole small models built with GraphBuilder: a session against the reference interpreter. */
import { GraphBuilder, type Value } from '@mo/ir';
import { describe, expect, it } from 'vitest';
import { compareWithReference, randomTensor } from './helpers.js';

let seed = 100;
const w = (shape: number[], scale = 0.3) => randomTensor(shape, ++seed, -scale, scale);

/** conv-bn-relu6, inverted residual blocks (expand 1x1, depthwise 3x3, project 1x1, residual add), pooling, classifier. */
function mobileNetLike(batch: number, size: number) {
  const b = new GraphBuilder('mobilenet-like');
  const x = b.input('image', 'float32', [batch, 3, size, size]);
  const convBnRelu6 = (v: Value, cin: number, cout: number, k: number, stride: number, group = 1) => {
    const c = b.conv(v, w([cout, cin / group, k, k]), undefined, { pads: [k >> 1, k >> 1, k >> 1, k >> 1], strides: [stride, stride], group });
    const bn = b.batchNorm(c, w([cout], 1), w([cout]), w([cout]), randomTensor([cout], ++seed, 0.5, 1.5));
    return b.clip(bn, 0, 6);
  };
  const block = (v: Value, cin: number, cout: number, stride: number, expand: number) => {
    const hidden = cin * expand;
    let h = convBnRelu6(v, cin, hidden, 1, 1);
    h = convBnRelu6(h, hidden, hidden, 3, stride, hidden);
    h = b.conv(h, w([cout, hidden, 1, 1]), w([cout]));
    return stride === 1 && cin === cout ? b.add(h, v) : h;
  };
  let h = convBnRelu6(x, 3, 8, 3, 2);
  h = block(h, 8, 8, 1, 1);
  h = block(h, 8, 12, 2, 4);
  h = block(h, 12, 12, 1, 4);
  h = block(h, 12, 16, 2, 4);
  h = b.maxPool(h, { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 });
  h = b.globalAveragePool(h);
  h = b.flatten(h, 1);
  h = b.gemm(h, w([16, 10]), w([10]));
  b.output(b.softmax(h, -1), 'probs');
  return b.build();
}

describe('whole models', () => {
  it('MobileNetV2-like CNN (NCHW graph run channels-last), batch 2', () => {
    const g = mobileNetLike(2, 32);
    const s = compareWithReference(g, { image: randomTensor([2, 3, 32, 32], 1) });
    // one conversion of the image into channels-last; the pooled [N, C, 1, 1] needs none
    expect(s.kernels.filter((k) => k.kernel === 'wasm/layout')).toHaveLength(1);
    // BatchNormalization folded into the convolutions and Clip fused into them (option fuse, default true)
    expect(s.kernels.filter((k) => k.op === 'BatchNormalization' || k.op === 'Clip')).toHaveLength(0);
    const apart = compareWithReference(g, { image: randomTensor([2, 3, 32, 32], 1) }, { fuse: false });
    expect(apart.kernels.filter((k) => k.op === 'BatchNormalization')).toHaveLength(9);
    expect(apart.kernels.filter((k) => k.op === 'Clip')).toHaveLength(9);
  });

  it('MLP with symbolic batch: re-plans when the batch changes', () => {
    const b = new GraphBuilder('mlp');
    const x = b.input('x', 'float32', ['batch', 20]);
    let h = b.gemm(x, w([20, 32]), w([32]), { activation: 'Relu' });
    h = b.gemm(h, w([32, 32]), w([32]), { activation: 'HardSwish' });
    h = b.gemm(h, w([32, 5]), w([5]));
    b.output(b.logSoftmax(h, -1), 'y');
    const g = b.build();
    for (const n of [1, 7, 4, 7]) compareWithReference(g, { x: randomTensor([n, 20], n) });
  });

  it('transformer encoder block (attention with computed MatMuls, LayerNorm, Gelu)', () => {
    const T = 9;
    const D = 16;
    const H = 2;
    const dh = D / H;
    const b = new GraphBuilder('encoder');
    const x = b.input('x', 'float32', [1, T, D]);
    const heads = (v: Value) => b.transpose(b.reshape(v, [1, T, H, dh]), [0, 2, 1, 3]); // [1, H, T, dh]
    const q = heads(b.add(b.matmul(x, w([D, D])), w([D])));
    const k = heads(b.add(b.matmul(x, w([D, D])), w([D])));
    const v = heads(b.add(b.matmul(x, w([D, D])), w([D])));
    const scores = b.mul(b.matmul(q, b.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(dh));
    const attn = b.matmul(b.softmax(scores, -1), v); // [1, H, T, dh]
    const merged = b.reshape(b.transpose(attn, [0, 2, 1, 3]), [1, T, D]);
    const proj = b.add(b.matmul(merged, w([D, D])), w([D]));
    const h1 = b.layerNorm(b.add(x, proj), w([D], 1), w([D]), { axis: -1 });
    const ff = b.matmul(b.gelu(b.add(b.matmul(h1, w([D, 4 * D])), w([4 * D]))), w([4 * D, D]));
    b.output(b.layerNorm(b.add(h1, ff), w([D], 1), w([D]), { axis: -1 }), 'y');
    compareWithReference(b.build(), { x: randomTensor([1, T, D], 2) });
  });

  it('NHWC model end to end (no layout conversions at all)', () => {
    const b = new GraphBuilder('nhwc');
    const x = b.input('x', 'float32', [1, 12, 12, 3]);
    let h = b.conv(x, w([8, 3, 3, 3]), w([8]), { layout: 'NHWC', pads: [1, 1, 1, 1], strides: [2, 2], activation: 'Relu' });
    h = b.conv(h, w([8, 1, 3, 3]), w([8]), { layout: 'NHWC', pads: [1, 1, 1, 1], group: 8, activation: 'Clip', activation_params: [0, 6] });
    h = b.averagePool(h, { kernel_shape: [2, 2], strides: [2, 2], layout: 'NHWC' });
    h = b.globalAveragePool(h, { layout: 'NHWC' });
    b.output(h, 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([1, 12, 12, 3], 3) });
    expect(s.kernels.filter((k) => k.kernel === 'wasm/layout')).toHaveLength(0);
  });
});
