/**
 * Cast and CastLike: truncation, saturation, wrapping, single rounding to narrow floats, bool, int4.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributeError, DTYPES, float32ToFloat16Bits, tensor, type DType, type Tensor } from '../../src/index.js';
import { inferNode } from '../../src/verify/infer.js';
import { bigs, expectClose, runOp1 } from '../helpers.js';

const cast = (x: Tensor, to: DType) => runOp1('Cast', [x], { to });

describe('Cast', () => {
  it('float -> integer truncates toward zero', () => {
    expect(cast(tensor('float32', [1.9, -1.9, 0.5, -0.5, 7]), 'int32').toNumbers()).toEqual([1, -1, 0, 0, 7]);
    expect(cast(tensor('float16', [2.5, -3.75]), 'int8').toNumbers()).toEqual([2, -3]);
    expect(bigs(cast(tensor('float64', [2 ** 62, -(2 ** 60) - 2 ** 10, 123.9]), 'int64'))).toEqual([2n ** 62n, -(2n ** 60n) - 1024n, 123n]);
    expect(Array.from(cast(tensor('float64', [1e19, 2 ** 63 + 2 ** 11]), 'uint64').data as BigUint64Array)).toEqual([10000000000000000000n, 2n ** 63n + 2048n]);
  });

  it('float -> integer saturates out of range and maps NaN to 0 (documented choice)', () => {
    const x = tensor('float32', [3e9, -3e9, NaN, Infinity, -Infinity]);
    expect(cast(x, 'int32').toNumbers()).toEqual([2147483647, -2147483648, 0, 2147483647, -2147483648]);
    expect(cast(tensor('float32', [-1, 256, 255.9, -0.9]), 'uint8').toNumbers()).toEqual([0, 255, 255, 0]);
    expect(bigs(cast(tensor('float64', [1e19, -1e19, 2 ** 63]), 'int64'))).toEqual([2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n - 1n]);
    expect(Array.from(cast(tensor('float32', [-5, 1e30]), 'uint64').data as BigUint64Array)).toEqual([0n, 2n ** 64n - 1n]);
  });

  it('integer -> integer wraps (exact via bigint)', () => {
    expect(cast(tensor('int32', [200, -200, 128, 255]), 'int8').toNumbers()).toEqual([-56, 56, -128, -1]);
    expect(cast(tensor('int8', [-1, -128]), 'uint16').toNumbers()).toEqual([65535, 65408]);
    expect(cast(tensor('int64', [2n ** 40n + 5n, -(2n ** 62n) - 1n]), 'int32').toNumbers()).toEqual([5, -1]);
    expect(bigs(cast(tensor('uint64', [2n ** 64n - 1n, 2n ** 63n]), 'int64'))).toEqual([-1n, -(2n ** 63n)]);
    expect(Array.from(cast(tensor('int64', [-1n]), 'uint64').data as BigUint64Array)).toEqual([2n ** 64n - 1n]);
    expect(cast(tensor('uint32', [4294967295]), 'int32').toNumbers()).toEqual([-1]);
  });

  it('integer -> float rounds once, ties to even', () => {
    // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins.
    expect(cast(tensor('int64', [2n ** 53n + 1n, 2n ** 53n + 3n]), 'float64').toNumbers()).toEqual([2 ** 53, 2 ** 53 + 4]);
    // Via float64 this would round twice (to 2^60 + 2^36, then tie-to-even 2^60); the right answer is 2^60 + 2^37.
    expect(cast(tensor('int64', [2n ** 60n + 2n ** 36n + 1n]), 'float32').toNumbers()).toEqual([2 ** 60 + 2 ** 37]);
    expect(cast(tensor('uint64', [2n ** 64n - 1n]), 'float32').toNumbers()).toEqual([2 ** 64]);
    expect(cast(tensor('int32', [16777217, -16777219]), 'float32').toNumbers()).toEqual([16777216, -16777220]);
    expect(cast(tensor('int32', [65519, 65520, 2049]), 'float16').toNumbers()).toEqual([65504, Infinity, 2048]);
    expect(cast(tensor('int32', [257, 259, 2 ** 24 + 2 ** 16 + 1]), 'bfloat16').toNumbers()).toEqual([256, 260, 2 ** 24 + 2 ** 17]);
  });

  it('float -> narrower float rounds once to nearest even, from float64 too', () => {
    // 1 + 2^-11 + 2^-30: float32 would make it the tie 1 + 2^-11 (-> 1); the correct float16 is 1 + 2^-10.
    expect(cast(tensor('float64', [1 + 2 ** -11 + 2 ** -30, 1 + 2 ** -11, -(1 + 2 ** -11 + 2 ** -30)]), 'float16').toNumbers()).toEqual([1 + 2 ** -10, 1, -(1 + 2 ** -10)]);
    expect(cast(tensor('float64', [1 + 2 ** -8 + 2 ** -30, 1 + 2 ** -8]), 'bfloat16').toNumbers()).toEqual([1 + 2 ** -7, 1]);
    expect(cast(tensor('float32', [65519, 65520, 1e-8, NaN, -Infinity]), 'float16').toNumbers()).toEqual([65504, Infinity, 0, NaN, -Infinity]);
    expect(cast(tensor('float64', [0.1, 1e39, 1e-46]), 'float32').toNumbers()).toEqual([Math.fround(0.1), Infinity, 0]);
    expect(cast(tensor('float64', [2 ** -24 * 1.5, 2 ** -25 + 2 ** -60]), 'float16').toNumbers()).toEqual([2 ** -23, 2 ** -24]); // float16 subnormals
    expect(cast(tensor('float16', [0.1, -65504]), 'float32').toNumbers()).toEqual([tensor('float16', [0.1]).get(0), -65504]);
    expect(cast(tensor('bfloat16', [3.140625]), 'float16').toNumbers()).toEqual([3.140625]);
  });

  it('float64 -> float16 equals the correctly rounded value (property)', () => {
    // Independent reference: the nearest float16 by searching the two neighbours of the float32 guess.
    const f16 = (x: number) => tensor('float16', [x]).get(0);
    const ulp = (h: number) => {
      const e = Math.max(Math.floor(Math.log2(Math.abs(h) || 2 ** -14)), -14);
      return 2 ** (e - 10);
    };
    fc.assert(
      fc.property(fc.double({ min: -60000, max: 60000, noNaN: true }), (x) => {
        const got = cast(tensor('float64', [x]), 'float16').get(0);
        const guess = f16(x);
        const u = ulp(guess);
        const cands = [guess - u, guess - u / 2, guess, guess + u].map(f16); // u / 2: the neighbour below a power of two
        const best = Math.min(...cands.map((c) => Math.abs(c - x)));
        expect(Math.abs(got - x)).toBe(best);
        const ties = cands.filter((c) => Math.abs(c - x) === best);
        if (ties.length > 1) expect((float32ToFloat16Bits(got) & 1) === 0).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('bool conversions: non-zero (and NaN) -> true; true -> 1', () => {
    expect(cast(tensor('float32', [0, -0, 0.5, NaN, -3]), 'bool').toNumbers()).toEqual([0, 0, 1, 1, 1]);
    expect(cast(tensor('int64', [0n, 2n ** 62n]), 'bool').toNumbers()).toEqual([0, 1]);
    expect(cast(tensor('bool', [1, 0]), 'float16').toNumbers()).toEqual([1, 0]);
    expect(bigs(cast(tensor('bool', [1, 0]), 'int64'))).toEqual([1n, 0n]);
    expect(cast(tensor('uint8', [0, 7]), 'bool').toNumbers()).toEqual([0, 1]);
  });

  it('int4/uint4 targets saturate; 4-bit sources convert exactly', () => {
    expect(cast(tensor('int32', [-9, -8, 7, 8, 3]), 'int4').toNumbers()).toEqual([-8, -8, 7, 7, 3]);
    expect(cast(tensor('float32', [-1, 15.9, 16, 2.5]), 'uint4').toNumbers()).toEqual([0, 15, 15, 2]);
    expect(cast(tensor('int4', [-8, 7, -1]), 'float32').toNumbers()).toEqual([-8, 7, -1]);
    expect(cast(tensor('uint4', [15, 0, 9]), 'int8').toNumbers()).toEqual([15, 0, 9]);
    expect(cast(tensor('int4', [-8, 7, -1]), 'uint4').toNumbers()).toEqual([0, 7, 0]);
  });

  it('round-trips int32 through float64 and int64 (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 10 }), (vs) => {
        const x = tensor('int32', vs);
        expect(cast(cast(x, 'float64'), 'int32').toNumbers()).toEqual(vs);
        expect(cast(cast(x, 'int64'), 'int32').toNumbers()).toEqual(vs);
      }),
      { numRuns: 50 },
    );
  });

  it('keeps the shape, runs for every target dtype, and infers the dtype', () => {
    const x = tensor('float32', [1, 2, 3, 0, 1, 2], [2, 3]);
    for (const to of DTYPES) {
      const y = cast(x, to);
      expect(y.dtype).toBe(to);
      expect([...y.shape]).toEqual([2, 3]);
    }
    const t = inferNode({ name: 'c', op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 'int8' } }, [{ dtype: 'float32', shape: ['n', 3] }], () => undefined, { n: 0 });
    expect(t.types[0]).toEqual({ dtype: 'int8', shape: ['n', 3] });
    expectClose(runOp1('Cast', [tensor('float32', [1.5])], { to: 'float64', saturate: 0 }), [1.5]);
  });

  it('rejects an unknown or missing target', () => {
    expect(() => cast(tensor('float32', [1]), 'float8' as DType)).toThrow(AttributeError);
    expect(() => runOp1('Cast', [tensor('float32', [1])], {})).toThrow(AttributeError);
    expect(() => runOp1('Cast', [tensor('float32', [1])], { to: 1 })).toThrow(AttributeError);
  });
});

describe('CastLike', () => {
  it('casts to the dtype of target_type', () => {
    const y = runOp1('CastLike', [tensor('float32', [1.7, -2.7, 300]), tensor('uint8', [0])]);
    expect(y.dtype).toBe('uint8');
    expect(y.toNumbers()).toEqual([1, 0, 255]);
    const z = runOp1('CastLike', [tensor('int64', [2n ** 53n + 1n]), tensor('float64', [], [0])]);
    expect(z.toNumbers()).toEqual([2 ** 53]);
    const t = inferNode({ name: 'c', op: 'CastLike', inputs: ['x', 't'], outputs: ['y'], attrs: {} }, [{ dtype: 'int32', shape: ['b'] }, { dtype: 'float16', shape: [] }], () => undefined, { n: 0 });
    expect(t.types[0]).toEqual({ dtype: 'float16', shape: ['b'] });
  });
});
