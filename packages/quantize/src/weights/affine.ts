/**
 * Affine (linear) quantization of float tensors: scales and zero points per tensor, per channel or
 * per block, for 2..8-bit storage, with ONNX QuantizeLinear rounding (float32 division, ties to
 * even, saturation). The result is a quantized Tensor whose type carries its QuantParams.
 */
import {
  ArgumentError,
  Tensor,
  allocate,
  dequantizeValue,
  perAxis,
  perBlock,
  perTensor,
  quantizeValue,
  roundHalfEven,
  writeElement,
  type DType,
  type QuantParams,
  type TypedArray,
} from '@mo/ir';
import { ErrorStats } from '../math.js';

/** How scales map onto a tensor's elements. */
export type Granularity =
  | { readonly kind: 'per-tensor' }
  | { readonly kind: 'per-channel'; readonly axis: number }
  | { readonly kind: 'per-block'; readonly axis: number; readonly blockSize: number };

/** An affine quantization scheme. */
export interface AffineScheme {
  /** Bits per element, 2..8. */
  readonly bits: number;
  /** Zero point 0 and a signed grid symmetric around it; otherwise unsigned storage with a zero point. */
  readonly symmetric: boolean;
  readonly granularity: Granularity;
}

/**
 * Integer grid of a scheme: symmetric grids are narrow ([-127, 127] for 8 bits, as TFLite).
 *
 * @example
 * ```ts
 * gridOf(4, true); // { qmin: -7, qmax: 7 }
 * ```
 */
export function gridOf(bits: number, symmetric: boolean): { qmin: number; qmax: number } {
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 8)) throw new ArgumentError(`affine quantization takes 2..8 bits, got ${bits}`);
  return symmetric ? { qmin: -(2 ** (bits - 1) - 1), qmax: 2 ** (bits - 1) - 1 } : { qmin: 0, qmax: 2 ** bits - 1 };
}

/**
 * Storage dtype of a scheme: packed int4/uint4 up to 4 bits, int8/uint8 above.
 *
 * @example
 * ```ts
 * storageOf(3, false); // 'uint4'
 * ```
 */
export function storageOf(bits: number, symmetric: boolean): DType {
  if (bits <= 4) return symmetric ? 'int4' : 'uint4';
  return symmetric ? 'int8' : 'uint8';
}

/** Below this a scale is treated as zero (the range is empty). */
const TINY_SCALE = 1e-30;

/**
 * Scale and zero point that map the real range [lo, hi] onto the integer grid [qmin, qmax].
 * The range is widened to include 0 so that zero is exact. Symmetric: zero point at the grid's
 * middle (0 for signed grids) and scale = max(|lo|, |hi|) / (qmax - zp). Asymmetric:
 * scale = (hi - lo) / (qmax - qmin), zero point = round(qmin - lo / scale), clamped. An empty range
 * gives scale 1. The scale is rounded to float32, as it is stored.
 *
 * @example
 * ```ts
 * rangeToParams(-1, 3, -128, 127, false); // { scale: 4 / 255, zeroPoint: -64 }
 * ```
 */
export function rangeToParams(lo: number, hi: number, qmin: number, qmax: number, symmetric: boolean): { scale: number; zeroPoint: number } {
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || lo > hi) throw new ArgumentError(`quantization range must be finite with min <= max, got [${lo}, ${hi}]`);
  const l = Math.min(lo, 0);
  const h = Math.max(hi, 0);
  if (symmetric) {
    const zp = qmin < 0 ? 0 : Math.ceil((qmin + qmax) / 2);
    const amax = Math.max(-l, h);
    const scale = Math.fround(amax / (qmax - zp));
    return scale > TINY_SCALE && Number.isFinite(scale) ? { scale, zeroPoint: zp } : { scale: 1, zeroPoint: zp };
  }
  const scale = Math.fround((h - l) / (qmax - qmin));
  if (!(scale > TINY_SCALE && Number.isFinite(scale))) return { scale: 1, zeroPoint: Math.min(qmax, Math.max(qmin, 0)) };
  const zp = roundHalfEven(qmin - l / scale);
  return { scale, zeroPoint: Math.min(qmax, Math.max(qmin, zp)) };
}

/** outer x dim x inner decomposition of a shape around `axis`. */
export function splitAt(shape: readonly number[], axis: number): { outer: number; dim: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { outer, dim: shape[axis], inner };
}

/** For every element, the index of its scale; and the number of scales. */
export function groupIndex(shape: readonly number[], g: Granularity): { count: number; of: Int32Array } {
  let size = 1;
  for (const d of shape) size *= d;
  const of = new Int32Array(size);
  if (g.kind === 'per-tensor') return { count: 1, of };
  const axis = normalizeAxis(g.axis, shape.length);
  const { outer, dim, inner } = splitAt(shape, axis);
  if (g.kind === 'per-channel') {
    for (let i = 0; i < size; i++) of[i] = Math.floor(i / inner) % dim;
    return { count: dim, of };
  }
  const blocks = Math.ceil(dim / g.blockSize);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < dim; a++) {
      const base = (o * blocks + Math.floor(a / g.blockSize)) * inner;
      for (let r = 0; r < inner; r++) of[i++] = base + r;
    }
  }
  return { count: outer * blocks * inner, of };
}

function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(Number.isInteger(a) && a >= 0 && a < rank)) throw new ArgumentError(`quantization axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** What affine quantization of one tensor produced. */
export interface AffineResult {
  /** The quantized tensor; its type carries the QuantParams. */
  readonly q: Tensor;
  readonly params: QuantParams;
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
  /** The dequantized values (float32), for error analysis and bias correction. */
  readonly dequantized: Float32Array;
  /** Error of `dequantized` against the input. */
  readonly error: ErrorStats;
}

/**
 * Quantizes a float tensor with `scheme`; per-channel and per-block ranges are the min/max of
 * their elements.
 *
 * @example
 * ```ts
 * const { q } = quantizeAffine(w, { bits: 8, symmetric: true, granularity: { kind: 'per-channel', axis: 0 } });
 * ```
 */
export function quantizeAffine(t: Tensor, scheme: AffineScheme): AffineResult {
  const shape = t.shape;
  if (scheme.granularity.kind === 'per-block' && !(Number.isInteger(scheme.granularity.blockSize) && scheme.granularity.blockSize >= 1)) {
    throw new ArgumentError(`block size must be a positive integer, got ${scheme.granularity.blockSize}`);
  }
  const { count, of } = groupIndex(shape, scheme.granularity);
  const lo = new Float64Array(count).fill(Infinity);
  const hi = new Float64Array(count).fill(-Infinity);
  const x = t.toFloat32();
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) throw new ArgumentError(`cannot quantize a tensor holding ${v} (element ${i})`);
    const k = of[i];
    if (v < lo[k]) lo[k] = v;
    if (v > hi[k]) hi[k] = v;
  }
  const { qmin, qmax } = gridOf(scheme.bits, scheme.symmetric);
  const scales = new Float32Array(count);
  const zeroPoints = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const p = rangeToParams(lo[k] === Infinity ? 0 : lo[k], hi[k] === -Infinity ? 0 : hi[k], qmin, qmax, scheme.symmetric);
    scales[k] = p.scale;
    zeroPoints[k] = p.zeroPoint;
  }
  const dtype = storageOf(scheme.bits, scheme.symmetric);
  const data = allocate(dtype, x.length) as TypedArray;
  const dequantized = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = of[i];
    const q = quantizeValue(x[i], scales[k], zeroPoints[k], qmin, qmax);
    writeElement(dtype, data, i, q);
    dequantized[i] = dequantizeValue(q, scales[k], zeroPoints[k]);
  }
  const g = scheme.granularity;
  const params: QuantParams =
    g.kind === 'per-tensor'
      ? perTensor(scales[0], zeroPoints[0])
      : g.kind === 'per-channel'
        ? perAxis(normalizeAxis(g.axis, shape.length), scales, zeroPoints)
        : perBlock(normalizeAxis(g.axis, shape.length), g.blockSize, scales, zeroPoints);
  return { q: new Tensor(dtype, shape, data, params), params, scales, zeroPoints, dequantized, error: new ErrorStats().add(x, dequantized) };
}

/**
 * Quantizes a bias to int32 with one scale per channel (`scales[c]`, usually input scale x weight
 * scale[c]; stored as float32) and zero point 0.
 *
 * @example
 * ```ts
 * const { q } = quantizeBias(bias, weightScales.map((s) => inputScale * s)); // int32
 * ```
 */
export function quantizeBias(b: Tensor, scales: ArrayLike<number>): { q: Tensor; scales: Float32Array; dequantized: Float32Array } {
  const n = b.size;
  const s = new Float32Array(n);
  const q = new Int32Array(n);
  const dequantized = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    const sc = Math.fround(scales[scales.length === 1 ? 0 : c]);
    s[c] = sc > TINY_SCALE && Number.isFinite(sc) ? sc : 1;
    const v = roundHalfEven(b.get(c) / s[c]);
    q[c] = Math.min(2147483647, Math.max(-2147483648, v));
    dequantized[c] = dequantizeValue(q[c], s[c], 0);
  }
  const quant = b.shape.length === 1 && n > 0 ? perAxis(0, s) : undefined;
  return { q: new Tensor('int32', b.shape, q, quant), scales: s, dequantized };
}
