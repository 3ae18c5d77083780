/**
 * Quantization as part of a tensor's type, and the exact integer arithmetic it implies.
 *
 * Affine: real = (q - zeroPoint) * scale, per tensor, per axis (one scale per slice of `axis`) or
 * per block (one scale per `blockSize` consecutive elements along `axis`, ONNX blocked layout).
 * Lookup table (palettized): real = table[q], one table per tensor or per group of `groupSize`
 * slices along `axis`.
 */
import { ArgumentError, DTypeError, oneOf } from './errors.js';
import { dtypeInfo, type DType } from './dtype.js';

export interface PerTensorQuant {
  readonly kind: 'per-tensor';
  readonly scale: number;
  readonly zeroPoint: number;
}

export interface PerAxisQuant {
  readonly kind: 'per-axis';
  readonly axis: number;
  /** One scale per index along `axis`. */
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
}

export interface PerBlockQuant {
  readonly kind: 'per-block';
  /** Axis along which consecutive elements share a scale. */
  readonly axis: number;
  readonly blockSize: number;
  /** Scales laid out as the tensor's shape with dim `axis` replaced by ceil(dim / blockSize). */
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
}

export interface LutQuant {
  readonly kind: 'lut';
  /** Index bits (1..8): each table has 2^bits entries. */
  readonly bits: number;
  /** Axis along which groups are formed (ignored when groupSize is 0). */
  readonly axis: number;
  /** Slices per group along `axis`; 0 means one table for the whole tensor. */
  readonly groupSize: number;
  /** Tables, concatenated: numGroups * 2^bits float values. */
  readonly tables: Float32Array;
}

export type QuantParams = PerTensorQuant | PerAxisQuant | PerBlockQuant | LutQuant;
export type QuantKind = QuantParams['kind'];

/** Rounding rules used by quantizers and requantization. */
export type RoundingMode = 'half-even' | 'half-away';

/** Per-tensor affine params. */
export function perTensor(scale: number, zeroPoint = 0): PerTensorQuant {
  if (!(scale > 0 && Number.isFinite(scale))) throw new ArgumentError(`scale must be a positive finite number, got ${scale}`);
  if (!Number.isInteger(zeroPoint)) throw new ArgumentError(`zeroPoint must be an integer, got ${zeroPoint}`);
  return Object.freeze({ kind: 'per-tensor', scale, zeroPoint });
}

/** Per-axis affine params. */
export function perAxis(axis: number, scales: ArrayLike<number>, zeroPoints?: ArrayLike<number>): PerAxisQuant {
  const s = Float32Array.from(scales);
  const z = zeroPoints ? Int32Array.from(zeroPoints) : new Int32Array(s.length);
  if (z.length !== s.length) throw new ArgumentError(`per-axis quantization needs as many zero points (${z.length}) as scales (${s.length})`);
  checkScales(s);
  return Object.freeze({ kind: 'per-axis', axis, scales: s, zeroPoints: z });
}

/** Per-block affine params (scales in the blocked layout described on `PerBlockQuant`). */
export function perBlock(axis: number, blockSize: number, scales: ArrayLike<number>, zeroPoints?: ArrayLike<number>): PerBlockQuant {
  if (!(Number.isInteger(blockSize) && blockSize >= 1)) throw new ArgumentError(`blockSize must be a positive integer, got ${blockSize}`);
  const s = Float32Array.from(scales);
  const z = zeroPoints ? Int32Array.from(zeroPoints) : new Int32Array(s.length);
  if (z.length !== s.length) throw new ArgumentError(`per-block quantization needs as many zero points (${z.length}) as scales (${s.length})`);
  checkScales(s);
  return Object.freeze({ kind: 'per-block', axis, blockSize, scales: s, zeroPoints: z });
}

/** Lookup-table params. */
export function lut(bits: number, tables: ArrayLike<number>, opts: { axis?: number; groupSize?: number } = {}): LutQuant {
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 8)) throw new ArgumentError(`lookup-table bits must be an integer in 1..8, got ${bits}`);
  const t = Float32Array.from(tables);
  const entries = 1 << bits;
  if (t.length === 0 || t.length % entries !== 0) throw new ArgumentError(`lookup tables of ${bits} bits need a multiple of ${entries} values, got ${t.length}`);
  const groupSize = opts.groupSize ?? 0;
  if (!(Number.isInteger(groupSize) && groupSize >= 0)) throw new ArgumentError(`groupSize must be a non-negative integer, got ${groupSize}`);
  return Object.freeze({ kind: 'lut', bits, axis: opts.axis ?? 0, groupSize, tables: t });
}

function checkScales(s: Float32Array): void {
  for (let i = 0; i < s.length; i++) {
    if (!(s[i] > 0 && Number.isFinite(s[i]))) throw new ArgumentError(`scale[${i}] must be a positive finite number, got ${s[i]}`);
  }
}

/** Rounds half to even (numpy.rint / ONNX). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; fix ties that landed on an odd number.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Rounds half away from zero (C's round, TFLite's reference quantizer). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export function roundWith(mode: RoundingMode, x: number): number {
  return mode === 'half-even' ? roundHalfEven(x) : roundHalfAway(x);
}

/** Integer range of a quantized storage dtype. */
export function quantRange(dtype: DType): { qmin: number; qmax: number } {
  const info = dtypeInfo(dtype);
  if (info.kind !== 'int' && info.kind !== 'uint') {
    throw new DTypeError(`quantized storage must be an integer dtype, got '${dtype}'`);
  }
  return { qmin: info.min, qmax: info.max };
}

/**
 * Quantizes one float32 value with ONNX QuantizeLinear semantics: saturate(round(x / scale) + zp),
 * division in float32, ties to even. NaN quantizes to the zero point.
 */
export function quantizeValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number, rounding: RoundingMode = 'half-even'): number {
  const v = Math.fround(Math.fround(x) / Math.fround(scale));
  if (Number.isNaN(v)) return Math.min(qmax, Math.max(qmin, zeroPoint));
  const q = roundWith(rounding, v) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/**
 * Dequantizes one value with ONNX DequantizeLinear semantics: float32(q - zeroPoint) * scale in
 * float32 (the difference is exact for 8/16-bit storage; int32 differences beyond 2^24 round to
 * float32 first, as ONNX Runtime's kernel does).
 */
export function dequantizeValue(q: number, scale: number, zeroPoint: number): number {
  return Math.fround(Math.fround(q - zeroPoint) * Math.fround(scale));
}

/**
 * For an element at flat index `i` of a tensor with `shape`, the index of its scale/zero point in
 * `params` (0 for per-tensor). LUT params return the group (table) index.
 */
export function paramIndex(params: QuantParams, shape: readonly number[], i: number): number {
  switch (params.kind) {
    case 'per-tensor':
      return 0;
    case 'per-axis': {
      const axis = params.axis < 0 ? params.axis + shape.length : params.axis;
      let inner = 1;
      for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
      return Math.floor(i / inner) % shape[axis];
    }
    case 'per-block': {
      const axis = params.axis < 0 ? params.axis + shape.length : params.axis;
      let inner = 1;
      for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
      const dim = shape[axis];
      const blocks = Math.ceil(dim / params.blockSize);
      const outer = Math.floor(i / (inner * dim));
      const a = Math.floor(i / inner) % dim;
      return (outer * blocks + Math.floor(a / params.blockSize)) * inner + (i % inner);
    }
    case 'lut': {
      if (params.groupSize === 0) return 0;
      const axis = params.axis < 0 ? params.axis + shape.length : params.axis;
      let inner = 1;
      for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
      return Math.floor((Math.floor(i / inner) % shape[axis]) / params.groupSize);
    }
  }
}

/** Number of scales (or tables) a params object must hold for a tensor of `shape`. */
export function expectedParamCount(params: QuantParams, shape: readonly number[]): number {
  const axisOf = (a: number) => (a < 0 ? a + shape.length : a);
  switch (params.kind) {
    case 'per-tensor':
      return 1;
    case 'per-axis':
      return shape[axisOf(params.axis)];
    case 'per-block': {
      const a = axisOf(params.axis);
      let n = 1;
      shape.forEach((d, k) => (n *= k === a ? Math.ceil(d / params.blockSize) : d));
      return n;
    }
    case 'lut':
      return params.groupSize === 0 ? 1 : Math.ceil(shape[axisOf(params.axis)] / params.groupSize);
  }
}

/** Throws `ArgumentError` when params do not fit a tensor of `dtype` and `shape`. */
export function checkQuantParams(params: QuantParams, dtype: DType, shape: readonly number[]): void {
  const { qmin, qmax } = quantRange(dtype);
  if (params.kind !== 'per-tensor') {
    const a = params.axis < 0 ? params.axis + shape.length : params.axis;
    if (!(a >= 0 && a < shape.length) && !(params.kind === 'lut' && params.groupSize === 0)) {
      throw new ArgumentError(`quantization axis ${params.axis} is out of range for shape [${shape.join(',')}]`);
    }
  }
  const count = expectedParamCount(params, shape);
  if (params.kind === 'lut') {
    const bits = dtypeInfo(dtype).bits;
    if (params.bits > bits) throw new ArgumentError(`lookup table of ${params.bits} bits does not fit in '${dtype}' indices`);
    if (params.tables.length !== count << params.bits) {
      throw new ArgumentError(`lookup-table quantization of shape [${shape.join(',')}] needs ${count} tables of ${1 << params.bits} entries, got ${params.tables.length} values`);
    }
    return;
  }
  const zps = params.kind === 'per-tensor' ? [params.zeroPoint] : params.zeroPoints;
  const n = params.kind === 'per-tensor' ? 1 : params.scales.length;
  if (n !== count) throw new ArgumentError(`${params.kind} quantization of shape [${shape.join(',')}] needs ${count} scales, got ${n}`);
  for (const z of zps) {
    if (z < qmin || z > qmax) throw new ArgumentError(`zero point ${z} is outside the range ${qmin}..${qmax} of '${dtype}'`);
  }
}

/** The scale and zero point of element group `k` of affine params. */
export function affineAt(params: Exclude<QuantParams, LutQuant>, k: number): { scale: number; zeroPoint: number } {
  if (params.kind === 'per-tensor') return { scale: params.scale, zeroPoint: params.zeroPoint };
  return { scale: params.scales[k], zeroPoint: params.zeroPoints[k] };
}

// ---------------------------------------------------------------------------------------------
// TFLite fixed-point requantization (gemmlowp): exact integer semantics of int8 kernels.

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A real multiplier as a Q31 fixed-point multiplier and a power-of-two shift (left if > 0). */
export interface QuantizedMultiplier {
  readonly multiplier: number;
  readonly shift: number;
}

/** Decomposes `real` (>= 0) into multiplier * 2^(shift-31), like TFLite's QuantizeMultiplier. */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (!(real >= 0 && Number.isFinite(real))) throw new ArgumentError(`requantization multiplier must be a non-negative finite number, got ${real}`);
  if (real === 0) return { multiplier: 0, shift: 0 };
  let shift = Math.floor(Math.log2(real)) + 1;
  let q = real / 2 ** shift;
  // log2 can be off by one near powers of two; renormalise into [0.5, 1).
  while (q >= 1) { q /= 2; shift++; }
  while (q < 0.5) { q *= 2; shift--; }
  let qFixed = Math.round(q * 2 ** 31);
  if (qFixed === 2 ** 31) { qFixed /= 2; shift++; }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) throw new ArgumentError(`requantization multiplier ${real} is too large`);
  return { multiplier: qFixed, shift };
}

/** gemmlowp SaturatingRoundingDoublingHighMul on int32 values. */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as in C.
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = 2 ** exponent - 1;
  const remainder = Number(BigInt(x) & BigInt(mask));
  const threshold = Math.floor(mask / 2) + (x < 0 ? 1 : 0);
  return Math.floor(x / 2 ** exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite MultiplyByQuantizedMultiplier: round(x * real multiplier) with exact int32 semantics. */
export function multiplyByQuantizedMultiplier(x: number, qm: QuantizedMultiplier): number {
  const left = qm.shift > 0 ? qm.shift : 0;
  const right = qm.shift > 0 ? 0 : -qm.shift;
  // x << left saturates in int32 like the C++ reference's int32 arithmetic would overflow; callers
  // keep accumulators in range, and we clamp rather than wrap to stay well defined.
  let shifted = x * 2 ** left;
  if (shifted > INT32_MAX) shifted = INT32_MAX;
  if (shifted < INT32_MIN) shifted = INT32_MIN;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, qm.multiplier), right);
}

/** The requantization rules the integer ops offer. */
export const REQUANT_MODES = ['float', 'fixed-point'] as const;
export type RequantMode = (typeof REQUANT_MODES)[number];

/**
 * Requantizes an int32 accumulator to the output's integer domain: `float` is ONNX's rule
 * (float32 multiply, ties to even), `fixed-point` is TFLite's (Q31 multiplier and shift).
 */
export function requantize(acc: number, realMultiplier: number, zeroPoint: number, qmin: number, qmax: number, mode: RequantMode): number {
  let v: number;
  // float: float32(acc) * float32(multiplier) in float32 (acc beyond 2^24 rounds first, like MLAS).
  if (mode === 'float') v = roundHalfEven(Math.fround(Math.fround(acc) * Math.fround(realMultiplier))) + zeroPoint;
  else if (mode === 'fixed-point') v = multiplyByQuantizedMultiplier(acc, quantizeMultiplier(realMultiplier)) + zeroPoint;
  else throw new ArgumentError(`unknown requantization mode '${String(mode)}'; expected ${oneOf(REQUANT_MODES)}`);
  return v < qmin ? qmin : v > qmax ? qmax : v;
}
