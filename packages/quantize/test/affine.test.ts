import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError, GraphBuilder, Tensor, run, tensor } from '@mo/ir';
import { gridOf, quantizeAffine, quantizeBias, rangeToParams, storageOf, type Granularity } from '../src/index.js';

const f32 = Math.fround;

/** The float64 formulas the implementation must agree with. */
function expectedParams(lo: number, hi: number, bits: number, symmetric: boolean) {
  const l = Math.min(lo, 0);
  const h = Math.max(hi, 0);
  if (symmetric) {
    const qmax = 2 ** (bits - 1) - 1;
    return { scale: f32(Math.max(-l, h) / qmax), zeroPoint: 0, qmin: -qmax, qmax };
  }
  const qmax = 2 ** bits - 1;
  const scale = f32((h - l) / qmax);
  return { scale, zeroPoint: Math.min(qmax, Math.max(0, Math.round(-l / scale))), qmin: 0, qmax };
}

const floats = (n: number) => fc.array(fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

describe('affine weight quantization', () => {
  it('uses narrow symmetric grids and packed storage for <= 4 bits', () => {
    expect(gridOf(8, true)).toEqual({ qmin: -127, qmax: 127 });
    expect(gridOf(4, true)).toEqual({ qmin: -7, qmax: 7 });
    expect(gridOf(2, true)).toEqual({ qmin: -1, qmax: 1 });
    expect(gridOf(3, false)).toEqual({ qmin: 0, qmax: 7 });
    expect(storageOf(8, true)).toBe('int8');
    expect(storageOf(8, false)).toBe('uint8');
    expect(storageOf(4, true)).toBe('int4');
    expect(storageOf(3, false)).toBe('uint4');
    expect(() => gridOf(9, true)).toThrow(ArgumentError);
  });

  it('per-tensor: scale, zero point and error bound match the float64 formulas', () => {
    fc.assert(
      fc.property(floats(24), fc.integer({ min: 2, max: 8 }), fc.boolean(), (values, bits, symmetric) => {
        const t = tensor('float32', values, [4, 6]);
        const r = quantizeAffine(t, { bits, symmetric, granularity: { kind: 'per-tensor' } });
        const lo = Math.min(...values.map(f32));
        const hi = Math.max(...values.map(f32));
        const e = expectedParams(lo, hi, bits, symmetric);
        if (e.scale > 1e-30) {
          expect(r.scales[0]).toBe(e.scale);
          // Ties in the zero point may round either way in float64 vs float32: allow one step.
          expect(Math.abs(r.zeroPoints[0] - e.zeroPoint)).toBeLessThanOrEqual(1);
        }
        const s = r.scales[0];
        const z = r.zeroPoints[0];
        for (let i = 0; i < values.length; i++) {
          const q = r.q.get(i);
          expect(q).toBeGreaterThanOrEqual(e.qmin);
          expect(q).toBeLessThanOrEqual(e.qmax);
          // Dequantization is (q - z) * s, and every in-range value is within half a step.
          expect(r.dequantized[i]).toBe(f32((q - z) * s));
          expect(Math.abs(r.dequantized[i] - f32(values[i]))).toBeLessThanOrEqual(s / 2 + Math.abs(values[i]) * 2 ** -22 + 1e-30);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('per-channel and per-block: each group has its own range and bound', () => {
    const grans: Granularity[] = [
      { kind: 'per-channel', axis: 0 },
      { kind: 'per-channel', axis: 1 },
      { kind: 'per-block', axis: 1, blockSize: 4 },
      { kind: 'per-block', axis: 1, blockSize: 5 },
      { kind: 'per-block', axis: 0, blockSize: 2 },
    ];
    fc.assert(
      fc.property(floats(3 * 10), fc.integer({ min: 2, max: 8 }), fc.boolean(), fc.constantFrom(...grans), (values, bits, symmetric, g) => {
        const shape = [3, 10];
        const t = tensor('float32', values, shape);
        const r = quantizeAffine(t, { bits, symmetric, granularity: g });
        // Group of element (i, j), computed independently.
        const groupOf = (i: number, j: number) =>
          g.kind === 'per-channel' ? (g.axis === 0 ? i : j) : g.kind === 'per-block' ? (g.axis === 1 ? i * Math.ceil(10 / g.blockSize) + Math.floor(j / g.blockSize) : Math.floor(i / g.blockSize) * 10 + j) : 0;
        const members = new Map<number, number[]>();
        for (let i = 0; i < 3; i++) for (let j = 0; j < 10; j++) members.set(groupOf(i, j), [...(members.get(groupOf(i, j)) ?? []), i * 10 + j]);
        expect(r.scales.length).toBe(members.size);
        for (const [k, idx] of members) {
          const vs = idx.map((i) => f32(values[i]));
          const e = expectedParams(Math.min(...vs), Math.max(...vs), bits, symmetric);
          if (e.scale > 1e-30) expect(r.scales[k]).toBe(e.scale);
          for (const i of idx) expect(Math.abs(r.dequantized[i] - f32(values[i]))).toBeLessThanOrEqual(r.scales[k] / 2 + Math.abs(values[i]) * 2 ** -22 + 1e-30);
        }
        expect(r.q.quant?.kind).toBe(g.kind === 'per-channel' ? 'per-axis' : g.kind);
      }),
      { numRuns: 150 },
    );
  });

  it("the IR's Dequantize reproduces the dequantized values exactly (int4 packing included)", () => {
    for (const [bits, symmetric, g] of [
      [4, true, { kind: 'per-block', axis: 1, blockSize: 3 }],
      [3, false, { kind: 'per-channel', axis: 0 }],
      [8, true, { kind: 'per-channel', axis: 1 }],
      [8, false, { kind: 'per-tensor' }],
    ] as [number, boolean, Granularity][]) {
      const t = tensor('float32', Array.from({ length: 35 }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5))), [5, 7]);
      const r = quantizeAffine(t, { bits, symmetric, granularity: g });
      const b = new GraphBuilder('dq');
      const x = b.input('x', 'float32', [1]);
      b.output(b.add(b.dequantize(b.constant(r.q)), b.op1('ReduceSum', [x], { keepdims: 1 })), 'y');
      const y = run(b.build(), { x: tensor('float32', [0]) }).y;
      expect(Array.from(y.toFloat32())).toEqual(Array.from(r.dequantized));
    }
  });

  it('rangeToParams keeps zero exact and treats an empty range as scale 1', () => {
    const p = rangeToParams(0.5, 2, -128, 127, false);
    expect(p.zeroPoint).toBe(-128); // range widened to [0, 2]
    expect(p.scale).toBe(f32(2 / 255));
    expect(rangeToParams(0, 0, -128, 127, false)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(rangeToParams(-3, 1, 0, 255, true)).toEqual({ scale: f32(3 / 127), zeroPoint: 128 });
    expect(() => rangeToParams(NaN, 1, -128, 127, false)).toThrow(ArgumentError);
  });

  it('biases become int32 at scale sx * sw[c] within half a step', () => {
    const b = tensor('float32', [0.1, -2.5, 3.75, 0], [4]);
    const scales = [0.01, 0.002, 0.5, 1];
    const r = quantizeBias(b, scales);
    expect(r.q.dtype).toBe('int32');
    for (let c = 0; c < 4; c++) {
      expect(r.scales[c]).toBe(f32(scales[c]));
      expect(Math.abs(r.dequantized[c] - b.get(c))).toBeLessThanOrEqual(r.scales[c] / 2);
    }
  });

  it('rejects non-finite weights', () => {
    const t = new Tensor('float32', [2], Float32Array.of(1, NaN));
    expect(() => quantizeAffine(t, { bits: 8, symmetric: true, granularity: { kind: 'per-tensor' } })).toThrow(/NaN/);
  });
});
