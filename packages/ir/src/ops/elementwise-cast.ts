/**
 * Cast and CastLike. Conversion rules (ONNX leaves out-of-range conversions undefined; these are
 * the deterministic choices of the reference):
 * - to bool: non-zero -> true (NaN -> true, as a C++ cast); from bool: 0 or 1.
 * - float -> integer: truncate toward zero, saturate to the target range, NaN -> 0.
 * - integer -> integer: two's-complement wrap to the target width (exact, via bigint), except
 *   int4/uint4 targets, which saturate (as ONNX runtimes do).
 * - -> float: rounded once to the nearest value of the target (ties to even), also from float64 or
 *   from integers wider than the target's significand (no double rounding); beyond the target's
 *   range -> +-Inf.
 */
import { ALL_TYPES, DTYPES, dtypeInfo, type DType, type TypedArray } from '../core/dtype.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import { elementwiseOp, load, store, type Value } from './elementwise-kernel.js';
import { floatToInt, saturateInt, wrapInt } from './integers.js';
import { FLOAT_PRECISION, bigintToFloat, toFloat32RoundOdd } from './rounding.js';
import type { OpSchema } from './schema.js';

/** Writes v (read from a tensor of dtype `from`) into element i of storage of dtype `to`, converting as Cast does. */
function castInto(to: DType, data: TypedArray, i: number, v: Value): void {
  const info = dtypeInfo(to);
  if (info.kind === 'float') {
    if (typeof v === 'bigint') {
      writeElement(to, data, i, bigintToFloat(v, FLOAT_PRECISION[to]!));
    } else if (to === 'float16' || to === 'bfloat16') {
      writeElement(to, data, i, toFloat32RoundOdd(v)); // one correct rounding from float64
    } else {
      writeElement(to, data, i, v);
    }
    return;
  }
  if (info.kind === 'int' || info.kind === 'uint') {
    const n = typeof v === 'bigint' ? (info.packed ? saturateInt(to, v) : wrapInt(to, v)) : floatToInt(to, v);
    store(to, data, i, n);
    return;
  }
  store(to, data, i, v); // bool
}

/** Converts tensor x to dtype `to` elementwise (a new tensor; quant params are dropped). */
export function castTensor(x: Tensor, to: DType): Tensor {
  const out = zeros(to, x.shape);
  const data = out.data as TypedArray;
  for (let i = 0; i < x.size; i++) castInto(to, data, i, load(x, i));
  return out;
}

const cast = elementwiseOp({
  name: 'Cast',
  doc: "Converts every element to the dtype named by 'to' (see elementwise-cast.ts for the rounding, truncation and out-of-range rules).",
  since: 21,
  inputs: [{ name: 'input', type: 'T1' }],
  outputs: [{ name: 'output', type: 'T2' }],
  types: { T1: ALL_TYPES, T2: ALL_TYPES },
  attrs: {
    to: { type: 'string', required: true, values: DTYPES, doc: 'target dtype name' },
    saturate: { type: 'int', default: 1, values: [0, 1], doc: 'only affects float8 targets in ONNX, which the IR does not have; accepted and ignored' },
  },
  infer: (ctx) => [{ dtype: ctx.str('to') as DType, shape: ctx.inputs[0]!.shape }],
  run: (ctx) => [castTensor(ctx.inputs[0]!, ctx.str('to') as DType)],
});

const castLike = elementwiseOp({
  name: 'CastLike',
  doc: 'Cast of input to the dtype of target_type (whose values are not used).',
  since: 21,
  inputs: [{ name: 'input', type: 'T1' }, { name: 'target_type', type: 'T2' }],
  outputs: [{ name: 'output', type: 'T2' }],
  types: { T1: ALL_TYPES, T2: ALL_TYPES },
  attrs: { saturate: { type: 'int', default: 1, values: [0, 1], doc: 'only affects float8 targets in ONNX; accepted and ignored' } },
  infer: (ctx) => [{ dtype: ctx.inputs[1]!.dtype, shape: ctx.inputs[0]!.shape }],
  run: (ctx) => [castTensor(ctx.inputs[0]!, ctx.inputs[1]!.dtype)],
});

export const castOps: readonly OpSchema[] = [cast, castLike];
