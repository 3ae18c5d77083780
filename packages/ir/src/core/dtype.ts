/**
 * Element types. Storage is always a typed array; float16/bfloat16 keep their raw bits in a
 * Uint16Array, int4/uint4 are packed two per byte (low nibble first, as ONNX), int64/uint64 use
 * BigInt arrays so that values beyond 2^53 stay exact.
 */
import { DTypeError, oneOf } from './errors.js';

export const DTYPES = [
  'float32',
  'float16',
  'bfloat16',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'int4',
  'uint4',
] as const;

/** An element type name. */
export type DType = (typeof DTYPES)[number];

export type FloatDType = 'float32' | 'float16' | 'bfloat16' | 'float64';
export type IntDType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'int4' | 'uint4';

/** The typed array that stores each dtype. */
export interface StorageMap {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
  int4: Uint8Array;
  uint4: Uint8Array;
}

export type TypedArray = StorageMap[DType];

export interface DTypeInfo {
  readonly name: DType;
  /** Bits per element (4 for the packed types). */
  readonly bits: number;
  readonly kind: 'float' | 'int' | 'uint' | 'bool';
  /** Smallest and largest representable value (finite floats for float types). */
  readonly min: number;
  readonly max: number;
  /** True for int64/uint64 (BigInt storage). */
  readonly big: boolean;
  /** True for int4/uint4 (two elements per byte). */
  readonly packed: boolean;
}

const F32_MAX = 3.4028234663852886e38;

const INFO: Record<DType, DTypeInfo> = {
  float32: { name: 'float32', bits: 32, kind: 'float', min: -F32_MAX, max: F32_MAX, big: false, packed: false },
  float16: { name: 'float16', bits: 16, kind: 'float', min: -65504, max: 65504, big: false, packed: false },
  bfloat16: { name: 'bfloat16', bits: 16, kind: 'float', min: -3.3895313892515355e38, max: 3.3895313892515355e38, big: false, packed: false },
  float64: { name: 'float64', bits: 64, kind: 'float', min: -Number.MAX_VALUE, max: Number.MAX_VALUE, big: false, packed: false },
  int8: { name: 'int8', bits: 8, kind: 'int', min: -128, max: 127, big: false, packed: false },
  uint8: { name: 'uint8', bits: 8, kind: 'uint', min: 0, max: 255, big: false, packed: false },
  int16: { name: 'int16', bits: 16, kind: 'int', min: -32768, max: 32767, big: false, packed: false },
  uint16: { name: 'uint16', bits: 16, kind: 'uint', min: 0, max: 65535, big: false, packed: false },
  int32: { name: 'int32', bits: 32, kind: 'int', min: -2147483648, max: 2147483647, big: false, packed: false },
  uint32: { name: 'uint32', bits: 32, kind: 'uint', min: 0, max: 4294967295, big: false, packed: false },
  int64: { name: 'int64', bits: 64, kind: 'int', min: -9223372036854775808, max: 9223372036854775807, big: true, packed: false },
  uint64: { name: 'uint64', bits: 64, kind: 'uint', min: 0, max: 18446744073709551615, big: true, packed: false },
  bool: { name: 'bool', bits: 8, kind: 'bool', min: 0, max: 1, big: false, packed: false },
  int4: { name: 'int4', bits: 4, kind: 'int', min: -8, max: 7, big: false, packed: true },
  uint4: { name: 'uint4', bits: 4, kind: 'uint', min: 0, max: 15, big: false, packed: true },
};

/** Facts about a dtype. Throws `DTypeError` for an unknown name. */
export function dtypeInfo(dtype: DType): DTypeInfo {
  const info = INFO[dtype];
  if (!info) throw new DTypeError(`unknown dtype '${String(dtype)}'; expected ${oneOf(DTYPES)}`);
  return info;
}

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(INFO, x);
}

export const isFloat = (d: DType): d is FloatDType => INFO[d].kind === 'float';
export const isInteger = (d: DType): d is IntDType => INFO[d].kind === 'int' || INFO[d].kind === 'uint';
export const isSigned = (d: DType): boolean => INFO[d].kind === 'int' || INFO[d].kind === 'float';

/** Groups used by op schemas' type constraints. */
export const FLOAT_TYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];
export const INT_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];
export const NUMERIC_TYPES: readonly DType[] = [...FLOAT_TYPES, ...INT_TYPES];
export const ALL_TYPES: readonly DType[] = DTYPES;
/** Types whose elements can be quantized storage (including packed 4-bit). */
export const QUANT_STORAGE_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'int4', 'uint4'];

/** Number of bytes needed to store `count` elements of `dtype`. */
export function byteLength(dtype: DType, count: number): number {
  const info = dtypeInfo(dtype);
  return info.packed ? Math.ceil(count / 2) : (count * info.bits) / 8;
}

/** Allocates zeroed storage for `count` elements. */
export function allocate<D extends DType>(dtype: D, count: number): StorageMap[D] {
  const n = count;
  switch (dtype) {
    case 'float32': return new Float32Array(n) as StorageMap[D];
    case 'float16':
    case 'bfloat16':
    case 'uint16': return new Uint16Array(n) as StorageMap[D];
    case 'float64': return new Float64Array(n) as StorageMap[D];
    case 'int8': return new Int8Array(n) as StorageMap[D];
    case 'uint8':
    case 'bool': return new Uint8Array(n) as StorageMap[D];
    case 'int16': return new Int16Array(n) as StorageMap[D];
    case 'int32': return new Int32Array(n) as StorageMap[D];
    case 'uint32': return new Uint32Array(n) as StorageMap[D];
    case 'int64': return new BigInt64Array(n) as StorageMap[D];
    case 'uint64': return new BigUint64Array(n) as StorageMap[D];
    case 'int4':
    case 'uint4': return new Uint8Array(Math.ceil(n / 2)) as StorageMap[D];
    default: throw new DTypeError(`unknown dtype '${String(dtype)}'; expected ${oneOf(DTYPES)}`);
  }
}

/** Length in elements that storage of `dtype` with `data.length` entries can hold. */
export function storageMatches(dtype: DType, data: TypedArray, count: number): boolean {
  const info = dtypeInfo(dtype);
  if (info.packed) return data instanceof Uint8Array && data.length === Math.ceil(count / 2);
  const expected = allocate(dtype, 0).constructor;
  return data.constructor === expected && data.length === count;
}
