import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributeError, DTypeError, ShapeError, tensor, type DType, type Tensor, type TensorType } from '../../src/index.js';
import { expectClose, inferTypes, iota, macsOf, prod, randomValues, ravel, rng, runOp, runOp1, toNHWC, unravel } from '../helpers.js';

// ---------------------------------------------------------------------------------------------
// Test-local references (written independently of the implementation).

type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/** Output size and begin padding per axis, straight from the ONNX formulas. */
function refGeometry(inSp: number[], k: number[], s: number[], d: number[], pads: number[], autoPad: AutoPad): { out: number[]; pb: number[] } {
  const r = inSp.length;
  const out: number[] = [];
  const pb: number[] = [];
  for (let a = 0; a < r; a++) {
    const ek = (k[a] - 1) * d[a] + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const o = Math.ceil(inSp[a] / s[a]);
      const total = Math.max(0, (o - 1) * s[a] + ek - inSp[a]);
      out.push(o);
      pb.push(autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2));
    } else if (autoPad === 'VALID') {
      out.push(Math.floor((inSp[a] - ek) / s[a]) + 1);
      pb.push(0);
    } else {
      out.push(Math.floor((inSp[a] + pads[a] + pads[a + r] - ek) / s[a]) + 1);
      pb.push(pads[a]);
    }
  }
  return { out, pb };
}

interface RefConv {
  x: number[];
  xShape: number[];
  w: number[];
  wShape: number[];
  b?: number[];
  group: number;
  strides: number[];
  dilations: number[];
  pads: number[];
  autoPad: AutoPad;
}

/** Convolution as im2col (a [C/group * K, outSize] matrix per image and group) times W (GEMM). */
function im2colConv(p: RefConv): { y: number[]; shape: number[] } {
  const [n, , ...inSp] = p.xShape;
  const [m, cg, ...k] = p.wShape;
  const { out, pb } = refGeometry(inSp, k, p.strides, p.dilations, p.pads, p.autoPad);
  const g = p.group;
  const mg = m / g;
  const kSize = prod(k);
  const outSize = prod(out);
  const y = new Array<number>(n * m * outSize).fill(0);
  for (let b = 0; b < n; b++) {
    for (let gi = 0; gi < g; gi++) {
      // im2col
      const cols: number[][] = [];
      for (let cc = 0; cc < cg; cc++) {
        for (let kk = 0; kk < kSize; kk++) {
          const kIdx = unravel(kk, k);
          const row: number[] = [];
          for (let o = 0; o < outSize; o++) {
            const oIdx = unravel(o, out);
            const pos = oIdx.map((v, a) => v * p.strides[a] - pb[a] + kIdx[a] * p.dilations[a]);
            const inside = pos.every((v, a) => v >= 0 && v < inSp[a]);
            row.push(inside ? p.x[ravel([b, gi * cg + cc, ...pos], p.xShape)] : 0);
          }
          cols.push(row);
        }
      }
      // GEMM: [mg, cg*K] x [cg*K, outSize]
      for (let mm = 0; mm < mg; mm++) {
        const oc = gi * mg + mm;
        for (let o = 0; o < outSize; o++) {
          let acc = 0;
          for (let r = 0; r < cg * kSize; r++) acc += p.w[oc * cg * kSize + r] * cols[r][o];
          y[(b * m + oc) * outSize + o] = acc + (p.b ? p.b[oc] : 0);
        }
      }
    }
  }
  return { y, shape: [n, m, ...out] };
}

/** [N, C, ...S] -> [N, ...S, C]. */
function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function rhe(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function randInts(n: number, seed: number, lo: number, hi: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
}

// ---------------------------------------------------------------------------------------------

describe('Conv: hand-worked cases', () => {
  const x5 = tensor('float32', iota(25), [1, 1, 5, 5]);
  const ones3 = tensor('float32', new Array(9).fill(1), [1, 1, 3, 3]);

  it('2-D without padding', () => {
    const x = tensor('float32', iota(9), [1, 1, 3, 3]);
    const w = tensor('float32', [1, 1, 1, 1], [1, 1, 2, 2]);
    expectClose(runOp1('Conv', [x, w]), [8, 12, 20, 24], { shape: [1, 1, 2, 2] });
    expectClose(runOp1('Conv', [x5, ones3]), [54, 63, 72, 99, 108, 117, 144, 153, 162], { shape: [1, 1, 3, 3] });
  });

  it('2-D with pads and strides', () => {
    expectClose(runOp1('Conv', [x5, ones3], { pads: [1, 1, 1, 1] }), [12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84], { shape: [1, 1, 5, 5] });
    expectClose(runOp1('Conv', [x5, ones3], { pads: [1, 1, 1, 1], strides: [2, 2] }), [12, 27, 24, 63, 108, 81, 72, 117, 84], { shape: [1, 1, 3, 3] });
    // Asymmetric pads and strides (ONNX conv_with_strides_and_asymmetric_padding, 7x5 input).
    const x7 = tensor('float32', iota(35), [1, 1, 7, 5]);
    expectClose(runOp1('Conv', [x7, ones3], { pads: [1, 0, 1, 0], strides: [2, 2] }), [21, 33, 99, 117, 189, 207, 171, 183], { shape: [1, 1, 4, 2] });
  });

  it('kernel_shape attribute, bias and several channels', () => {
    const x = tensor('float32', [1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
    const w = tensor('float32', [1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2]);
    const b = tensor('float32', [0.5, -1]);
    expectClose(runOp1('Conv', [x, w, b], { kernel_shape: [2, 2] }), [41.5, 109], { shape: [1, 2, 1, 1] });
  });

  it('1-D with dilation and 3-D', () => {
    const x = tensor('float32', [1, 2, 4, 8, 16], [1, 1, 5]);
    const w = tensor('float32', [1, -1], [1, 1, 2]);
    expectClose(runOp1('Conv', [x, w], { dilations: [2] }), [-3, -6, -12], { shape: [1, 1, 3] });
    const x3 = tensor('float32', iota(8), [1, 1, 2, 2, 2]);
    const w3 = tensor('float32', new Array(8).fill(1), [1, 1, 2, 2, 2]);
    expectClose(runOp1('Conv', [x3, w3]), [28], { shape: [1, 1, 1, 1, 1] });
  });

  it('auto_pad SAME_UPPER, SAME_LOWER and VALID', () => {
    const x = tensor('float32', [1, 2, 3, 4], [1, 1, 4]);
    const w = tensor('float32', [1, 1], [1, 1, 2]);
    expectClose(runOp1('Conv', [x, w], { auto_pad: 'SAME_UPPER' }), [3, 5, 7, 4]);
    expectClose(runOp1('Conv', [x, w], { auto_pad: 'SAME_LOWER' }), [1, 3, 5, 7]);
    expectClose(runOp1('Conv', [x, w], { auto_pad: 'VALID', pads: [5, 5] }), [3, 5, 7], { shape: [1, 1, 3] });
    // ONNX conv_with_autopad_same: 5x5, 3x3 kernel, stride 2 -> 3x3 with pads 1/1.
    expectClose(runOp1('Conv', [x5, ones3], { auto_pad: 'SAME_LOWER', strides: [2, 2] }), [12, 27, 24, 63, 108, 81, 72, 117, 84]);
    // ceil(5 / 2) = 3 with total padding 1: SAME_UPPER pads the end.
    const w2 = tensor('float32', [1, 1, 1, 1], [1, 1, 2, 2]);
    expectClose(runOp1('Conv', [x5, w2], { auto_pad: 'SAME_UPPER', strides: [2, 2] }), [12, 20, 13, 52, 60, 33, 41, 45, 24]);
    expectClose(runOp1('Conv', [x5, w2], { auto_pad: 'SAME_LOWER', strides: [2, 2] }), [0, 3, 7, 15, 36, 44, 35, 76, 84]);
  });

  it('group 2 and depthwise by hand', () => {
    const x = tensor('float32', [1, 2, 3, 10, 20, 30], [1, 2, 3]);
    const w = tensor('float32', [1, 1, 2, -1], [2, 1, 2]);
    expectClose(runOp1('Conv', [x, w], { group: 2 }), [3, 5, 0, 10], { shape: [1, 2, 2] });
  });

  it('empty batch', () => {
    const x = tensor('float32', [], [0, 2, 4, 4]);
    const w = tensor('float32', randomValues(2 * 2 * 9, 1), [2, 2, 3, 3]);
    expect(runOp1('Conv', [x, w]).shape).toEqual([0, 2, 2, 2]);
  });
});

// ---------------------------------------------------------------------------------------------

const arbConv = fc.record({
  rank: fc.integer({ min: 1, max: 3 }),
  n: fc.integer({ min: 1, max: 2 }),
  group: fc.integer({ min: 1, max: 3 }),
  cg: fc.integer({ min: 1, max: 2 }),
  mg: fc.integer({ min: 1, max: 2 }),
  k: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
  s: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
  d: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 3, maxLength: 3 }),
  pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 6, maxLength: 6 }),
  extra: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
  autoPad: fc.constantFrom<AutoPad>('NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
  bias: fc.boolean(),
  kernelAttr: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

type ConvCase = ReturnType<typeof buildCase>;

type ConvCfg = typeof arbConv extends fc.Arbitrary<infer T> ? T : never;

function buildCase(cfg: ConvCfg) {
  const r = cfg.rank;
  const k = cfg.k.slice(0, r);
  const s = cfg.s.slice(0, r);
  const d = cfg.d.slice(0, r);
  const pads = [...cfg.pads.slice(0, r), ...cfg.pads.slice(3, 3 + r)];
  const inSp = k.map((kk, a) => {
    const ek = (kk - 1) * d[a] + 1;
    let v = Math.max(1, ek - 1 + cfg.extra[a]);
    if (cfg.autoPad === 'VALID') v = Math.max(v, ek);
    if (cfg.autoPad === 'NOTSET' && v + pads[a] + pads[a + r] < ek) v = ek;
    return v;
  });
  const c = cfg.cg * cfg.group;
  const m = cfg.mg * cfg.group;
  const xShape = [cfg.n, c, ...inSp];
  const wShape = [m, cfg.cg, ...k];
  const x = randomValues(prod(xShape), cfg.seed);
  const w = randomValues(prod(wShape), cfg.seed + 1);
  const b = cfg.bias ? randomValues(m, cfg.seed + 2) : undefined;
  const attrs: Record<string, number | string | number[]> = { group: cfg.group, strides: s, dilations: d, auto_pad: cfg.autoPad };
  if (cfg.autoPad === 'NOTSET') attrs.pads = pads;
  if (cfg.kernelAttr) attrs.kernel_shape = k;
  return { x, w, b, xShape, wShape, attrs, k, s, d, pads, inSp, group: cfg.group, autoPad: cfg.autoPad as AutoPad };
}

function convInputs(cs: ConvCase, dtype: DType): Tensor[] {
  const ins = [tensor(dtype, cs.x, cs.xShape), tensor(dtype, cs.w, cs.wShape)];
  if (cs.b) ins.push(tensor(dtype, cs.b, [cs.b.length]));
  return ins;
}

describe('Conv: random cases against im2col x GEMM', () => {
  it('float64: 1-D/2-D/3-D, groups, strides, dilations, pads and auto_pad', () => {
    fc.assert(
      fc.property(arbConv, (cfg) => {
        const cs = buildCase(cfg);
        const ref = im2colConv({ x: cs.x, xShape: cs.xShape, w: cs.w, wShape: cs.wShape, b: cs.b, group: cs.group, strides: cs.s, dilations: cs.d, pads: cs.pads, autoPad: cs.autoPad });
        const y = runOp1('Conv', convInputs(cs, 'float64'), cs.attrs);
        expectClose(y, ref.y, { shape: ref.shape, rtol: 1e-12, atol: 1e-12 });
      }),
      { numRuns: 60 },
    );
  });

  it('float32 results are the float64 sums rounded to float32', () => {
    fc.assert(
      fc.property(arbConv, (cfg) => {
        const cs = buildCase(cfg);
        const xs = Float32Array.from(cs.x);
        const ws = Float32Array.from(cs.w);
        const bs = cs.b ? Array.from(Float32Array.from(cs.b)) : undefined;
        const ref = im2colConv({ x: Array.from(xs), xShape: cs.xShape, w: Array.from(ws), wShape: cs.wShape, b: bs, group: cs.group, strides: cs.s, dilations: cs.d, pads: cs.pads, autoPad: cs.autoPad });
        const y = runOp1('Conv', convInputs(cs, 'float32'), cs.attrs);
        expect(y.dtype).toBe('float32');
        expectClose(y, ref.y.map(Math.fround), { shape: ref.shape, rtol: 1e-6, atol: 1e-6 });
      }),
      { numRuns: 40 },
    );
  });

  it('NHWC equals the transposed NCHW result', () => {
    fc.assert(
      fc.property(arbConv, (cfg) => {
        const cs = buildCase(cfg);
        const [x, w, b] = convInputs(cs, 'float32');
        const nchw = runOp1('Conv', [x, w, b], cs.attrs);
        const nhwc = runOp1('Conv', [toNHWC(x), w, b], { ...cs.attrs, layout: 'NHWC' });
        expect(nhwc.shape).toEqual(toNHWC(nchw).shape);
        expect(nhwc.toNumbers()).toEqual(toNHWC(nchw).toNumbers());
      }),
      { numRuns: 40 },
    );
  });

  it('depthwise conv equals a per-channel conv', () => {
    const c = 3;
    const mult = 2;
    const x = tensor('float64', randomValues(2 * c * 6 * 5, 7), [2, c, 6, 5]);
    const w = tensor('float64', randomValues(c * mult * 9, 8), [c * mult, 1, 3, 3]);
    const attrs = { pads: [1, 0, 2, 1], strides: [2, 1], dilations: [1, 2] };
    const y = runOp1('Conv', [x, w], { ...attrs, group: c });
    const xv = x.toNumbers();
    const wv = w.toNumbers();
    for (let ch = 0; ch < c; ch++) {
      const xc = tensor('float64', Array.from({ length: 2 * 30 }, (_, i) => xv[(Math.floor(i / 30) * c + ch) * 30 + (i % 30)]), [2, 1, 6, 5]);
      const wc = tensor('float64', wv.slice(ch * mult * 9, (ch + 1) * mult * 9), [mult, 1, 3, 3]);
      const yc = runOp1('Conv', [xc, wc], attrs);
      const [, , oh, ow] = yc.shape;
      const per = oh * ow;
      const got = Array.from({ length: 2 * mult * per }, (_, i) => {
        const b = Math.floor(i / (mult * per));
        const rest = i % (mult * per);
        return y.get((b * c * mult + ch * mult) * per + rest);
      });
      expectClose(yc, got, { rtol: 1e-12 });
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('Conv: dtypes, fused activation and layout', () => {
  const xv = randomValues(2 * 3 * 5 * 5, 11, -2, 2);
  const wv = randomValues(4 * 3 * 9, 12, -1, 1);
  const bv = randomValues(4, 13);
  const ref = im2colConv({ x: xv, xShape: [2, 3, 5, 5], w: wv, wShape: [4, 3, 3, 3], b: bv, group: 1, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET' });

  it.each([
    ['float16', 2e-2],
    ['bfloat16', 1e-1],
    ['float64', 1e-12],
  ] as const)('%s', (dtype, tol) => {
    const ins = [tensor(dtype, xv, [2, 3, 5, 5]), tensor(dtype, wv, [4, 3, 3, 3]), tensor(dtype, bv, [4])];
    const decoded = ins.map((t) => t.toNumbers());
    const exact = im2colConv({ x: decoded[0], xShape: [2, 3, 5, 5], w: decoded[1], wShape: [4, 3, 3, 3], b: decoded[2], group: 1, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET' });
    const y = runOp1('Conv', ins, { pads: [1, 1, 1, 1] });
    expect(y.dtype).toBe(dtype);
    // The exact sum rounded once to the dtype.
    const rounded = tensor(dtype, exact.y, exact.shape).toNumbers();
    expect(y.toNumbers()).toEqual(rounded);
    expectClose(y, ref.y, { rtol: tol, atol: tol });
  });

  const activations: [string, number[], (x: number) => number][] = [
    ['Relu', [], (x) => Math.max(0, x)],
    ['Clip', [-0.5, 0.75], (x) => Math.min(0.75, Math.max(-0.5, x))],
    ['LeakyRelu', [0.1], (x) => (x >= 0 ? x : 0.1 * x)],
    ['LeakyRelu', [], (x) => (x >= 0 ? x : 0.01 * x)],
    ['HardSigmoid', [0.25, 0.4], (x) => Math.max(0, Math.min(1, 0.25 * x + 0.4))],
    ['HardSwish', [], (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))],
    ['Sigmoid', [], (x) => 1 / (1 + Math.exp(-x))],
    ['Tanh', [], (x) => Math.tanh(x)],
  ];

  it.each(activations)('fused %s %j equals the separate activation (Conv and ConvTranspose)', (act, params, f) => {
    for (const op of ['Conv', 'ConvTranspose']) {
      const ins = [tensor('float32', xv, [2, 3, 5, 5]), tensor('float32', wv, op === 'Conv' ? [4, 3, 3, 3] : [3, 4, 3, 3]), tensor('float32', bv, [4])];
      const plain = runOp1(op, ins, { pads: [1, 1, 1, 1] });
      const fused = runOp1(op, ins, { pads: [1, 1, 1, 1], activation: act, activation_params: params });
      const expected = plain.toNumbers().map((v) => Math.fround(f(v)));
      expectClose(fused, expected, { rtol: act === 'Sigmoid' || act === 'Tanh' ? 2e-7 : 0, atol: act === 'Sigmoid' || act === 'Tanh' ? 1e-7 : 0 });
    }
  });

  it('fused activation in float16 rounds like a separate float16 activation', () => {
    const ins = [tensor('float16', xv, [2, 3, 5, 5]), tensor('float16', wv, [4, 3, 3, 3])];
    const plain = runOp1('Conv', ins);
    const fused = runOp1('Conv', ins, { activation: 'LeakyRelu', activation_params: [0.3] });
    expect(fused.toNumbers()).toEqual(tensor('float16', plain.toNumbers().map((v) => (v >= 0 ? v : 0.3 * v)), plain.shape).toNumbers());
  });

  it('bad activation params are AttributeErrors', () => {
    const ins = [tensor('float32', xv, [2, 3, 5, 5]), tensor('float32', wv, [4, 3, 3, 3])];
    expect(() => runOp1('Conv', ins, { activation: 'Clip', activation_params: [1] })).toThrow(AttributeError);
    expect(() => runOp1('Conv', ins, { activation: 'Gelu' })).toThrow(AttributeError);
  });

  it('NHWC 1-D and 3-D', () => {
    for (const shape of [[2, 3, 7], [1, 3, 3, 4, 5]]) {
      const x = tensor('float32', randomValues(prod(shape), 21), shape);
      const k = shape.slice(2).map(() => 2);
      const w = tensor('float32', randomValues(6 * 3 * prod(k), 22), [6, 3, ...k]);
      const attrs = { strides: k.map(() => 2), auto_pad: 'SAME_LOWER' };
      const nchw = runOp1('Conv', [x, w], attrs);
      const nhwc = runOp1('Conv', [toNHWC(x), w], { ...attrs, layout: 'NHWC' });
      expect(nhwc.toNumbers()).toEqual(toNHWC(nchw).toNumbers());
      expect([...nhwc.shape]).toEqual([...toNHWC(nchw).shape]);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('Conv: inference, macs and errors', () => {
  it('infers symbolic dims', () => {
    const w = { dtype: 'float32' as const, shape: [8, 3, 3, 3] };
    expect(inferTypes('Conv', [{ dtype: 'float32', shape: ['N', 3, 'H', 'W'] }, w], { pads: [1, 1, 1, 1] })[0].shape).toEqual(['N', 8, 'H', 'W']);
    expect(inferTypes('Conv', [{ dtype: 'float32', shape: ['N', 3, 'H', 'W'] }, w], { auto_pad: 'SAME_UPPER' })[0].shape).toEqual(['N', 8, 'H', 'W']);
    const strided = inferTypes('Conv', [{ dtype: 'float32', shape: ['N', 3, 'H', 16] }, w], { strides: [2, 2], pads: [1, 1, 1, 1] })[0].shape;
    expect(strided[0]).toBe('N');
    expect(typeof strided[2]).toBe('string');
    expect(strided[2]).not.toBe('H');
    expect(strided[3]).toBe(8);
    expect(inferTypes('Conv', [{ dtype: 'float16', shape: ['N', 'H', 'W', 3] }, { dtype: 'float16', shape: [8, 3, 1, 1] }], { layout: 'NHWC' })[0]).toEqual({ dtype: 'float16', shape: ['N', 'H', 'W', 8] });
    expect(inferTypes('ConvTranspose', [{ dtype: 'float32', shape: ['N', 3, 'H', 'W'] }, { dtype: 'float32', shape: [3, 2, 3, 3] }], { pads: [1, 1, 1, 1], group: 1 })[0].shape).toEqual(['N', 2, 'H', 'W']);
    expect(inferTypes('ConvTranspose', [{ dtype: 'float32', shape: ['N', 4, 'H', 'W'] }, { dtype: 'float32', shape: [4, 2, 3, 3] }], { output_shape: [10, 12], group: 2 })[0].shape).toEqual(['N', 4, 10, 12]);
  });

  it('macs', () => {
    const conv = macsOf('Conv', [{ dtype: 'float32', shape: [2, 4, 8, 8] }, { dtype: 'float32', shape: [6, 2, 3, 3] }], { pads: [1, 1, 1, 1], group: 2 });
    expect(conv).toBe(2 * 64 * 6 * 2 * 9);
    const nhwc = macsOf('Conv', [{ dtype: 'float32', shape: [2, 8, 8, 4] }, { dtype: 'float32', shape: [6, 2, 3, 3] }], { pads: [1, 1, 1, 1], group: 2, layout: 'NHWC' });
    expect(nhwc).toBe(conv);
    expect(macsOf('ConvTranspose', [{ dtype: 'float32', shape: [1, 4, 5, 5] }, { dtype: 'float32', shape: [4, 3, 3, 3] }])).toBe(25 * 4 * 3 * 9);
    expect(macsOf('ConvInteger', [{ dtype: 'uint8', shape: [1, 2, 4] }, { dtype: 'uint8', shape: [3, 2, 2] }])).toBe(3 * 3 * 2 * 2);
    expect(() => macsOf('Conv', [{ dtype: 'float32', shape: ['N', 4, 8, 8] }, { dtype: 'float32', shape: [6, 4, 3, 3] }])).toThrow(ShapeError);
  });

  const x = tensor('float32', randomValues(2 * 4 * 5 * 5, 3), [2, 4, 5, 5]);
  const w = tensor('float32', randomValues(6 * 4 * 9, 4), [6, 4, 3, 3]);

  it('shape errors: rank, channels, group divisibility, kernel, bias, size', () => {
    expect(() => runOp1('Conv', [tensor('float32', [1, 2], [1, 2]), tensor('float32', [1, 2], [1, 2])])).toThrow(/rank 2.*rank >= 3/);
    expect(() => runOp1('Conv', [x, tensor('float32', randomValues(24, 1), [6, 4, 1])])).toThrow(ShapeError);
    expect(() => runOp1('Conv', [x, tensor('float32', randomValues(6 * 3 * 9, 1), [6, 3, 3, 3])])).toThrow(/channel mismatch/);
    expect(() => runOp1('Conv', [x, tensor('float32', randomValues(6 * 9, 1), [6, 1, 3, 3])], { group: 2 })).toThrow(/channel mismatch/);
    expect(() => runOp1('Conv', [x, tensor('float32', randomValues(5 * 2 * 9, 1), [5, 2, 3, 3])], { group: 2 })).toThrow(/not divisible by group/);
    expect(() => runOp1('Conv', [x, w], { kernel_shape: [2, 2] })).toThrow(ShapeError);
    expect(() => runOp1('Conv', [x, w, tensor('float32', [1, 2, 3])])).toThrow(/bias/);
    expect(() => runOp1('Conv', [tensor('float32', randomValues(8, 1), [1, 4, 2, 1]), w])).toThrow(ShapeError);
    expect(() => runOp1('Conv', [x, w], { group: 3 })).toThrow(ShapeError);
  });

  it('attribute errors', () => {
    expect(() => runOp1('Conv', [x, w], { group: 0 })).toThrow(AttributeError);
    expect(() => runOp1('Conv', [x, w], { strides: [1] })).toThrow(AttributeError);
    expect(() => runOp1('Conv', [x, w], { strides: [0, 1] })).toThrow(AttributeError);
    expect(() => runOp1('Conv', [x, w], { pads: [1, 1, -1, 1] })).toThrow(AttributeError);
    expect(() => runOp1('Conv', [x, w], { dilations: [1, 1, 1] })).toThrow(AttributeError);
    expect(() => runOp1('Conv', [x, w], { auto_pad: 'SAME' })).toThrow(AttributeError);
    expect(() => runOp1('Conv', [x, w], { kernel_shape: [3] })).toThrow(AttributeError);
    expect(() => runOp1('Conv', [x, w], { layout: 'NCWH' })).toThrow(AttributeError);
    expect(() => runOp1('Conv', [x, w], { output_padding: [1, 1] })).toThrow(AttributeError);
  });

  it('dtype errors', () => {
    expect(() => runOp1('Conv', [x, tensor('float64', w.toNumbers(), w.shape)])).toThrow(DTypeError);
    expect(() => runOp1('Conv', [x, w, tensor('float16', new Array(6).fill(0), [6])])).toThrow(DTypeError);
    expect(() => runOp1('Conv', [tensor('int8', new Array(x.size).fill(1), x.shape), tensor('int8', new Array(w.size).fill(1), w.shape)])).toThrow(DTypeError);
  });
});

// ---------------------------------------------------------------------------------------------

/** Naive transposed convolution by scattering each input element through the kernel. */
function scatterConvTranspose(x: number[], xShape: number[], w: number[], wShape: number[], group: number, s: number[], d: number[], pb: number[], out: number[]): number[] {
  const [n, c] = xShape;
  const [, mg, ...k] = wShape;
  const m = mg * group;
  const cg = c / group;
  const y = new Array<number>(n * m * prod(out)).fill(0);
  for (let i = 0; i < x.length; i++) {
    const [b, ch, ...pos] = unravel(i, xShape);
    const gi = Math.floor(ch / cg);
    for (let mm = 0; mm < mg; mm++) {
      for (let kk = 0; kk < prod(k); kk++) {
        const kIdx = unravel(kk, k);
        const o = pos.map((p, a) => p * s[a] - pb[a] + kIdx[a] * d[a]);
        if (o.some((v, a) => v < 0 || v >= out[a])) continue;
        y[ravel([b, gi * mg + mm, ...o], [n, m, ...out])] += x[i] * w[ravel([ch, mm, ...kIdx], wShape)];
      }
    }
  }
  return y;
}

describe('ConvTranspose', () => {
  const x3 = tensor('float32', iota(9), [1, 1, 3, 3]);
  const ones2 = tensor('float32', new Array(18).fill(1), [1, 2, 3, 3]);
  const plane = (rows: number[][]) => [...rows.flat(), ...rows.flat()];

  it('ONNX hand cases: basic, pads+strides, output_shape, output_padding, SAME_UPPER', () => {
    expectClose(runOp1('ConvTranspose', [x3, ones2]), plane([[0, 1, 3, 3, 2], [3, 8, 15, 12, 7], [9, 21, 36, 27, 15], [9, 20, 33, 24, 13], [6, 13, 21, 15, 8]]), { shape: [1, 2, 5, 5] });
    expectClose(runOp1('ConvTranspose', [x3, ones2], { strides: [3, 2], pads: [1, 2, 1, 2] }), plane([[1, 1, 3], [1, 1, 3], [7, 4, 9], [7, 4, 9], [7, 4, 9], [13, 7, 15], [13, 7, 15]]), { shape: [1, 2, 7, 3] });
    const big = plane([
      [0, 0, 1, 1, 3, 2, 2, 0], [0, 0, 1, 1, 3, 2, 2, 0], [0, 0, 1, 1, 3, 2, 2, 0],
      [3, 3, 7, 4, 9, 5, 5, 0], [3, 3, 7, 4, 9, 5, 5, 0], [3, 3, 7, 4, 9, 5, 5, 0],
      [6, 6, 13, 7, 15, 8, 8, 0], [6, 6, 13, 7, 15, 8, 8, 0], [6, 6, 13, 7, 15, 8, 8, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    expectClose(runOp1('ConvTranspose', [x3, ones2], { strides: [3, 2], output_shape: [10, 8] }), big, { shape: [1, 2, 10, 8] });
    expectClose(runOp1('ConvTranspose', [x3, ones2], { strides: [3, 2], output_shape: [1, 2, 10, 8] }), big, { shape: [1, 2, 10, 8] });
    expectClose(runOp1('ConvTranspose', [x3, ones2], { strides: [3, 2], output_padding: [1, 1] }), big, { shape: [1, 2, 10, 8] });
    expectClose(runOp1('ConvTranspose', [x3, ones2], { strides: [3, 2], output_padding: [1, 1], output_shape: [10, 8], kernel_shape: [3, 3] }), big, { shape: [1, 2, 10, 8] });
    expectClose(runOp1('ConvTranspose', [x3, ones2], { strides: [2, 2], auto_pad: 'SAME_UPPER' }), plane([[0, 0, 1, 1, 3, 2], [0, 0, 1, 1, 3, 2], [3, 3, 8, 5, 12, 7], [3, 3, 7, 4, 9, 5], [9, 9, 20, 11, 24, 13], [6, 6, 13, 7, 15, 8]]), { shape: [1, 2, 6, 6] });
    // SAME_LOWER puts the odd unit of padding at the start: drop the first row/column instead.
    expectClose(runOp1('ConvTranspose', [x3, ones2], { strides: [2, 2], auto_pad: 'SAME_LOWER' }), plane([[0, 1, 1, 3, 2, 2], [3, 8, 5, 12, 7, 7], [3, 7, 4, 9, 5, 5], [9, 20, 11, 24, 13, 13], [6, 13, 7, 15, 8, 8], [6, 13, 7, 15, 8, 8]]), { shape: [1, 2, 6, 6] });
  });

  it('dilations, 1-D, bias and groups by hand', () => {
    const x = tensor('float32', [3, 8, 1, 9, 5, 7, 3, 2, 6], [1, 1, 3, 3]);
    const w = tensor('float32', [7, 2, 1, 9], [1, 1, 2, 2]);
    expectClose(runOp1('ConvTranspose', [x, w], { dilations: [2, 2] }), [21, 56, 13, 16, 2, 63, 35, 67, 10, 14, 24, 22, 76, 76, 21, 9, 5, 88, 45, 63, 3, 2, 33, 18, 54], { shape: [1, 1, 5, 5] });
    const x1 = tensor('float32', [1, 2, 10, 20], [1, 2, 2]);
    const w1 = tensor('float32', [1, -1, 1, 1], [2, 1, 2]);
    const b1 = tensor('float32', [100, 0]);
    expectClose(runOp1('ConvTranspose', [x1, w1, b1], { group: 2, strides: [2] }), [101, 99, 102, 98, 10, 10, 20, 20], { shape: [1, 2, 4] });
  });

  it('random cases against a scatter formula', () => {
    fc.assert(
      fc.property(arbConv, (cfg) => {
        const cs = buildCase({ ...cfg, autoPad: 'NOTSET' });
        const r = cs.k.length;
        const c = cs.xShape[1];
        // As ConvTranspose weights: [C, M/group, k...].
        const wShape = [c, cs.wShape[0] / cs.group, ...cs.k];
        const w = randomValues(prod(wShape), cfg.seed + 5);
        const outPad = cs.s.map((s, a) => (cfg.seed + a) % Math.max(s, cs.d[a]));
        const out = cs.inSp.map((i, a) => cs.s[a] * (i - 1) + outPad[a] + (cs.k[a] - 1) * cs.d[a] + 1 - cs.pads[a] - cs.pads[a + r]);
        if (out.some((o) => o <= 0)) return;
        const ref = scatterConvTranspose(cs.x, cs.xShape, w, wShape, cs.group, cs.s, cs.d, cs.pads.slice(0, r), out);
        const y = runOp1('ConvTranspose', [tensor('float64', cs.x, cs.xShape), tensor('float64', w, wShape)], { group: cs.group, strides: cs.s, dilations: cs.d, pads: cs.pads, output_padding: outPad });
        expectClose(y, ref, { shape: [cs.xShape[0], wShape[1] * cs.group, ...out], rtol: 1e-12, atol: 1e-12 });
      }),
      { numRuns: 60 },
    );
  });

  it('is the adjoint of Conv: <Conv(x), y> == <x, ConvTranspose(y)>', () => {
    fc.assert(
      fc.property(arbConv, (cfg) => {
        const cs = buildCase({ ...cfg, autoPad: 'NOTSET', bias: false });
        const r = cs.k.length;
        const attrs = { group: cs.group, strides: cs.s, dilations: cs.d, pads: cs.pads };
        const w = tensor('float64', cs.w, cs.wShape);
        const cx = runOp1('Conv', [tensor('float64', cs.x, cs.xShape), w], attrs);
        const yv = randomValues(cx.size, cfg.seed + 9);
        // output_padding recovers the input size that the floor in Conv's output size dropped.
        const outPad = cs.inSp.map((i, a) => (i + cs.pads[a] + cs.pads[a + r] - ((cs.k[a] - 1) * cs.d[a] + 1)) % cs.s[a]);
        const ty = runOp1('ConvTranspose', [tensor('float64', yv, cx.shape), w], { ...attrs, output_padding: outPad });
        expect([...ty.shape]).toEqual(cs.xShape);
        const lhs = dot(cx.toNumbers(), yv);
        const rhs = dot(cs.x, ty.toNumbers());
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(lhs)));
      }),
      { numRuns: 60 },
    );
  });

  it('NHWC equals the transposed NCHW result; dtypes', () => {
    const x = tensor('float32', randomValues(2 * 4 * 3 * 4, 31), [2, 4, 3, 4]);
    const w = tensor('float32', randomValues(4 * 3 * 2 * 3, 32), [4, 3, 2, 3]);
    const b = tensor('float32', randomValues(6, 33), [6]);
    const attrs = { group: 2, strides: [2, 1], pads: [0, 1, 1, 0], output_padding: [1, 0] };
    const nchw = runOp1('ConvTranspose', [x, w, b], attrs);
    expect([...nchw.shape]).toEqual([2, 6, 6, 5]);
    const nhwc = runOp1('ConvTranspose', [toNHWC(x), w, b], { ...attrs, layout: 'NHWC' });
    expect(nhwc.toNumbers()).toEqual(toNHWC(nchw).toNumbers());
    for (const dtype of ['float16', 'float64', 'bfloat16'] as const) {
      const y = runOp1('ConvTranspose', [tensor(dtype, x.toNumbers(), x.shape), tensor(dtype, w.toNumbers(), w.shape), tensor(dtype, b.toNumbers(), [6])], attrs);
      expect(y.dtype).toBe(dtype);
      expectClose(y, nchw.toNumbers(), { rtol: dtype === 'bfloat16' ? 3e-2 : 3e-3, atol: dtype === 'bfloat16' ? 5e-2 : 5e-3 });
    }
  });

  it('errors', () => {
    const x = tensor('float32', randomValues(2 * 4 * 9, 1), [2, 4, 3, 3]);
    expect(() => runOp1('ConvTranspose', [x, tensor('float32', randomValues(3 * 2 * 4, 1), [3, 2, 2, 2])])).toThrow(/channel mismatch/);
    expect(() => runOp1('ConvTranspose', [x, tensor('float32', randomValues(4 * 2 * 4, 1), [4, 2, 2, 2])], { group: 3 })).toThrow(ShapeError);
    expect(() => runOp1('ConvTranspose', [x, tensor('float32', randomValues(4 * 2 * 4, 1), [4, 2, 2, 2])], { output_padding: [1, 0] })).toThrow(AttributeError);
    expect(() => runOp1('ConvTranspose', [x, tensor('float32', randomValues(4 * 2 * 4, 1), [4, 2, 2, 2])], { output_shape: [5] })).toThrow(AttributeError);
    expect(() => runOp1('ConvTranspose', [tensor('float32', [1, 2], [1, 2]), tensor('float32', [1, 2], [1, 2])])).toThrow(ShapeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Integer convolutions

/** TFLite fixed-point requantization written with BigInt (test-local). */
function fixedPointRequant(acc: bigint, real: number): bigint {
  if (real === 0) return 0n;
  let q = real;
  let shift = 0;
  while (q >= 1) { q /= 2; shift++; }
  while (q < 0.5) { q *= 2; shift--; }
  let mult = BigInt(Math.round(q * 2 ** 31));
  if (mult === 1n << 31n) { mult /= 2n; shift++; }
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const a = acc * (1n << BigInt(left));
  const ab = a * mult;
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const high = (ab + nudge) / (1n << 31n); // truncating division, as C
  if (right === 0) return high;
  const mask = (1n << BigInt(right)) - 1n;
  const rem = high & mask;
  const threshold = (mask >> 1n) + (high < 0n ? 1n : 0n);
  return (high >> BigInt(right)) + (rem > threshold ? 1n : 0n);
}

interface QCase {
  x: number[]; xShape: number[]; xs: number; xz: number; xType: 'uint8' | 'int8';
  w: number[]; wShape: number[]; ws: number[]; wz: number[]; wType: 'uint8' | 'int8';
  ys: number; yz: number; yType: 'uint8' | 'int8';
  b?: number[];
  attrs: { group: number; strides: number[]; pads: number[]; dilations: number[] };
}

function qInputs(q: QCase): Tensor[] {
  const m = q.wShape[0];
  const ins: Tensor[] = [
    tensor(q.xType, q.x, q.xShape), tensor('float32', [q.xs], []), tensor(q.xType, [q.xz], []),
    tensor(q.wType, q.w, q.wShape), q.ws.length === 1 ? tensor('float32', q.ws, []) : tensor('float32', q.ws, [m]),
    q.wz.length === 1 ? tensor(q.wType, q.wz, []) : tensor(q.wType, q.wz, [m]),
    tensor('float32', [q.ys], []), tensor(q.yType, [q.yz], []),
  ];
  if (q.b) ins.push(tensor('int32', q.b, [m]));
  return ins;
}

/** Exact int accumulators (BigInt), NCHW. */
function qAccumulators(q: QCase): { acc: bigint[]; shape: number[]; m: number; per: number } {
  const m = q.wShape[0];
  const per = q.w.length / m;
  const xsh = q.x.map((v) => v - q.xz);
  const wsh = q.w.map((v, i) => v - q.wz[q.wz.length === 1 ? 0 : Math.floor(i / per)]);
  const ref = im2colConv({ x: xsh, xShape: q.xShape, w: wsh, wShape: q.wShape, b: q.b, group: q.attrs.group, strides: q.attrs.strides, dilations: q.attrs.dilations, pads: q.attrs.pads, autoPad: 'NOTSET' });
  const outPer = prod(ref.shape.slice(2));
  return { acc: ref.y.map((v) => BigInt(v)), shape: ref.shape, m, per: outPer };
}

const Q_RANGE = { uint8: [0, 255], int8: [-128, 127] } as const;

function makeQCase(seed: number, opts: Partial<QCase> = {}): QCase {
  const r = rng(seed);
  const group = 1 + Math.floor(r() * 2);
  const cg = 1 + Math.floor(r() * 3);
  const mg = 1 + Math.floor(r() * 3);
  const m = mg * group;
  const xType = opts.xType ?? (r() < 0.5 ? 'uint8' : 'int8');
  const wType = opts.wType ?? (r() < 0.5 ? 'uint8' : 'int8');
  const yType = opts.yType ?? (r() < 0.5 ? 'uint8' : 'int8');
  const xShape = [1 + Math.floor(r() * 2), cg * group, 5 + Math.floor(r() * 3), 3 + Math.floor(r() * 4)];
  const wShape = [m, cg, 1 + Math.floor(r() * 3), 1 + Math.floor(r() * 3)];
  const [xl, xh] = Q_RANGE[xType];
  const [wl, wh] = Q_RANGE[wType];
  const [yl, yh] = Q_RANGE[yType];
  const perChannel = r() < 0.5;
  const nw = perChannel ? m : 1;
  return {
    x: randInts(prod(xShape), seed + 1, xl, xh), xShape, xs: Math.fround(0.01 + r() * 0.05), xz: randInts(1, seed + 2, xl, xh)[0], xType,
    w: randInts(prod(wShape), seed + 3, wl, wh), wShape, ws: Array.from({ length: nw }, () => Math.fround(0.002 + r() * 0.02)), wz: randInts(nw, seed + 4, wl, wh), wType,
    ys: Math.fround(0.05 + r() * 0.5), yz: randInts(1, seed + 5, yl, yh)[0], yType,
    b: r() < 0.7 ? randInts(m, seed + 6, -3000, 3000) : undefined,
    attrs: { group, strides: [1 + Math.floor(r() * 2), 1 + Math.floor(r() * 2)], pads: randInts(4, seed + 7, 0, 1), dilations: [1 + Math.floor(r() * 2), 1] },
    ...opts,
  };
}

function expectedQLinear(q: QCase, mode: 'float' | 'fixed-point', lo?: number, hi?: number): number[] {
  const { acc, m, per } = qAccumulators(q);
  const [ql, qh] = Q_RANGE[q.yType];
  const min = Math.max(ql, lo ?? ql);
  const max = Math.min(qh, hi ?? qh);
  return acc.map((a, i) => {
    const oc = Math.floor(i / per) % m;
    const ws = q.ws[q.ws.length === 1 ? 0 : oc];
    let v: number;
    if (mode === 'float') {
      const mult = Math.fround(Math.fround(q.xs * ws) / q.ys);
      v = rhe(Math.fround(Number(a) * mult)) + q.yz;
    } else {
      v = Number(fixedPointRequant(a, (q.xs * ws) / q.ys)) + q.yz;
    }
    return Math.min(max, Math.max(min, v));
  });
}

describe('QLinearConv', () => {
  it('ONNX example (uint8, per-tensor)', () => {
    const x = tensor('uint8', [255, 174, 162, 25, 203, 168, 58, 15, 59, 237, 95, 129, 0, 64, 56, 242, 153, 221, 168, 12, 166, 232, 178, 186, 195, 237, 162, 237, 188, 39, 124, 77, 80, 102, 43, 127, 230, 21, 83, 41, 40, 134, 255, 154, 92, 141, 42, 148, 247], [1, 1, 7, 7]);
    const ins = [x, tensor('float32', [0.00369204697], []), tensor('uint8', [132], []), tensor('uint8', [0], [1, 1, 1, 1]), tensor('float32', [0.00172794575], []), tensor('uint8', [255], []), tensor('float32', [0.00162681262], []), tensor('uint8', [123], [])];
    const y = runOp1('QLinearConv', ins);
    expect(y.toNumbers()).toEqual([0, 81, 93, 230, 52, 87, 197, 240, 196, 18, 160, 126, 255, 191, 199, 13, 102, 34, 87, 243, 89, 23, 77, 69, 60, 18, 93, 18, 67, 216, 131, 178, 175, 153, 212, 128, 25, 234, 172, 214, 215, 121, 0, 101, 163, 114, 213, 107, 8]);
  });

  it.each(['float', 'fixed-point'] as const)('random cases equal the exact integer formula (requant %s)', (mode) => {
    for (let seed = 1; seed <= 40; seed++) {
      const q = makeQCase(seed * 101);
      const y = runOp1('QLinearConv', qInputs(q), { ...q.attrs, requant: mode });
      expect(y.dtype).toBe(q.yType);
      expect(y.toNumbers()).toEqual(expectedQLinear(q, mode));
    }
  });

  it('float requant uses the float32 multiplier fround(fround(x_scale * w_scale) / y_scale)', () => {
    // Scales where the float32 and float64 multipliers round an accumulator of 154327 differently.
    const [xs, ws, ys] = [0.0019121536752209067, 0.03774804249405861, 0.47401416301727295];
    expect(Math.fround(xs * ws / ys)).not.toBe(Math.fround(Math.fround(xs * ws) / ys));
    const ins = [tensor('uint8', [0], [1, 1, 1]), tensor('float32', [xs], []), tensor('uint8', [0], []), tensor('int8', [5], [1, 1, 1]), tensor('float32', [ws], []), tensor('int8', [0], []), tensor('float32', [ys], []), tensor('uint8', [0], []), tensor('int32', [154327], [1])];
    expect(runOp1('QLinearConv', ins).toNumbers()).toEqual([24]);
    expect(runOp1('QLinearConv', ins, { requant: 'fixed-point' }).toNumbers()).toEqual([Number(fixedPointRequant(154327n, (xs * ws) / ys))]);
  });

  it('is within one step of float conv on dequantized values, then quantization', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const q = makeQCase(seed * 7 + 3);
      const { m, per } = qAccumulators(q);
      const wPer = q.w.length / m;
      const xf = q.x.map((v) => (v - q.xz) * q.xs);
      const wf = q.w.map((v, i) => {
        const oc = Math.floor(i / wPer);
        return (v - q.wz[q.wz.length === 1 ? 0 : oc]) * q.ws[q.ws.length === 1 ? 0 : oc];
      });
      const bf = q.b?.map((v, oc) => v * q.xs * q.ws[q.ws.length === 1 ? 0 : oc]);
      const ref = im2colConv({ x: xf, xShape: q.xShape, w: wf, wShape: q.wShape, b: bf, group: q.attrs.group, strides: q.attrs.strides, dilations: q.attrs.dilations, pads: q.attrs.pads, autoPad: 'NOTSET' });
      const [ql, qh] = Q_RANGE[q.yType];
      const quant = ref.y.map((v) => Math.min(qh, Math.max(ql, Math.round(v / q.ys) + q.yz)));
      for (const mode of ['float', 'fixed-point'] as const) {
        const y = runOp1('QLinearConv', qInputs(q), { ...q.attrs, requant: mode }).toNumbers();
        y.forEach((v, i) => expect(Math.abs(v - quant[i]), `element ${i} (${mode})`).toBeLessThanOrEqual(1));
      }
      void per;
    }
  });

  it('Relu and Clip clamp in the quantized domain', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const q = makeQCase(seed * 13);
      const [ql, qh] = Q_RANGE[q.yType];
      for (const mode of ['float', 'fixed-point'] as const) {
        const relu = runOp1('QLinearConv', qInputs(q), { ...q.attrs, requant: mode, activation: 'Relu' });
        expect(relu.toNumbers()).toEqual(expectedQLinear(q, mode, q.yz, qh));
        const lo = q.yz + rhe(Math.fround(Math.fround(-1.5) / q.ys));
        const hi = q.yz + rhe(Math.fround(Math.fround(2) / q.ys));
        const clip = runOp1('QLinearConv', qInputs(q), { ...q.attrs, requant: mode, activation: 'Clip', activation_params: [-1.5, 2] });
        expect(clip.toNumbers()).toEqual(expectedQLinear(q, mode, Math.max(ql, lo), Math.min(qh, hi)));
      }
    }
  });

  it('NHWC equals the transposed NCHW result', () => {
    const q = makeQCase(99);
    const ins = qInputs(q);
    const nchw = runOp1('QLinearConv', ins, q.attrs);
    const nhwc = runOp1('QLinearConv', [toNHWC(ins[0]), ...ins.slice(1)], { ...q.attrs, layout: 'NHWC' });
    expect(nhwc.toNumbers()).toEqual(toNHWC(nchw).toNumbers());
    expect(nhwc.dtype).toBe(nchw.dtype);
  });

  it('errors', () => {
    const q = makeQCase(5, { xType: 'uint8', wType: 'int8', yType: 'uint8' });
    const ins = qInputs(q);
    const withInput = (i: number, t: Tensor) => ins.map((v, j) => (j === i ? t : v));
    expect(() => runOp1('QLinearConv', withInput(2, tensor('int8', [0], [])), q.attrs)).toThrow(DTypeError);
    expect(() => runOp1('QLinearConv', withInput(4, tensor('float32', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [11])), q.attrs)).toThrow(ShapeError);
    expect(() => runOp1('QLinearConv', withInput(6, tensor('float32', [1, 2], [2])), q.attrs)).toThrow(ShapeError);
    expect(() => runOp1('QLinearConv', ins, { ...q.attrs, requant: 'double' })).toThrow(AttributeError);
    expect(() => runOp1('QLinearConv', ins, { ...q.attrs, activation: 'Sigmoid' })).toThrow(AttributeError);
    expect(() => runOp1('QLinearConv', ins, { ...q.attrs, activation: 'Clip', activation_params: [1] })).toThrow(AttributeError);
    expect(() => runOp1('QLinearConv', ins, { ...q.attrs, activation: 'Relu', activation_params: [1] })).toThrow(AttributeError);
    expect(() => runOp1('QLinearConv', withInput(0, tensor('float32', q.x, q.xShape)), q.attrs)).toThrow(DTypeError);
  });

  it('infers the output dtype from y_zero_point', () => {
    const f = (shape: (number | string)[]) => ({ dtype: 'float32' as const, shape });
    const types: TensorType[] = [{ dtype: 'uint8', shape: ['N', 3, 'H', 'W'] }, f([]), { dtype: 'uint8', shape: [] }, { dtype: 'int8', shape: [8, 3, 3, 3] }, f([8]), { dtype: 'int8', shape: [8] }, f([]), { dtype: 'int8', shape: [] }];
    expect(inferTypes('QLinearConv', types, { pads: [1, 1, 1, 1] })[0]).toEqual({ dtype: 'int8', shape: ['N', 8, 'H', 'W'] });
  });
});

describe('ConvInteger', () => {
  it('ONNX examples', () => {
    const x = tensor('uint8', [2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1, 3, 3]);
    const w = tensor('uint8', [1, 1, 1, 1], [1, 1, 2, 2]);
    const zp = tensor('uint8', [1], []);
    const y = runOp1('ConvInteger', [x, w, zp]);
    expect(y.dtype).toBe('int32');
    expect(y.toNumbers()).toEqual([12, 16, 24, 28]);
    expect(runOp1('ConvInteger', [x, w, zp], { pads: [1, 1, 1, 1] }).toNumbers()).toEqual([1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9]);
    expect(runOp1('ConvInteger', [x, w]).toNumbers()).toEqual([16, 20, 28, 32]);
  });

  it('random cases equal the integer formula, with per-channel w_zero_point', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const q = makeQCase(seed * 17);
      const m = q.wShape[0];
      const wz = q.wz.length === 1 ? tensor(q.wType, q.wz, []) : tensor(q.wType, q.wz, [m]);
      const y = runOp1('ConvInteger', [tensor(q.xType, q.x, q.xShape), tensor(q.wType, q.w, q.wShape), tensor(q.xType, [q.xz], []), wz], q.attrs);
      const { acc } = qAccumulators({ ...q, b: undefined });
      expect(y.toNumbers()).toEqual(acc.map(Number));
    }
  });

  it('errors', () => {
    const x = tensor('uint8', new Array(18).fill(1), [1, 2, 3, 3]);
    expect(() => runOp1('ConvInteger', [x, tensor('int8', new Array(4).fill(1), [1, 1, 2, 2])])).toThrow(/channel mismatch/);
    expect(() => runOp1('ConvInteger', [x, tensor('int8', new Array(8).fill(1), [1, 2, 2, 2]), tensor('int8', [0], [])])).toThrow(DTypeError);
    expect(() => runOp1('ConvInteger', [x, tensor('int8', new Array(8).fill(1), [1, 2, 2, 2]), undefined, tensor('int8', [0, 0], [2])])).toThrow(ShapeError);
    expect(() => runOp1('ConvInteger', [x, tensor('int8', new Array(8).fill(1), [1, 2, 2, 2])], { layout: 'NHWC' })).toThrow(AttributeError);
  });
});

it('runOp returns one output for every conv op', () => {
  const outs = runOp('Conv', [tensor('float32', [1, 2, 3], [1, 1, 3]), tensor('float32', [1], [1, 1, 1])]);
  expect(outs).toHaveLength(1);
});
