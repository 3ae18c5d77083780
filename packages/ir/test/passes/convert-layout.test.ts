import { describe, expect, it } from 'vitest';
import { GraphBuilder, run, type Graph, type Tensor } from '../../src/index.js';
import { transposeTensor } from '../../src/passes/helpers.js';
import { cancelTransposes, convertLayout, optimize } from '../../src/passes/index.js';
import { TO_NCHW, TO_NHWC, apply, expectEqualGraphs, expectSameOutputs, expectTensorsClose, f32, opsOf, randomTensor } from './pass-helpers.js';

/** Runs `nchw` on x and `nhwc` on x transposed to NHWC; compares outputs (transposing 4-D ones when asked). */
function expectSameOnTransposedInput(nchw: Graph, nhwc: Graph, x: Tensor, outputsNhwc = false): void {
  const a = run(nchw, { x });
  const b = run(nhwc, { x: transposeTensor(x, TO_NHWC) });
  for (const o of nchw.outputs) {
    const got = outputsNhwc && b[o.name].rank === 4 ? transposeTensor(b[o.name], TO_NCHW) : b[o.name];
    expectTensorsClose(got, a[o.name], 1e-5, 1e-5, o.name);
  }
}

const W1 = f32([8, 3, 3, 3], (i) => Math.sin(i * 0.7) * 0.4);
const WDW = f32([8, 1, 3, 3], (i) => Math.cos(i * 0.3) * 0.5);
const W3 = f32([8, 8, 1, 1], (i) => Math.sin(i * 1.1) * 0.3);
const B = f32([8], (i) => i * 0.05 - 0.2);
const FC = f32([5, 8], (i) => Math.cos(i * 0.9));

/** Conv -> Clip -> depthwise Conv -> Clip -> Conv -> Add(residual) -> GlobalAveragePool -> Flatten -> Gemm. */
function mobileNetLike(batch: number | string = 1): Graph {
  const b = new GraphBuilder('mobilenet');
  const x = b.input('x', 'float32', [batch, 3, 8, 8]);
  const h1 = b.clip(b.conv(x, W1, B, { pads: [1, 1, 1, 1], strides: [2, 2] }), 0, 6);
  const h2 = b.clip(b.conv(h1, WDW, undefined, { pads: [1, 1, 1, 1], group: 8 }), 0, 6);
  const h3 = b.conv(h2, W3, B);
  const r = b.add(h3, h1);
  const pooled = b.globalAveragePool(r);
  b.output(b.gemm(b.flatten(pooled), FC, undefined, { transB: 1 }), 'logits');
  return b.build();
}

describe('convertLayout', () => {
  it('wraps a Conv in Transposes (no cancelling)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 3, 5, 5]);
    b.output(b.conv(x, W1, B, { pads: [1, 1, 1, 1] }), 'y');
    const g = b.build();
    const out = apply(g, convertLayout({ to: 'NHWC', cancel: false }));

    const e = new GraphBuilder('g');
    const ex = e.input('x', 'float32', [1, 3, 5, 5]);
    const c = e.conv(e.transpose(ex, TO_NHWC), W1, B, { pads: [1, 1, 1, 1], layout: 'NHWC' });
    e.output(e.transpose(c, TO_NCHW), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out);
  });

  it('converts pooling and Conv1d (general rank), and back to NCHW', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3, 6, 6]);
    const s = b.input('s', 'float32', [2, 3, 7]);
    b.output(b.maxPool(b.averagePool(x, { kernel_shape: [2, 2], strides: [2, 2] }), { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), 'y');
    b.output(b.conv(s, f32([4, 3, 3], (i) => i * 0.01)), 'z');
    const g = b.build();
    const nhwc = apply(g, convertLayout({ to: 'NHWC' }));
    expect(opsOf(nhwc)).toEqual(['Transpose', 'AveragePool', 'MaxPool', 'Transpose', 'Transpose', 'Conv', 'Transpose']);
    expect(nhwc.nodes.filter((n) => n.op !== 'Transpose').every((n) => n.attrs.layout === 'NHWC')).toBe(true);
    const conv = nhwc.nodes.find((n) => n.op === 'Conv')!;
    expect(nhwc.producerOf(conv.inputs[0])?.attrs.perm).toEqual([0, 2, 1]);
    expectSameOutputs(g, nhwc);

    const back = apply(nhwc, convertLayout({ to: 'NCHW' }));
    expect(opsOf(back)).toEqual(['AveragePool', 'MaxPool', 'Conv']);
    expectEqualGraphs(back, g);
  });

  it('with inputs NHWC, changes the interface and cancels the first Transpose pair', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 3, 5, 5]);
    b.output(b.relu(b.conv(x, W1, undefined, { pads: [1, 1, 1, 1] })), 'y');
    const g = b.build();
    const out = apply(g, convertLayout({ to: 'NHWC', inputs: 'NHWC' }));

    const e = new GraphBuilder('g');
    const ex = e.input('x', 'float32', ['n', 5, 5, 3]);
    const c = e.relu(e.conv(ex, W1, undefined, { pads: [1, 1, 1, 1], layout: 'NHWC' }));
    e.output(e.transpose(c, TO_NCHW), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOnTransposedInput(g, out, randomTensor([2, 3, 5, 5], 3));
  });

  it('with outputs NHWC too, leaves no Transpose in a conv stack', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 3, 5, 5]);
    b.output(b.maxPool(b.conv(x, W1), { kernel_shape: [2, 2] }), 'y');
    const g = b.build();
    const out = apply(g, convertLayout({ to: 'NHWC', inputs: 'NHWC', outputs: 'NHWC' }));
    expect(opsOf(out)).toEqual(['Conv', 'MaxPool']);
    expect(out.outputs[0].type.shape).toEqual([1, 2, 2, 8]);
    expectSameOnTransposedInput(g, out, randomTensor([1, 3, 5, 5], 4), true);
  });

  it('moves channel constants into NHWC: a [C,1,1] bias Add becomes [1,1,C]; ConvTranspose converts too', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 3, 5, 5]);
    const h = b.relu(b.add(b.conv(x, W1), f32([8, 1, 1], (i) => i * 0.1 - 0.4)));
    b.output(b.convTranspose(b.maxPool(h, { kernel_shape: [2, 2] }), f32([8, 2, 2, 2], (i) => Math.sin(i) * 0.2), undefined, { strides: [2, 2] }), 'y');
    const g = b.build();
    const out = apply(g, convertLayout({ to: 'NHWC', inputs: 'NHWC', outputs: 'NHWC' }));

    const e = new GraphBuilder('g');
    const ex = e.input('x', 'float32', [1, 5, 5, 3]);
    const eh = e.relu(e.add(e.conv(ex, W1, undefined, { layout: 'NHWC' }), f32([1, 1, 8], (i) => i * 0.1 - 0.4)));
    const pooled = e.maxPool(eh, { kernel_shape: [2, 2], layout: 'NHWC' });
    e.output(e.convTranspose(pooled, f32([8, 2, 2, 2], (i) => Math.sin(i) * 0.2), undefined, { strides: [2, 2], layout: 'NHWC' }), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOnTransposedInput(g, out, randomTensor([1, 3, 5, 5], 8), true);
  });

  it('MobileNet-like block in NHWC: no Transpose left, same outputs', () => {
    const g = mobileNetLike();
    const out = apply(g, convertLayout({ to: 'NHWC', inputs: 'NHWC' }));
    expect(opsOf(out).filter((o) => o === 'Transpose')).toEqual([]);
    expect(opsOf(out)).toEqual(['Conv', 'Clip', 'Conv', 'Clip', 'Conv', 'Add', 'GlobalAveragePool', 'Reshape', 'Flatten', 'Gemm']);
    expectSameOnTransposedInput(g, out, randomTensor([1, 3, 8, 8], 5));

    // Symbolic batch: the size-1 move before Flatten still becomes a Reshape (0 copies the batch).
    const gs = mobileNetLike('batch');
    const outs = apply(gs, convertLayout({ to: 'NHWC', inputs: 'NHWC' }));
    expect(opsOf(outs).filter((o) => o === 'Transpose')).toEqual([]);
    expectSameOnTransposedInput(gs, outs, randomTensor([3, 3, 8, 8], 6));

    // And with the default pipeline afterwards, the Clips fuse into the Convs.
    const opt = optimize(out);
    expect(opsOf(opt)).toEqual(['Conv', 'Conv', 'Conv', 'Add', 'GlobalAveragePool', 'Reshape', 'Flatten', 'Gemm']);
    expectSameOnTransposedInput(g, opt, randomTensor([1, 3, 8, 8], 7));
  });

  it('MobileNet-like block, interface kept: one Transpose at the input only', () => {
    const g = mobileNetLike();
    const out = apply(g, convertLayout({ to: 'NHWC' }));
    expect(opsOf(out).filter((o) => o === 'Transpose').length).toBe(1);
    expectSameOutputs(g, out);
  });

  it('leaves MaxPool with an Indices output, and returns the same graph when already converted', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const [y, idx] = b.op('MaxPool', [x], { kernel_shape: [2, 2] }, { outputs: 2 });
    b.output(y, 'y');
    b.output(idx, 'i');
    const g = b.build();
    expect(apply(g, convertLayout({ to: 'NHWC' }))).toBe(g);

    const b2 = new GraphBuilder('g');
    const x2 = b2.input('x', 'float32', [1, 4, 4, 2]);
    b2.output(b2.globalMaxPool(x2, { layout: 'NHWC' }), 'y');
    const g2 = b2.build();
    expect(apply(g2, convertLayout({ to: 'NHWC' }))).toBe(g2);
  });

  it('cancelTransposes is idempotent on the converted graph', () => {
    const out = apply(mobileNetLike(), convertLayout({ to: 'NHWC', inputs: 'NHWC' }));
    expect(apply(out, cancelTransposes)).toBe(out);
  });
});
