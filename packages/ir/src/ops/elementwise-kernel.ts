/**
 * The value model and loops shared by the elementwise ops.
 *
 * Values: integer dtypes are read as bigint (exact for int64/uint64) and their results wrap to the
 * dtype's width like C/ONNX integer arithmetic; floats and bool are read as numbers. A float result
 * computed in float64 is written through float32 (float16/bfloat16: float32 first, then the
 * type), so float32 results are correctly rounded and float16/bfloat16 ones are "computed in
 * float32 and rounded to the type", as ONNX runtimes do.
 */
import { ArgumentError, DTypeError } from '../core/errors.js';
import { dtypeInfo, type DType, type TypedArray } from '../core/dtype.js';
import { float16BitsToFloat32, float32ToFloat16Bits, bfloat16BitsToFloat32, float32ToBfloat16Bits } from '../core/float16.js';
import { broadcastShapes, broadcastStrides, sizeOf, type StaticShape } from '../core/shape.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import type { Node, TensorType } from '../graph/types.js';
import { broadcastOf } from './util.js';
import { allowedTypes, defineOp, specAt, type InferContext, type OpSchema, type RunContext } from './schema.js';

/** An element as computed with: bigint for integer dtypes, number for floats and bool. */
export type Value = number | bigint;
/** What a kernel may return; booleans are stored as 0/1. */
export type Result = number | bigint | boolean;

const isIntDType = (d: DType): boolean => {
  const k = dtypeInfo(d).kind;
  return k === 'int' || k === 'uint';
};

/** Element i of t: bigint for integer dtypes (exact for int64/uint64), number otherwise. */
export function load(t: Tensor, i: number): Value {
  return isIntDType(t.dtype) ? t.getBig(i) : t.get(i);
}

/** Two's-complement wrap of v to the width of integer dtype d (what C/ONNX integer ops do). */
export function wrapInt(d: DType, v: bigint): bigint {
  const info = dtypeInfo(d);
  return info.kind === 'int' ? BigInt.asIntN(info.bits, v) : BigInt.asUintN(info.bits, v);
}

const bigMin = (d: DType): bigint => (dtypeInfo(d).kind === 'uint' ? 0n : -(1n << BigInt(dtypeInfo(d).bits - 1)));
const bigMax = (d: DType): bigint => {
  const info = dtypeInfo(d);
  return (1n << BigInt(info.kind === 'uint' ? info.bits : info.bits - 1)) - 1n;
};

/** Smallest and largest value of an integer dtype, as bigints. */
export function intRange(d: DType): { min: bigint; max: bigint } {
  return { min: bigMin(d), max: bigMax(d) };
}

/**
 * A float converted to integer dtype d: truncated toward zero, then saturated to d's range
 * (NaN -> 0). ONNX leaves out-of-range conversions undefined; saturation is the deterministic
 * choice (it is what WebGPU and Rust `as` do).
 */
export function floatToInt(d: DType, x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  const { min, max } = intRange(d);
  if (x <= Number(min)) return min; // Number(min) is exact (a power of two or 0)
  if (x >= Number(max) + 1) return max; // Number(max) + 1 is an exact power of two
  return BigInt(Math.trunc(x));
}

/** Saturates an integer to dtype d's range. */
export function saturateInt(d: DType, v: bigint): bigint {
  const { min, max } = intRange(d);
  return v < min ? min : v > max ? max : v;
}

/**
 * Writes a result into element i of storage of dtype d:
 * - bool: true for any non-zero value (NaN too, as a C++ cast to bool);
 * - integers: bigints wrap to the width (int4/uint4 saturate, as ONNX runtimes do for 4-bit),
 *   numbers truncate toward zero and saturate (see floatToInt);
 * - floats: numbers round through float32 to the type; bigints round to nearest first.
 */
export function store(d: DType, data: TypedArray, i: number, r: Result): void {
  const info = dtypeInfo(d);
  if (typeof r === 'boolean') r = r ? 1 : 0;
  if (info.kind === 'bool') {
    (data as Uint8Array)[i] = (typeof r === 'bigint' ? r !== 0n : r !== 0) ? 1 : 0;
    return;
  }
  if (info.kind === 'float') {
    writeElement(d, data, i, typeof r === 'bigint' ? bigintToFloat(r, FLOAT_PRECISION[d]!) : r);
    return;
  }
  const v = typeof r === 'bigint' ? (info.packed ? saturateInt(d, r) : wrapInt(d, r)) : floatToInt(d, r);
  if (info.big) (data as BigInt64Array)[i] = v;
  else writeElement(d, data, i, Number(v));
}

/** Significand bits (with the implicit one) of each float dtype. */
export const FLOAT_PRECISION: Partial<Record<DType, number>> = { float64: 53, float32: 24, float16: 11, bfloat16: 8 };

/**
 * The integer v rounded to `precision` significant bits, ties to even, as an exact number (so that a
 * later conversion to a float type with that precision does not round a second time).
 */
export function bigintToFloat(v: bigint, precision: number): number {
  const neg = v < 0n;
  let m = neg ? -v : v;
  const bits = m.toString(2).length;
  if (bits > precision) {
    const shift = BigInt(bits - precision);
    const q = m >> shift;
    const rem = m - (q << shift);
    const half = 1n << (shift - 1n);
    const up = rem > half || (rem === half && (q & 1n) === 1n);
    m = (up ? q + 1n : q) << shift;
  }
  const n = Number(m); // exact: at most `precision` <= 53 significant bits
  return neg ? -n : n;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * x rounded to float32 with round-to-odd (an inexact result gets an odd last bit). Rounding that
 * to a type with at most 22 bits of precision gives the correctly rounded result of x, avoiding
 * the double-rounding error of float64 -> float32 -> float16.
 */
export function toFloat32RoundOdd(x: number): number {
  f32[0] = x;
  const r = f32[0];
  if (r === x || !Number.isFinite(r) || Number.isNaN(x)) return r;
  if ((u32[0] & 1) === 0) u32[0] += Math.abs(r) < Math.abs(x) ? 1 : -1; // same sign: magnitude order = bit order
  return f32[0];
}

/** x rounded to float dtype d, as a number (for intermediate results that must match the type). */
export function roundToFloat(d: DType, x: number): number {
  switch (d) {
    case 'float32': return Math.fround(x);
    case 'float16': return float16BitsToFloat32(float32ToFloat16Bits(x));
    case 'bfloat16': return bfloat16BitsToFloat32(float32ToBfloat16Bits(x));
    default: return x;
  }
}

/** Rounds intermediates the way the dtype computes: float32 precision for the 32- and 16-bit floats. */
export function accumulatorRound(d: DType): (x: number) => number {
  return d === 'float64' ? (x) => x : Math.fround;
}

/** For each element of `out`, the flat index of the element of a tensor of shape `inShape` broadcast to it. */
export function broadcastIndex(inShape: StaticShape, out: StaticShape): Int32Array {
  const strides = broadcastStrides(inShape, out);
  const size = sizeOf(out);
  const rank = out.length;
  const idx = new Array<number>(rank).fill(0);
  const res = new Int32Array(size);
  let off = 0;
  for (let i = 0; i < size; i++) {
    res[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < out[d]) break;
      off -= strides[d] * out[d];
      idx[d] = 0;
    }
  }
  return res;
}

/** Broadcast shape of run-time tensors; a ShapeError naming the node when they do not broadcast. */
export function runBroadcastShape(ctx: RunContext, shapes: readonly StaticShape[]): number[] {
  try {
    return broadcastShapes(shapes) as number[];
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
}

/**
 * Applies f to the broadcast inputs elementwise: out[i] = f([x0, x1, ...]) (integers as bigint).
 * The argument array is reused between calls.
 */
export function mapBroadcast(ctx: RunContext, inputs: readonly Tensor[], outDtype: DType, f: (xs: Value[]) => Result): Tensor {
  const outShape = runBroadcastShape(ctx, inputs.map((t) => t.shape));
  const out = zeros(outDtype, outShape);
  const index = inputs.map((t) => broadcastIndex(t.shape, outShape));
  const xs = new Array<Value>(inputs.length);
  const data = out.data as TypedArray;
  for (let i = 0; i < out.size; i++) {
    for (let k = 0; k < inputs.length; k++) xs[k] = load(inputs[k], index[k][i]);
    store(outDtype, data, i, f(xs));
  }
  return out;
}

/** Applies f to every element of t. */
export function mapUnary(t: Tensor, outDtype: DType, f: (x: Value) => Result): Tensor {
  const out = zeros(outDtype, t.shape);
  const data = out.data as TypedArray;
  for (let i = 0; i < t.size; i++) store(outDtype, data, i, f(load(t, i)));
  return out;
}

/** Output type of broadcasting the present inputs (symbolic dims pass through). */
export function broadcastType(ctx: InferContext, dtype: DType): TensorType {
  const present = ctx.inputs.map((t, i) => (t ? i : -1)).filter((i) => i >= 0);
  return { dtype, shape: broadcastOf(ctx, present) };
}

/** An ArgumentError naming the node (for values an op cannot compute, like integer division by zero). */
export function valueError(node: Node, message: string): ArgumentError {
  return new ArgumentError(message, { node: node.name, op: node.op });
}

/**
 * Checks input dtypes against the schema: each one allowed by its spec, and inputs sharing a type
 * constraint sharing the dtype. Throws DTypeError naming the node.
 */
export function checkInputTypes(schema: OpSchema, node: Node, inputs: readonly ({ readonly dtype: DType } | undefined)[]): void {
  const ctx = { node: node.name, op: node.op };
  const seen = new Map<string, { dtype: DType; index: number }>();
  inputs.forEach((t, i) => {
    if (!t) return;
    const spec = specAt(schema.inputs, i);
    if (!spec) return;
    const allowed = allowedTypes(schema, spec);
    if (!allowed.includes(t.dtype)) {
      throw new DTypeError(`input ${i} (${spec.name}) has dtype '${t.dtype}'; ${schema.name} accepts ${allowed.join(', ')}`, ctx);
    }
    if (typeof spec.type !== 'string') return;
    const prev = seen.get(spec.type);
    if (prev && prev.dtype !== t.dtype) {
      throw new DTypeError(`inputs ${prev.index} and ${i} of ${schema.name} must share type ${spec.type}, got '${prev.dtype}' and '${t.dtype}'`, ctx);
    }
    if (!prev) seen.set(spec.type, { dtype: t.dtype, index: i });
  });
}

/** Declares an op of group 'elementwise' whose infer() and run() first check input dtypes. */
export function elementwiseOp(schema: Omit<OpSchema, 'group'>): OpSchema {
  const full: OpSchema = { ...schema, group: 'elementwise' };
  return defineOp({
    ...full,
    infer(ctx) {
      checkInputTypes(full, ctx.node, ctx.inputs);
      return schema.infer(ctx);
    },
    run(ctx) {
      checkInputTypes(full, ctx.node, ctx.inputs);
      return schema.run(ctx);
    },
  });
}

/** Declaration of a unary op T -> T. */
export interface UnarySpec {
  readonly name: string;
  readonly doc: string;
  readonly since: number;
  readonly types: readonly DType[];
  readonly tags?: OpSchema['tags'];
  readonly attrs?: OpSchema['attrs'];
  /** Checks attribute values beyond the schema's `values` (throw AttributeError). */
  readonly checkAttrs?: (ctx: InferContext | RunContext) => void;
  /** Float kernel (computed in float64, rounded once to T), built from the resolved attributes. */
  readonly float?: (ctx: RunContext) => (x: number) => number;
  /** Integer kernel on exact bigints (the result wraps to T). */
  readonly int?: (ctx: RunContext) => (x: bigint) => bigint;
}

/** A unary elementwise op Y = f(X) with Y of X's dtype and shape. */
export function unaryOp(s: UnarySpec): OpSchema {
  return elementwiseOp({
    name: s.name,
    tags: s.tags,
    doc: s.doc,
    since: s.since,
    inputs: [{ name: 'X', type: 'T' }],
    outputs: [{ name: 'Y', type: 'T' }],
    types: { T: s.types },
    attrs: s.attrs,
    infer(ctx) {
      s.checkAttrs?.(ctx);
      const t = ctx.inputs[0]!;
      return [{ dtype: t.dtype, shape: t.shape }];
    },
    run(ctx) {
      s.checkAttrs?.(ctx);
      const x = ctx.inputs[0]!;
      if (dtypeInfo(x.dtype).kind === 'float') {
        const f = s.float!(ctx);
        return [mapUnary(x, x.dtype, (v) => f(v as number))];
      }
      const f = s.int!(ctx);
      return [mapUnary(x, x.dtype, (v) => f(v as bigint))];
    },
  });
}
