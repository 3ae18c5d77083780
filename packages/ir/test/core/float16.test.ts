import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from '../../src/index.js';

// Independent reference: every finite half value, sorted, and a nearest-with-ties-to-even search.
const finite: { v: number; bits: number }[] = [];
for (let b = 0; b < 0x7c00; b++) {
  const v = b < 0x400 ? b * 2 ** -24 : (1 + (b & 0x3ff) / 1024) * 2 ** ((b >> 10) - 15);
  finite.push({ v, bits: b });
}
function nearestHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  const max = 65504;
  // Values at or beyond max + half an ulp (65520) round to infinity.
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = finite.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (finite[mid].v <= a) lo = mid;
    else hi = mid;
  }
  if (a >= max) return sign | 0x7bff;
  const dl = a - finite[lo].v;
  const dh = finite[hi].v - a;
  if (dl < dh) return sign | finite[lo].bits;
  if (dh < dl) return sign | finite[hi].bits;
  return sign | (finite[lo].bits % 2 === 0 ? finite[lo].bits : finite[hi].bits);
}

describe('float16', () => {
  it('encodes known values', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // tie between max and 2^16 goes to even (Inf)
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // tie to even (zero)
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 ulps -> 2
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(Infinity)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
  });

  it('decodes every bit pattern and re-encodes it exactly', () => {
    for (let b = 0; b < 0x10000; b++) {
      const v = float16BitsToFloat32(b);
      if (Number.isNaN(v)) continue;
      expect(float32ToFloat16Bits(v)).toBe(b);
    }
  });

  it('rounds float32 values to the nearest half, ties to even', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -70000, max: 70000 }), (x) => {
        expect(float32ToFloat16Bits(x)).toBe(nearestHalf(Math.fround(x)));
      }),
      { numRuns: 2000 },
    );
    // Exact midpoints between neighbouring halves.
    for (let b = 1; b < 0x7bff; b += 97) {
      const mid = (finite[b].v + finite[b + 1].v) / 2;
      expect(float32ToFloat16Bits(mid)).toBe(nearestHalf(mid));
    }
  });
});

describe('bfloat16', () => {
  it('keeps the top 16 bits with round to nearest even', () => {
    expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: goes to even (1).
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    // 1 + 3*2^-8 is a tie between 1+2^-7 and 1+2^-6: goes to even (1 + 2^-6).
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(NaN)))).toBe(true);
  });
  it('round-trips every non-NaN pattern', () => {
    for (let b = 0; b < 0x10000; b++) {
      const v = bfloat16BitsToFloat32(b);
      if (!Number.isNaN(v)) expect(float32ToBfloat16Bits(v)).toBe(b);
    }
  });
});
