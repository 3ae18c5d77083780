/**
 * TensorProto -> Tensor. Sizes are checked against the bytes actually present before anything is
 * allocated, so a forged dims list cannot make the reader allocate gigabytes.
 */
import {
  FormatError,
  MAX_TENSOR_ELEMENTS,
  Tensor,
  UnsupportedOpError,
  allocate,
  byteLength,
  dtypeInfo,
  type DType,
  type ErrorContext,
  type TypedArray,
} from '@mo/ir';
import { ONNX_DTYPE, dtypeFromOnnx, onnxDTypeName } from './dtypes.js';
import { int64ToBigInt, int64ToNumber, type TensorProto } from './proto.js';

/** Reads the bytes of a tensor stored outside the model (ONNX external data). */
export type ExternalDataReader = (ref: ExternalDataRef) => Uint8Array;

/** Where a tensor's bytes live, from its `external_data` entries. */
export interface ExternalDataRef {
  readonly tensor: string;
  /** Path relative to the model file's folder. */
  readonly location: string;
  readonly offset: number;
  /** Byte count; undefined means "to the end of the file". */
  readonly length: number | undefined;
  /** Bytes the tensor needs (the reader must return exactly this many). */
  readonly expected: number;
}

export interface TensorDecodeOptions {
  readonly externalData?: ExternalDataReader;
  /** Error context (file name). */
  readonly ctx?: ErrorContext;
  /**
   * True for raw_data in memory the importer owns (read from a file by `loadOnnx`): such tensors
   * view those bytes instead of copying them when they start at a multiple of the element size.
   */
  readonly ownsRawData?: (raw: Uint8Array) => boolean;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Largest dimension value accepted (one dim beyond int32 is certainly a corrupt file). */
const MAX_DIM = 2 ** 31 - 1;

/** Shape and element count of a TensorProto, validated. */
export function tensorShapeOf(tp: TensorProto, ctx: ErrorContext): { shape: number[]; count: number } {
  const dims = tp.dims ?? [];
  if (dims.length > 64) throw new FormatError(`tensor has ${dims.length} dimensions (limit 64)`, ctx);
  const shape: number[] = [];
  let count = 1;
  for (const d of dims) {
    const v = int64ToNumber(d as never);
    if (!Number.isInteger(v) || v < 0 || v > MAX_DIM) throw new FormatError(`tensor has invalid dimension ${v}`, ctx);
    shape.push(v);
    count *= v;
  }
  if (count > MAX_TENSOR_ELEMENTS) throw new FormatError(`tensor of shape [${shape.join(',')}] has ${count} elements (limit ${MAX_TENSOR_ELEMENTS})`, ctx);
  return { shape, count };
}

/**
 * Decodes a TensorProto into a Tensor: raw_data (little-endian) or the typed fields, external
 * data through `opts.externalData`. String tensors are a FormatError; complex and float8 an
 * UnsupportedOpError.
 */
export function tensorFromProto(tp: TensorProto, opts: TensorDecodeOptions = {}): Tensor {
  const name = tp.name ?? '';
  const ctx: ErrorContext = { ...opts.ctx, ...(name ? { value: name } : {}) };
  const code = tp.dataType ?? 0;
  if (code === ONNX_DTYPE.STRING) throw new FormatError('string tensors are not supported: mo tensors hold numbers only', ctx);
  if (code === ONNX_DTYPE.UNDEFINED) throw new FormatError('tensor has no data_type', ctx);
  let dtype: DType;
  try {
    dtype = dtypeFromOnnx(code, ctx);
  } catch (e) {
    if (e instanceof UnsupportedOpError) throw new UnsupportedOpError(`tensor element type ${onnxDTypeName(code)} is not supported`, ctx);
    throw e;
  }
  if (tp.segment) throw new FormatError('segmented tensors are not supported', ctx);
  const { shape, count } = tensorShapeOf(tp, ctx);
  const nbytes = byteLength(dtype, count);

  if (tp.dataLocation === 1) {
    const ref = externalRef(tp, name, nbytes, ctx);
    if (!opts.externalData) throw new FormatError(`tensor '${name}' stores its data in external file '${ref.location}'; load the model from a path (Node) or pass an externalData reader`, ctx);
    const bytes = opts.externalData(ref);
    if (bytes.length !== nbytes) throw new FormatError(`external data of '${name}' has ${bytes.length} bytes, expected ${nbytes} for ${dtype}[${shape.join(',')}]`, ctx);
    return new Tensor(dtype, shape, fromLittleEndian(dtype, bytes, count), undefined);
  }

  const raw = tp.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== nbytes) throw new FormatError(`raw_data of '${name}' has ${raw.length} bytes, expected ${nbytes} for ${dtype}[${shape.join(',')}]`, ctx);
    return new Tensor(dtype, shape, opts.ownsRawData?.(raw) ? viewLittleEndian(dtype, raw, count) : fromLittleEndian(dtype, raw, count), undefined);
  }
  return new Tensor(dtype, shape, fromTypedField(tp, dtype, count, ctx), undefined);
}

/** The external-data reference of a tensor stored outside the model (validated, nothing read). */
export function externalRefOf(tp: TensorProto, ctx: ErrorContext = {}): ExternalDataRef {
  const code = tp.dataType ?? 0;
  const dtype = dtypeFromOnnx(code, ctx);
  const { count } = tensorShapeOf(tp, ctx);
  return externalRef(tp, tp.name ?? '', byteLength(dtype, count), ctx);
}

function externalRef(tp: TensorProto, name: string, expected: number, ctx: ErrorContext): ExternalDataRef {
  let location: string | undefined;
  let offset = 0;
  let length: number | undefined;
  for (const e of tp.externalData ?? []) {
    const key = e.key ?? '';
    const value = e.value ?? '';
    if (key === 'location') location = value;
    else if (key === 'offset' || key === 'length') {
      if (!/^\d{1,15}$/.test(value)) throw new FormatError(`external data ${key} '${value}' of '${name}' is not a valid byte count`, ctx);
      if (key === 'offset') offset = Number(value);
      else length = Number(value);
    }
  }
  if (!location) throw new FormatError(`tensor '${name}' says its data is external but gives no location`, ctx);
  return { tensor: name, location, offset, length, expected };
}

/** Copies little-endian bytes into fresh, aligned storage of `dtype`. */
export function fromLittleEndian(dtype: DType, bytes: Uint8Array, count: number): TypedArray {
  const out = allocate(dtype, count) as TypedArray;
  const dst = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  dst.set(bytes.subarray(0, dst.length));
  const size = dtypeInfo(dtype).bits / 8;
  if (!LITTLE_ENDIAN && size > 1) swapBytes(dst, size);
  return out;
}

/**
 * Storage of `dtype` over little-endian `bytes` without copying when the host is little-endian and
 * `bytes` starts at a multiple of the element size (loadOnnx reads large raw_data into buffers of
 * their own: read-file.ts); otherwise one copy (fromLittleEndian).
 */
function viewLittleEndian(dtype: DType, bytes: Uint8Array, count: number): TypedArray {
  const ctor = allocate(dtype, 0).constructor as unknown as { new (b: ArrayBufferLike, offset: number, length: number): TypedArray; BYTES_PER_ELEMENT: number };
  const size = ctor.BYTES_PER_ELEMENT;
  if ((!LITTLE_ENDIAN && size > 1) || bytes.byteOffset % size) return fromLittleEndian(dtype, bytes, count);
  return new ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / size);
}

/** Storage bytes of a tensor in little-endian order. */
export function toLittleEndian(t: Tensor): Uint8Array {
  const d = t.data as TypedArray;
  const src = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const size = dtypeInfo(t.dtype).bits / 8;
  if (LITTLE_ENDIAN || size <= 1) return src.slice();
  const copy = src.slice();
  swapBytes(copy, size);
  return copy;
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.length; i += size) {
    for (let a = i, z = i + size - 1; a < z; a++, z--) {
      const tmp = b[a];
      b[a] = b[z];
      b[z] = tmp;
    }
  }
}

function checkCount(field: string, got: number, want: number, ctx: ErrorContext): void {
  if (got !== want) throw new FormatError(`${field} holds ${got} values, but the tensor's dims need ${want}`, ctx);
}

function fromTypedField(tp: TensorProto, dtype: DType, count: number, ctx: ErrorContext): TypedArray {
  const out = allocate(dtype, count) as TypedArray;
  switch (dtype) {
    case 'float32': {
      const src = tp.floatData ?? [];
      checkCount('float_data', src.length, count, ctx);
      (out as Float32Array).set(src);
      return out;
    }
    case 'float64': {
      const src = tp.doubleData ?? [];
      checkCount('double_data', src.length, count, ctx);
      (out as Float64Array).set(src);
      return out;
    }
    case 'int64': {
      const src = tp.int64Data ?? [];
      checkCount('int64_data', src.length, count, ctx);
      const o = out as BigInt64Array;
      for (let i = 0; i < count; i++) o[i] = int64ToBigInt(src[i] as never);
      return out;
    }
    case 'uint32':
    case 'uint64': {
      const src = tp.uint64Data ?? [];
      checkCount('uint64_data', src.length, count, ctx);
      for (let i = 0; i < count; i++) {
        const v = BigInt.asUintN(64, int64ToBigInt(src[i] as never));
        if (dtype === 'uint64') (out as BigUint64Array)[i] = v;
        else (out as Uint32Array)[i] = Number(v & 0xffffffffn);
      }
      return out;
    }
    case 'int4':
    case 'uint4': {
      // Packed: one int32 per byte holding two nibbles (low nibble first); also accept one value per entry.
      const src = tp.int32Data ?? [];
      const packed = Math.ceil(count / 2);
      const o = out as Uint8Array;
      if (src.length === packed) for (let i = 0; i < packed; i++) o[i] = src[i] & 0xff;
      else if (src.length === count) for (let i = 0; i < count; i++) o[i >> 1] |= (src[i] & 0xf) << (i & 1 ? 4 : 0);
      else checkCount('int32_data', src.length, packed, ctx);
      return out;
    }
    default: {
      // int8/uint8/int16/uint16/int32/bool and the raw bits of float16/bfloat16 live in int32_data.
      const src = tp.int32Data ?? [];
      checkCount('int32_data', src.length, count, ctx);
      const o = out as Int32Array;
      for (let i = 0; i < count; i++) o[i] = dtype === 'bool' ? (src[i] ? 1 : 0) : src[i];
      return out;
    }
  }
}
