import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { ArgumentError, tensor } from '../src/index.js';
import { fromNdarray, toNdarray } from '../src/ndarray.js';

describe('ndarray interop', () => {
  it('views a tensor without copying', () => {
    const t = tensor('float32', [[1, 2, 3], [4, 5, 6]]);
    const v = toNdarray(t);
    expect(v.shape).toEqual([2, 3]);
    expect(v.get(1, 2)).toBe(6);
    expect(v.data).toBe(t.data);
  });
  it('copies strided views into row-major tensors', () => {
    const a = ndarray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]).transpose(1, 0);
    const t = fromNdarray(a);
    expect(t.shape).toEqual([3, 2]);
    expect(t.toNumbers()).toEqual([1, 4, 2, 5, 3, 6]);
    const s = fromNdarray(ndarray(new Int32Array([1, 2, 3, 4, 5, 6]), [6]).step(-2));
    expect(s.dtype).toBe('int32');
    expect(s.toNumbers()).toEqual([6, 4, 2]);
  });
  it('rejects dtypes without an ndarray equivalent', () => {
    expect(() => toNdarray(tensor('float16', [1]))).toThrow(ArgumentError);
    expect(() => fromNdarray(ndarray([1, 2, 3] as never))).toThrow(/typed-array storage/);
  });
});
