/**
 * The IDX file format of MNIST and Fashion-MNIST: two zero bytes, a type code, the number of
 * dimensions, each dimension as a big-endian uint32, then the elements in row-major order,
 * big-endian. Readers validate before they trust: sizes, counts and lengths are checked and
 * errors are FormatErrors with the byte offset. Browser-safe: gzip goes through
 * DecompressionStream (Node >= 18 and browsers); the Node entry `@mo/train/node` reads files.
 */
import { FormatError, MAX_TENSOR_ELEMENTS, Tensor, oneOf, type DType } from '@mo/ir';

const TYPES: Readonly<Record<number, { dtype: DType; bytes: number }>> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** Largest number of dimensions accepted. */
const MAX_DIMS = 8;

/**
 * True when `bytes` start with the gzip magic number.
 *
 * @example
 * ```ts
 * if (isGzip(bytes)) bytes = await gunzip(bytes);
 * ```
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses an (uncompressed) IDX file into a tensor of its element type.
 *
 * @example
 * ```ts
 * const labels = parseIdx(bytes); // Tensor<'uint8'>[60000]
 * ```
 */
export function parseIdx(input: Uint8Array | ArrayBuffer, file?: string): Tensor {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const ctx = (offset: number) => (file !== undefined ? { file, offset } : { offset });
  if (isGzip(bytes)) throw new FormatError('the data is gzip-compressed; use readIdx (async) or readIdxFile from @mo/train/node', ctx(0));
  if (bytes.length < 4) throw new FormatError(`IDX data of ${bytes.length} bytes is shorter than its 4-byte header`, ctx(0));
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new FormatError(`not an IDX file: the first two bytes are ${bytes[0]}, ${bytes[1]} instead of 0, 0`, ctx(0));
  const type = TYPES[bytes[2]];
  if (!type) {
    const codes = Object.keys(TYPES).map((k) => `0x${Number(k).toString(16).padStart(2, '0')}`);
    throw new FormatError(`unknown IDX type code 0x${bytes[2].toString(16).padStart(2, '0')}; expected ${oneOf(codes)}`, ctx(2));
  }
  const rank = bytes[3];
  if (rank < 1 || rank > MAX_DIMS) throw new FormatError(`IDX data has ${rank} dimensions; 1..${MAX_DIMS} are accepted`, ctx(3));
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) throw new FormatError(`IDX header needs ${headerLength} bytes for ${rank} dimensions, the data has ${bytes.length}`, ctx(4));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    shape.push(n);
    count *= n;
    if (count > MAX_TENSOR_ELEMENTS) throw new FormatError(`IDX shape [${shape.join(',')}${d < rank - 1 ? ',...' : ''}] has more than ${MAX_TENSOR_ELEMENTS} elements`, ctx(4 + 4 * d));
  }
  const expected = headerLength + count * type.bytes;
  if (bytes.length !== expected) {
    throw new FormatError(`IDX data of shape [${shape.join(',')}] (${type.dtype}) needs ${expected} bytes, got ${bytes.length}`, ctx(Math.min(bytes.length, expected)));
  }
  const body = headerLength;
  // Copies into plain typed arrays (a Node Buffer's slice is a Buffer over a shared pool).
  const raw = () => {
    const copy = new Uint8Array(count);
    copy.set(bytes.subarray(body, expected));
    return copy;
  };
  switch (type.dtype) {
    case 'uint8':
      return new Tensor('uint8', shape, raw());
    case 'int8':
      return new Tensor('int8', shape, new Int8Array(raw().buffer));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(body + 2 * i, false);
      return new Tensor('int16', shape, out);
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(body + 4 * i, false);
      return new Tensor('int32', shape, out);
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(body + 4 * i, false);
      return new Tensor('float32', shape, out);
    }
    default: {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(body + 8 * i, false);
      return new Tensor('float64', shape, out);
    }
  }
}

/**
 * Encodes a tensor as an IDX file (uint8, int8, int16, int32, float32 or float64).
 *
 * @example
 * ```ts
 * const bytes = encodeIdx(labels);
 * ```
 */
export function encodeIdx(t: Tensor): Uint8Array {
  const code = Object.entries(TYPES).find(([, v]) => v.dtype === t.dtype);
  if (!code) throw new FormatError(`IDX cannot hold dtype '${t.dtype}'; it holds ${oneOf(Object.values(TYPES).map((v) => v.dtype))}`);
  const { bytes } = code[1];
  const header = 4 + 4 * t.rank;
  const out = new Uint8Array(header + t.size * bytes);
  const view = new DataView(out.buffer);
  out[2] = Number(code[0]);
  out[3] = t.rank;
  t.shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < t.size; i++) {
    const v = t.get(i);
    const at = header + i * bytes;
    switch (t.dtype) {
      case 'uint8': view.setUint8(at, v); break;
      case 'int8': view.setInt8(at, v); break;
      case 'int16': view.setInt16(at, v, false); break;
      case 'int32': view.setInt32(at, v, false); break;
      case 'float32': view.setFloat32(at, v, false); break;
      default: view.setFloat64(at, v, false);
    }
  }
  return out;
}

/**
 * Gunzips with the platform's DecompressionStream (browsers, Node >= 18).
 *
 * @example
 * ```ts
 * const raw = await gunzip(gzBytes);
 * ```
 */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const DS = (globalThis as { DecompressionStream?: new (format: string) => TransformStream<Uint8Array, Uint8Array> }).DecompressionStream;
  if (!DS) throw new FormatError('gzip data needs DecompressionStream, which this platform lacks; decompress first or use @mo/train/node');
  const stream = new Blob([bytes]).stream().pipeThrough(new DS('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Reads IDX bytes, gzip-compressed or not.
 *
 * @example
 * ```ts
 * const images = await readIdx(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * ```
 */
export async function readIdx(input: Uint8Array | ArrayBuffer, file?: string): Promise<Tensor> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  return parseIdx(isGzip(bytes) ? await gunzip(bytes) : bytes, file);
}
