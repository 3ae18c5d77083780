import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributeError, DTypeError, NUMERIC_TYPES, ShapeError, tensor } from '../../src/index.js';
import { bigs, expectClose, i64, inferTypes, randomValues, runOp, runOp1 } from '../helpers.js';


// The ONNX operator documentation's example data.
const DATA_1_12 = [[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]];
const DATA_MEAN = [[[5, 1], [20, 2]], [[30, 1], [40, 2]], [[55, 1], [60, 2]]];

describe('ReduceX: ONNX examples', () => {
  it('ReduceSum axes=[1] keepdims=1', () => {
    const y = runOp1('ReduceSum', [tensor('float32', DATA_1_12), i64([1])]);
    expectClose(y, [4, 6, 12, 14, 20, 22], { shape: [3, 1, 2] });
  });
  it('ReduceMean axes=[1] keepdims=1 and keepdims=0', () => {
    expectClose(runOp1('ReduceMean', [tensor('float32', DATA_MEAN), i64([1])]), [12.5, 1.5, 35, 1.5, 57.5, 1.5], { shape: [3, 1, 2] });
    expectClose(runOp1('ReduceMean', [tensor('float32', DATA_MEAN), i64([1])], { keepdims: 0 }), [12.5, 1.5, 35, 1.5, 57.5, 1.5], { shape: [3, 2] });
  });
  it('ReduceMax / ReduceMin axes=[1]', () => {
    expectClose(runOp1('ReduceMax', [tensor('float32', DATA_MEAN), i64([1])]), [20, 2, 40, 2, 60, 2], { shape: [3, 1, 2] });
    expectClose(runOp1('ReduceMin', [tensor('float32', DATA_MEAN), i64([1])]), [5, 1, 30, 1, 55, 1], { shape: [3, 1, 2] });
  });
  it('ReduceProd axes=[1]', () => {
    expectClose(runOp1('ReduceProd', [tensor('float32', DATA_1_12), i64([1])]), [3, 8, 35, 48, 99, 120], { shape: [3, 1, 2] });
  });
  it('ReduceL1 / ReduceL2 axes=[2]', () => {
    expectClose(runOp1('ReduceL1', [tensor('float32', DATA_1_12), i64([2])]), [3, 7, 11, 15, 19, 23], { shape: [3, 2, 1] });
    const l2 = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]].map(([a, b]) => Math.hypot(a, b));
    expectClose(runOp1('ReduceL2', [tensor('float32', DATA_1_12), i64([2])]), l2, { shape: [3, 2, 1], rtol: 1e-7 });
  });
  it('ReduceSumSquare axes=[1]', () => {
    expectClose(runOp1('ReduceSumSquare', [tensor('float32', DATA_1_12), i64([1])]), [10, 20, 74, 100, 202, 244], { shape: [3, 1, 2] });
  });
  it('ReduceLogSum / ReduceLogSumExp over all axes', () => {
    const x = tensor('float64', [[1, 2], [3, 4]]);
    expectClose(runOp1('ReduceLogSum', [x], { keepdims: 0 }), [Math.log(10)], { shape: [] });
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(4));
    expectClose(runOp1('ReduceLogSumExp', [x]), [lse], { shape: [1, 1], rtol: 1e-12 });
  });
  it('ReduceLogSumExp does not overflow for large inputs', () => {
    const y = runOp1('ReduceLogSumExp', [tensor('float32', [[1000, 1000], [-1000, 88]]), i64([1])], { keepdims: 0 });
    expectClose(y, [1000 + Math.log(2), 88 + Math.log1p(Math.exp(-1088))], { rtol: 1e-7 });
    expectClose(runOp1('ReduceLogSumExp', [tensor('float32', [-Infinity, -Infinity])]), [-Infinity]);
  });
});

describe('ReduceX: axes, keepdims, noop_with_empty_axes', () => {
  const x = tensor('float32', DATA_1_12);
  it('negative axes count from the back and may come in any order', () => {
    const a = runOp1('ReduceSum', [x, i64([-1, 0])], { keepdims: 0 });
    expectClose(a, [1 + 2 + 5 + 6 + 9 + 10, 3 + 4 + 7 + 8 + 11 + 12], { shape: [2] });
    const b = runOp1('ReduceSum', [x, i64([0, -1])]);
    expectClose(b, [33, 45], { shape: [1, 2, 1] });
  });
  it('absent axes reduce everything; empty axes too unless noop_with_empty_axes=1', () => {
    expectClose(runOp1('ReduceSum', [x]), [78], { shape: [1, 1, 1] });
    expectClose(runOp1('ReduceSum', [x], { keepdims: 0 }), [78], { shape: [] });
    expectClose(runOp1('ReduceSum', [x, i64([])], { keepdims: 0 }), [78], { shape: [] });
    const same = runOp1('ReduceSum', [x, i64([])], { noop_with_empty_axes: 1 });
    expectClose(same, x.toNumbers(), { shape: [3, 2, 2] });
    expect(same.data).not.toBe(x.data);
    expectClose(runOp1('ReduceSum', [x], { noop_with_empty_axes: 1, keepdims: 0 }), x.toNumbers(), { shape: [3, 2, 2] });
  });
  it('noop_with_empty_axes reduces each element alone (ONNX reference semantics)', () => {
    const v = tensor('float64', [-2, 0.5, 3]);
    const noop = { noop_with_empty_axes: 1 };
    expectClose(runOp1('ReduceSumSquare', [v], noop), [4, 0.25, 9]);
    expectClose(runOp1('ReduceL1', [v], noop), [2, 0.5, 3]);
    expectClose(runOp1('ReduceL2', [v], noop), [2, 0.5, 3]);
    expectClose(runOp1('ReduceLogSumExp', [v], noop), [-2, 0.5, 3], { rtol: 1e-12 });
    expectClose(runOp1('ReduceLogSum', [v], noop), [NaN, Math.log(0.5), Math.log(3)]);
    expectClose(runOp1('ReduceMean', [v], noop), [-2, 0.5, 3]);
  });
  it('reduces size-1 and scalar inputs', () => {
    expectClose(runOp1('ReduceMax', [tensor('float32', 7, [])]), [7], { shape: [] });
    expectClose(runOp1('ReduceProd', [tensor('float32', [[2, 3]]), i64([0])], { keepdims: 0 }), [2, 3], { shape: [2] });
  });
});

describe('ReduceX: reducing an empty set', () => {
  const empty = tensor('float32', [], [2, 0]);
  const cases: [string, number][] = [
    ['ReduceSum', 0], ['ReduceProd', 1], ['ReduceMax', -Infinity], ['ReduceMin', Infinity], ['ReduceMean', NaN],
    ['ReduceL1', 0], ['ReduceL2', 0], ['ReduceSumSquare', 0], ['ReduceLogSum', -Infinity], ['ReduceLogSumExp', -Infinity],
  ];
  for (const [op, v] of cases) {
    it(`${op} of nothing is ${v}`, () => expectClose(runOp1(op, [empty, i64([1])]), [v, v], { shape: [2, 1] }));
  }
  it('integer Max/Min of nothing are the dtype bounds', () => {
    expect(runOp1('ReduceMax', [tensor('int32', [], [0])]).toNumbers()).toEqual([-2147483648]);
    expect(runOp1('ReduceMin', [tensor('uint8', [], [0])]).toNumbers()).toEqual([255]);
    expect(bigs(runOp1('ReduceMax', [tensor('int64', [], [0])]))).toEqual([-(2n ** 63n)]);
    expect(bigs(runOp1('ReduceMin', [tensor('int64', [], [0])]))).toEqual([2n ** 63n - 1n]);
    expect(Array.from(runOp1('ReduceMin', [tensor('uint64', [], [0])]).data as BigUint64Array)).toEqual([2n ** 64n - 1n]);
  });
  it('reducing a kept zero-size axis gives an empty output', () => {
    expect(runOp1('ReduceSum', [tensor('float32', [], [0, 3]), i64([1])]).shape).toEqual([0, 1]);
  });
});

describe('ReduceX: dtypes', () => {
  const values = [[1, 2, 3], [4, 5, 6]];
  const formulas: Record<string, (xs: number[]) => number> = {
    ReduceSum: (xs) => xs.reduce((a, b) => a + b, 0),
    ReduceMean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
    ReduceMax: (xs) => Math.max(...xs),
    ReduceMin: (xs) => Math.min(...xs),
    ReduceProd: (xs) => xs.reduce((a, b) => a * b, 1),
    ReduceL1: (xs) => xs.reduce((a, b) => a + Math.abs(b), 0),
    ReduceL2: (xs) => Math.sqrt(xs.reduce((a, b) => a + b * b, 0)),
    ReduceLogSum: (xs) => Math.log(xs.reduce((a, b) => a + b, 0)),
    ReduceLogSumExp: (xs) => Math.log(xs.reduce((a, b) => a + Math.exp(b), 0)),
    ReduceSumSquare: (xs) => xs.reduce((a, b) => a + b * b, 0),
  };
  for (const [op, f] of Object.entries(formulas)) {
    it(`${op} works on every numeric dtype (integers truncate)`, () => {
      for (const dtype of NUMERIC_TYPES) {
        const y = runOp1(op, [tensor(dtype, values), i64([1])], { keepdims: 0 });
        expect(y.dtype).toBe(dtype);
        const exact = values.map(f);
        const expected = dtype.startsWith('float') || dtype === 'bfloat16' ? exact : exact.map(Math.trunc);
        const rtol = dtype === 'float16' || dtype === 'bfloat16' ? 1e-2 : 1e-6;
        expectClose(y, expected, { rtol, shape: [2] });
      }
    });
  }
  it('ReduceSum of int64 is exact beyond 2^53', () => {
    const y = runOp1('ReduceSum', [tensor('int64', [2n ** 53n, 1n, 1n, 2n ** 60n])]);
    expect(bigs(y)).toEqual([2n ** 53n + 2n + 2n ** 60n]);
    const p = runOp1('ReduceProd', [tensor('int64', [3037000499n, 3037000499n])]);
    expect(bigs(p)).toEqual([3037000499n * 3037000499n]);
    const m = runOp1('ReduceMax', [tensor('int64', [2n ** 62n + 1n, 2n ** 62n])]);
    expect(bigs(m)).toEqual([2n ** 62n + 1n]);
    const mean = runOp1('ReduceMean', [tensor('int64', [2n ** 60n + 3n, 2n ** 60n])]);
    expect(bigs(mean)).toEqual([2n ** 60n + 1n]);
  });
  it('integer arithmetic wraps like C and means truncate toward zero', () => {
    expect(runOp1('ReduceSum', [tensor('int32', [2147483647, 1])]).toNumbers()).toEqual([-2147483648]);
    expect(runOp1('ReduceSum', [tensor('uint8', [200, 100])]).toNumbers()).toEqual([44]);
    expect(runOp1('ReduceMean', [tensor('int32', [-1, -2])]).toNumbers()).toEqual([-1]);
    expect(runOp1('ReduceL1', [tensor('int8', [-100, -100])]).toNumbers()).toEqual([-56]);
  });
  it('ReduceMax/ReduceMin accept bool (any / all)', () => {
    const b = tensor('bool', [[true, false], [false, false]]);
    expect(runOp1('ReduceMax', [b, i64([1])], { keepdims: 0 }).toNumbers()).toEqual([1, 0]);
    expect(runOp1('ReduceMin', [b, i64([0])], { keepdims: 0 }).toNumbers()).toEqual([0, 0]);
    expect(runOp1('ReduceMin', [tensor('bool', [], [0])]).toNumbers()).toEqual([1]);
    expect(() => runOp1('ReduceSum', [b])).toThrow(DTypeError);
  });
  it('float16 sums round once to half precision', () => {
    // 2048 + 1 + 1: a float16 running sum would stay at 2048; one rounding of the exact 2050 does not.
    const y = runOp1('ReduceSum', [tensor('float16', [2048, 1, 1])]);
    expect(y.toNumbers()).toEqual([2050]);
  });
  it('NaN propagates through ReduceMax and ReduceMin', () => {
    expectClose(runOp1('ReduceMax', [tensor('float32', [1, NaN, 3])]), [NaN]);
    expectClose(runOp1('ReduceMin', [tensor('float32', [1, NaN, 3])]), [NaN]);
  });
});

describe('ReduceX: inference', () => {
  it('passes symbolic dims through when axes are constant', () => {
    const [t] = inferTypes('ReduceMean', [{ dtype: 'float32', shape: ['batch', 'seq', 64] }, i64([-1])]);
    expect(t).toEqual({ dtype: 'float32', shape: ['batch', 'seq', 1] });
    const [u] = inferTypes('ReduceSum', [{ dtype: 'float16', shape: ['batch', 3, 4] }, i64([1, 2])], { keepdims: 0 });
    expect(u.shape).toEqual(['batch']);
  });
  it('gives unknown dims when axes are not constant', () => {
    const [k] = inferTypes('ReduceMax', [{ dtype: 'float32', shape: [2, 1, 'n'] }, { dtype: 'int64', shape: [1] }]);
    expect(k.shape.length).toBe(3);
    expect(k.shape[1]).toBe(1);
    expect(typeof k.shape[0]).toBe('string');
    const [d] = inferTypes('ReduceMax', [{ dtype: 'float32', shape: [2, 3, 4] }, { dtype: 'int64', shape: [2] }], { keepdims: 0 });
    expect(d.shape.length).toBe(1);
    expect(() => inferTypes('ReduceMax', [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'int64', shape: ['k'] }], { keepdims: 0 })).toThrow(ShapeError);
  });
  it('runOp with a runtime axes input agrees with inference', () => {
    const y = runOp('ReduceSum', [tensor('float32', DATA_1_12), i64([0, 2])], { keepdims: 0 }, { constInputs: [0] })[0];
    expectClose(y, [1 + 2 + 5 + 6 + 9 + 10, 3 + 4 + 7 + 8 + 11 + 12], { shape: [2] });
  });
});

describe('ReduceX: errors', () => {
  const x = tensor('float32', [[1, 2], [3, 4]]);
  it('rejects out-of-range and repeated axes', () => {
    expect(() => runOp1('ReduceSum', [x, i64([2])])).toThrow(ShapeError);
    expect(() => runOp1('ReduceSum', [x, i64([-3])])).toThrow(/out of range/);
    expect(() => runOp1('ReduceSum', [x, i64([1, -1])])).toThrow(/more than once/);
    expect(() => runOp1('ReduceSum', [x, tensor('int64', [[0]])])).toThrow(ShapeError);
  });
  it('rejects bad attributes and dtypes', () => {
    expect(() => runOp1('ReduceSum', [x], { keepdims: 2 })).toThrow(AttributeError);
    expect(() => runOp1('ReduceSum', [x], { noop_with_empty_axes: -1 })).toThrow(AttributeError);
    expect(() => runOp1('ReduceSum', [x, tensor('int32', [0])])).toThrow(DTypeError);
  });
});

describe('ReduceX: properties', () => {
  it('ReduceSum over all axes equals the sum in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (xs, seed) => {
        // A permutation by a seeded Fisher-Yates shuffle, summed in that order.
        const perm = [...xs];
        let s = seed;
        for (let i = perm.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) % 2147483648;
          const j = s % (i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        const expected = perm.reduce((a, b) => a + b, 0);
        const y = runOp1('ReduceSum', [tensor('float64', xs, [xs.length])], { keepdims: 0 });
        const scale = xs.reduce((a, b) => a + Math.abs(b), 0);
        expect(Math.abs(y.get(0) - expected)).toBeLessThanOrEqual(1e-12 * scale + 1e-9);
      }),
      { numRuns: 80 },
    );
  });
  it('ReduceMax is >= every element and equals one of them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1 << 20 }), (r, c, seed) => {
        const vals = randomValues(r * c, seed, -100, 100).map(Math.fround);
        const y = runOp1('ReduceMax', [tensor('float32', vals, [r, c]), i64([1])], { keepdims: 0 });
        for (let i = 0; i < r; i++) {
          const row = vals.slice(i * c, (i + 1) * c);
          for (const v of row) expect(y.get(i)).toBeGreaterThanOrEqual(v);
          expect(row).toContain(y.get(i));
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('ArgMax / ArgMin', () => {
  const x = tensor('float32', [[2, 1], [3, 10]]);
  it('follows the ONNX examples', () => {
    expect(bigs(runOp1('ArgMax', [x]))).toEqual([1n, 1n]);
    expect(runOp1('ArgMax', [x]).shape).toEqual([1, 2]);
    expect(bigs(runOp1('ArgMax', [x], { axis: 1 }))).toEqual([0n, 1n]);
    expect(runOp1('ArgMax', [x], { axis: 1, keepdims: 0 }).shape).toEqual([2]);
    expect(bigs(runOp1('ArgMin', [x], { axis: -1, keepdims: 0 }))).toEqual([1n, 0n]);
    expect(bigs(runOp1('ArgMin', [x]))).toEqual([0n, 0n]);
  });
  it('select_last_index picks the last of equal values', () => {
    const t = tensor('float32', [[2, 2], [3, 10]]);
    expect(bigs(runOp1('ArgMax', [t], { axis: 1 }))).toEqual([0n, 1n]);
    expect(bigs(runOp1('ArgMax', [t], { axis: 1, select_last_index: 1 }))).toEqual([1n, 1n]);
    expect(bigs(runOp1('ArgMin', [tensor('int32', [5, 1, 1, 4])], { select_last_index: 1 }))).toEqual([2n]);
  });
  it('compares int64 exactly and handles float16', () => {
    expect(bigs(runOp1('ArgMax', [tensor('int64', [2n ** 60n + 1n, 2n ** 60n])]))).toEqual([0n]);
    expect(bigs(runOp1('ArgMin', [tensor('float16', [0.5, -2, 3])]))).toEqual([1n]);
  });
  it('treats NaN as the extreme value (first NaN wins)', () => {
    expect(bigs(runOp1('ArgMax', [tensor('float64', [1, NaN, 5, NaN])]))).toEqual([1n]);
    expect(bigs(runOp1('ArgMin', [tensor('float64', [1, NaN, -5])]))).toEqual([1n]);
  });
  it('agrees with a naive loop on random 3-D data', () => {
    const vals = randomValues(2 * 3 * 4, 7);
    const t = tensor('float64', vals, [2, 3, 4]);
    const y = runOp1('ArgMax', [t], { axis: 1, keepdims: 0 });
    const expected: bigint[] = [];
    for (let a = 0; a < 2; a++) for (let c = 0; c < 4; c++) {
      let best = 0;
      for (let b = 1; b < 3; b++) if (vals[a * 12 + b * 4 + c] > vals[a * 12 + best * 4 + c]) best = b;
      expected.push(BigInt(best));
    }
    expect(bigs(y)).toEqual(expected);
    expect(y.shape).toEqual([2, 4]);
  });
  it('infers symbolic shapes and rejects bad input', () => {
    expect(inferTypes('ArgMax', [{ dtype: 'float32', shape: ['b', 10] }], { axis: -1 })[0]).toEqual({ dtype: 'int64', shape: ['b', 1] });
    expect(() => runOp1('ArgMax', [x], { axis: 2 })).toThrow(ShapeError);
    expect(() => runOp1('ArgMax', [tensor('float32', [], [2, 0])], { axis: 1 })).toThrow(ShapeError);
    expect(() => runOp1('ArgMax', [x], { select_last_index: 2 })).toThrow(AttributeError);
    expect(() => runOp1('ArgMax', [tensor('bool', [true])])).toThrow(DTypeError);
  });
});

describe('TopK', () => {
  const x = tensor('float32', [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
  it('follows the ONNX examples (largest, smallest, negative axis)', () => {
    const [v, i] = runOp('TopK', [x, i64([3])], {}, { outputs: 2 });
    expectClose(v, [3, 2, 1, 7, 6, 5, 11, 10, 9], { shape: [3, 3] });
    expect(bigs(i)).toEqual([3n, 2n, 1n, 3n, 2n, 1n, 3n, 2n, 1n]);
    const [s, si] = runOp('TopK', [x, i64([3])], { largest: 0, axis: -1 }, { outputs: 2 });
    expectClose(s, [0, 1, 2, 4, 5, 6, 8, 9, 10]);
    expect(bigs(si)).toEqual([0n, 1n, 2n, 0n, 1n, 2n, 0n, 1n, 2n]);
  });
  it('works along axis 0', () => {
    const [v, i] = runOp('TopK', [x, i64([2])], { axis: 0 }, { outputs: 2 });
    expectClose(v, [8, 9, 10, 11, 4, 5, 6, 7], { shape: [2, 4] });
    expect(bigs(i)).toEqual([2n, 2n, 2n, 2n, 1n, 1n, 1n, 1n]);
  });
  it('breaks ties by the lower index', () => {
    const t = tensor('float32', [1, 3, 3, 2, 3, 1]);
    const [v, i] = runOp('TopK', [t, i64([4])], {}, { outputs: 2 });
    expectClose(v, [3, 3, 3, 2]);
    expect(bigs(i)).toEqual([1n, 2n, 4n, 3n]);
    const [w, j] = runOp('TopK', [t, i64([3])], { largest: 0 }, { outputs: 2 });
    expectClose(w, [1, 1, 2]);
    expect(bigs(j)).toEqual([0n, 5n, 3n]);
  });
  it('sorted=0 returns the same elements, kept in axis order', () => {
    const t = tensor('int32', [5, 9, 1, 7]);
    const [v, i] = runOp('TopK', [t, i64([2])], { sorted: 0 }, { outputs: 2 });
    expect(v.toNumbers()).toEqual([9, 7]);
    expect(bigs(i)).toEqual([1n, 3n]);
    const [u, k] = runOp('TopK', [tensor('float32', [4, 1, 3, 2]), i64([3])], { sorted: 0 }, { outputs: 2 });
    expect(u.toNumbers()).toEqual([4, 3, 2]);
    expect(bigs(k)).toEqual([0n, 2n, 3n]);
  });
  it('handles K = 0, int64 exactly and float16', () => {
    const [v] = runOp('TopK', [x, i64([0])], {}, { outputs: 2 });
    expect(v.shape).toEqual([3, 0]);
    const [b] = runOp('TopK', [tensor('int64', [2n ** 60n, 2n ** 60n + 1n]), i64([1])], {}, { outputs: 2 });
    expect(bigs(b)).toEqual([2n ** 60n + 1n]);
    const [h] = runOp('TopK', [tensor('float16', [0.1, 0.3, 0.2]), i64([2])], {}, { outputs: 2 });
    expect(h.dtype).toBe('float16');
    expect(Array.from(h.data as Uint16Array)).toEqual([tensor('float16', [0.3]).data[0], tensor('float16', [0.2]).data[0]]);
  });
  it('values are sorted and equal a full sort prefix; indices point at them', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 30 }), fc.nat(), fc.boolean(), (xs, kSeed, largest) => {
        const k = kSeed % (xs.length + 1);
        const [v, i] = runOp('TopK', [tensor('float64', xs, [xs.length]), i64([k])], { largest: largest ? 1 : 0 }, { outputs: 2 });
        const full = [...xs].sort((a, b) => (largest ? b - a : a - b));
        expect(v.toNumbers()).toEqual(full.slice(0, k));
        const idx = bigs(i).map(Number);
        idx.forEach((j, r) => expect(xs[j]).toBe(v.get(r)));
        expect(new Set(idx).size).toBe(idx.length);
        // Equal values come in increasing index order.
        for (let r = 1; r < k; r++) if (v.get(r) === v.get(r - 1)) expect(idx[r]).toBeGreaterThan(idx[r - 1]);
      }),
      { numRuns: 80 },
    );
  });
  it('infers K from a constant, else an unknown dim', () => {
    const [v, i] = inferTypes('TopK', [{ dtype: 'float32', shape: ['b', 10] }, i64([3])], {}, 2);
    expect(v).toEqual({ dtype: 'float32', shape: ['b', 3] });
    expect(i).toEqual({ dtype: 'int64', shape: ['b', 3] });
    const [w] = inferTypes('TopK', [{ dtype: 'float32', shape: [2, 10] }, { dtype: 'int64', shape: [1] }], {}, 2);
    expect(w.shape[0]).toBe(2);
    expect(typeof w.shape[1]).toBe('string');
  });
  it('rejects K larger than the axis, negative K, bad axes', () => {
    expect(() => runOp('TopK', [x, i64([5])], {}, { outputs: 2 })).toThrow(ShapeError);
    expect(() => runOp('TopK', [x, i64([5])], {}, { outputs: 2, constInputs: [0] })).toThrow(/larger than axis/);
    expect(() => runOp('TopK', [x, i64([-1])], {}, { outputs: 2 })).toThrow(ShapeError);
    expect(() => runOp('TopK', [x, i64([1, 2])], {}, { outputs: 2 })).toThrow(ShapeError);
    expect(() => runOp('TopK', [x, i64([1])], { axis: 2 }, { outputs: 2 })).toThrow(ShapeError);
    expect(() => runOp('TopK', [x, i64([1])], { largest: 3 }, { outputs: 2 })).toThrow(AttributeError);
  });
});

describe('CumSum', () => {
  const v = tensor('float64', [1, 2, 3, 4, 5]);
  const axis0 = tensor('int32', 0, []);
  it('follows the ONNX examples', () => {
    expectClose(runOp1('CumSum', [v, axis0]), [1, 3, 6, 10, 15]);
    expectClose(runOp1('CumSum', [v, axis0], { exclusive: 1 }), [0, 1, 3, 6, 10]);
    expectClose(runOp1('CumSum', [v, axis0], { reverse: 1 }), [15, 14, 12, 9, 5]);
    expectClose(runOp1('CumSum', [v, axis0], { exclusive: 1, reverse: 1 }), [14, 12, 9, 5, 0]);
    const m = tensor('float32', [[1, 2, 3], [4, 5, 6]]);
    expectClose(runOp1('CumSum', [m, tensor('int64', 0, [])]), [1, 2, 3, 5, 7, 9]);
    expectClose(runOp1('CumSum', [m, tensor('int64', [1])]), [1, 3, 6, 4, 9, 15]);
    expectClose(runOp1('CumSum', [m, tensor('int32', -1, [])]), [1, 3, 6, 4, 9, 15]);
  });
  it('is exact for int64 and wraps int32', () => {
    const y = runOp1('CumSum', [tensor('int64', [2n ** 53n, 1n, 1n]), axis0]);
    expect(bigs(y)).toEqual([2n ** 53n, 2n ** 53n + 1n, 2n ** 53n + 2n]);
    expect(runOp1('CumSum', [tensor('int32', [2147483647, 1]), axis0]).toNumbers()).toEqual([2147483647, -2147483648]);
    expect(runOp1('CumSum', [tensor('uint32', [1, 2]), axis0], { reverse: 1 }).toNumbers()).toEqual([3, 2]);
  });
  it('handles float16 and empty axes', () => {
    expectClose(runOp1('CumSum', [tensor('float16', [0.5, 0.25, 1]), axis0]), [0.5, 0.75, 1.75]);
    expect(runOp1('CumSum', [tensor('float32', [], [2, 0]), tensor('int32', 1, [])]).shape).toEqual([2, 0]);
  });
  it('matches a naive float32 loop for every exclusive/reverse combination', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.nat(), fc.boolean(), fc.boolean(), fc.boolean(), (r, c, seed, ex, rev, ax1) => {
        const vals = randomValues(r * c, seed, -10, 10).map(Math.fround);
        const axis = ax1 ? 1 : 0;
        const y = runOp1('CumSum', [tensor('float32', vals, [r, c]), tensor('int64', axis, [])], { exclusive: ex ? 1 : 0, reverse: rev ? 1 : 0 });
        const expected = new Array<number>(r * c).fill(0);
        const lanes = axis === 1 ? r : c;
        const len = axis === 1 ? c : r;
        for (let l = 0; l < lanes; l++) {
          const at = (k: number) => (axis === 1 ? l * c + k : k * c + l);
          for (let k = 0; k < len; k++) {
            // Partial sums accumulate in float32 in the order the lane is walked.
            const order = Array.from({ length: len }, (_, j) => (rev ? len - 1 - j : j));
            let s = 0;
            for (const j of order) {
              if (j === k) {
                if (!ex) s = Math.fround(s + vals[at(j)]);
                break;
              }
              s = Math.fround(s + vals[at(j)]);
            }
            expected[at(k)] = s;
          }
        }
        expectClose(y, expected, { rtol: 0, atol: 0 });
      }),
      { numRuns: 80 },
    );
  });
  it('rejects a bad axis input', () => {
    expect(() => runOp1('CumSum', [v, tensor('int32', 1, [])])).toThrow(ShapeError);
    expect(() => runOp1('CumSum', [v, tensor('int32', [0, 0])])).toThrow(ShapeError);
    expect(() => runOp1('CumSum', [v, tensor('float32', 0, [])])).toThrow(DTypeError);
    expect(() => runOp1('CumSum', [v, axis0], { exclusive: 2 })).toThrow(AttributeError);
  });
});
