/**
 * Tests of src/core/quant.ts against independent references: exact BigInt/rational arithmetic for
 * the fixed-point requantization, test-local index formulas for parameter lookup, and the
 * quantization error bound for the affine quantizer.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ArgumentError,
  DTypeError,
  checkQuantParams,
  dequantizeValue,
  expectedParamCount,
  lut,
  multiplyByQuantizedMultiplier,
  paramIndex,
  perAxis,
  perBlock,
  perTensor,
  quantRange,
  quantizeMultiplier,
  quantizeValue,
  requantize,
  roundHalfAway,
  roundHalfEven,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  type QuantParams,
} from '../../src/index.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

// ------------------------------------------------------------------ exact rational helpers

/** x as num * 2^exp exactly (x a finite double). */
function toDyadic(x: number): { num: bigint; exp: number } {
  if (x === 0) return { num: 0n, exp: 0 };
  let exp = 0;
  let m = x;
  while (!Number.isInteger(m)) {
    m *= 2;
    exp--;
  }
  return { num: BigInt(m), exp };
}

/** floor(n / 2^k) for k >= 0 on bigints (arithmetic shift). */
const floorShift = (n: bigint, k: number): bigint => n >> BigInt(k);

/** round(num / 2^k), ties away from zero, exactly. */
function roundAwayDyadic(num: bigint, k: number): bigint {
  if (k <= 0) return num << BigInt(-k);
  const neg = num < 0n;
  const a = neg ? -num : num;
  const r = floorShift(a + (1n << BigInt(k - 1)), k);
  return neg ? -r : r;
}

// ------------------------------------------------------------------ rounding

describe('roundHalfEven / roundHalfAway', () => {
  it('rounds ties to the even neighbour', () => {
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5].map(roundHalfEven)).toEqual([-2, -2, -0, 0, 2, 2, 4]);
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5].map(roundHalfAway)).toEqual([-3, -2, -1, 1, 2, 3]);
  });

  it('ties go to the even integer; non-ties to the nearest (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (n) => {
        const r = roundHalfEven(n + 0.5);
        expect(r === n || r === n + 1).toBe(true);
        expect(Math.abs(r % 2)).toBe(0);
        expect(roundHalfAway(n + 0.5)).toBe(n + 0.5 > 0 ? n + 1 : n);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
        const f = Math.floor(x);
        const frac = x - f;
        fc.pre(frac !== 0.5);
        expect(roundHalfEven(x) + 0).toBe((frac < 0.5 ? f : f + 1) + 0);
      }),
      { numRuns: 100 },
    );
  });

  it('handles values just below 0.5 and large integers', () => {
    expect(roundHalfEven(0.49999999999999994)).toBe(0);
    expect(roundHalfEven(2 ** 52 + 1)).toBe(2 ** 52 + 1);
    expect(roundHalfEven(2 ** 52 - 0.5)).toBe(2 ** 52);
    expect(roundHalfEven(2 ** 52 - 1.5)).toBe(2 ** 52 - 2);
  });
});

// ------------------------------------------------------------------ affine quantize / dequantize

describe('quantizeValue / dequantizeValue', () => {
  it('matches hand-worked ONNX values', () => {
    // ONNX QuantizeLinear example: scale 2, zero point 128, uint8.
    expect([0, 2, 3, 1000, -254, -1000].map((x) => quantizeValue(x, 2, 128, 0, 255))).toEqual([128, 129, 130, 255, 1, 0]);
    // ties to even: 3 / 2 = 1.5 -> 2, 5 / 2 = 2.5 -> 2, -5 / 2 = -2.5 -> -2
    expect([3, 5, -5].map((x) => quantizeValue(x, 2, 0, -128, 127))).toEqual([2, 2, -2]);
    expect(dequantizeValue(3, 0.5, 1)).toBe(1);
    expect(dequantizeValue(-128, 0.1, 0)).toBe(Math.fround(-128 * Math.fround(0.1)));
  });

  it('NaN quantizes to the (saturated) zero point, infinities saturate', () => {
    expect(quantizeValue(NaN, 0.5, 3, 0, 255)).toBe(3);
    expect(quantizeValue(Infinity, 0.5, 3, 0, 255)).toBe(255);
    expect(quantizeValue(-Infinity, 0.5, 3, -8, 7)).toBe(-8);
  });

  it('supports half-away rounding', () => {
    expect(quantizeValue(5, 2, 0, -128, 127, 'half-away')).toBe(3);
    expect(quantizeValue(-5, 2, 0, -128, 127, 'half-away')).toBe(-3);
  });

  const dtypes = ['int8', 'uint8', 'int16', 'uint16', 'int4', 'uint4'] as const;
  const params = fc
    .record({
      dtype: fc.constantFrom(...dtypes),
      scale: fc.double({ min: 1e-3, max: 10, noNaN: true }).map(Math.fround),
      zpFrac: fc.double({ min: 0, max: 1, noNaN: true }),
      t: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ dtype, scale, zpFrac, t }) => {
      const { qmin, qmax } = quantRange(dtype);
      const zp = Math.round(qmin + zpFrac * (qmax - qmin));
      return { dtype, scale, zp, qmin, qmax, t };
    });

  it('|dequant(quant(x)) - x| <= scale/2 inside the representable range (property)', () => {
    fc.assert(
      fc.property(params, ({ scale, zp, qmin, qmax, t }) => {
        const lo = (qmin - zp) * scale;
        const hi = (qmax - zp) * scale;
        const x = Math.fround(lo + t * (hi - lo));
        const q = quantizeValue(x, scale, zp, qmin, qmax);
        expect(Number.isInteger(q) && q >= qmin && q <= qmax).toBe(true);
        const err = Math.abs(dequantizeValue(q, scale, zp) - x);
        // scale/2 plus float32 rounding of the quotient and of the dequantized product.
        expect(err).toBeLessThanOrEqual(scale / 2 + (Math.abs(x) + scale) * 2 ** -22);
      }),
      { numRuns: 200 },
    );
  });

  it('saturates outside the range (property)', () => {
    fc.assert(
      fc.property(params, fc.double({ min: 1, max: 1e6, noNaN: true }), ({ scale, zp, qmin, qmax }, beyond) => {
        const hi = (qmax - zp + 0.5) * scale + beyond * scale;
        const lo = (qmin - zp - 0.5) * scale - beyond * scale;
        expect(quantizeValue(hi, scale, zp, qmin, qmax)).toBe(qmax);
        expect(quantizeValue(lo, scale, zp, qmin, qmax)).toBe(qmin);
      }),
      { numRuns: 100 },
    );
  });

  it('quantRange covers integer dtypes and rejects others', () => {
    expect(quantRange('int4')).toEqual({ qmin: -8, qmax: 7 });
    expect(quantRange('uint16')).toEqual({ qmin: 0, qmax: 65535 });
    expect(() => quantRange('float32')).toThrow(DTypeError);
    expect(() => quantRange('bool')).toThrow(DTypeError);
  });

  it('dequantizes large int32 differences through float32', () => {
    const q = 2 ** 30 + 1;
    expect(dequantizeValue(q, 1, -3)).toBe(Math.fround(q + 3));
  });
});

// ------------------------------------------------------------------ params and paramIndex

describe('quant params', () => {
  it('validate their arguments', () => {
    expect(() => perTensor(0)).toThrow(ArgumentError);
    expect(() => perTensor(1, 0.5)).toThrow(ArgumentError);
    expect(() => perAxis(0, [1, 2], [0])).toThrow(ArgumentError);
    expect(() => perAxis(0, [1, -2])).toThrow(ArgumentError);
    expect(() => perBlock(0, 0, [1])).toThrow(ArgumentError);
    expect(() => lut(9, new Array(512).fill(0))).toThrow(ArgumentError);
    expect(() => lut(2, [1, 2, 3])).toThrow(ArgumentError);
    expect(() => lut(2, [1, 2, 3, 4], { groupSize: -1 })).toThrow(ArgumentError);
  });

  it('checkQuantParams checks counts, zero-point ranges and table sizes', () => {
    expect(() => checkQuantParams(perTensor(1, 300), 'uint8', [2])).toThrow(ArgumentError);
    expect(() => checkQuantParams(perTensor(1, 3), 'float32', [2])).toThrow(DTypeError);
    expect(() => checkQuantParams(perAxis(1, [1, 2]), 'int8', [2, 3])).toThrow(ArgumentError);
    expect(() => checkQuantParams(perAxis(2, [1, 2]), 'int8', [2, 3])).toThrow(ArgumentError);
    checkQuantParams(perAxis(-1, [1, 2, 3]), 'int8', [2, 3]);
    checkQuantParams(perBlock(1, 2, [1, 1, 1, 1, 1, 1]), 'int4', [2, 5]);
    expect(() => checkQuantParams(perBlock(1, 2, [1, 1, 1, 1]), 'int4', [2, 5])).toThrow(ArgumentError);
    checkQuantParams(lut(4, new Array(32).fill(0), { axis: 0, groupSize: 2 }), 'uint4', [3, 2]);
    expect(() => checkQuantParams(lut(4, new Array(16).fill(0), { axis: 0, groupSize: 2 }), 'uint4', [3, 2])).toThrow(ArgumentError);
    expect(() => checkQuantParams(lut(8, new Array(256).fill(0)), 'uint4', [3])).toThrow(ArgumentError);
  });

  it('expectedParamCount', () => {
    expect(expectedParamCount(perTensor(1), [4, 5])).toBe(1);
    expect(expectedParamCount(perAxis(-2, [1, 1, 1, 1]), [4, 5])).toBe(4);
    expect(expectedParamCount(perBlock(1, 2, [1]), [4, 5])).toBe(12);
    expect(expectedParamCount(lut(1, [0, 1], { groupSize: 0 }), [4, 5])).toBe(1);
    expect(expectedParamCount(lut(1, [0, 1], { axis: 1, groupSize: 2 }), [4, 5])).toBe(3);
  });

  /** Multi-index of flat i in shape (test-local). */
  const unravel = (i: number, shape: number[]): number[] => {
    const idx = new Array<number>(shape.length);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = i % shape[d];
      i = Math.floor(i / shape[d]);
    }
    return idx;
  };
  const ravel = (idx: number[], shape: number[]): number => idx.reduce((acc, v, d) => acc * shape[d] + v, 0);

  const shapeAndAxis = fc
    .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
    .chain((shape) => fc.record({ shape: fc.constant(shape), axis: fc.integer({ min: -shape.length, max: shape.length - 1 }), block: fc.integer({ min: 1, max: 4 }) }));

  it('paramIndex per-axis, per-block and lut match multi-index formulas (property)', () => {
    fc.assert(
      fc.property(shapeAndAxis, ({ shape, axis, block }) => {
        const a = axis < 0 ? axis + shape.length : axis;
        const size = shape.reduce((x, y) => x * y, 1);
        const pa: QuantParams = perAxis(axis, new Array(shape[a]).fill(1));
        const blockedShape = shape.map((d, k) => (k === a ? Math.ceil(d / block) : d));
        const pb: QuantParams = perBlock(axis, block, new Array(blockedShape.reduce((x, y) => x * y, 1)).fill(1));
        const groups = Math.ceil(shape[a] / block);
        const pl: QuantParams = lut(1, new Array(2 * groups).fill(0), { axis, groupSize: block });
        const pl0: QuantParams = lut(1, [0, 1]);
        for (let i = 0; i < size; i++) {
          const idx = unravel(i, shape);
          expect(paramIndex(perTensor(1), shape, i)).toBe(0);
          expect(paramIndex(pa, shape, i)).toBe(idx[a]);
          const bidx = idx.map((v, k) => (k === a ? Math.floor(v / block) : v));
          expect(paramIndex(pb, shape, i)).toBe(ravel(bidx, blockedShape));
          expect(paramIndex(pl, shape, i)).toBe(Math.floor(idx[a] / block));
          expect(paramIndex(pl0, shape, i)).toBe(0);
        }
      }),
      { numRuns: 60 },
    );
  });
});

// ------------------------------------------------------------------ fixed-point requantization

describe('TFLite fixed-point requantization', () => {
  /** Reals in TFLite's range for QuantizeMultiplier: (2^-31, 2^30), biased toward < 1. */
  const realMultiplier = fc.oneof(
    fc.double({ min: 2 ** -30, max: 1, noNaN: true, maxExcluded: true }),
    fc.double({ min: 1, max: 2 ** 20, noNaN: true }),
    fc.integer({ min: -30, max: 29 }).map((e) => 2 ** e),
  );

  it('quantizeMultiplier represents m within half a Q31 step (exact rational check)', () => {
    fc.assert(
      fc.property(realMultiplier, (m) => {
        const { multiplier, shift } = quantizeMultiplier(m);
        expect(Number.isInteger(multiplier)).toBe(true);
        expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
        expect(multiplier).toBeLessThan(2 ** 31);
        expect(shift).toBeLessThanOrEqual(30);
        // |multiplier * 2^(shift-31) - m| <= 2^(shift-32), compared exactly at a common power of two.
        const { num, exp } = toDyadic(m);
        const base = Math.min(exp, shift - 32);
        const approx = BigInt(multiplier) << BigInt(shift - 31 - base);
        const exact = num << BigInt(exp - base);
        const diff = approx > exact ? approx - exact : exact - approx;
        expect(diff <= 1n << BigInt(shift - 32 - base)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('quantizeMultiplier edge cases', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    // just below 1 rounds up to 2^31 and renormalises
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    // below 2^-31 flushes to zero
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(() => quantizeMultiplier(-1)).toThrow(ArgumentError);
    expect(() => quantizeMultiplier(NaN)).toThrow(ArgumentError);
    expect(() => quantizeMultiplier(2 ** 31)).toThrow(ArgumentError);
  });

  it('saturatingRoundingDoublingHighMul and roundingDivideByPOT match exact models', () => {
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    const int32 = fc.integer({ min: INT32_MIN, max: INT32_MAX });
    fc.assert(
      fc.property(int32, int32, (a, b) => {
        fc.pre(!(a === INT32_MIN && b === INT32_MIN));
        // round(a*b / 2^31) with ties toward +infinity (the nudge-and-truncate of gemmlowp).
        const expected = floorShift(BigInt(a) * BigInt(b) + (1n << 30n), 31);
        expect(saturatingRoundingDoublingHighMul(a, b)).toBe(Number(expected));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(int32, fc.integer({ min: 0, max: 31 }), (x, e) => {
        expect(roundingDivideByPOT(x, e)).toBe(Number(roundAwayDyadic(BigInt(x), e)));
      }),
      { numRuns: 200 },
    );
  });

  it('multiplyByQuantizedMultiplier equals the exact two-step rounding and is within 1 of round(x * m)', () => {
    fc.assert(
      fc.property(realMultiplier, fc.integer({ min: -(2 ** 24), max: 2 ** 24 }), (m, x) => {
        const qm = quantizeMultiplier(m);
        const left = Math.max(qm.shift, 0);
        const right = Math.max(-qm.shift, 0);
        fc.pre(Math.abs(x * 2 ** left) <= INT32_MAX);
        const got = multiplyByQuantizedMultiplier(x, qm);
        // Exact model: high-mul rounding (ties up) then a rounding right shift (ties away).
        const high = floorShift(BigInt(x * 2 ** left) * BigInt(qm.multiplier) + (1n << 30n), 31);
        expect(got).toBe(Number(roundAwayDyadic(high, right)));
        // Against the exact product with the real multiplier: round(x * m) half away from zero.
        const { num, exp } = toDyadic(m);
        const exact = roundAwayDyadic(BigInt(x) * num, -exp);
        const diff = BigInt(got) - exact;
        expect(diff >= -1n && diff <= 1n).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('requantize: float mode is round_half_even(float32 product) + zp, fixed-point is TFLite; both saturate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 20), max: 2 ** 20 }),
        fc.double({ min: 1e-5, max: 0.99, noNaN: true }),
        fc.integer({ min: -128, max: 127 }),
        (acc, m, zp) => {
          const f = Math.fround(Math.fround(acc) * Math.fround(m));
          const fl = Math.min(127, Math.max(-128, roundHalfEven(f) + zp));
          expect(requantize(acc, m, zp, -128, 127, 'float')).toBe(fl);
          const fx = Math.min(127, Math.max(-128, multiplyByQuantizedMultiplier(acc, quantizeMultiplier(m)) + zp));
          expect(requantize(acc, m, zp, -128, 127, 'fixed-point')).toBe(fx);
        },
      ),
      { numRuns: 200 },
    );
    // ties: 5 * 0.5 = 2.5 -> 2 (float, half even) vs 3 (fixed-point, half away)
    expect(requantize(5, 0.5, 0, -128, 127, 'float')).toBe(2);
    expect(requantize(5, 0.5, 0, -128, 127, 'fixed-point')).toBe(3);
    // gemmlowp's high multiply rounds ties toward +infinity: -2.5 -> -2 when there is no right shift
    expect(requantize(-5, 0.5, 0, -128, 127, 'fixed-point')).toBe(-2);
    // ... while the rounding right shift rounds ties away from zero: -6 * 0.25 = -1.5 -> -2
    expect(requantize(-6, 0.25, 0, -128, 127, 'fixed-point')).toBe(-2);
    expect(requantize(100000, 1, 3, 0, 255, 'float')).toBe(255);
    expect(() => requantize(1, 1, 0, 0, 255, 'bogus' as never)).toThrow(ArgumentError);
  });

  it('float mode rounds accumulators beyond 2^24 to float32 first', () => {
    const acc = 2 ** 24 + 1; // float32(acc) = 2^24
    expect(requantize(acc, 2 ** -20, 0, INT32_MIN, INT32_MAX, 'float')).toBe(16);
  });
});
