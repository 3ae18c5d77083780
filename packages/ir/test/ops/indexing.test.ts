import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_TYPES, AttributeError, DTypeError, ShapeError, fromFunction, tensor, type DType } from '../../src/index.js';
import { expectClose, f32, i32, i64, inferTypes, prod, ravel, runOp1, unravel } from '../helpers.js';

/** Small values representable in every dtype. */
const sample = (dt: DType, shape: readonly number[]) =>
  fromFunction(dt, shape, (i) => (i * 5 + 1) % (dt === 'bool' ? 2 : dt === 'int4' || dt === 'uint4' ? 8 : 100));

describe('Gather', () => {
  const data = f32([1, 1.2, 2.3, 3.4, 4.5, 5.7], [3, 2]);

  it('gathers rows and columns (axis, negative indices, scalar indices)', () => {
    expectClose(runOp1('Gather', [data, i64([0, 1, 1, 2], [2, 2])]), [1, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7], { shape: [2, 2, 2] });
    expectClose(runOp1('Gather', [data, i32([-1, 0])]), [4.5, 5.7, 1, 1.2], { shape: [2, 2] });
    expectClose(runOp1('Gather', [data, i64([1, 0])], { axis: 1 }), [1.2, 1, 3.4, 2.3, 5.7, 4.5], { shape: [3, 2] });
    expectClose(runOp1('Gather', [data, tensor('int64', [-1], [])], { axis: -1 }), [1.2, 3.4, 5.7], { shape: [3] });
    expect(runOp1('Gather', [data, tensor('int64', [], [0])]).shape).toEqual([0, 2]);
  });

  it('rejects out-of-range indices and axes, naming the index', () => {
    expect(() => runOp1('Gather', [data, i64([0, 3])])).toThrow(ShapeError);
    expect(() => runOp1('Gather', [data, i64([0, 3])])).toThrow(/index 3 is out of range/);
    expect(() => runOp1('Gather', [data, i64([-4])])).toThrow(/index -4/);
    expect(() => runOp1('Gather', [data, i64([0])], { axis: 2 })).toThrow(ShapeError);
    expect(() => runOp1('Gather', [data, f32([0])])).toThrow(DTypeError);
  });

  it('keeps int64 exact and works for every dtype', () => {
    const b = 2n ** 63n - 1n;
    const y = runOp1('Gather', [tensor('int64', [b, -b, 7n]), i64([2, 0, 1])]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([7n, b, -b]);
    for (const dt of ALL_TYPES) {
      const x = sample(dt, [5]);
      expect(runOp1('Gather', [x, i64([4, 0, -2])]).toNumbers()).toEqual([x.get(4), x.get(0), x.get(3)]);
    }
  });

  it('infers with symbols', () => {
    expect(inferTypes('Gather', [{ dtype: 'float32', shape: ['v', 8] }, { dtype: 'int64', shape: ['b', 's'] }])[0].shape).toEqual(['b', 's', 8]);
    expect(inferTypes('Gather', [{ dtype: 'float32', shape: ['b', 5, 8] }, { dtype: 'int64', shape: [] }], { axis: 1 })[0].shape).toEqual(['b', 8]);
  });

  it('matches the naive formula out[i.., j.., k..] = data[i.., idx[j..], k..]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 2 }),
        fc.nat(),
        fc.integer({ min: 0, max: 1000 }),
        (shape, ishape, a, seed) => {
          const axis = a % shape.length;
          const d = shape[axis];
          const x = fromFunction('float64', shape, (i) => i);
          const idx = fromFunction('int64', ishape, (i) => ((i * 7 + seed) % (2 * d)) - d);
          const y = runOp1('Gather', [x, idx], { axis: axis - (seed % 2 ? shape.length : 0) });
          const outShape = [...shape.slice(0, axis), ...ishape, ...shape.slice(axis + 1)];
          expect(y.shape).toEqual(outShape);
          for (let i = 0; i < y.size; i++) {
            const o = unravel(i, outShape);
            const j = o.slice(axis, axis + ishape.length);
            let v = idx.get(ishape.length ? ravel(j, ishape) : 0);
            if (v < 0) v += d;
            const src = [...o.slice(0, axis), v, ...o.slice(axis + ishape.length)];
            expect(y.get(i)).toBe(ravel(src, shape));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('GatherElements', () => {
  it('ONNX examples', () => {
    expectClose(runOp1('GatherElements', [f32([1, 2, 3, 4], [2, 2]), i32([0, 0, 1, 0], [2, 2])], { axis: 1 }), [1, 1, 4, 3]);
    const d = f32([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]);
    expectClose(runOp1('GatherElements', [d, i32([1, 2, 0, 2, 0, 0], [2, 3])]), [4, 8, 3, 7, 2, 3], { shape: [2, 3] });
    expectClose(runOp1('GatherElements', [d, i64([-1, -2, 0, -2, 0, 0], [2, 3])]), [7, 5, 3, 4, 2, 3]);
  });

  it('checks ranks, sizes and index bounds', () => {
    const d = f32([1, 2, 3, 4], [2, 2]);
    expect(() => runOp1('GatherElements', [d, i64([0, 0], [2])])).toThrow(ShapeError);
    expect(() => runOp1('GatherElements', [d, i64([0, 0, 0], [1, 3])])).toThrow(ShapeError);
    expect(() => runOp1('GatherElements', [d, i64([0, 2], [1, 2])])).toThrow(/index 2/);
    const q = sample('int4', [2, 3]);
    expect(runOp1('GatherElements', [q, i64([1, 0, 1], [1, 3])]).toNumbers()).toEqual([q.get(3), q.get(1), q.get(5)]);
  });
});

describe('GatherND', () => {
  const d3 = f32([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2]);

  it('ONNX examples 1-5', () => {
    expectClose(runOp1('GatherND', [f32([0, 1, 2, 3], [2, 2]), i64([0, 0, 1, 1], [2, 2])]), [0, 3], { shape: [2] });
    expectClose(runOp1('GatherND', [f32([0, 1, 2, 3], [2, 2]), i64([1, 0], [2, 1])]), [2, 3, 0, 1], { shape: [2, 2] });
    expectClose(runOp1('GatherND', [d3, i64([0, 1, 1, 0], [2, 2])]), [2, 3, 4, 5], { shape: [2, 2] });
    expectClose(runOp1('GatherND', [d3, i64([0, 1, 1, 0], [2, 1, 2])]), [2, 3, 4, 5], { shape: [2, 1, 2] });
    expectClose(runOp1('GatherND', [d3, i64([1, 0], [2, 1])], { batch_dims: 1 }), [2, 3, 4, 5], { shape: [2, 2] });
  });

  it('batch dims with full tuples and negative indices', () => {
    const y = runOp1('GatherND', [d3, i64([-1, 0, 0, 1], [2, 1, 2])], { batch_dims: 1 });
    expect(y.shape).toEqual([2, 1]);
    expectClose(y, [2, 5]);
  });

  it('rejects bad ranks, tuples and indices', () => {
    expect(() => runOp1('GatherND', [d3, i64([0, 0, 0, 0], [1, 4])])).toThrow(ShapeError);
    expect(() => runOp1('GatherND', [d3, i64([0, 1], [2, 1])], { batch_dims: 2 })).toThrow(ShapeError);
    expect(() => runOp1('GatherND', [d3, i64([2], [1, 1])])).toThrow(/index 2/);
    expect(() => runOp1('GatherND', [d3, i64([0, 0, 0], [3, 1])], { batch_dims: 1 })).toThrow(ShapeError);
    expect(inferTypes('GatherND', [{ dtype: 'bool', shape: ['b', 4, 5] }, { dtype: 'int64', shape: ['b', 7, 1] }], { batch_dims: 1 })[0].shape).toEqual(['b', 7, 5]);
  });
});

describe('ScatterElements', () => {
  it('ONNX examples', () => {
    const y = runOp1('ScatterElements', [f32(new Array(9).fill(0), [3, 3]), i64([1, 0, 2, 0, 2, 1], [2, 3]), f32([1, 1.1, 1.2, 2, 2.1, 2.2], [2, 3])]);
    expectClose(y, [2, 1.1, 0, 1, 0, 2.2, 0, 2.1, 1.2]);
    const z = runOp1('ScatterElements', [f32([1, 2, 3, 4, 5], [1, 5]), i64([1, 3], [1, 2]), f32([1.1, 2.1], [1, 2])], { axis: 1 });
    expectClose(z, [1, 1.1, 3, 2.1, 5]);
    const n = runOp1('ScatterElements', [f32([1, 2, 3, 4, 5], [1, 5]), i64([1, -3], [1, 2]), f32([1.1, 2.1], [1, 2])], { axis: -1 });
    expectClose(n, [1, 1.1, 2.1, 4, 5]);
  });

  it('reductions combine duplicates in order', () => {
    const data = f32([1, 2, 3, 4, 5], [1, 5]);
    const idx = i64([1, 1], [1, 2]);
    const upd = f32([1.1, 2.1], [1, 2]);
    expectClose(runOp1('ScatterElements', [data, idx, upd], { axis: 1, reduction: 'add' }), [1, 2 + 1.1 + 2.1, 3, 4, 5]);
    expectClose(runOp1('ScatterElements', [data, idx, upd], { axis: 1, reduction: 'mul' }), [1, 2 * 1.1 * 2.1, 3, 4, 5], { rtol: 1e-6 });
    expectClose(runOp1('ScatterElements', [data, idx, upd], { axis: 1, reduction: 'max' }), [1, 2.1, 3, 4, 5]);
    expectClose(runOp1('ScatterElements', [data, idx, upd], { axis: 1, reduction: 'min' }), [1, 1.1, 3, 4, 5]);
    expect(() => runOp1('ScatterElements', [data, idx, upd], { axis: 1, reduction: 'avg' })).toThrow(AttributeError);
  });

  it('int64 stays exact and integer types wrap; every dtype scatters', () => {
    const b = 2n ** 62n;
    const y = runOp1('ScatterElements', [tensor('int64', [b, 1n]), i64([0, 0]), tensor('int64', [b - 1n, 3n])], { reduction: 'add' });
    // 2^62 + (2^62 - 1) + 3 wraps past 2^63 - 1.
    expect(Array.from(y.data as BigInt64Array)).toEqual([-(2n ** 63n) + 2n, 1n]);
    const m = runOp1('ScatterElements', [tensor('int32', [65536]), i64([0]), tensor('int32', [65537])], { reduction: 'mul' });
    expect(m.toNumbers()).toEqual([Math.imul(65536, 65537)]);
    const u8 = runOp1('ScatterElements', [tensor('uint8', [250]), i64([0, 0]), tensor('uint8', [3, 4])], { reduction: 'add' });
    expect(u8.toNumbers()).toEqual([1]);
    const bl = runOp1('ScatterElements', [tensor('bool', [0, 1]), i64([0, 1]), tensor('bool', [1, 0])], { reduction: 'mul' });
    expect(bl.toNumbers()).toEqual([0, 0]);
    for (const dt of ALL_TYPES) {
      const x = sample(dt, [4]);
      const u = sample(dt, [6]);
      const r = runOp1('ScatterElements', [x, i64([2, -1]), tensor(dt, [u.get(5), u.get(1)])]);
      expect(r.toNumbers()).toEqual([x.get(0), x.get(1), u.get(5), u.get(1)]);
    }
  });

  it('rejects bad shapes, dtypes and indices', () => {
    const data = f32([1, 2, 3], [3]);
    expect(() => runOp1('ScatterElements', [data, i64([3]), f32([1])])).toThrow(/index 3/);
    expect(() => runOp1('ScatterElements', [data, i64([0, 1]), f32([1])])).toThrow(ShapeError);
    expect(() => runOp1('ScatterElements', [data, i64([0]), tensor('float64', [1])])).toThrow(DTypeError);
  });
});

describe('ScatterND', () => {
  it('ONNX examples', () => {
    const y = runOp1('ScatterND', [f32([1, 2, 3, 4, 5, 6, 7, 8]), i64([4, 3, 1, 7], [4, 1]), f32([9, 10, 11, 12])]);
    expectClose(y, [1, 11, 3, 10, 9, 6, 7, 12]);
    const block = [1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1];
    const rev = [8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8];
    const data = f32([...block, ...block, ...rev, ...rev], [4, 4, 4]);
    const upd = [5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
    const z = runOp1('ScatterND', [data, i64([0, 2], [2, 1]), f32(upd, [2, 4, 4])]);
    expectClose(z, [...upd.slice(0, 16), ...block, ...upd.slice(16), ...rev], { shape: [4, 4, 4] });
  });

  it('reductions with duplicate indices', () => {
    const data = f32([1, 2, 3, 4], [2, 2]);
    const idx = i64([0, 0, 0], [3, 1]);
    const upd = f32([1, 5, 2, 7, 3, 0], [3, 2]);
    expectClose(runOp1('ScatterND', [data, idx, upd], { reduction: 'add' }), [7, 14, 3, 4]);
    expectClose(runOp1('ScatterND', [data, idx, upd], { reduction: 'mul' }), [6, 0, 3, 4]);
    expectClose(runOp1('ScatterND', [data, idx, upd], { reduction: 'max' }), [3, 7, 3, 4]);
    expectClose(runOp1('ScatterND', [data, idx, upd], { reduction: 'min' }), [1, 0, 3, 4]);
    const el = runOp1('ScatterND', [data, i64([0, 0, 1, 1], [2, 2]), f32([5, 1])], { reduction: 'max' });
    expectClose(el, [5, 2, 3, 4]);
    const nan = runOp1('ScatterND', [data, i64([1, -1], [1, 2]), f32([NaN])], { reduction: 'min' });
    expectClose(nan, [1, 2, 3, NaN]);
  });

  it('keeps int64 exact and checks shapes and indices', () => {
    const b = 2n ** 60n + 1n;
    const y = runOp1('ScatterND', [tensor('int64', [1n, 2n]), i64([1, 1], [2, 1]), tensor('int64', [b, b])], { reduction: 'mul' });
    expect(Array.from(y.data as BigInt64Array)).toEqual([1n, BigInt.asIntN(64, 2n * b * b)]);
    const data = f32([1, 2, 3, 4], [2, 2]);
    expect(() => runOp1('ScatterND', [data, i64([2], [1, 1]), f32([1, 1], [1, 2])])).toThrow(/index 2/);
    expect(() => runOp1('ScatterND', [data, i64([0], [1, 1]), f32([1, 1, 1], [1, 3])])).toThrow(ShapeError);
    expect(() => runOp1('ScatterND', [data, i64([0, 0, 0], [1, 3]), f32([1])])).toThrow(ShapeError);
  });
});

describe('OneHot', () => {
  const values = f32([0, 1]);

  it('encodes along the last axis (negative indices count from depth, out of range is all off)', () => {
    const y = runOp1('OneHot', [i64([0, 2, -1, 5, -5]), tensor('int64', [4], []), values]);
    expect(y.shape).toEqual([5, 4]);
    expect(y.toNumbers()).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('inserts the axis anywhere and uses the values dtype', () => {
    const y = runOp1('OneHot', [i64([1, 0, 2, 1], [2, 2]), f32([3], [1]), tensor('int64', [-3, 8])], { axis: 0 });
    expect(y.dtype).toBe('int64');
    expect(y.shape).toEqual([3, 2, 2]);
    // y[c, i, j] = c == idx[i, j] ? 8 : -3
    expect(y.toNumbers()).toEqual([-3, 8, -3, -3, 8, -3, -3, 8, -3, -3, 8, -3]);
    const z = runOp1('OneHot', [f32([1.7, 0.2]), tensor('float32', [2.9], []), tensor('bool', [0, 1])], { axis: 1 });
    expect(z.shape).toEqual([2, 2]);
    expect(z.toNumbers()).toEqual([0, 1, 1, 0]);
    const m = runOp1('OneHot', [i32([0, 1, 2], [3, 1]), tensor('int32', [3], []), values], { axis: -2 });
    expect(m.shape).toEqual([3, 3, 1]);
    expect(m.toNumbers()).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('rejects bad axes, values and depth', () => {
    expect(() => runOp1('OneHot', [i64([0]), tensor('int64', [2], []), values], { axis: 2 })).toThrow(ShapeError);
    expect(() => runOp1('OneHot', [i64([0]), tensor('int64', [2], []), f32([0, 1, 2])])).toThrow(ShapeError);
    expect(() => runOp1('OneHot', [i64([0]), tensor('int64', [-1], []), values])).toThrow(ShapeError);
    const t = inferTypes('OneHot', [{ dtype: 'int64', shape: ['b'] }, { dtype: 'int64', shape: [] }, values])[0].shape;
    expect(t[0]).toBe('b');
    expect(typeof t[1]).toBe('string');
  });
});

describe('NonZero', () => {
  it('ONNX example and row-major coordinates', () => {
    const y = runOp1('NonZero', [tensor('bool', [1, 0, 1, 1], [2, 2])]);
    expect(y.shape).toEqual([2, 3]);
    expect(y.toNumbers()).toEqual([0, 1, 1, 0, 0, 1]);
    const z = runOp1('NonZero', [f32([0, -0, NaN, 2, 0, 0], [1, 2, 3])]);
    expect(z.shape).toEqual([3, 2]);
    expect(z.toNumbers()).toEqual([0, 0, 0, 1, 2, 0]);
    expect(runOp1('NonZero', [tensor('int64', [0n, 2n ** 62n])]).toNumbers()).toEqual([1]);
    expect(runOp1('NonZero', [tensor('int32', [5], [])]).shape).toEqual([1, 1]);
    expect(runOp1('NonZero', [tensor('int4', [0, 0, -1])]).toNumbers()).toEqual([2]);
  });

  it('infers [rank, unknown] (exact when the input is constant)', () => {
    const t = inferTypes('NonZero', [{ dtype: 'float32', shape: ['b', 3] }])[0];
    expect(t.dtype).toBe('int64');
    expect(t.shape[0]).toBe(2);
    expect(typeof t.shape[1]).toBe('string');
    expect(inferTypes('NonZero', [f32([0, 1, 2])])[0].shape).toEqual([1, 2]);
  });

  it('works on every dtype', () => {
    for (const dt of ALL_TYPES) {
      const x = sample(dt, [2, 3]);
      const nz = x.toNumbers().map((v, i) => (v !== 0 ? i : -1)).filter((i) => i >= 0);
      const y = runOp1('NonZero', [x]);
      expect(y.shape).toEqual([2, nz.length]);
      expect(y.toNumbers()).toEqual([...nz.map((i) => Math.floor(i / 3)), ...nz.map((i) => i % 3)]);
      expect(prod(y.shape)).toBe(2 * nz.length);
    }
  });
});
