/**
 * Interop with `ndarray` views (a separate entry point so that the core stays dependency-free:
 * `import { toNdarray } from '@mo/ir/ndarray'`). Requires the `ndarray` package.
 */
import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import { ArgumentError } from './core/errors.js';
import type { DType, TypedArray } from './core/dtype.js';
import { Tensor } from './core/tensor.js';

const BY_CTOR = new Map<unknown, DType>([
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
  [Int16Array, 'int16'],
  [Uint16Array, 'uint16'],
  [Int32Array, 'int32'],
  [Uint32Array, 'uint32'],
]);

/**
 * A row-major ndarray view over the tensor's storage (no copy). float16/bfloat16 and packed
 * 4-bit tensors have no ndarray equivalent and are rejected.
 *
 * @example
 * ```ts
 * const view = toNdarray(tensor('float32', [[1, 2], [3, 4]]));
 * view.get(1, 0); // 3
 * ```
 */
export function toNdarray(t: Tensor): NdArray {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16' || t.dtype === 'int4' || t.dtype === 'uint4' || t.dtype === 'int64' || t.dtype === 'uint64' || t.dtype === 'bool') {
    throw new ArgumentError(`toNdarray does not support dtype '${t.dtype}'; cast to float32 or int32 first`);
  }
  return ndarray(t.data as unknown as Float32Array, [...t.shape]) as unknown as NdArray;
}

/**
 * A tensor with the ndarray's values, copied into row-major order (any strides and offset).
 *
 * @example
 * ```ts
 * const t = fromNdarray(ndarray(new Float32Array([1, 2, 3, 4]), [2, 2]).transpose(1, 0));
 * ```
 */
export function fromNdarray(a: NdArray): Tensor {
  const dtype = BY_CTOR.get((a.data as object).constructor);
  if (!dtype) throw new ArgumentError(`fromNdarray needs typed-array storage (${[...BY_CTOR.values()].join(', ')}), got ${(a.data as object).constructor.name}`);
  const shape = [...a.shape];
  const size = shape.reduce((x, y) => x * y, 1);
  const Ctor = (a.data as object).constructor as new (n: number) => TypedArray;
  const out = new Ctor(size);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    let off = a.offset;
    for (let d = 0; d < shape.length; d++) off += idx[d] * a.stride[d];
    (out as Float32Array)[i] = (a.data as Float32Array)[off];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return new Tensor(dtype, shape, out as never);
}
