/**
 * Tensor: a dtype, a static shape, typed-array storage and optional quantization params.
 * Tensors are treated as immutable: nothing in mo writes into a tensor it did not create.
 */
import { ArgumentError, DTypeError, ShapeError, oneOf } from './errors.js';
import { allocate, dtypeInfo, isDType, storageMatches, DTYPES, type DType, type StorageMap, type TypedArray } from './dtype.js';
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './float16.js';
import { checkQuantParams, type QuantParams } from './quant.js';
import { checkShape, formatShape, sizeOf, type StaticShape } from './shape.js';

/** Hard cap on elements of one tensor (2^31 - 1): guards against runaway allocations. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: StaticShape;
  readonly data: StorageMap[D];
  readonly quant: QuantParams | undefined;
  /** Number of elements. */
  readonly size: number;

  /**
   * Wraps existing storage (not copied). Prefer the `tensor()` factory, which converts values.
   *
   * @example
   * ```ts
   * const t = new Tensor('float32', [2, 2], new Float32Array([1, 2, 3, 4]));
   * ```
   */
  constructor(dtype: D, shape: StaticShape, data: StorageMap[D], quant?: QuantParams) {
    if (!isDType(dtype)) throw new DTypeError(`unknown dtype '${String(dtype)}'; expected ${oneOf(DTYPES)}`);
    checkShape(shape);
    const size = sizeOf(shape);
    if (size > MAX_TENSOR_ELEMENTS) throw new ShapeError(`tensor of shape ${formatShape(shape)} has ${size} elements, above the limit of ${MAX_TENSOR_ELEMENTS}`);
    if (!storageMatches(dtype, data, size)) {
      throw new ArgumentError(`storage for ${dtype}${formatShape(shape)} must be a ${allocate(dtype, 0).constructor.name} of ${dtypeInfo(dtype).packed ? Math.ceil(size / 2) : size} entries, got ${data.constructor.name} of ${data.length}`);
    }
    if (quant) checkQuantParams(quant, dtype, shape);
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
    this.quant = quant;
    this.size = size;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Element `i` (flat, row-major) as a JS number (float16 decoded, int64 via Number()). */
  get(i: number): number {
    return readElement(this.dtype, this.data, i);
  }

  /** Element `i` as a bigint (int64/uint64 exactly; other integer types converted). */
  getBig(i: number): bigint {
    const d = this.data as TypedArray;
    if (d instanceof BigInt64Array || d instanceof BigUint64Array) return d[i];
    return BigInt(Math.trunc(this.get(i)));
  }

  /** All elements as JS numbers. */
  toNumbers(): number[] {
    const out = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.get(i);
    return out;
  }

  /** All elements as a new Float32Array (values as stored, not dequantized). */
  toFloat32(): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.get(i);
    return out;
  }

  /** The same data with another shape of the same size (no copy). */
  reshape(shape: StaticShape): Tensor<D> {
    if (sizeOf(shape) !== this.size) throw new ShapeError(`cannot reshape ${formatShape(this.shape)} (${this.size} elements) to ${formatShape(shape)}`);
    return new Tensor(this.dtype, shape, this.data, this.quant);
  }

  /** The same data with other (or no) quantization params. */
  withQuant(quant: QuantParams | undefined): Tensor<D> {
    return new Tensor(this.dtype, this.shape, this.data, quant);
  }

  /** A deep copy. */
  clone(): Tensor<D> {
    return new Tensor(this.dtype, this.shape, (this.data as TypedArray).slice() as StorageMap[D], this.quant);
  }

  /** Storage size in bytes. */
  get byteLength(): number {
    return (this.data as TypedArray).byteLength;
  }

  toString(): string {
    const head = this.toNumbers().slice(0, 8).join(', ');
    return `Tensor<${this.dtype}${formatShape(this.shape)}>[${head}${this.size > 8 ? ', ...' : ''}]`;
  }
}

/** Reads element `i` of storage as a number. */
export function readElement(dtype: DType, data: TypedArray, i: number): number {
  switch (dtype) {
    case 'float16':
      return float16BitsToFloat32((data as Uint16Array)[i]);
    case 'bfloat16':
      return bfloat16BitsToFloat32((data as Uint16Array)[i]);
    case 'int64':
    case 'uint64':
      return Number((data as BigInt64Array)[i]);
    case 'int4': {
      const b = (data as Uint8Array)[i >> 1];
      const n = i & 1 ? b >> 4 : b & 0xf;
      return n >= 8 ? n - 16 : n;
    }
    case 'uint4': {
      const b = (data as Uint8Array)[i >> 1];
      return i & 1 ? b >> 4 : b & 0xf;
    }
    default:
      return (data as Float32Array)[i];
  }
}

/**
 * Writes `value` into element `i`, converting as a cast would: floats round to the target float
 * type, integers truncate toward zero and wrap like a C cast of an in-range value (callers that
 * need saturation clamp first), bool is value !== 0.
 */
export function writeElement(dtype: DType, data: TypedArray, i: number, value: number): void {
  switch (dtype) {
    case 'float16':
      (data as Uint16Array)[i] = float32ToFloat16Bits(value);
      return;
    case 'bfloat16':
      (data as Uint16Array)[i] = float32ToBfloat16Bits(value);
      return;
    case 'int64':
    case 'uint64':
      (data as BigInt64Array)[i] = BigInt(Number.isFinite(value) ? Math.trunc(value) : 0);
      return;
    case 'bool':
      (data as Uint8Array)[i] = value !== 0 && !Number.isNaN(value) ? 1 : 0;
      return;
    case 'int4':
    case 'uint4': {
      const arr = data as Uint8Array;
      const n = Math.trunc(value) & 0xf;
      const j = i >> 1;
      arr[j] = i & 1 ? (arr[j] & 0x0f) | (n << 4) : (arr[j] & 0xf0) | n;
      return;
    }
    default:
      (data as Float32Array)[i] = value;
  }
}

/** Nested arrays of numbers/booleans/bigints, or flat arrays. */
export type TensorLike = number | bigint | boolean | readonly TensorLike[] | ArrayLike<number>;

function flatten(v: TensorLike, out: (number | bigint)[], shape: number[], depth: number): void {
  if (typeof v === 'number' || typeof v === 'bigint') { out.push(v); return; }
  if (typeof v === 'boolean') { out.push(v ? 1 : 0); return; }
  const arr = v as ArrayLike<TensorLike>;
  if (shape.length === depth) shape.push(arr.length);
  else if (shape[depth] !== arr.length) throw new ShapeError(`ragged nested array: expected ${shape[depth]} entries at depth ${depth}, got ${arr.length}`);
  for (let i = 0; i < arr.length; i++) flatten(arr[i], out, shape, depth + 1);
}

/**
 * Creates a tensor from values (nested arrays or a flat array with an explicit shape).
 *
 * @example
 * ```ts
 * const a = tensor('float32', [[1, 2], [3, 4]]);
 * const b = tensor('int8', [1, -2, 3], [3], perTensor(0.1, 0));
 * ```
 */
export function tensor<D extends DType>(dtype: D, values: TensorLike, shape?: StaticShape, quant?: QuantParams): Tensor<D> {
  const flat: (number | bigint)[] = [];
  const inferred: number[] = [];
  flatten(values, flat, inferred, 0);
  const sh = shape ?? inferred;
  const size = checkedSize(sh);
  if (size !== flat.length) throw new ShapeError(`${flat.length} values do not fill shape ${formatShape(sh)} (${size} elements)`);
  const data = allocate(dtype, size);
  for (let i = 0; i < size; i++) {
    const v = flat[i];
    if (typeof v === 'bigint') {
      if (data instanceof BigInt64Array || data instanceof BigUint64Array) data[i] = v;
      else writeElement(dtype, data, i, Number(v));
    } else writeElement(dtype, data, i, v);
  }
  return new Tensor(dtype, sh, data, quant);
}

/** Element count of `shape`, or a ShapeError before anything is allocated when it is invalid or too large. */
export function checkedSize(shape: StaticShape): number {
  checkShape(shape);
  const size = sizeOf(shape);
  if (size > MAX_TENSOR_ELEMENTS) throw new ShapeError(`tensor of shape ${formatShape(shape)} has ${size} elements, above the limit of ${MAX_TENSOR_ELEMENTS}`);
  return size;
}

/** A tensor of zeros. */
export function zeros<D extends DType>(dtype: D, shape: StaticShape): Tensor<D> {
  return new Tensor(dtype, shape, allocate(dtype, checkedSize(shape)));
}

/** A tensor filled with one value. */
export function full<D extends DType>(dtype: D, shape: StaticShape, value: number): Tensor<D> {
  const t = zeros(dtype, shape);
  for (let i = 0; i < t.size; i++) writeElement(dtype, t.data as TypedArray, i, value);
  return t;
}

/** A rank-0 tensor. */
export function scalar<D extends DType>(dtype: D, value: number | bigint): Tensor<D> {
  return tensor(dtype, value, []);
}

/** Builds a tensor of `dtype` and `shape` from a function of the flat index. */
export function fromFunction<D extends DType>(dtype: D, shape: StaticShape, f: (i: number) => number): Tensor<D> {
  const t = zeros(dtype, shape);
  for (let i = 0; i < t.size; i++) writeElement(dtype, t.data as TypedArray, i, f(i));
  return t;
}

/** True when both tensors have the same dtype, shape, quant params and bitwise-equal data. */
export function tensorsEqual(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  if (!quantEqual(a.quant, b.quant)) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Structural equality of quantization params. */
export function quantEqual(a: QuantParams | undefined, b: QuantParams | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.kind !== b.kind) return false;
  const arrEq = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  switch (a.kind) {
    case 'per-tensor': {
      const bb = b as typeof a;
      return a.scale === bb.scale && a.zeroPoint === bb.zeroPoint;
    }
    case 'per-axis': {
      const bb = b as typeof a;
      return a.axis === bb.axis && arrEq(a.scales, bb.scales) && arrEq(a.zeroPoints, bb.zeroPoints);
    }
    case 'per-block': {
      const bb = b as typeof a;
      return a.axis === bb.axis && a.blockSize === bb.blockSize && arrEq(a.scales, bb.scales) && arrEq(a.zeroPoints, bb.zeroPoints);
    }
    case 'lut': {
      const bb = b as typeof a;
      return a.bits === bb.bits && a.axis === bb.axis && a.groupSize === bb.groupSize && arrEq(a.tables, bb.tables);
    }
  }
}
