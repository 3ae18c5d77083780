import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributeError, DTypeError, ShapeError, tensor, type TensorType } from '../../src/index.js';
import { expectClose, inferTypes, randomValues, runOp1 } from '../helpers.js';

/** Naive float64 softmax of a row (the textbook definition, no max subtraction). */
const softmaxRow = (xs: number[]) => {
  const e = xs.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** Moves `axis` of a row-major [d0, d1, d2] array to the end, applies f per lane, moves it back. */
function alongAxis(vals: number[], shape: [number, number, number], axis: number, f: (xs: number[]) => number[]): number[] {
  const out = new Array<number>(vals.length);
  const [a, b, c] = shape;
  const idx = (i: number, j: number, k: number) => (i * b + j) * c + k;
  const lanes: number[][] = [];
  if (axis === 0) for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) lanes.push(Array.from({ length: a }, (_, i) => idx(i, j, k)));
  if (axis === 1) for (let i = 0; i < a; i++) for (let k = 0; k < c; k++) lanes.push(Array.from({ length: b }, (_, j) => idx(i, j, k)));
  if (axis === 2) for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) lanes.push(Array.from({ length: c }, (_, k) => idx(i, j, k)));
  for (const lane of lanes) f(lane.map((p) => vals[p])).forEach((v, n) => (out[lane[n]] = v));
  return out;
}

describe('Softmax', () => {
  it('follows the ONNX example', () => {
    expectClose(runOp1('Softmax', [tensor('float32', [[-1, 0, 1]])]), [0.09003057, 0.24472847, 0.66524096], { rtol: 1e-6 });
  });
  it('does not overflow for large inputs', () => {
    const y = runOp1('Softmax', [tensor('float32', [[1000, 1001, 1002], [-1e30, 0, 1e30]])]);
    expectClose(y, [...softmaxRow([0, 1, 2]), 0, 0, 1], { rtol: 1e-6 });
  });
  it('matches the float64 formula on every axis (negative axes too)', () => {
    const vals = randomValues(2 * 3 * 4, 11, -3, 3);
    const x = tensor('float64', vals, [2, 3, 4]);
    for (const axis of [0, 1, 2, -1, -3]) {
      const expected = alongAxis(vals, [2, 3, 4], (axis + 3) % 3, softmaxRow);
      expectClose(runOp1('Softmax', [x], { axis }), expected, { rtol: 1e-12, atol: 1e-15 });
    }
  });
  it('supports float16, bfloat16 and float64', () => {
    const e = softmaxRow([1, 2, 3]);
    expectClose(runOp1('Softmax', [tensor('float16', [1, 2, 3])]), e, { rtol: 1e-3 });
    expectClose(runOp1('Softmax', [tensor('bfloat16', [1, 2, 3])]), e, { rtol: 1e-2 });
    const d = runOp1('Softmax', [tensor('float64', [1, 2, 3])]);
    expect(d.dtype).toBe('float64');
    expectClose(d, e, { rtol: 1e-15 });
  });
  it('handles a size-1 axis and an empty tensor', () => {
    expectClose(runOp1('Softmax', [tensor('float32', [[5], [-7]])]), [1, 1]);
    expect(runOp1('Softmax', [tensor('float32', [], [0, 3])]).shape).toEqual([0, 3]);
  });
  it('rows sum to 1 and are invariant to adding a constant per row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 }), fc.nat(), fc.double({ min: -500, max: 500, noNaN: true }), (r, c, seed, shift) => {
        const vals = randomValues(r * c, seed, -20, 20);
        const y = runOp1('Softmax', [tensor('float64', vals, [r, c])]);
        const z = runOp1('Softmax', [tensor('float64', vals.map((v) => v + shift), [r, c])]);
        for (let i = 0; i < r; i++) {
          let s = 0;
          for (let j = 0; j < c; j++) s += y.get(i * c + j);
          expect(Math.abs(s - 1)).toBeLessThan(1e-12);
        }
        expectClose(z, y.toNumbers(), { rtol: 1e-9, atol: 1e-12 });
      }),
      { numRuns: 80 },
    );
  });
});

describe('LogSoftmax', () => {
  it('follows the ONNX example', () => {
    expectClose(runOp1('LogSoftmax', [tensor('float32', [[-1, 0, 1]])]), [-2.40760596, -1.40760596, -0.40760596], { rtol: 1e-6 });
  });
  it('matches log(softmax) in float64 on every axis and stays finite for large inputs', () => {
    const vals = randomValues(24, 5, -4, 4);
    for (const axis of [0, 1, -1]) {
      const expected = alongAxis(vals, [2, 3, 4], (axis + 3) % 3, (xs) => softmaxRow(xs).map(Math.log));
      expectClose(runOp1('LogSoftmax', [tensor('float64', vals, [2, 3, 4])], { axis }), expected, { rtol: 1e-12, atol: 1e-14 });
    }
    // log(softmax) would be log(0) = -inf for the small entries; the stable form is exact.
    expectClose(runOp1('LogSoftmax', [tensor('float32', [0, 1000])]), [-1000, 0]);
  });
  it('supports float16', () => {
    expectClose(runOp1('LogSoftmax', [tensor('float16', [1, 2, 3])]), softmaxRow([1, 2, 3]).map(Math.log), { rtol: 2e-3 });
  });
});

describe('Hardmax', () => {
  it('follows the ONNX example', () => {
    const x = tensor('float32', [[3, 0, 1, 2], [2, 5, 1, 0], [0, 1, 3, 2], [0, 1, 2, 3]]);
    expectClose(runOp1('Hardmax', [x]), [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });
  it('picks the first of equal maxima', () => {
    expectClose(runOp1('Hardmax', [tensor('float32', [[2, 2, 2, 2], [1, 3, 3, 0]])]), [1, 0, 0, 0, 0, 1, 0, 0]);
  });
  it('works along axis 0 and on float16/float64', () => {
    expectClose(runOp1('Hardmax', [tensor('float64', [[1, 5], [3, 2]])], { axis: 0 }), [0, 1, 1, 0]);
    const h = runOp1('Hardmax', [tensor('float16', [-1, -0.5, -2])]);
    expect(h.dtype).toBe('float16');
    expectClose(h, [0, 1, 0]);
  });
});

describe('softmax family: inference and errors', () => {
  const inferOnly = (op: string, t: TensorType, axis?: number) =>
    inferTypes(op, [t], axis === undefined ? {} : { axis })[0];
  it('keeps symbolic shapes', () => {
    expect(inferOnly('Softmax', { dtype: 'float16', shape: ['b', 'seq', 8] })).toEqual({ dtype: 'float16', shape: ['b', 'seq', 8] });
    expect(inferOnly('LogSoftmax', { dtype: 'float32', shape: ['b', 4] }, 0).shape).toEqual(['b', 4]);
  });
  it('rejects bad axes, scalars and non-float dtypes', () => {
    for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
      expect(() => runOp1(op, [tensor('float32', [[1, 2]])], { axis: 2 })).toThrow(ShapeError);
      expect(() => runOp1(op, [tensor('float32', [[1, 2]])], { axis: -3 })).toThrow(/out of range/);
      expect(() => runOp1(op, [tensor('float32', 1, [])])).toThrow(ShapeError);
      expect(() => runOp1(op, [tensor('int32', [1, 2])])).toThrow(DTypeError);
      expect(() => runOp1(op, [tensor('float32', [1, 2])], { axis: 0.5 })).toThrow(AttributeError);
      expect(() => inferOnly(op, { dtype: 'float32', shape: ['b', 3] }, 5)).toThrow(ShapeError);
    }
  });
});
