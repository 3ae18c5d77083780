/**
 * Binary and variadic arithmetic with multidirectional (numpy) broadcasting: Add, Sub, Mul, Div,
 * Pow, Mod, Min, Max, Sum, Mean, PRelu, BitShift and the Bitwise* ops.
 *
 * Integer arithmetic is exact in bigint and wraps to the dtype's width; integer division truncates
 * toward zero (C/ONNX); integer division or modulo by zero is an ArgumentError (ONNX leaves it
 * undefined). Float results are computed in float64 and rounded once to the output type.
 */
import { FLOAT_TYPES, INT_TYPES, NUMERIC_TYPES, dtypeInfo, type DType } from '../core/dtype.js';
import { broadcastShapes, formatShape, shapesEqual } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { FUSED_ACTIVATION_ATTRS, fusedActivationFn, leakyRelu } from './fused-activation.js';
import { broadcastType, elementwiseOp, mapBroadcast, valueError, type Result, type Value } from './elementwise-kernel.js';
import { wrapInt } from './integers.js';
import { sameAs } from './output-types.js';
import { accumulatorRound, floatRounder } from './rounding.js';
import type { InferContext, OpSchema, OpTag, RunContext } from './schema.js';

const isFloatDType = (d: DType): boolean => dtypeInfo(d).kind === 'float';

/** The present input tensors. */
const present = (ctx: RunContext): Tensor[] => ctx.inputs.filter((t): t is Tensor => !!t);

interface BinarySpec {
  name: string;
  doc: string;
  since: number;
  types: readonly DType[];
  tags?: readonly OpTag[];
  /** Kernels on numbers (float types) and bigints (integer types; the result is wrapped to d). */
  float?: (a: number, b: number) => number;
  int?: (a: bigint, b: bigint, d: DType, ctx: RunContext) => bigint;
}

/** A binary op A op B -> C, all of one type T, with broadcasting. */
function binaryOp(s: BinarySpec): OpSchema {
  return elementwiseOp({
    name: s.name,
    tags: s.tags,
    doc: s.doc,
    since: s.since,
    inputs: [{ name: 'A', type: 'T' }, { name: 'B', type: 'T' }],
    outputs: [{ name: 'C', type: 'T' }],
    types: { T: s.types },
    infer: (ctx) => [broadcastType(ctx, ctx.inputs[0]!.dtype)],
    run(ctx) {
      const [a, b] = ctx.inputs as Tensor[];
      const d = a.dtype;
      const float = s.float;
      if (isFloatDType(d) && float) return [mapBroadcast(ctx, [a, b], d, ([x, y]) => float(x as number, y as number))];
      const int = s.int!;
      return [mapBroadcast(ctx, [a, b], d, ([x, y]) => int(x as bigint, y as bigint, d, ctx))];
    },
  });
}

function nonZeroDivisor(ctx: RunContext, b: bigint, what: string): void {
  if (b === 0n) throw valueError(ctx.node, `integer ${what} by zero (undefined in ONNX)`);
}

/**
 * The fused activation of an integer Add, exact on bigints. Only Relu and Clip (with integer or
 * infinite bounds) exist unfused for integer types; the others need a float type.
 */
function intActivation(ctx: InferContext | RunContext, d: DType): (x: bigint) => bigint {
  const act = ctx.str('activation');
  switch (act) {
    case 'none': return (x) => x;
    case 'Relu': return (x) => (x > 0n ? x : 0n);
    case 'Clip': {
      const p = ctx.floats('activation_params');
      const [lo, hi] = p.length ? p : [-Infinity, Infinity];
      const bound = (v: number) => {
        if (!Number.isFinite(v)) return undefined;
        if (!Number.isInteger(v)) ctx.failAttr(`fused Clip on '${d}' needs integer bounds, got ${v}`);
        return BigInt(v);
      };
      const l = bound(lo);
      const h = bound(hi);
      // Same function as fused-activation's clip(): below lo -> lo, else above hi -> hi.
      return (x) => (l !== undefined && x < l ? l : h !== undefined && x > h ? h : x);
    }
    default: return ctx.failDType(`fused activation ${act} on '${d}' needs a float type`);
  }
}

/** Add, with the fused activation a fusion pass may attach (see fused-activation.ts). */
const add = elementwiseOp({
  name: 'Add',
  tags: ['commutative'],
  doc: 'C = A + B with broadcasting; integers wrap. May carry a fused activation, applied to the sum rounded to T so that fused and unfused graphs agree (integer types: Relu and Clip only).',
  since: 14,
  inputs: [{ name: 'A', type: 'T' }, { name: 'B', type: 'T' }],
  outputs: [{ name: 'C', type: 'T' }],
  types: { T: NUMERIC_TYPES },
  attrs: FUSED_ACTIVATION_ATTRS,
  infer(ctx) {
    const d = ctx.inputs[0]!.dtype;
    fusedActivationFn(ctx.str('activation'), ctx.floats('activation_params')); // validates the params
    if (!isFloatDType(d)) intActivation(ctx, d);
    return [broadcastType(ctx, d)];
  },
  run(ctx) {
    const [a, b] = ctx.inputs as Tensor[];
    const d = a.dtype;
    const act = ctx.str('activation');
    const fn = fusedActivationFn(act, ctx.floats('activation_params'));
    if (isFloatDType(d)) {
      if (act === 'none') return [mapBroadcast(ctx, [a, b], d, ([x, y]) => (x as number) + (y as number))];
      // The activation sees the sum as T holds it, as an unfused activation would.
      const round = floatRounder(d);
      return [mapBroadcast(ctx, [a, b], d, ([x, y]) => fn(round((x as number) + (y as number))))];
    }
    const g = intActivation(ctx, d);
    return [mapBroadcast(ctx, [a, b], d, ([x, y]) => g(wrapInt(d, (x as bigint) + (y as bigint))))];
  },
});

const sub = binaryOp({
  name: 'Sub', since: 14, types: NUMERIC_TYPES,
  doc: 'C = A - B with broadcasting; integers wrap.',
  float: (a, b) => a - b,
  int: (a, b) => a - b,
});

const mul = binaryOp({
  name: 'Mul', since: 14, types: NUMERIC_TYPES, tags: ['commutative'],
  doc: 'C = A * B with broadcasting; integers wrap.',
  float: (a, b) => a * b,
  int: (a, b) => a * b,
});

const div = binaryOp({
  name: 'Div', since: 14, types: NUMERIC_TYPES,
  doc: 'C = A / B with broadcasting. Integer division truncates toward zero (int_min / -1 wraps); integer division by zero is an ArgumentError.',
  float: (a, b) => a / b,
  int: (a, b, _d, ctx) => {
    nonZeroDivisor(ctx, b, 'division');
    return a / b; // bigint division truncates toward zero; the caller wraps
  },
});

/** Floating modulo: sign of the dividend (C fmod; JS % is exactly that). */
const fmodFloat = (a: number, b: number): number => a % b;

const mod = elementwiseOp({
  name: 'Mod',
  doc: 'Remainder with broadcasting. fmod=0 (integers only): sign of the divisor, like Python %. fmod=1: sign of the dividend, like C fmod. Integer modulo by zero is an ArgumentError.',
  since: 13,
  inputs: [{ name: 'A', type: 'T' }, { name: 'B', type: 'T' }],
  outputs: [{ name: 'C', type: 'T' }],
  types: { T: NUMERIC_TYPES },
  attrs: { fmod: { type: 'int', default: 0, values: [0, 1], doc: '1: sign of the dividend (required for float types)' } },
  infer(ctx) {
    const d = ctx.inputs[0]!.dtype;
    if (isFloatDType(d) && ctx.int('fmod') !== 1) ctx.failAttr(`Mod on ${d} needs fmod=1 (ONNX)`);
    return [broadcastType(ctx, d)];
  },
  run(ctx) {
    const [a, b] = ctx.inputs as Tensor[];
    const d = a.dtype;
    const fmod = ctx.int('fmod') === 1;
    if (isFloatDType(d)) {
      if (!fmod) ctx.failAttr(`Mod on ${d} needs fmod=1 (ONNX)`);
      return [mapBroadcast(ctx, [a, b], d, ([x, y]) => fmodFloat(x as number, y as number))];
    }
    return [mapBroadcast(ctx, [a, b], d, ([x, y]) => {
      const p = x as bigint;
      const q = y as bigint;
      nonZeroDivisor(ctx, q, 'modulo');
      const r = p % q; // sign of the dividend
      return !fmod && r !== 0n && (r < 0n) !== (q < 0n) ? r + q : r;
    })];
  },
});

/** IEEE/C pow: unlike Math.pow, pow(1, y) = 1 and pow(-1, +-Inf) = 1 (NaN in JS). */
export function cPow(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  return Math.pow(x, y);
}

/** Integer power wrapped to the width of d (square-and-multiply, wrapping as it goes). */
function intPow(base: bigint, exp: bigint, d: DType, ctx: RunContext): bigint {
  if (exp < 0n) {
    if (base === 0n) throw valueError(ctx.node, 'integer 0 raised to a negative power (undefined)');
    if (base === 1n) return 1n;
    if (base === -1n) return exp % 2n === 0n ? 1n : -1n;
    return 0n; // |base| >= 2: the true value is in (-1, 1), truncated toward zero
  }
  let result = 1n;
  let b = wrapInt(d, base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = wrapInt(d, result * b);
    b = wrapInt(d, b * b);
    e >>= 1n;
  }
  return result;
}

const POW_BASE_TYPES: readonly DType[] = [...FLOAT_TYPES, 'int32', 'int64'];

const pow = elementwiseOp({
  name: 'Pow',
  doc: 'Z = X ^ Y with broadcasting; Y may have another type than X. Floats follow C pow. Integer X with integer Y is exact and wraps (negative Y truncates the true value toward zero; 0 ^ negative is an ArgumentError); integer X with float Y computes in float64 and converts like Cast.',
  since: 15,
  inputs: [{ name: 'X', type: 'T' }, { name: 'Y', type: 'T1' }],
  outputs: [{ name: 'Z', type: 'T' }],
  types: { T: POW_BASE_TYPES, T1: NUMERIC_TYPES },
  infer: (ctx) => [broadcastType(ctx, ctx.inputs[0]!.dtype)],
  run(ctx) {
    const [x, y] = ctx.inputs as Tensor[];
    const d = x.dtype;
    const num = (v: Value): number => (typeof v === 'bigint' ? Number(v) : v);
    if (isFloatDType(d)) return [mapBroadcast(ctx, [x, y], d, ([a, b]) => cPow(a as number, num(b)))];
    if (isFloatDType(y.dtype)) return [mapBroadcast(ctx, [x, y], d, ([a, b]) => cPow(Number(a), b as number))];
    return [mapBroadcast(ctx, [x, y], d, ([a, b]) => intPow(a as bigint, b as bigint, d, ctx))];
  },
});

interface VariadicSpec {
  name: string;
  doc: string;
  since: number;
  types: readonly DType[];
  tags?: readonly OpTag[];
  /** Reduces the (broadcast) inputs of one element; `d` tells how to round intermediates. */
  combine: (xs: Value[], d: DType) => Result;
}

/** A variadic op: one or more inputs of type T, broadcast together. */
function variadicOp(s: VariadicSpec): OpSchema {
  return elementwiseOp({
    name: s.name,
    tags: s.tags,
    doc: s.doc,
    since: s.since,
    inputs: [{ name: 'data_0', type: 'T', variadic: true }],
    outputs: [{ name: s.name.toLowerCase(), type: 'T' }],
    types: { T: s.types },
    infer: (ctx) => [broadcastType(ctx, ctx.inputs.find((t) => t)!.dtype)],
    run(ctx) {
      const ins = present(ctx);
      const d = ins[0].dtype;
      return [mapBroadcast(ctx, ins, d, (xs) => s.combine(xs, d))];
    },
  });
}

/** Min/Max of one element: NaN propagates (Math.min/max), integers compare exactly. */
function extremum(pick: (a: number, b: number) => number, better: (a: bigint, b: bigint) => boolean) {
  return (xs: Value[]): Value => {
    let r = xs[0];
    for (let k = 1; k < xs.length; k++) {
      const v = xs[k];
      r = typeof r === 'bigint' ? (better(v as bigint, r) ? v : r) : pick(r, v as number);
    }
    return r;
  };
}

const max = variadicOp({
  name: 'Max', since: 13, types: NUMERIC_TYPES, tags: ['commutative'],
  doc: 'Elementwise maximum of one or more inputs with broadcasting; NaN propagates.',
  combine: extremum(Math.max, (a, b) => a > b),
});

const min = variadicOp({
  name: 'Min', since: 13, types: NUMERIC_TYPES, tags: ['commutative'],
  doc: 'Elementwise minimum of one or more inputs with broadcasting; NaN propagates.',
  combine: extremum(Math.min, (a, b) => a < b),
});

/** Left-to-right sum, rounding each partial sum to the precision the type computes in. */
function sumOf(xs: Value[], d: DType): number {
  const round = accumulatorRound(d);
  let acc = xs[0] as number;
  for (let k = 1; k < xs.length; k++) acc = round(acc + (xs[k] as number));
  return acc;
}

const sum = variadicOp({
  name: 'Sum', since: 13, types: FLOAT_TYPES, tags: ['commutative'],
  doc: 'Elementwise sum of one or more inputs with broadcasting, accumulated left to right in the precision of T (float32 for the 16-bit types).',
  combine: sumOf,
});

const mean = variadicOp({
  name: 'Mean', since: 13, types: FLOAT_TYPES, tags: ['commutative'],
  doc: 'Elementwise mean of one or more inputs with broadcasting: the Sum, then divided by the input count.',
  combine: (xs, d) => sumOf(xs, d) / xs.length,
});

const prelu = elementwiseOp({
  name: 'PRelu',
  doc: 'Y = X < 0 ? slope * X : X, with slope unidirectionally broadcast to X (Y has the shape of X).',
  since: 16,
  inputs: [{ name: 'X', type: 'T' }, { name: 'slope', type: 'T' }],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: [...FLOAT_TYPES, 'int32', 'int64', 'uint32', 'uint64'] },
  infer(ctx) {
    const [x, slope] = ctx.inputs;
    const b = broadcastType(ctx, x!.dtype);
    // Unidirectional: broadcasting slope may not grow X (symbolic dims are given the benefit of the doubt).
    const grows = b.shape.length !== x!.shape.length || b.shape.some((d, i) => typeof d === 'number' && typeof x!.shape[i] === 'number' && d !== x!.shape[i]);
    if (grows) ctx.fail(`slope of shape ${formatShape(slope!.shape)} does not broadcast to X of shape ${formatShape(x!.shape)} (PRelu broadcasts unidirectionally)`);
    return [sameAs(ctx, 0)];
  },
  run(ctx) {
    const [x, slope] = ctx.inputs as Tensor[];
    const d = x.dtype;
    let b: readonly (number | string)[] = [];
    try {
      b = broadcastShapes([x.shape, slope.shape]);
    } catch {
      /* reported below */
    }
    if (!shapesEqual(b, x.shape)) ctx.fail(`slope of shape ${formatShape(slope.shape)} does not broadcast to X of shape ${formatShape(x.shape)} (PRelu broadcasts unidirectionally)`);
    if (isFloatDType(d)) return [mapBroadcast(ctx, [x, slope], d, ([v, s]) => leakyRelu(v as number, s as number))];
    return [mapBroadcast(ctx, [x, slope], d, ([v, s]) => ((v as bigint) < 0n ? (v as bigint) * (s as bigint) : v))];
  },
});

const UINT_TYPES: readonly DType[] = ['uint8', 'uint16', 'uint32', 'uint64'];

const bitShift = elementwiseOp({
  name: 'BitShift',
  doc: 'Z = X << Y or X >> Y (unsigned types) with broadcasting; bits shifted out are lost, so shifts of at least the bit width give 0.',
  since: 11,
  inputs: [{ name: 'X', type: 'T' }, { name: 'Y', type: 'T' }],
  outputs: [{ name: 'Z', type: 'T' }],
  types: { T: UINT_TYPES },
  attrs: { direction: { type: 'string', required: true, values: ['LEFT', 'RIGHT'] } },
  infer: (ctx) => [broadcastType(ctx, ctx.inputs[0]!.dtype)],
  run(ctx) {
    const [x, y] = ctx.inputs as Tensor[];
    const d = x.dtype;
    const bits = BigInt(dtypeInfo(d).bits);
    const left = ctx.str('direction') === 'LEFT';
    return [mapBroadcast(ctx, [x, y], d, ([a, s]) => {
      const n = s as bigint;
      if (n >= bits) return 0n;
      return left ? (a as bigint) << n : (a as bigint) >> n;
    })];
  },
});

const bitwiseAnd = binaryOp({
  name: 'BitwiseAnd', since: 18, types: INT_TYPES, tags: ['commutative'],
  doc: 'Bitwise AND of integers with broadcasting.',
  int: (a, b) => a & b,
});

const bitwiseOr = binaryOp({
  name: 'BitwiseOr', since: 18, types: INT_TYPES, tags: ['commutative'],
  doc: 'Bitwise OR of integers with broadcasting.',
  int: (a, b) => a | b,
});

const bitwiseXor = binaryOp({
  name: 'BitwiseXor', since: 18, types: INT_TYPES, tags: ['commutative'],
  doc: 'Bitwise XOR of integers with broadcasting.',
  int: (a, b) => a ^ b,
});

export const arithmeticOps: readonly OpSchema[] = [add, sub, mul, div, mod, pow, max, min, sum, mean, prelu, bitShift, bitwiseAnd, bitwiseOr, bitwiseXor];
