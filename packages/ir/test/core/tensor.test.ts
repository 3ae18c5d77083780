import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError, DTYPES, DTypeError, ShapeError, Tensor, allocate, broadcastShapes, byteLength, dtypeInfo, fromFunction, perAxis,
  perTensor, scalar, tensor, tensorsEqual, zeros,
} from '../../src/index.js';

describe('dtypes', () => {
  it('allocates the documented storage for every dtype', () => {
    const ctors: Record<string, string> = {
      float32: 'Float32Array', float16: 'Uint16Array', bfloat16: 'Uint16Array', float64: 'Float64Array', int8: 'Int8Array',
      uint8: 'Uint8Array', int16: 'Int16Array', uint16: 'Uint16Array', int32: 'Int32Array', uint32: 'Uint32Array',
      int64: 'BigInt64Array', uint64: 'BigUint64Array', bool: 'Uint8Array', int4: 'Uint8Array', uint4: 'Uint8Array',
    };
    for (const d of DTYPES) expect(allocate(d, 4).constructor.name).toBe(ctors[d]);
    expect(allocate('int4', 5).length).toBe(3);
    expect(byteLength('uint4', 7)).toBe(4);
    expect(byteLength('float16', 3)).toBe(6);
  });
  it('rejects unknown dtypes with the valid list', () => {
    expect(() => dtypeInfo('float8' as never)).toThrow(DTypeError);
    expect(() => dtypeInfo('float8' as never)).toThrow(/expected 'float32'.*'uint4'/);
  });
});

describe('Tensor', () => {
  it('builds from nested arrays and reads back', () => {
    const t = tensor('float32', [[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.toNumbers()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.get(4)).toBe(5);
  });
  it('keeps int64 beyond 2^53 exact', () => {
    const big = 2n ** 60n + 1n;
    const t = tensor('int64', [big, -big]);
    expect(t.getBig(0)).toBe(big);
    expect(t.getBig(1)).toBe(-big);
  });
  it('packs int4 two per byte, low nibble first', () => {
    const t = tensor('int4', [-8, 7, -1, 3, 5]);
    expect(Array.from(t.data)).toEqual([0x78, 0x3f, 0x05]);
    expect(t.toNumbers()).toEqual([-8, 7, -1, 3, 5]);
    const u = tensor('uint4', [15, 0, 9]);
    expect(Array.from(u.data)).toEqual([0x0f, 0x09]);
  });
  it('stores float16 as exact bits', () => {
    const t = tensor('float16', [1, 0.1, 65504]);
    expect(Array.from(t.data)).toEqual([0x3c00, 0x2e66, 0x7bff]);
    expect(t.get(1)).toBeCloseTo(0.0999755859375, 15);
  });
  it('validates storage, shape and quant params', () => {
    expect(() => new Tensor('float32', [2, 2], new Float32Array(3))).toThrow(ArgumentError);
    expect(() => new Tensor('float32', [2], new Int32Array(2) as never)).toThrow(/Float32Array/);
    expect(() => new Tensor('float32', [-1], new Float32Array(0))).toThrow(ShapeError);
    expect(() => tensor('float32', [[1, 2], [3]])).toThrow(/ragged/);
    expect(() => tensor('int8', [1, 2], [2], perAxis(0, [0.1]))).toThrow(/needs 2 scales/);
    expect(() => tensor('int8', [1], [1], perTensor(0.1, 300))).toThrow(/outside the range/);
    expect(() => zeros('float32', [65536, 65536])).toThrow(/above the limit/);
  });
  it('reshape shares data and checks sizes', () => {
    const t = tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3]);
    const r = t.reshape([3, 2]);
    expect(r.data).toBe(t.data);
    expect(() => t.reshape([4, 2])).toThrow(ShapeError);
  });
  it('compares bitwise', () => {
    const a = fromFunction('float32', [3], (i) => i / 3);
    expect(tensorsEqual(a, a.clone())).toBe(true);
    expect(tensorsEqual(a, a.reshape([1, 3]))).toBe(false);
    expect(tensorsEqual(scalar('int8', 1).withQuant(perTensor(0.5)), scalar('int8', 1))).toBe(false);
  });
});

describe('broadcastShapes', () => {
  it('follows numpy rules', () => {
    expect(broadcastShapes([[2, 1, 3], [4, 1]])).toEqual([2, 4, 3]);
    expect(broadcastShapes([[], [5]])).toEqual([5]);
    expect(broadcastShapes([['N', 3], [1, 3]])).toEqual(['N', 3]);
    expect(() => broadcastShapes([[2, 3], [4, 3]])).toThrow(ShapeError);
  });
  it('is commutative and agrees with a per-dimension max rule (property)', () => {
    const dim = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4 }));
    fc.assert(
      fc.property(fc.array(dim, { maxLength: 5 }), fc.array(dim, { maxLength: 5 }), (a, b) => {
        const r = Math.max(a.length, b.length);
        const pa = [...Array(r - a.length).fill(1), ...a];
        const pb = [...Array(r - b.length).fill(1), ...b];
        const ok = pa.every((x, i) => x === pb[i] || x === 1 || pb[i] === 1);
        if (!ok) {
          expect(() => broadcastShapes([a, b])).toThrow(ShapeError);
          return;
        }
        const expected = pa.map((x, i) => Math.max(x, pb[i]));
        expect(broadcastShapes([a, b])).toEqual(expected);
        expect(broadcastShapes([b, a])).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
