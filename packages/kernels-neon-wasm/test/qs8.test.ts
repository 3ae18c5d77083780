/**
 * int8 kernels against the @mo/ir reference interpreter, bit for bit: QLinearConv (pointwise GEMM,
 * im2col GEMM, depthwise), QGemm, QLinearMatMul, QLinearAdd, QLinearGlobalAveragePool,
 * QuantizeLinear and DequantizeLinear, at sizes around the tiles (MR 1..4 rows, 4 columns, 8 k per
 * step, 8 depthwise channels), both requantization rules, fused Relu / Clip, nonzero zero points.
 */
import { GraphBuilder, Tensor, run, type Graph, type RequantMode } from '@mo/ir';
import { describe, expect, it } from 'vitest';
import { createSessionSync, type SessionOptions } from '../src/index.js';
import { threadsAvailable } from '../src/runtime/module.js';
import { QS8_GEMM_VARIANTS } from '../src/microkernels/variants.js';
import { rng } from './helpers.js';

function ints(dtype: 'int8' | 'int32', shape: readonly number[], seed: number, lo: number, hi: number): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'int8' ? new Int8Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + Math.floor(r() * (hi - lo + 1));
  return new Tensor(dtype, shape, data as never);
}
const f32 = (v: number | number[]) => (Array.isArray(v) ? new Tensor('float32', [v.length], Float32Array.from(v)) : new Tensor('float32', [], Float32Array.of(v)));
const i8 = (v: number | number[]) => (Array.isArray(v) ? new Tensor('int8', [v.length], Int8Array.from(v)) : new Tensor('int8', [], Int8Array.of(v)));

/** Runs graph on the reference and a session; every output must be identical; returns the session's ukernels. */
function exact(graph: Graph, feeds: Record<string, Tensor>, options: SessionOptions = {}): string[] {
  const expected = run(graph, feeds);
  const session = createSessionSync(graph, options);
  const actual = session.runSync(feeds);
  expect(session.fallbackOps).toEqual([]);
  for (const name of Object.keys(expected)) {
    expect(actual[name].dtype).toBe(expected[name].dtype);
    expect(actual[name].shape).toEqual(expected[name].shape);
    expect(Array.from(actual[name].data as ArrayLike<number>)).toEqual(Array.from(expected[name].data as ArrayLike<number>));
  }
  const again = session.runSync(feeds);
  for (const name of Object.keys(expected)) expect(Array.from(again[name].data as ArrayLike<number>)).toEqual(Array.from(actual[name].data as ArrayLike<number>));
  const ukernels = session.kernels.map((k) => k.ukernel ?? '');
  session.dispose();
  return ukernels;
}

interface ConvCase {
  x: number[];
  w: number[];
  attrs?: Record<string, unknown>;
  mode?: RequantMode;
  /** Output spread: larger values saturate more. */
  spread?: number;
  xZero?: number;
  wZero?: number;
  bias?: boolean;
  ukernel: string;
}

function convGraph(c: ConvCase, seed: number): { graph: Graph; x: Tensor } {
  const b = new GraphBuilder('qconv');
  const x = b.input('x', 'int8', c.x);
  const m = c.w[0];
  const k = c.w.slice(1).reduce((p, q) => p * q, 1);
  const r = rng(seed);
  const xs = 0.02;
  const ws = Array.from({ length: m }, () => 0.002 + 0.01 * r());
  // y_scale so that outputs spread over about +-spread quantization steps
  const ys = (xs * 0.006 * Math.sqrt(k) * 74 * 73) / (c.spread ?? 40);
  const wz = c.wZero ?? 0;
  const y = b.qlinearConv(
    {
      x,
      xScale: f32(xs),
      xZeroPoint: i8(c.xZero ?? -5),
      w: ints('int8', c.w, seed + 1, -127 + Math.max(0, wz), 127 + Math.min(0, wz)),
      wScale: f32(ws),
      wZeroPoint: i8(new Array(m).fill(wz)),
      yScale: f32(ys),
      yZeroPoint: i8(3),
      bias: c.bias === false ? undefined : ints('int32', [m], seed + 2, -3000, 3000),
    },
    { requant: c.mode ?? 'float', ...c.attrs },
  );
  b.output(y, 'y');
  return { graph: b.build(), x: ints('int8', c.x, seed + 3, -128, 127) };
}

function convCase(c: ConvCase, seed: number) {
  const { graph, x } = convGraph(c, seed);
  const uk = exact(graph, { x });
  expect(uk.some((u) => u.includes(c.ukernel)), `${c.ukernel} not in ${uk.join(', ')}`).toBe(true);
}

const modes: RequantMode[] = ['float', 'fixed-point'];

describe('QLinearConv (qs8)', () => {
  // pointwise: pixel rows around MR (1..4), columns around NR = 4, K around 8
  const pointwise: [number, number, number][] = [];
  for (const pixels of [1, 2, 3, 4, 5, 7]) for (const [cin, cout] of [[1, 1], [7, 3], [8, 4], [9, 5], [16, 8], [17, 13]]) pointwise.push([pixels, cin, cout]);
  it.each(modes)('1x1 pointwise at tile boundaries (%s)', (mode) => {
    pointwise.forEach(([pixels, cin, cout], i) => convCase({ x: [1, cin, 1, pixels], w: [cout, cin, 1, 1], mode, ukernel: cin === 1 && cout === 1 ? 'qs8-dwconv-' : 'qs8-gemm-simd128-' }, 100 + i)); // 1 channel in and out is depthwise
  });

  const cases: [string, ConvCase][] = [
    ['3x3 stride 2 pad 1, 3 channels (im2col)', { x: [1, 3, 11, 9], w: [16, 3, 3, 3], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] }, ukernel: 'x8-im2col' }],
    ['3x3 SAME_UPPER, odd channels, batch 2', { x: [2, 5, 7, 6], w: [13, 5, 3, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 1] }, ukernel: 'x8-im2col' }],
    ['1x1 stride 2 (im2col)', { x: [1, 8, 7, 7], w: [6, 8, 1, 1], attrs: { strides: [2, 2] }, ukernel: 'x8-im2col' }],
    ['groups 2, dilation 2', { x: [1, 8, 9, 9], w: [10, 4, 3, 3], attrs: { group: 2, pads: [2, 2, 2, 2], dilations: [2, 2] }, ukernel: 'x8-im2col' }],
    ['1x1, batch 3, no bias, Relu', { x: [3, 12, 3, 5], w: [9, 12, 1, 1], bias: false, attrs: { activation: 'Relu' }, ukernel: 'qs8-gemm-simd128-' }],
    ['1x1 Clip [0, 6] (ReLU6)', { x: [1, 24, 6, 6], w: [40, 24, 1, 1], attrs: { activation: 'Clip', activation_params: [0, 6] }, spread: 200, ukernel: 'qs8-gemm-' }],
    ['nonzero weight zero point', { x: [1, 10, 4, 4], w: [7, 10, 3, 3], wZero: 3, attrs: { pads: [1, 1, 1, 1] }, ukernel: 'x8-im2col' }],
    ['depthwise 3x3 stride 1, 16 channels', { x: [1, 16, 8, 8], w: [16, 1, 3, 3], attrs: { group: 16, pads: [1, 1, 1, 1] }, ukernel: 'qs8-dwconv-simd128-9p8c' }],
    ['depthwise 3x3 stride 2, 13 channels, batch 2', { x: [2, 13, 9, 7], w: [13, 1, 3, 3], attrs: { group: 13, pads: [1, 1, 1, 1], strides: [2, 2] }, ukernel: 'qs8-dwconv-simd128-9p8c' }],
    ['depthwise 3x3, 1 channel', { x: [1, 1, 5, 5], w: [1, 1, 3, 3], attrs: { group: 1, pads: [1, 1, 1, 1] }, ukernel: 'qs8-dwconv-' }],
    ['depthwise 3x3, 7 and 9 channels, Clip', { x: [1, 9, 6, 6], w: [9, 1, 3, 3], attrs: { group: 9, pads: [0, 1, 1, 0], activation: 'Clip', activation_params: [0, 6] }, ukernel: 'qs8-dwconv-simd128-9p8c' }],
    ['depthwise 5x5 SAME_LOWER stride 2', { x: [1, 20, 10, 10], w: [20, 1, 5, 5], attrs: { group: 20, auto_pad: 'SAME_LOWER', strides: [2, 2] }, ukernel: 'qs8-dwconv-simd128-25p8c' }],
    ['depthwise 7x7 (looped taps)', { x: [1, 12, 9, 9], w: [12, 1, 7, 7], attrs: { group: 12, pads: [3, 3, 3, 3] }, ukernel: 'qs8-dwconv-simd128-up8c' }],
    ['NHWC layout attribute', { x: [1, 6, 7, 8], w: [5, 8, 3, 3], attrs: { layout: 'NHWC', pads: [1, 1, 1, 1] }, ukernel: 'x8-im2col' }],
    ['NHWC depthwise', { x: [1, 6, 6, 16], w: [16, 1, 3, 3], attrs: { layout: 'NHWC', group: 16, pads: [1, 1, 1, 1] }, ukernel: 'qs8-dwconv-' }],
    ['1-d convolution', { x: [2, 4, 17], w: [6, 4, 3], attrs: { pads: [1, 1], strides: [2] }, ukernel: 'x8-im2col' }],
    ['saturating outputs', { x: [1, 32, 5, 5], w: [12, 32, 1, 1], spread: 2000, ukernel: 'qs8-gemm-' }],
    ['multipliers above 1 (fixed-point left shift)', { x: [1, 2, 3, 3], w: [8, 2, 1, 1], spread: 40000, xZero: 0, ukernel: 'qs8-gemm-' }],
  ];
  for (const mode of modes) {
    it.each(cases)(`%s (${mode})`, (name, c) => convCase({ ...c, mode }, cases.findIndex(([n]) => n === name) * 10 + 7));
  }

  it('every qs8-gemm tile gives the same bits', () => {
    // the default tile plus the tiles that small row counts select
    const seen = new Set<string>();
    for (const pixels of [1, 2, 3, 4, 9]) {
      const { graph, x } = convGraph({ x: [1, 11, 1, pixels], w: [6, 11, 1, 1], ukernel: '' }, pixels);
      for (const u of exact(graph, { x })) if (u.startsWith('qs8-gemm')) seen.add(u);
    }
    expect([...seen].sort()).toEqual(QS8_GEMM_VARIANTS.map((v) => v.name).sort());
  });

  it('ties round half to even (float) and half away from zero (fixed-point)', () => {
    for (const mode of modes) {
      const b = new GraphBuilder('ties');
      const x = b.input('x', 'int8', [1, 1, 1, 64]);
      // multiplier 0.5 exactly: odd accumulators land on ties
      const y = b.qlinearConv({ x, xScale: f32(0.5), xZeroPoint: i8(0), w: new Tensor('int8', [1, 1, 1, 1], Int8Array.of(1)), wScale: f32(0.25), wZeroPoint: i8(0), yScale: f32(0.25), yZeroPoint: i8(0) }, { requant: mode });
      b.output(y, 'y');
      const xv = new Tensor('int8', [1, 1, 1, 64], Int8Array.from({ length: 64 }, (_, i) => i * 4 - 128));
      exact(b.build(), { x: xv });
    }
  });
});

describe('QGemm / QLinearMatMul (qs8)', () => {
  it.each([[1, 16, 10], [2, 9, 5], [3, 8, 4], [4, 17, 13], [7, 33, 21]])('QGemm %i x %i x %i, transB, per-column b scale', (m, k, n) => {
    const b = new GraphBuilder('qgemm');
    const a = b.input('a', 'int8', [m, k]);
    const r = rng(m * 100 + k);
    const sb = Array.from({ length: n }, () => 0.002 + 0.01 * r());
    const y = b.op1('QGemm', [a, f32(0.03), i8(-7), ints('int8', [n, k], k, -127, 127), f32(sb), i8(new Array(n).fill(0)), ints('int32', [n], n, -2000, 2000), f32(0.006 * Math.sqrt(k) * 0.03 * 74 * 73 / 40), i8(-2)], { transB: 1, alpha: 1 });
    b.output(y, 'y');
    const uk = exact(b.build(), { a: ints('int8', [m, k], 5, -128, 127) });
    expect(uk.some((u) => u.startsWith('qs8-gemm-'))).toBe(true);
  });

  it.each(modes)('QLinearMatMul [2, 3, 19] x [19, 6] (%s)', (mode) => {
    const b = new GraphBuilder('qmatmul');
    const a = b.input('a', 'int8', [2, 3, 19]);
    const y = b.qlinearMatMul({ a, aScale: f32(0.02), aZeroPoint: i8(4), b: ints('int8', [19, 6], 3, -127, 127), bScale: f32([0.01, 0.02, 0.005, 0.008, 0.011, 0.003]), bZeroPoint: i8([0, 0, 0, 0, 0, 0]), yScale: f32(0.4), yZeroPoint: i8(1) }, { requant: mode });
    b.output(y, 'y');
    exact(b.build(), { a: ints('int8', [2, 3, 19], 9, -128, 127) });
  });
});

describe('QLinearAdd, QLinearGlobalAveragePool, QuantizeLinear, DequantizeLinear (qs8)', () => {
  it.each([[1, 8, 3, 3], [2, 13, 5, 4], [1, 1, 1, 7]])('QLinearAdd %j', (...shape) => {
    const b = new GraphBuilder('qadd');
    const x = b.input('x', 'int8', shape);
    const z = b.input('z', 'int8', shape);
    const y = b.op1('QLinearAdd', [x, f32(0.031), i8(-3), z, f32(0.017), i8(9), f32(0.043), i8(2)]);
    b.output(y, 'y');
    exact(b.build(), { x: ints('int8', shape, 1, -128, 127), z: ints('int8', shape, 2, -128, 127) });
  });

  it.each([[1, 16, 7, 7], [2, 13, 3, 5], [1, 1280, 2, 2]])('QLinearGlobalAveragePool %j', (...shape) => {
    const b = new GraphBuilder('qgap');
    const x = b.input('x', 'int8', shape);
    const y = b.op1('QLinearGlobalAveragePool', [x, f32(0.07), i8(-11), f32(0.05), i8(4)]);
    b.output(y, 'y');
    exact(b.build(), { x: ints('int8', shape, 3, -128, 127) });
  });

  it('QuantizeLinear -> QLinearConv -> DequantizeLinear from a float32 NCHW image, with NaN and ties', () => {
    const b = new GraphBuilder('qdq');
    const x = b.input('x', 'float32', [2, 3, 5, 5]);
    const q = b.quantizeLinear(x, f32(0.25), i8(-1));
    const c = b.qlinearConv({ x: q, xScale: f32(0.25), xZeroPoint: i8(-1), w: ints('int8', [4, 3, 3, 3], 1, -127, 127), wScale: f32(0.01), wZeroPoint: i8(0), yScale: f32(0.3), yZeroPoint: i8(0) }, { pads: [1, 1, 1, 1] });
    b.output(b.dequantizeLinear(c, f32(0.3), i8(0)), 'y');
    b.output(b.dequantizeLinear(q, f32(0.25), i8(-1)), 'xq');
    const r = rng(4);
    const data = Float32Array.from({ length: 150 }, () => (r() - 0.5) * 80);
    data[0] = NaN;
    data[1] = 0.125; // x / scale = 0.5: a tie
    data[2] = -0.375;
    data[3] = Infinity;
    exact(b.build(), { x: new Tensor('float32', [2, 3, 5, 5], data) });
  });
});

describe.runIf(threadsAvailable())('qs8 with worker threads', () => {
  it('im2col GEMM, depthwise and pointwise split between 2 threads give the reference bits', () => {
    const b = new GraphBuilder('qcnn');
    const x = b.input('x', 'int8', [1, 24, 40, 40]);
    const params = (m: number, seed: number) => ({ xScale: f32(0.02), xZeroPoint: i8(-4), wScale: f32(Array.from({ length: m }, (_, i) => 0.002 + 0.0003 * ((i * 7 + seed) % 11))), wZeroPoint: i8(new Array(m).fill(0)), yScale: f32(0.3), yZeroPoint: i8(-4) });
    let h = b.qlinearConv({ x, ...params(32, 1), w: ints('int8', [32, 24, 3, 3], 1, -127, 127), bias: ints('int32', [32], 2, -500, 500) }, { pads: [1, 1, 1, 1], activation: 'Relu' });
    h = b.qlinearConv({ x: h, ...params(32, 2), w: ints('int8', [32, 1, 3, 3], 3, -127, 127) }, { pads: [1, 1, 1, 1], group: 32, requant: 'fixed-point' });
    h = b.qlinearConv({ x: h, ...params(48, 3), w: ints('int8', [48, 32, 1, 1], 4, -127, 127) }, {});
    b.output(h, 'y');
    const uk = exact(b.build(), { x: ints('int8', [1, 24, 40, 40], 5, -128, 127) }, { threads: 2 });
    expect(uk.filter((u) => u.startsWith('qs8-') || u.startsWith('x8-im2col'))).toHaveLength(3);
  });
});
