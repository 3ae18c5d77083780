/**
 * The value model and loops shared by the elementwise ops.
 *
 * Values: integer dtypes are read as bigint (exact for int64/uint64) and their results wrap to the
 * dtype's width like C/ONNX integer arithmetic; floats and bool are read as numbers. A float result
 * computed in float64 is written through float32 (float16/bfloat16: float32 first, then the
 * type), so float32 results are correctly rounded and float16/bfloat16 ones are "computed in
 * float32 and rounded to the type", as ONNX runtimes do.
 */
import { ArgumentError } from '../core/errors.js';
import { dtypeInfo, type DType, type TypedArray } from '../core/dtype.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import type { Node, TensorType } from '../graph/types.js';
import { broadcastIndex, broadcastOf, runBroadcastShape } from './broadcast.js';
import { checkInputTypes } from './input-types.js';
import { floatToInt, saturateInt, writeInt } from './integers.js';
import { FLOAT_PRECISION, bigintToFloat } from './rounding.js';
import { defineOp, type InferContext, type OpSchema, type RunContext } from './schema.js';

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
  writeInt(d, data, i, typeof r === 'bigint' ? (info.packed ? saturateInt(d, r) : r) : floatToInt(d, r));
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
