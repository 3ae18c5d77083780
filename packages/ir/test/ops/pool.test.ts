import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributeError, DTypeError, ShapeError, tensor, type Attrs } from '../../src/index.js';
import { expectClose, inferTypes, iota, prod, randomValues, ravel, rng, runOp, runOp1, toNHWC, unravel } from '../helpers.js';

// ---------------------------------------------------------------------------------------------
// Test-local references.

type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

interface PoolCfg {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  autoPad: AutoPad;
  ceil: boolean;
}

/** ONNX pooling output sizes and pads (begin, end) per axis. */
function poolGeometry(inSp: number[], c: PoolCfg): { out: number[]; pb: number[]; pe: number[] } {
  const r = inSp.length;
  const out: number[] = [];
  const pb: number[] = [];
  const pe: number[] = [];
  for (let a = 0; a < r; a++) {
    const ek = (c.kernel[a] - 1) * c.dilations[a] + 1;
    const s = c.strides[a];
    if (c.autoPad === 'SAME_UPPER' || c.autoPad === 'SAME_LOWER') {
      const o = Math.floor((inSp[a] - 1) / s) + 1;
      const total = Math.max(0, (o - 1) * s + ek - inSp[a]);
      const b = c.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
      out.push(o);
      pb.push(b);
      pe.push(total - b);
    } else if (c.autoPad === 'VALID') {
      out.push(Math.floor((inSp[a] - ek) / s) + 1);
      pb.push(0);
      pe.push(0);
    } else {
      const span = (inSp[a] + c.pads[a] + c.pads[a + r] - ek) / s;
      let o = (c.ceil ? Math.ceil(span) : Math.floor(span)) + 1;
      if (c.ceil && (o - 1) * s >= inSp[a] + c.pads[a]) o--;
      out.push(o);
      pb.push(c.pads[a]);
      pe.push(c.pads[a + r]);
    }
  }
  return { out, pb, pe };
}

/** Naive pooling over NCHW data: every window's in-input values and its padding count. */
function refPool(x: number[], xShape: number[], c: PoolCfg, reduce: (vals: number[], padCount: number) => number): { y: number[]; shape: number[] } {
  const [n, ch, ...inSp] = xShape;
  const { out, pb, pe } = poolGeometry(inSp, c);
  const y: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let cc = 0; cc < ch; cc++) {
      for (let o = 0; o < prod(out); o++) {
        const oIdx = unravel(o, out);
        const vals: number[] = [];
        let pads = 0;
        for (let k = 0; k < prod(c.kernel); k++) {
          const kIdx = unravel(k, c.kernel);
          const pos = oIdx.map((v, a) => v * c.strides[a] - pb[a] + kIdx[a] * c.dilations[a]);
          if (pos.every((p, a) => p >= 0 && p < inSp[a])) vals.push(x[ravel([b, cc, ...pos], xShape)]);
          else if (pos.every((p, a) => p < inSp[a] + pe[a])) pads++;
        }
        y.push(reduce(vals, pads));
      }
    }
  }
  return { y, shape: [n, ch, ...out] };
}

const avg = (include: boolean) => (v: number[], pads: number) => v.reduce((a, b) => a + b, 0) / (v.length + (include ? pads : 0));
const max = (v: number[]) => Math.max(...v);
const lp = (p: number) => (v: number[]) => v.reduce((a, b) => a + Math.abs(b) ** p, 0) ** (1 / p);

function cfgAttrs(c: PoolCfg): Attrs {
  const a: Record<string, number | string | number[]> = { kernel_shape: c.kernel, strides: c.strides, dilations: c.dilations, auto_pad: c.autoPad, ceil_mode: c.ceil ? 1 : 0 };
  if (c.autoPad === 'NOTSET') a.pads = c.pads;
  return a;
}

const arbPool = fc.record({
  rank: fc.integer({ min: 1, max: 3 }),
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.integer({ min: 1, max: 3 }),
  k: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
  s: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
  d: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 3, maxLength: 3 }),
  pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 6, maxLength: 6 }),
  extra: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }),
  autoPad: fc.constantFrom<AutoPad>('NOTSET', 'NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
  ceil: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

type PoolArb = typeof arbPool extends fc.Arbitrary<infer T> ? T : never;

function buildPool(r: PoolArb): { cfg: PoolCfg; xShape: number[]; x: number[] } {
  const rank = r.rank;
  const kernel = r.k.slice(0, rank);
  const dilations = r.d.slice(0, rank);
  // Pads below the kernel extent, as ONNX runtimes require, so no window is all padding.
  const pads = [...r.pads.slice(0, rank), ...r.pads.slice(3, 3 + rank)].map((p, i) => Math.min(p, (kernel[i % rank] - 1) * dilations[i % rank]));
  const cfg: PoolCfg = { kernel, strides: r.s.slice(0, rank), dilations, pads, autoPad: r.autoPad, ceil: r.autoPad === 'NOTSET' && r.ceil };
  const inSp = kernel.map((k, a) => (k - 1) * dilations[a] + 1 + r.extra[a]);
  const xShape = [r.n, r.c, ...inSp];
  return { cfg, xShape, x: randomValues(prod(xShape), r.seed, -3, 3) };
}

// ---------------------------------------------------------------------------------------------

describe('MaxPool', () => {
  const x4 = tensor('float32', iota(16, 1), [1, 1, 4, 4]);
  const x5 = tensor('float32', iota(25, 1), [1, 1, 5, 5]);

  it('hand cases: default, ceil_mode, dilations, SAME_UPPER, pads', () => {
    expectClose(runOp1('MaxPool', [x4], { kernel_shape: [2, 2], strides: [2, 2] }), [6, 8, 14, 16], { shape: [1, 1, 2, 2] });
    expectClose(runOp1('MaxPool', [x4], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), [11, 12, 15, 16], { shape: [1, 1, 2, 2] });
    expectClose(runOp1('MaxPool', [x4], { kernel_shape: [3, 3], strides: [2, 2] }), [11], { shape: [1, 1, 1, 1] });
    expectClose(runOp1('MaxPool', [x4], { kernel_shape: [2, 2], dilations: [2, 2] }), [11, 12, 15, 16], { shape: [1, 1, 2, 2] });
    expectClose(runOp1('MaxPool', [x5], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }), [7, 9, 10, 17, 19, 20, 22, 24, 25], { shape: [1, 1, 3, 3] });
    const x1 = tensor('float32', [1, 5, 2, 3], [1, 1, 4]);
    expectClose(runOp1('MaxPool', [x1], { kernel_shape: [2], auto_pad: 'SAME_LOWER' }), [1, 5, 5, 3]);
    expectClose(runOp1('MaxPool', [x1], { kernel_shape: [2], auto_pad: 'SAME_UPPER' }), [5, 5, 3, 3]);
    expectClose(runOp1('MaxPool', [x1], { kernel_shape: [2], auto_pad: 'VALID', strides: [2] }), [5, 3]);
    expectClose(runOp1('MaxPool', [tensor('float32', [-1, -5, -2], [1, 1, 3])], { kernel_shape: [2], pads: [1, 1] }), [-1, -1, -2, -2]);
    // ceil_mode drops a last window that would start in the end padding: 5 + 1 + 1 -> 3 windows, not 4.
    expect(runOp1('MaxPool', [tensor('float32', iota(5), [1, 1, 5])], { kernel_shape: [2], strides: [2], pads: [1, 1], ceil_mode: 1 }).toNumbers()).toEqual([0, 2, 4]);
  });

  it('Indices: row-major and column-major (storage_order), with pads and several planes', () => {
    const [y, i] = runOp('MaxPool', [x5], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: 2 });
    expect(y.toNumbers()).toEqual([7, 9, 17, 19]);
    expect(i.dtype).toBe('int64');
    expect(i.toNumbers()).toEqual([6, 8, 16, 18]);
    const [, ic] = runOp('MaxPool', [x5], { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, { outputs: 2 });
    expect(ic.toNumbers()).toEqual([6, 16, 8, 18]);
    const [yp, ip] = runOp('MaxPool', [x5], { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }, { outputs: 2 });
    expect(yp.toNumbers()).toEqual([13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25]);
    expect(ip.toNumbers()).toEqual([12, 13, 14, 14, 14, 17, 18, 19, 19, 19, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24]);
    // Flat indices over the whole NCHW tensor: plane p adds p * H * W.
    const x = tensor('float32', [1, 9, 3, 4, 8, 2, 7, 6, 0, 1, 2, 5], [1, 3, 2, 2]);
    const [ym, im] = runOp('MaxPool', [x], { kernel_shape: [2, 2] }, { outputs: 2 });
    expect(ym.toNumbers()).toEqual([9, 8, 5]);
    expect(im.toNumbers()).toEqual([1, 4, 11]);
    const [, imc] = runOp('MaxPool', [x], { kernel_shape: [2, 2], storage_order: 1 }, { outputs: 2 });
    expect(imc.toNumbers()).toEqual([2, 4, 11]);
    // 3-D column-major: (d, h, w) -> d + h * D + w * D * H.
    const x3 = tensor('float32', iota(8), [1, 1, 2, 2, 2]);
    const [, i3] = runOp('MaxPool', [x3], { kernel_shape: [1, 2, 2], storage_order: 1 }, { outputs: 2 });
    expect(i3.toNumbers()).toEqual([6, 7]);
  });

  it('ties keep the first position; NaN is skipped unless the window is all NaN', () => {
    const [y, i] = runOp('MaxPool', [tensor('float32', [2, 2, NaN, 1, NaN, NaN], [1, 1, 6])], { kernel_shape: [2], strides: [2] }, { outputs: 2 });
    expect(y.toNumbers()).toEqual([2, 1, NaN]);
    expect(i.toNumbers()).toEqual([0, 3, 4]);
  });

  it('int8 and uint8, float16, bfloat16, float64', () => {
    const xi = tensor('int8', [-128, -5, 7, 127, -1, -2], [1, 2, 3]);
    const yi = runOp1('MaxPool', [xi], { kernel_shape: [2] });
    expect(yi.dtype).toBe('int8');
    expect(yi.toNumbers()).toEqual([-5, 7, 127, -1]);
    const yu = runOp1('MaxPool', [tensor('uint8', [0, 255, 3, 9], [1, 1, 4])], { kernel_shape: [3], pads: [1, 1] });
    expect(yu.toNumbers()).toEqual([255, 255, 255, 9]);
    for (const dtype of ['float16', 'bfloat16', 'float64'] as const) {
      const x = tensor(dtype, [0.1, -2.5, 3.25, 7], [1, 1, 2, 2]);
      const y = runOp1('MaxPool', [x], { kernel_shape: [2, 2] });
      expect(y.dtype).toBe(dtype);
      expect(y.toNumbers()).toEqual([7]);
    }
  });

  it('random cases against the naive formula (values and indices)', () => {
    fc.assert(
      fc.property(arbPool, (r) => {
        const { cfg, xShape, x } = buildPool(r);
        const ref = refPool(x, xShape, cfg, max);
        const [y, ind] = runOp('MaxPool', [tensor('float64', x, xShape)], cfgAttrs(cfg), { outputs: 2 });
        expectClose(y, ref.y, { shape: ref.shape, rtol: 0, atol: 0 });
        // Every index points at an element holding the max.
        ind.toNumbers().forEach((j, k) => expect(x[j]).toBe(y.get(k)));
      }),
      { numRuns: 80 },
    );
  });

  it('NHWC equals the transposed NCHW result (Y and Indices)', () => {
    fc.assert(
      fc.property(arbPool, (r) => {
        const { cfg, xShape, x } = buildPool(r);
        const xt = tensor('float32', x, xShape);
        const [y, i] = runOp('MaxPool', [xt], cfgAttrs(cfg), { outputs: 2 });
        const [yh, ih] = runOp('MaxPool', [toNHWC(xt)], { ...cfgAttrs(cfg), layout: 'NHWC' }, { outputs: 2 });
        expect(yh.toNumbers()).toEqual(toNHWC(y).toNumbers());
        expect(ih.toNumbers()).toEqual(toNHWC(i).toNumbers());
      }),
      { numRuns: 40 },
    );
  });
});

describe('AveragePool', () => {
  const x4 = tensor('float32', iota(16, 1), [1, 1, 4, 4]);

  it('hand cases: ceil_mode, dilations, auto_pad', () => {
    expectClose(runOp1('AveragePool', [x4], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), [6, 7.5, 12, 13.5], { shape: [1, 1, 2, 2] });
    expectClose(runOp1('AveragePool', [x4], { kernel_shape: [2, 2], dilations: [2, 2] }), [6, 7, 10, 11], { shape: [1, 1, 2, 2] });
    const x1 = tensor('float32', [1, 5, 2, 3], [1, 1, 4]);
    expectClose(runOp1('AveragePool', [x1], { kernel_shape: [2], auto_pad: 'SAME_LOWER' }), [1, 3, 3.5, 2.5]);
    expectClose(runOp1('AveragePool', [x1], { kernel_shape: [2], auto_pad: 'SAME_UPPER' }), [3, 3.5, 2.5, 3]);
    expectClose(runOp1('AveragePool', [x1], { kernel_shape: [2], auto_pad: 'SAME_UPPER', count_include_pad: 1 }), [3, 3.5, 2.5, 1.5]);
  });

  it('count_include_pad counts explicit padding but not positions beyond it (ceil_mode)', () => {
    const x = tensor('float32', [1, 2, 3, 4], [1, 1, 4]);
    const attrs = { kernel_shape: [3], strides: [2], pads: [1, 1], ceil_mode: 1 };
    // Windows [-1..1], [1..3], [3..5]: position 4 is end padding, 5 lies beyond it.
    expectClose(runOp1('AveragePool', [x], { ...attrs, count_include_pad: 1 }), [1, 3, 2], { shape: [1, 1, 3] });
    expectClose(runOp1('AveragePool', [x], attrs), [1.5, 3, 4], { shape: [1, 1, 3] });
    const x3 = tensor('float32', iota(9, 1), [1, 1, 3, 3]);
    const inc = runOp1('AveragePool', [x3], { kernel_shape: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 });
    const exc = runOp1('AveragePool', [x3], { kernel_shape: [2, 2], pads: [1, 1, 1, 1] });
    expect(inc.shape).toEqual([1, 1, 4, 4]);
    expectClose(inc, [0.25, 0.75, 1.25, 0.75, 1.25, 3, 4, 2.25, 2.75, 6, 7, 3.75, 1.75, 3.75, 4.25, 2.25]);
    expectClose(exc, [1, 1.5, 2.5, 3, 2.5, 3, 4, 4.5, 5.5, 6, 7, 7.5, 7, 7.5, 8.5, 9]);
  });

  it('dtypes: float16, bfloat16, float64 round the float64 average', () => {
    for (const dtype of ['float16', 'bfloat16', 'float64'] as const) {
      const x = tensor(dtype, [0.1, 0.2, 0.3, 0.7], [1, 1, 2, 2]);
      const v = x.toNumbers();
      const y = runOp1('AveragePool', [x], { kernel_shape: [2, 2] });
      expect(y.dtype).toBe(dtype);
      expect(y.toNumbers()).toEqual(tensor(dtype, [(v[0] + v[1] + v[2] + v[3]) / 4], [1]).toNumbers());
    }
  });

  it.each([false, true])('random cases against the naive formula (count_include_pad %s)', (include) => {
    fc.assert(
      fc.property(arbPool, (r) => {
        const { cfg, xShape, x } = buildPool(r);
        const ref = refPool(x, xShape, cfg, avg(include));
        const y = runOp1('AveragePool', [tensor('float64', x, xShape)], { ...cfgAttrs(cfg), count_include_pad: include ? 1 : 0 });
        expectClose(y, ref.y, { shape: ref.shape, rtol: 1e-12, atol: 1e-12 });
      }),
      { numRuns: 60 },
    );
  });

  it('NHWC equals the transposed NCHW result', () => {
    fc.assert(
      fc.property(arbPool, fc.boolean(), (r, include) => {
        const { cfg, xShape, x } = buildPool(r);
        const xt = tensor('float32', x, xShape);
        const attrs = { ...cfgAttrs(cfg), count_include_pad: include ? 1 : 0 };
        const y = runOp1('AveragePool', [xt], attrs);
        const yh = runOp1('AveragePool', [toNHWC(xt)], { ...attrs, layout: 'NHWC' });
        expect(yh.toNumbers()).toEqual(toNHWC(y).toNumbers());
      }),
      { numRuns: 40 },
    );
  });
});

describe('LpPool', () => {
  it('hand cases', () => {
    const x = tensor('float32', [3, -4, 0, 5], [1, 1, 4]);
    expectClose(runOp1('LpPool', [x], { kernel_shape: [2], strides: [2] }), [5, 5]);
    expectClose(runOp1('LpPool', [x], { kernel_shape: [2], strides: [2], p: 1 }), [7, 5]);
    expectClose(runOp1('LpPool', [x], { kernel_shape: [2], strides: [2], p: 3 }), [Math.cbrt(91), 5], { rtol: 1e-6 });
    expectClose(runOp1('LpPool', [tensor('float32', [3, 4], [1, 1, 2])], { kernel_shape: [2], pads: [1, 1] }), [3, 5, 4]);
    expectClose(runOp1('LpPool', [tensor('float32', [3, 4, 12], [1, 1, 3])], { kernel_shape: [2], dilations: [2], ceil_mode: 1 }), [Math.hypot(3, 12)], { rtol: 1e-6 });
  });

  it('random cases against the naive formula, all dtypes', () => {
    fc.assert(
      fc.property(arbPool, fc.integer({ min: 1, max: 4 }), (r, p) => {
        const { cfg, xShape, x } = buildPool(r);
        const ref = refPool(x, xShape, cfg, lp(p));
        expectClose(runOp1('LpPool', [tensor('float64', x, xShape)], { ...cfgAttrs(cfg), p }), ref.y, { shape: ref.shape, rtol: 1e-12, atol: 1e-12 });
        expectClose(runOp1('LpPool', [tensor('float32', x, xShape)], { ...cfgAttrs(cfg), p }), ref.y, { rtol: 1e-5, atol: 1e-5 });
      }),
      { numRuns: 40 },
    );
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const y = runOp1('LpPool', [tensor(dtype, [3, 4], [1, 1, 2])], { kernel_shape: [2] });
      expect(y.dtype).toBe(dtype);
      expect(y.toNumbers()).toEqual([5]);
    }
    const xt = tensor('float32', randomValues(2 * 3 * 4 * 5, 3), [2, 3, 4, 5]);
    const attrs = { kernel_shape: [2, 3], strides: [1, 2], pads: [1, 0, 0, 1], p: 3 };
    expect(runOp1('LpPool', [toNHWC(xt)], { ...attrs, layout: 'NHWC' }).toNumbers()).toEqual(toNHWC(runOp1('LpPool', [xt], attrs)).toNumbers());
  });
});

describe('Global pools', () => {
  const x = tensor('float32', [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);

  it('hand cases', () => {
    expectClose(runOp1('GlobalAveragePool', [x]), [2.5, 6.5], { shape: [1, 2, 1, 1] });
    expectClose(runOp1('GlobalMaxPool', [x]), [4, 8], { shape: [1, 2, 1, 1] });
    expectClose(runOp1('GlobalLpPool', [tensor('float32', [3, 4, 0, 5, 12, 0], [1, 2, 3])]), [5, 13], { shape: [1, 2, 1] });
    expectClose(runOp1('GlobalLpPool', [tensor('float32', [3, -4], [1, 1, 2])], { p: 1 }), [7]);
    expectClose(runOp1('GlobalMaxPool', [tensor('float32', [NaN, -3, NaN, NaN], [1, 2, 2])]), [-3, NaN]);
    // Rank 2 ([N, C]) has no spatial dims: the window is the single element.
    expectClose(runOp1('GlobalAveragePool', [tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3])]), [1, 2, 3, 4, 5, 6], { shape: [2, 3] });
    // 3-D and 1-D.
    expectClose(runOp1('GlobalAveragePool', [tensor('float64', iota(16), [1, 2, 2, 2, 2])]), [3.5, 11.5], { shape: [1, 2, 1, 1, 1] });
    expectClose(runOp1('GlobalMaxPool', [tensor('float64', [1, 9, 2], [1, 1, 3])]), [9], { shape: [1, 1, 1] });
  });

  it('NHWC and dtypes', () => {
    const xt = tensor('float32', randomValues(2 * 3 * 4 * 5, 5), [2, 3, 4, 5]);
    for (const op of ['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']) {
      const y = runOp1(op, [xt]);
      const yh = runOp1(op, [toNHWC(xt)], { layout: 'NHWC' });
      expect(yh.shape).toEqual([2, 1, 1, 3]);
      expect(yh.toNumbers()).toEqual(toNHWC(y).toNumbers());
      for (const dtype of ['float16', 'bfloat16', 'float64'] as const) {
        const yd = runOp1(op, [tensor(dtype, xt.toNumbers(), xt.shape)]);
        expect(yd.dtype).toBe(dtype);
        expectClose(yd, y.toNumbers(), { rtol: 2e-2, atol: 2e-2 });
      }
    }
  });
});

describe('QLinear pools', () => {
  function quant(v: number, s: number, z: number, lo: number, hi: number): number {
    const q = Math.fround(Math.fround(v) / Math.fround(s));
    const f = Math.floor(q);
    const r = q - f > 0.5 || (q - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
    return Math.min(hi, Math.max(lo, r + z));
  }

  it('QLinearAveragePool equals dequantize -> AveragePool -> quantize', () => {
    fc.assert(
      fc.property(arbPool, fc.boolean(), fc.constantFrom('uint8', 'int8'), (r, include, dtype) => {
        const { cfg, xShape } = buildPool({ ...r, d: [1, 1, 1] });
        const [lo, hi] = dtype === 'uint8' ? [0, 255] : [-128, 127];
        const rand = rng(r.seed);
        const q = Array.from({ length: prod(xShape) }, () => lo + Math.floor(rand() * (hi - lo + 1)));
        const xs = Math.fround(0.01 + rand() * 0.1);
        const ys = Math.fround(0.01 + rand() * 0.1);
        const xz = lo + Math.floor(rand() * 256);
        const yz = lo + Math.floor(rand() * 256);
        const deq = q.map((v) => Math.fround((v - xz) * xs));
        const ref = refPool(deq, xShape, cfg, avg(include));
        const attrs = { ...cfgAttrs(cfg), count_include_pad: include ? 1 : 0 };
        delete (attrs as Record<string, unknown>).dilations;
        const ins = [tensor(dtype, q, xShape), tensor('float32', [xs], []), tensor(dtype, [xz], []), tensor('float32', [ys], []), tensor(dtype, [yz], [])];
        const y = runOp1('QLinearAveragePool', ins, attrs);
        expect(y.dtype).toBe(dtype);
        expect(y.toNumbers()).toEqual(ref.y.map((v) => quant(v, ys, yz, lo, hi)));
        const yh = runOp1('QLinearAveragePool', [toNHWC(ins[0]), ...ins.slice(1)], { ...attrs, layout: 'NHWC' });
        expect(yh.toNumbers()).toEqual(toNHWC(y).toNumbers());
      }),
      { numRuns: 50 },
    );
  });

  it('QLinearGlobalAveragePool; zero points default to 0', () => {
    const q = [10, 20, 30, 41, 200, 100, 0, 255];
    const x = tensor('uint8', q, [1, 2, 2, 2]);
    const ins = [x, tensor('float32', [0.5], []), tensor('uint8', [10], []), tensor('float32', [0.25], []), tensor('uint8', [3], [])];
    const y = runOp1('QLinearGlobalAveragePool', ins);
    expect(y.shape).toEqual([1, 2, 1, 1]);
    // Channel 0: dequantized mean (0 + 5 + 10 + 15.5) / 4 = 7.625 -> 30.5 -> 30 (ties to even) + 3.
    // Channel 1: (95 + 45 - 5 + 122.5) / 4 = 64.375 -> 257.5 -> 258 + 3 -> saturates at 255.
    expect(y.toNumbers()).toEqual([33, 255]);
    const yh = runOp1('QLinearGlobalAveragePool', [toNHWC(x), ...ins.slice(1)], { layout: 'NHWC' });
    expect(yh.shape).toEqual([1, 1, 1, 2]);
    expect(yh.toNumbers()).toEqual([33, 255]);
    const noZp = runOp1('QLinearGlobalAveragePool', [tensor('int8', [-3, 4, 5, 6], [1, 1, 4]), tensor('float32', [1], []), undefined, tensor('float32', [2], [])]);
    expect(noZp.toNumbers()).toEqual([2]);
  });

  it('errors', () => {
    const x = tensor('uint8', iota(8), [1, 2, 2, 2]);
    const s = tensor('float32', [1], []);
    expect(() => runOp1('QLinearGlobalAveragePool', [x, s, tensor('int8', [0], []), s])).toThrow(DTypeError);
    expect(() => runOp1('QLinearGlobalAveragePool', [x, tensor('float32', [1, 2], [2]), undefined, s])).toThrow(ShapeError);
    expect(() => runOp1('QLinearAveragePool', [x, s, undefined, s], { kernel_shape: [2, 2], dilations: [1, 1] })).toThrow(AttributeError);
    expect(() => runOp1('QLinearAveragePool', [tensor('float32', iota(8), [1, 2, 2, 2]), s, undefined, s], { kernel_shape: [2, 2] })).toThrow(DTypeError);
  });
});

describe('pool inference and errors', () => {
  it('infers symbolic dims and the Indices type', () => {
    const [y, i] = inferTypes('MaxPool', [{ dtype: 'float32', shape: ['N', 3, 'H', 'W'] }], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 2);
    expect(y).toEqual({ dtype: 'float32', shape: ['N', 3, 'H', 'W'] });
    expect(i).toEqual({ dtype: 'int64', shape: ['N', 3, 'H', 'W'] });
    const strided = inferTypes('AveragePool', [{ dtype: 'float16', shape: ['N', 'H', 8, 'C'] }], { kernel_shape: [2, 2], strides: [2, 2], layout: 'NHWC' })[0].shape;
    expect(strided[0]).toBe('N');
    expect(typeof strided[1]).toBe('string');
    expect(strided[1]).not.toBe('H');
    expect(strided.slice(2)).toEqual([4, 'C']);
    expect(inferTypes('GlobalAveragePool', [{ dtype: 'float32', shape: ['N', 'C', 'H', 'W'] }])[0].shape).toEqual(['N', 'C', 1, 1]);
    expect(inferTypes('GlobalMaxPool', [{ dtype: 'float32', shape: ['N', 'H', 'W', 'C'] }], { layout: 'NHWC' })[0].shape).toEqual(['N', 1, 1, 'C']);
    expect(inferTypes('LpPool', [{ dtype: 'float32', shape: [1, 2, 'L'] }], { kernel_shape: [3], auto_pad: 'SAME_UPPER' })[0].shape).toEqual([1, 2, 'L']);
  });

  it('shape, attribute and dtype errors', () => {
    const x = tensor('float32', iota(16), [1, 1, 4, 4]);
    expect(() => runOp1('MaxPool', [tensor('float32', [1, 2], [1, 2])], { kernel_shape: [] })).toThrow(/rank 2.*rank >= 3/);
    expect(() => runOp1('GlobalAveragePool', [tensor('float32', [1, 2], [2])])).toThrow(ShapeError);
    expect(() => runOp1('MaxPool', [x], { kernel_shape: [5, 5] })).toThrow(ShapeError);
    expect(() => runOp1('AveragePool', [x], { kernel_shape: [2, 2], auto_pad: 'VALID', dilations: [4, 1] })).toThrow(ShapeError);
    expect(() => runOp1('MaxPool', [x], {})).toThrow(AttributeError);
    expect(() => runOp1('MaxPool', [x], { kernel_shape: [2] })).toThrow(AttributeError);
    expect(() => runOp1('MaxPool', [x], { kernel_shape: [2, 0] })).toThrow(AttributeError);
    expect(() => runOp1('MaxPool', [x], { kernel_shape: [2, 2], strides: [1, 1, 1] })).toThrow(AttributeError);
    expect(() => runOp1('MaxPool', [x], { kernel_shape: [2, 2], pads: [1, 1] })).toThrow(AttributeError);
    expect(() => runOp1('MaxPool', [x], { kernel_shape: [2, 2], storage_order: 2 })).toThrow(AttributeError);
    expect(() => runOp1('AveragePool', [x], { kernel_shape: [2, 2], ceil_mode: 2 })).toThrow(AttributeError);
    expect(() => runOp1('AveragePool', [x], { kernel_shape: [2, 2], auto_pad: 'same' })).toThrow(AttributeError);
    expect(() => runOp1('LpPool', [x], { kernel_shape: [2, 2], p: 0 })).toThrow(AttributeError);
    expect(() => runOp1('GlobalLpPool', [x], { p: -1 })).toThrow(AttributeError);
    expect(() => runOp1('GlobalMaxPool', [x], { layout: 'CHWN' })).toThrow(AttributeError);
    expect(() => runOp1('AveragePool', [tensor('int8', iota(16), [1, 1, 4, 4])], { kernel_shape: [2, 2] })).toThrow(DTypeError);
    expect(() => runOp1('MaxPool', [tensor('int16', iota(16), [1, 1, 4, 4])], { kernel_shape: [2, 2] })).toThrow(DTypeError);
    expect(() => runOp1('GlobalMaxPool', [tensor('uint8', iota(16), [1, 1, 4, 4])])).toThrow(DTypeError);
  });
});
