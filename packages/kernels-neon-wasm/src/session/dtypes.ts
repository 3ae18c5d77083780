/**
 * The dtypes a plan keeps in wasm memory (float32 activations, int8 / uint8 quantized activations,
 * int32), and copies between tensors and the heap by dtype.
 */
import { Tensor, type DType, type StaticShape, type TensorType } from '@mo/ir';
import type { Heap } from '../runtime/heap.js';

const BYTES: Partial<Record<DType, number>> = { float32: 4, int32: 4, int8: 1, uint8: 1 };

/** Bytes per element of a dtype values of can live in wasm memory, else undefined. */
export function arenaElementBytes(dtype: DType): number | undefined {
  return BYTES[dtype];
}

type ArenaArray = Float32Array | Int32Array | Int8Array | Uint8Array;

function view(heap: Heap, dtype: DType, ptr: number, length: number): ArenaArray {
  const buf = heap.memory.buffer;
  switch (dtype) {
    case 'float32': return new Float32Array(buf, ptr, length);
    case 'int32': return new Int32Array(buf, ptr, length);
    case 'int8': return new Int8Array(buf, ptr, length);
    default: return new Uint8Array(buf, ptr, length);
  }
}

/** Copies a tensor's elements to `ptr` (dtype as stored). */
export function writeTensorData(heap: Heap, ptr: number, t: Tensor): void {
  if (t.dtype === 'float32') heap.writeF32(ptr, t.data as Float32Array);
  else view(heap, t.dtype, ptr, t.size).set(t.data as ArenaArray);
}

/**
 * A tensor copied from `ptr` with `type`'s dtype, shape and quant params (`into` reuses a
 * caller's float32 array).
 */
export function readTensorData(heap: Heap, ptr: number, type: TensorType, into?: Float32Array): Tensor {
  const shape = type.shape as StaticShape;
  let size = 1;
  for (const d of shape) size *= d;
  if (type.dtype === 'float32') return new Tensor('float32', shape, heap.readF32(ptr, size, into));
  const data = view(heap, type.dtype, ptr, size).slice();
  const t = new Tensor(type.dtype, shape, data as never);
  return type.quant ? t.withQuant(type.quant) : t;
}

/** A typed array's elements of an NCHW-ordered tensor, reordered channels last. */
export function channelsLastData(t: Tensor): ArenaArray {
  const src = (t.dtype === 'float32' ? t.toFloat32() : t.data) as ArenaArray;
  const [n, c] = t.shape;
  let s = 1;
  for (const d of t.shape.slice(2)) s *= d;
  const out = new (src.constructor as new (n: number) => ArenaArray)(src.length);
  for (let b = 0; b < n; b++) for (let ci = 0; ci < c; ci++) for (let p = 0; p < s; p++) out[(b * s + p) * c + ci] = src[(b * c + ci) * s + p];
  return out;
}
