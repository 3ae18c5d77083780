import { describe, expect, it } from 'vitest';
import { AttributeError, DTypeError, ShapeError, scalar, tensor, zeros, type TensorType } from '../../src/index.js';
import { bigs, expectClose, i64, inferOp, runOp1 } from '../helpers.js';


describe('Shape', () => {
  const x = tensor('float32', [], [2, 3, 0, 4]);

  it('reports dims with start/end (negative, clamped, empty)', () => {
    expect(runOp1('Shape', [x]).toNumbers()).toEqual([2, 3, 0, 4]);
    expect(runOp1('Shape', [x], { start: -1 }).toNumbers()).toEqual([4]);
    expect(runOp1('Shape', [x], { end: -1 }).toNumbers()).toEqual([2, 3, 0]);
    expect(runOp1('Shape', [x], { start: 1, end: 2 }).toNumbers()).toEqual([3]);
    expect(runOp1('Shape', [x], { start: -10, end: 10 }).toNumbers()).toEqual([2, 3, 0, 4]);
    expect(runOp1('Shape', [x], { start: 3, end: 1 }).shape).toEqual([0]);
    expect(runOp1('Shape', [scalar('bool', 1)]).shape).toEqual([0]);
    expect(runOp1('Shape', [x]).dtype).toBe('int64');
  });

  it('folds from types when the requested dims are static', () => {
    const t: TensorType = { dtype: 'int4', shape: ['b', 3, 4] };
    expect(inferOp('Shape', [t]).constants).toBeUndefined();
    expect(inferOp('Shape', [t]).types[0].shape).toEqual([3]);
    const r = inferOp('Shape', [t], { start: 1 });
    expect(r.types[0]).toEqual({ dtype: 'int64', shape: [2] });
    expect(bigs(r.constants![0])).toEqual([3n, 4n]);
    expect(bigs(inferOp('Shape', [t], { start: -1 }).constants![0])).toEqual([4n]);
  });
});

describe('Size', () => {
  it('counts elements and folds static shapes', () => {
    const y = runOp1('Size', [tensor('uint64', [], [2, 0, 3])]);
    expect(y.shape).toEqual([]);
    expect(bigs(y)).toEqual([0n]);
    expect(bigs(runOp1('Size', [tensor('float16', [1, 2, 3, 4, 5, 6], [2, 3])]))).toEqual([6n]);
    expect(bigs(inferOp('Size', [{ dtype: 'float32', shape: [2, 5] }]).constants![0])).toEqual([10n]);
    expect(inferOp('Size', [{ dtype: 'float32', shape: [2, 'n'] }]).constants).toBeUndefined();
  });
});

describe('Constant', () => {
  it('holds each kind of value attribute', () => {
    const v = tensor('int8', [1, -2, 3], [3]);
    expect(runOp1('Constant', [], { value: v }).toNumbers()).toEqual([1, -2, 3]);
    const f = runOp1('Constant', [], { value_float: 0.1 });
    expect(f.dtype).toBe('float32');
    expect(f.shape).toEqual([]);
    expect(f.get(0)).toBe(Math.fround(0.1));
    const fs = runOp1('Constant', [], { value_floats: [1.5, 2] });
    expect(fs.shape).toEqual([2]);
    expectClose(fs, [1.5, 2]);
    const n = runOp1('Constant', [], { value_int: -7 });
    expect(n.dtype).toBe('int64');
    expect(bigs(n)).toEqual([-7n]);
    const ns = runOp1('Constant', [], { value_ints: [3, 4, 5] });
    expect(ns.shape).toEqual([3]);
    expect(bigs(ns)).toEqual([3n, 4n, 5n]);
  });

  it('folds during inference', () => {
    const r = inferOp('Constant', [], { value_ints: [1, 2] });
    expect(r.types[0]).toEqual({ dtype: 'int64', shape: [2] });
    expect(bigs(r.constants![0])).toEqual([1n, 2n]);
  });

  it('needs exactly one value attribute', () => {
    expect(() => runOp1('Constant', [], {})).toThrow(AttributeError);
    expect(() => runOp1('Constant', [], { value_int: 1, value_float: 2 })).toThrow(AttributeError);
    expect(() => runOp1('Constant', [], { value_string: 'x' })).toThrow(AttributeError);
  });
});

describe('ConstantOfShape', () => {
  it('fills with float32 zero by default', () => {
    const y = runOp1('ConstantOfShape', [i64([2, 3])]);
    expect(y.dtype).toBe('float32');
    expect(y.shape).toEqual([2, 3]);
    expect(y.toNumbers()).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('fills with the value tensor of any dtype (bit exact)', () => {
    const b = 2n ** 62n + 5n;
    const y = runOp1('ConstantOfShape', [i64([3])], { value: tensor('int64', [b], [1]) });
    expect(bigs(y)).toEqual([b, b, b]);
    expect(runOp1('ConstantOfShape', [i64([3])], { value: tensor('int4', [-3], [1]) }).toNumbers()).toEqual([-3, -3, -3]);
    expect(runOp1('ConstantOfShape', [i64([2])], { value: tensor('bool', [1], [1]) }).toNumbers()).toEqual([1, 1]);
    expect(runOp1('ConstantOfShape', [i64([2])], { value: tensor('float16', [0.5], [1]) }).toNumbers()).toEqual([0.5, 0.5]);
    const s = runOp1('ConstantOfShape', [tensor('int64', [], [0])], { value: tensor('int32', [9], [1]) });
    expect(s.shape).toEqual([]);
    expect(s.toNumbers()).toEqual([9]);
    expect(runOp1('ConstantOfShape', [i64([2, 0])]).shape).toEqual([2, 0]);
  });

  it('checks the value and the shape', () => {
    expect(() => runOp1('ConstantOfShape', [i64([2])], { value: tensor('int32', [1, 2], [2]) })).toThrow(AttributeError);
    expect(() => runOp1('ConstantOfShape', [i64([2, -1])])).toThrow(ShapeError);
    const dyn = inferOp('ConstantOfShape', [{ dtype: 'int64', shape: [3] }], { value: tensor('uint8', [1], [1]) }).types[0];
    expect(dyn.dtype).toBe('uint8');
    expect(dyn.shape.length).toBe(3);
  });
});

describe('Range', () => {
  const s = (dt: 'float32' | 'float64' | 'int16' | 'int32' | 'int64' | 'float16' | 'bfloat16', v: number | bigint) => scalar(dt, v);

  it('ONNX examples', () => {
    expect(runOp1('Range', [s('int32', 3), s('int32', 9), s('int32', 3)]).toNumbers()).toEqual([3, 6]);
    expect(runOp1('Range', [s('int32', 10), s('int32', 4), s('int32', -2)]).toNumbers()).toEqual([10, 8, 6]);
  });

  it('floats, empty ranges and exact int64', () => {
    const f = runOp1('Range', [s('float32', 0), s('float32', 1), s('float32', 0.3)]);
    expect(f.shape).toEqual([4]);
    // start + i * delta with the float32 delta, rounded once to float32.
    expect(f.toNumbers()).toEqual([0, 1, 2, 3].map((i) => Math.fround(i * Math.fround(0.3))));
    expect(runOp1('Range', [s('float64', 1), s('float64', 1), s('float64', 1)]).shape).toEqual([0]);
    expect(runOp1('Range', [s('int16', 5), s('int16', 1), s('int16', 1)]).shape).toEqual([0]);
    const b = 2n ** 60n;
    const r = runOp1('Range', [s('int64', b), s('int64', b + 7n), s('int64', 3n)]);
    expect(bigs(r)).toEqual([b, b + 3n, b + 6n]);
    const h = runOp1('Range', [s('float16', 1), s('float16', 2), s('float16', 0.25)]);
    expect(h.toNumbers()).toEqual([1, 1.25, 1.5, 1.75]);
    const bf = runOp1('Range', [s('bfloat16', 0), s('bfloat16', 3), s('bfloat16', 1)], { stash_type: 'float64' });
    expect(bf.toNumbers()).toEqual([0, 1, 2]);
  });

  it('rejects zero delta, mixed dtypes and non-scalars', () => {
    expect(() => runOp1('Range', [s('int32', 0), s('int32', 3), s('int32', 0)])).toThrow(ShapeError);
    expect(() => runOp1('Range', [s('int32', 0), s('int64', 3), s('int32', 1)])).toThrow(DTypeError);
    expect(() => runOp1('Range', [tensor('int32', [0, 1]), s('int32', 3), s('int32', 1)])).toThrow(ShapeError);
    expect(() => runOp1('Range', [s('float32', 0), s('float32', 3), s('float32', 1)], { stash_type: 'int8' })).toThrow(AttributeError);
  });

  it('has an unknown length unless all inputs are constant', () => {
    const t = inferOp('Range', [s('int64', 0), { dtype: 'int64', shape: [] }, s('int64', 1)]).types[0];
    expect(t.shape.length).toBe(1);
    expect(typeof t.shape[0]).toBe('string');
    expect(inferOp('Range', [s('int64', 0), s('int64', 5), s('int64', 2)]).types[0].shape).toEqual([3]);
  });
});

describe('EyeLike', () => {
  const x = zeros('float32', [3, 4]);

  it('puts ones on diagonal k', () => {
    expect(runOp1('EyeLike', [x]).toNumbers()).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
    expect(runOp1('EyeLike', [x], { k: 1 }).toNumbers()).toEqual([0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(runOp1('EyeLike', [x], { k: -2 }).toNumbers()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(runOp1('EyeLike', [x], { k: 5 }).toNumbers()).toEqual(new Array(12).fill(0));
  });

  it('takes the dtype attribute as a dtype name', () => {
    const y = runOp1('EyeLike', [zeros('int32', [2, 2])], { dtype: 'bool' });
    expect(y.dtype).toBe('bool');
    expect(y.toNumbers()).toEqual([1, 0, 0, 1]);
    const h = runOp1('EyeLike', [x], { dtype: 'float16' });
    expect(h.dtype).toBe('float16');
    expect(h.get(5)).toBe(1);
    const l = runOp1('EyeLike', [zeros('bfloat16', [2, 2])], { dtype: 'int64' });
    expect(bigs(l)).toEqual([1n, 0n, 0n, 1n]);
    expect(() => runOp1('EyeLike', [x], { dtype: 'int5' })).toThrow(AttributeError);
    expect(() => runOp1('EyeLike', [zeros('float32', [2, 2, 2])])).toThrow(ShapeError);
    expect(inferOp('EyeLike', [{ dtype: 'uint8', shape: ['n', 'n'] }]).types[0]).toEqual({ dtype: 'uint8', shape: ['n', 'n'] });
  });
});
