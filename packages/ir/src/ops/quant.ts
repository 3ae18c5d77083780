/**
 * Quantization ops: QuantizeLinear / DequantizeLinear (ONNX opset 21+ granularities), the IR's own
 * Dequantize (reads the quant params carried by its input's type), DynamicQuantizeLinear, and the
 * integer compute ops MatMulInteger, QLinearMatMul, QGemm, QLinearAdd/Mul/Sigmoid/LeakyRelu.
 *
 * QuantizeLinear's inference attaches QuantParams to its output type whenever its scale and zero
 * point are constants: that is how quantization becomes part of a value's type.
 */
import { ArgumentError } from '../core/errors.js';
import { dtypeInfo, QUANT_STORAGE_TYPES, type DType, type TypedArray } from '../core/dtype.js';
import {
  REQUANT_MODES,
  affineAt,
  checkQuantParams,
  dequantizeValue,
  paramIndex,
  perAxis,
  perBlock,
  perTensor,
  quantRange,
  quantizeValue,
  requantize,
  roundHalfEven,
  type QuantParams,
  type RequantMode,
} from '../core/quant.js';
import { broadcastStrides, formatShape, normalizeAxis, type Shape } from '../core/shape.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import type { TensorType } from '../graph/types.js';
import { sigmoid } from './fused-activation.js';
import { broadcastMap, broadcastOf } from './broadcast.js';
import type { Fail, OpContext } from './context.js';
import { dimsMatch, isPerTensorShape } from './dims.js';
import { biasIndex, gemmDims, matmulMacs, matmulPlan, matmulShape, type MatmulPlan } from './matmul.js';
import { floatRounder } from './rounding.js';
import { defineOp, type OpSchema, type RunContext } from './schema.js';

const SCALE_TYPES: readonly DType[] = ['float32', 'float16', 'bfloat16'];
const QUANT_OUT_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'int4', 'uint4'];
const INT8_TYPES: readonly DType[] = ['int8', 'uint8'];

/** Zero points must have the dtype of the tensor they describe. */
function checkSameDType(ctx: OpContext, x: { dtype: DType } | undefined, z: { dtype: DType } | undefined, what: string): void {
  if (x && z && x.dtype !== z.dtype) ctx.failDType(`${what} has dtype '${z.dtype}' but must have the dtype of its tensor, '${x.dtype}'`);
}

/** Scalars (rank 0) and one-element vectors are per-tensor parameters. */
function isScalarShape(s: Shape): boolean {
  return s.length === 0 || (s.length === 1 && (s[0] === 1 || typeof s[0] === 'string'));
}

function checkScalar(fail: Fail, what: string, s: Shape | undefined): void {
  if (s && !isScalarShape(s)) fail(`${what} must be a scalar (per-tensor), got shape ${formatShape(s)}`);
}

/** The value of a one-element parameter tensor. */
function scalarOf(ctx: RunContext, t: Tensor | undefined, what: string, dflt = 0): number {
  if (!t) return dflt;
  if (t.size !== 1) ctx.fail(`${what} must hold one value, got shape ${formatShape(t.shape)}`);
  return t.get(0);
}

// ------------------------------------------------------------------ granularity

/** How QuantizeLinear/DequantizeLinear scales map onto elements, decided by the scale's shape. */
type Granularity =
  | { readonly kind: 'per-tensor' }
  | { readonly kind: 'per-axis'; readonly axis: number }
  | { readonly kind: 'per-block'; readonly axis: number; readonly blockSize: number };

/**
 * The granularity of a (de)quantization: a scalar (or one-element) scale is per tensor, a 1-D
 * scale is per axis (length = x.shape[axis]), a scale of x's rank with block_size > 0 is blocked
 * (x.shape with dim `axis` replaced by ceil(D / block_size)). Zero points must match the scale.
 */
function granularityOf(ctx: OpContext, x: Shape, scale: Shape, zp: Shape | undefined, names: [string, string, string]): Granularity {
  const [xName, sName, zName] = names;
  const axisAttr = ctx.int('axis');
  const blockSize = ctx.int('block_size');
  // Unlike the QLinear ops' params, a 1-D scale of unknown length here is per axis.
  if (zp && !(isPerTensorShape(zp) && isPerTensorShape(scale)) && !sameShape(zp, scale)) {
    ctx.fail(`${zName} ${formatShape(zp)} must have the shape of ${sName} ${formatShape(scale)}`);
  }
  if (blockSize < 0) ctx.failAttr(`block_size must be >= 0 (0 = not blocked), got ${blockSize}`);
  const axisOf = (): number => {
    try {
      return normalizeAxis(axisAttr, x.length);
    } catch {
      return ctx.fail(`axis ${axisAttr} is out of range for ${xName} of rank ${x.length} (valid: ${-x.length}..${x.length - 1})`);
    }
  };
  if (blockSize === 0) {
    if (isPerTensorShape(scale)) return { kind: 'per-tensor' };
    if (scale.length !== 1) {
      ctx.fail(`${sName} ${formatShape(scale)} has rank ${scale.length}: use a scalar (per tensor), a 1-D scale (per axis) or set block_size for blocked quantization`);
    }
    const axis = axisOf();
    const d = x[axis];
    if (typeof d === 'number' && typeof scale[0] === 'number' && d !== scale[0]) {
      ctx.fail(`per-axis ${sName} has ${scale[0]} entries but ${xName} ${formatShape(x)} has ${d} along axis ${axis}`);
    }
    return { kind: 'per-axis', axis };
  }
  if (scale.length !== x.length) {
    ctx.fail(`blocked quantization needs ${sName} of the rank of ${xName} ${formatShape(x)}, got ${formatShape(scale)}`);
  }
  const axis = axisOf();
  x.forEach((d, i) => {
    const s = scale[i];
    if (typeof d !== 'number' || typeof s !== 'number') return;
    if (i === axis) {
      if (Math.ceil(d / blockSize) !== s) {
        ctx.fail(`block_size ${blockSize} does not fit: ${xName} ${formatShape(x)} has ${d} along axis ${axis}, which needs ceil(${d}/${blockSize}) = ${Math.ceil(d / blockSize)} blocks, but ${sName} ${formatShape(scale)} has ${s}`);
      }
    } else if (d !== s) {
      ctx.fail(`blocked ${sName} ${formatShape(scale)} must match ${xName} ${formatShape(x)} on every dim but axis ${axis}`);
    }
  });
  return { kind: 'per-block', axis, blockSize };
}

const NO_SCALES = new Float32Array(0);
const NO_ZPS = new Int32Array(0);

/** A QuantParams shell used only to locate parameters with `paramIndex`. */
function indexer(g: Granularity): QuantParams {
  switch (g.kind) {
    case 'per-tensor': return { kind: 'per-tensor', scale: 1, zeroPoint: 0 };
    case 'per-axis': return { kind: 'per-axis', axis: g.axis, scales: NO_SCALES, zeroPoints: NO_ZPS };
    case 'per-block': return { kind: 'per-block', axis: g.axis, blockSize: g.blockSize, scales: NO_SCALES, zeroPoints: NO_ZPS };
  }
}

/**
 * The QuantParams for known scale and zero-point values; undefined when they cannot be expressed
 * (non-positive scales) — the op still computes, the type just carries no params.
 */
function quantParamsOf(g: Granularity, scales: number[], zps: number[] | undefined): QuantParams | undefined {
  try {
    switch (g.kind) {
      case 'per-tensor': return perTensor(scales[0], zps ? zps[0] : 0);
      case 'per-axis': return perAxis(g.axis, scales, zps);
      case 'per-block': return perBlock(g.axis, g.blockSize, scales, zps);
    }
  } catch (e) {
    if (e instanceof ArgumentError) return undefined;
    throw e;
  }
}

// ------------------------------------------------------------------ QuantizeLinear

/** Output dtype of QuantizeLinear: output_dtype, else the zero point's dtype, else uint8. */
function quantizeOutDType(ctx: OpContext, zp: DType | undefined): DType {
  const attr = ctx.attrs.output_dtype as DType | undefined;
  if (attr !== undefined && zp !== undefined && attr !== zp) {
    ctx.failDType(`output_dtype '${attr}' differs from the dtype of y_zero_point '${zp}'; they must agree`);
  }
  return attr ?? zp ?? 'uint8';
}

/**
 * Quantizes one value with the division done in the scale's precision (ONNX: the type of y_scale
 * determines the precision of x / y_scale): float32 division, then rounding to float16/bfloat16.
 */
function quantizeIn(round: (x: number) => number, x: number, s: number, z: number, qmin: number, qmax: number): number {
  const v = round(Math.fround(Math.fround(x) / Math.fround(s)));
  if (Number.isNaN(v)) return Math.min(qmax, Math.max(qmin, z));
  const q = roundHalfEven(v) + z;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

const quantizeLinear = defineOp({
  name: 'QuantizeLinear',
  group: 'quant',
  since: 21,
  doc: 'y = saturate(round_half_even(x / y_scale) + y_zero_point), per tensor (scalar scale), per axis (1-D scale along `axis`) or blocked (scale of x\'s rank, `block_size` elements per scale along `axis`). The division runs in float32, rounded to the scale\'s dtype when that is float16/bfloat16. With constant scale and zero point, the output type carries the matching QuantParams.',
  inputs: [
    { name: 'x', type: 'T1' },
    { name: 'y_scale', type: 'TS' },
    { name: 'y_zero_point', type: 'T2', optional: true },
  ],
  outputs: [{ name: 'y', type: 'T2' }],
  types: { T1: ['float32', 'float16', 'bfloat16', 'int32'], TS: SCALE_TYPES, T2: QUANT_OUT_TYPES },
  attrs: {
    axis: { type: 'int', default: 1, doc: 'axis of per-axis and blocked quantization' },
    block_size: { type: 'int', default: 0, doc: 'elements per scale along axis (0 = not blocked)' },
    output_dtype: { type: 'string', values: QUANT_OUT_TYPES, doc: 'output dtype when y_zero_point is absent (default uint8)' },
    saturate: { type: 'int', default: 1, values: [0, 1], doc: 'float8 only in ONNX; integer outputs always saturate' },
  },
  infer(ctx) {
    const [x, s, z] = ctx.inputs as (TensorType | undefined)[];
    const dtype = quantizeOutDType(ctx, z?.dtype);
    const g = granularityOf(ctx, x!.shape, s!.shape, z?.shape, ['x', 'y_scale', 'y_zero_point']);
    const type: TensorType = { dtype, shape: x!.shape };
    const sc = ctx.constant(1);
    const zc = z ? ctx.constant(2) : undefined;
    if (!sc || (z && !zc)) return [type];
    const quant = quantParamsOf(g, sc.toNumbers(), zc?.toNumbers());
    return [quant ? { ...type, quant } : type];
  },
  run(ctx) {
    const [x, s, z] = ctx.inputs as (Tensor | undefined)[];
    const dtype = quantizeOutDType(ctx, z?.dtype);
    const g = granularityOf(ctx, x!.shape, s!.shape, z?.shape, ['x', 'y_scale', 'y_zero_point']);
    const { qmin, qmax } = quantRange(dtype);
    const sv = s!.toNumbers();
    const zv = z?.toNumbers();
    const round = floatRounder(s!.dtype);
    const ix = indexer(g);
    const out = zeros(dtype, x!.shape);
    for (let i = 0; i < x!.size; i++) {
      const k = paramIndex(ix, x!.shape, i);
      writeElement(dtype, out.data as TypedArray, i, quantizeIn(round, x!.get(i), sv[k], zv ? zv[k] : 0, qmin, qmax));
    }
    return [out.withQuant(quantParamsOf(g, sv, zv))];
  },
});

// ------------------------------------------------------------------ DequantizeLinear

const dequantizeLinear = defineOp({
  name: 'DequantizeLinear',
  group: 'quant',
  since: 21,
  doc: 'y = (x - x_zero_point) * x_scale in float32 (then rounded to the output dtype), per tensor, per axis or blocked as QuantizeLinear. Output dtype: output_dtype, else the dtype of x_scale.',
  inputs: [
    { name: 'x', type: 'T1' },
    { name: 'x_scale', type: 'TS' },
    { name: 'x_zero_point', type: 'T1', optional: true },
  ],
  outputs: [{ name: 'y', type: 'TS' }],
  types: { T1: QUANT_STORAGE_TYPES, TS: SCALE_TYPES },
  attrs: {
    axis: { type: 'int', default: 1, doc: 'axis of per-axis and blocked quantization' },
    block_size: { type: 'int', default: 0, doc: 'elements per scale along axis (0 = not blocked)' },
    output_dtype: { type: 'string', values: SCALE_TYPES, doc: 'output dtype (default: the dtype of x_scale)' },
  },
  infer(ctx) {
    const [x, s, z] = ctx.inputs as (TensorType | undefined)[];
    checkSameDType(ctx, x, z, 'x_zero_point');
    granularityOf(ctx, x!.shape, s!.shape, z?.shape, ['x', 'x_scale', 'x_zero_point']);
    return [{ dtype: (ctx.attrs.output_dtype as DType | undefined) ?? s!.dtype, shape: x!.shape }];
  },
  run(ctx) {
    const [x, s, z] = ctx.inputs as (Tensor | undefined)[];
    checkSameDType(ctx, x, z, 'x_zero_point');
    const g = granularityOf(ctx, x!.shape, s!.shape, z?.shape, ['x', 'x_scale', 'x_zero_point']);
    const dtype = (ctx.attrs.output_dtype as DType | undefined) ?? s!.dtype;
    const sv = s!.toNumbers();
    const zv = z?.toNumbers();
    const ix = indexer(g);
    const out = zeros(dtype, x!.shape);
    for (let i = 0; i < x!.size; i++) {
      const k = paramIndex(ix, x!.shape, i);
      writeElement(dtype, out.data as TypedArray, i, dequantizeValue(x!.get(i), sv[k], zv ? zv[k] : 0));
    }
    return [out];
  },
});

// ------------------------------------------------------------------ Dequantize (IR op)

/** The lookup-table index stored in `q`: its raw bits read as unsigned. */
function lutIndex(dtype: DType, q: number): number {
  return q < 0 ? q + 2 ** dtypeInfo(dtype).bits : q;
}

const dequantize = defineOp({
  name: 'Dequantize',
  group: 'quant',
  doc: "Dequantizes a tensor with the QuantParams carried by its type (not an ONNX op): affine params give (q - zeroPoint) * scale (per tensor, per axis or per block), lookup tables give table[group][q] (q's raw bits read unsigned). This is how weight-only-quantized and palettized weights appear in graphs: a quantized initializer feeding Dequantize.",
  inputs: [{ name: 'x', type: 'T', doc: 'quantized tensor whose type carries QuantParams' }],
  outputs: [{ name: 'y', type: ['float32', 'float16'] }],
  types: { T: QUANT_STORAGE_TYPES },
  attrs: {
    to: { type: 'string', default: 'float32', values: ['float32', 'float16'], doc: 'output dtype' },
  },
  infer(ctx) {
    const x = ctx.inputs[0]!;
    if (!x.quant) {
      return ctx.failDType(`input x (${x.dtype}${formatShape(x.shape)}) has no quantization params in its type; Dequantize needs a tensor type with quant (per-tensor, per-axis, per-block or lut)`);
    }
    if (x.shape.every((d) => typeof d === 'number')) {
      try {
        checkQuantParams(x.quant, x.dtype, x.shape as number[]);
      } catch (e) {
        if (e instanceof ArgumentError) ctx.fail(`quantization params of input x do not fit its type: ${e.detail}`);
        throw e;
      }
    }
    return [{ dtype: ctx.str('to') as DType, shape: x.shape }];
  },
  run(ctx) {
    const x = ctx.inputs[0]!;
    const q = x.quant;
    if (!q) return ctx.failDType(`input x (${x.dtype}${formatShape(x.shape)}) carries no quantization params; Dequantize needs them`);
    const dtype = ctx.str('to') as DType;
    const out = zeros(dtype, x.shape);
    const od = out.data as TypedArray;
    for (let i = 0; i < x.size; i++) {
      const k = paramIndex(q, x.shape, i);
      if (q.kind === 'lut') {
        const idx = lutIndex(x.dtype, x.get(i));
        if (idx >= 1 << q.bits) ctx.fail(`element ${i} holds index ${idx}, outside the ${1 << q.bits}-entry lookup table`);
        writeElement(dtype, od, i, q.tables[(k << q.bits) + idx]);
      } else {
        const { scale, zeroPoint } = affineAt(q, k);
        writeElement(dtype, od, i, dequantizeValue(x.get(i), scale, zeroPoint));
      }
    }
    return [out];
  },
});

// ------------------------------------------------------------------ DynamicQuantizeLinear

const dynamicQuantizeLinear = defineOp({
  name: 'DynamicQuantizeLinear',
  group: 'quant',
  since: 11,
  doc: 'Computes uint8 quantization params from the data and applies them: scale = (max(0, max(x)) - min(0, min(x))) / 255 (1/255 when that range is empty), zero_point = saturate(round_half_even(0 - min / scale)), y = saturate(round_half_even(x / scale) + zero_point); all in float32.',
  inputs: [{ name: 'x', type: ['float32'] }],
  outputs: [
    { name: 'y', type: ['uint8'] },
    { name: 'y_scale', type: ['float32'] },
    { name: 'y_zero_point', type: ['uint8'] },
  ],
  infer(ctx) {
    return [
      { dtype: 'uint8', shape: ctx.inputs[0]!.shape },
      { dtype: 'float32', shape: [] },
      { dtype: 'uint8', shape: [] },
    ];
  },
  run(ctx) {
    const x = ctx.inputs[0]!;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < x.size; i++) {
      const v = x.get(i);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const scale = Math.fround((hi === lo ? 1 : Math.fround(hi - lo)) / 255);
    const zp = roundHalfEven(Math.min(255, Math.max(0, Math.fround(0 - Math.fround(lo / scale)))));
    const y = zeros('uint8', x.shape);
    for (let i = 0; i < x.size; i++) (y.data as Uint8Array)[i] = quantizeValue(x.get(i), scale, zp, 0, 255);
    return [y, new Tensor('float32', [], Float32Array.of(scale)), new Tensor('uint8', [], Uint8Array.of(zp))];
  },
});

// ------------------------------------------------------------------ integer matrix products

/**
 * Checks a per-row (of A) or per-column (of B) parameter of a numpy-style matmul operand `x`:
 * a scalar; a 1-D vector of M (rows) or N (columns) entries; or an N-D tensor broadcastable to x
 * with 1 in the reduced dimension ([..., M, 1] for rows, [..., 1, N] for columns).
 */
function checkRowColParam(fail: Fail, what: string, p: Shape, x: Shape, role: 'row' | 'col'): void {
  if (isScalarShape(p)) return;
  const x2 = x.length === 1 ? (role === 'row' ? [1, x[0]] : [x[0], 1]) : x;
  const dimName = role === 'row' ? 'rows' : 'columns';
  const want = role === 'row' ? x2[x2.length - 2] : x2[x2.length - 1];
  if (p.length === 1) {
    if (typeof p[0] === 'number' && typeof want === 'number' && p[0] !== want) fail(`${what} ${formatShape(p)} must have one entry per ${role} (${want} ${dimName}) or be a scalar`);
    return;
  }
  const reduced = role === 'row' ? p[p.length - 1] : p[p.length - 2];
  const aligned = p.length <= x2.length && p.every((d, i) => {
    const t = x2[x2.length - p.length + i];
    return typeof d !== 'number' || typeof t !== 'number' || d === 1 || d === t;
  });
  if (!aligned || (typeof reduced === 'number' && reduced !== 1)) {
    fail(`${what} ${formatShape(p)} must be a scalar, a vector of ${dimName}, or broadcast to ${formatShape(x2)} with shape ${role === 'row' ? '[..., M, 1]' : '[..., 1, N]'}`);
  }
}

/** Flat index into a per-row/per-column parameter for (batch entry t, row or column i). */
function rowColLookup(p: readonly number[], plan: MatmulPlan, role: 'row' | 'col'): (t: number, i: number) => number {
  if (p.every((d) => d === 1)) return () => 0;
  const shape = p.length === 1 ? (role === 'row' ? [p[0], 1] : [1, p[0]]) : [...p];
  const target = [...plan.batchShape, ...(role === 'row' ? [plan.M, plan.K] : [plan.K, plan.N])];
  const strides = broadcastStrides(shape, target);
  const nb = plan.batchShape.length;
  return (t, i) => {
    let off = 0;
    let rem = t;
    for (let d = nb - 1; d >= 0; d--) {
      off += (rem % plan.batchShape[d]) * strides[d];
      rem = Math.floor(rem / plan.batchShape[d]);
    }
    return off + i * strides[role === 'row' ? nb : nb + 1];
  };
}

/** int32 accumulators of (A - a_zp) x (B - b_zp) with numpy.matmul semantics, wrapping like int32. */
function integerMatmul(ctx: RunContext, a: Tensor, b: Tensor, aZp: Tensor | undefined, bZp: Tensor | undefined, names: [string, string]): { plan: MatmulPlan; acc: Int32Array } {
  const plan = matmulPlan(a.shape, b.shape, ctx.fail, names);
  if (aZp) checkRowColParam(ctx.fail, `${names[0]} zero point`, aZp.shape, a.shape, 'row');
  if (bZp) checkRowColParam(ctx.fail, `${names[1]} zero point`, bZp.shape, b.shape, 'col');
  const av = a.toNumbers();
  const bv = b.toNumbers();
  const za = aZp?.toNumbers();
  const zb = bZp?.toNumbers();
  const zaAt = aZp ? rowColLookup(aZp.shape, plan, 'row') : undefined;
  const zbAt = bZp ? rowColLookup(bZp.shape, plan, 'col') : undefined;
  const { M, K, N } = plan;
  const acc = new Int32Array(plan.aBase.length * M * N);
  for (let t = 0; t < plan.aBase.length; t++) {
    for (let m = 0; m < M; m++) {
      const zam = za ? za[zaAt!(t, m)] : 0;
      for (let n = 0; n < N; n++) {
        const zbn = zb ? zb[zbAt!(t, n)] : 0;
        let s = 0;
        // Products of 8-bit values are exact; `| 0` wraps the sum like an int32 accumulator.
        for (let k = 0; k < K; k++) s = (s + (av[plan.aBase[t] + m * K + k] - zam) * (bv[plan.bBase[t] + k * N + n] - zbn)) | 0;
        acc[(t * M + m) * N + n] = s;
      }
    }
  }
  return { plan, acc };
}

const matMulInteger = defineOp({
  name: 'MatMulInteger',
  group: 'quant',
  since: 10,
  doc: 'int32 matrix product of 8-bit tensors with numpy.matmul semantics: Y = (A - a_zero_point) x (B - b_zero_point). Zero points are scalars, per row of A ([M] or [..., M, 1]) or per column of B ([N] or [..., 1, N]). The accumulation wraps in int32.',
  inputs: [
    { name: 'A', type: 'T1' },
    { name: 'B', type: 'T2' },
    { name: 'a_zero_point', type: 'T1', optional: true },
    { name: 'b_zero_point', type: 'T2', optional: true },
  ],
  outputs: [{ name: 'Y', type: 'T3' }],
  types: { T1: INT8_TYPES, T2: INT8_TYPES, T3: ['int32'] },
  infer(ctx) {
    const [a, b, za, zb] = ctx.inputs;
    checkSameDType(ctx, a, za, 'a_zero_point');
    checkSameDType(ctx, b, zb, 'b_zero_point');
    if (za) checkRowColParam(ctx.fail, 'a_zero_point', za.shape, a!.shape, 'row');
    if (zb) checkRowColParam(ctx.fail, 'b_zero_point', zb.shape, b!.shape, 'col');
    return [{ dtype: 'int32', shape: matmulShape(a!.shape, b!.shape, ctx.fail) }];
  },
  run(ctx) {
    const [a, b, za, zb] = ctx.inputs;
    checkSameDType(ctx, a, za, 'a_zero_point');
    checkSameDType(ctx, b, zb, 'b_zero_point');
    const { plan, acc } = integerMatmul(ctx, a!, b!, za, zb, ['A', 'B']);
    return [new Tensor('int32', plan.outShape, acc)];
  },
  macs: (ctx, outputs) => matmulMacs(ctx, outputs),
});

/** Checks that the given inputs (scales) share one dtype. */
function checkScalesShareDType(ctx: OpContext, ts: readonly ({ dtype: DType } | undefined)[], names: string): void {
  const present = ts.filter((t): t is { dtype: DType } => !!t);
  if (present.some((t) => t.dtype !== present[0].dtype)) ctx.failDType(`${names} must share one dtype, got ${present.map((t) => `'${t.dtype}'`).join(', ')}`);
}

function checkQLinearMatMul(ctx: OpContext, ins: readonly ({ dtype: DType; shape: Shape } | undefined)[]): void {
  const [a, sa, za, b, sb, zb, sy] = ins;
  checkSameDType(ctx, a, za, 'a_zero_point');
  checkSameDType(ctx, b, zb, 'b_zero_point');
  checkScalesShareDType(ctx, [sa, sb, sy], 'a_scale, b_scale and y_scale');
  checkRowColParam(ctx.fail, 'a_scale', sa!.shape, a!.shape, 'row');
  checkRowColParam(ctx.fail, 'b_scale', sb!.shape, b!.shape, 'col');
  if (!sameShape(sa!.shape, za!.shape)) ctx.fail(`a_zero_point ${formatShape(za!.shape)} must have the shape of a_scale ${formatShape(sa!.shape)}`);
  if (!sameShape(sb!.shape, zb!.shape)) ctx.fail(`b_zero_point ${formatShape(zb!.shape)} must have the shape of b_scale ${formatShape(sb!.shape)}`);
  checkScalar(ctx.fail, 'y_scale', sy!.shape);
  checkScalar(ctx.fail, 'y_zero_point', ins[7]!.shape);
}

/** Same rank and no two static dims that differ. */
function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimsMatch(d, b[i]));
}

const qLinearMatMul = defineOp({
  name: 'QLinearMatMul',
  group: 'quant',
  since: 21,
  doc: "Quantized numpy.matmul: acc = (a - a_zp) x (b - b_zp) in int32, then requantized to y's dtype with multiplier a_scale * b_scale / y_scale. a's scale/zero point are per tensor or per row, b's per tensor or per column, y's per tensor. requant 'float' (ONNX Runtime): round_half_even(float32(acc) * float32(float32(a_scale * b_scale) / y_scale)) + y_zp, saturated; 'fixed-point' (TFLite): the double multiplier a_scale * b_scale / y_scale as a Q31 multiplier and shift (requantize() of core/quant).",
  inputs: [
    { name: 'a', type: 'T1' },
    { name: 'a_scale', type: 'TS' },
    { name: 'a_zero_point', type: 'T1' },
    { name: 'b', type: 'T2' },
    { name: 'b_scale', type: 'TS' },
    { name: 'b_zero_point', type: 'T2' },
    { name: 'y_scale', type: 'TS' },
    { name: 'y_zero_point', type: 'T3' },
  ],
  outputs: [{ name: 'y', type: 'T3' }],
  types: { T1: INT8_TYPES, T2: INT8_TYPES, T3: INT8_TYPES, TS: SCALE_TYPES },
  attrs: {
    requant: { type: 'string', default: 'float', values: REQUANT_MODES, doc: "'float' (ONNX Runtime) or 'fixed-point' (TFLite) requantization" },
  },
  infer(ctx) {
    checkQLinearMatMul(ctx, ctx.inputs);
    return [{ dtype: ctx.inputs[7]!.dtype, shape: matmulShape(ctx.inputs[0]!.shape, ctx.inputs[3]!.shape, ctx.fail, ['a', 'b']) }];
  },
  run(ctx) {
    checkQLinearMatMul(ctx, ctx.inputs);
    const [a, sa, za, b, sb, zb, sy, zy] = ctx.inputs as Tensor[];
    const mode = ctx.str('requant') as RequantMode;
    const { plan, acc } = integerMatmul(ctx, a, b, za, zb, ['a', 'b']);
    const sav = sa.toNumbers();
    const sbv = sb.toNumbers();
    const saAt = rowColLookup(sa.shape, plan, 'row');
    const sbAt = rowColLookup(sb.shape, plan, 'col');
    const yScale = scalarOf(ctx, sy, 'y_scale');
    const yZp = scalarOf(ctx, zy, 'y_zero_point');
    const { qmin, qmax } = quantRange(zy.dtype);
    const out = zeros(zy.dtype, plan.outShape);
    const { M, N } = plan;
    for (let t = 0; t < plan.aBase.length; t++) {
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          // ONNX Runtime computes the multiplier in float32; TFLite derives its fixed-point one from doubles.
          const sab = sav[saAt(t, m)] * sbv[sbAt(t, n)];
          const mult = mode === 'float' ? Math.fround(Math.fround(sab) / yScale) : sab / yScale;
          const o = (t * M + m) * N + n;
          writeElement(zy.dtype, out.data as TypedArray, o, requantize(acc[o], mult, yZp, qmin, qmax, mode));
        }
      }
    }
    return [out];
  },
  macs: (ctx, outputs) => matmulMacs(ctx, outputs),
});

// ------------------------------------------------------------------ QGemm (com.microsoft)

function checkQGemm(ctx: OpContext, ins: readonly ({ dtype: DType; shape: Shape } | undefined)[]): { M: Shape[number]; N: Shape[number] } {
  const [a, sa, za, b, sb, zb, c, sy, zy] = ins;
  checkSameDType(ctx, a, za, 'a_zero_point');
  checkSameDType(ctx, b, zb, 'b_zero_point');
  if (sy && !zy) ctx.fail('y_scale is given without y_zero_point; a quantized output needs both (omit both for a float32 output)');
  if (zy && !sy) ctx.fail('y_zero_point is given without y_scale; a quantized output needs both (omit both for a float32 output)');
  checkScalar(ctx.fail, 'a_scale', sa!.shape);
  checkScalar(ctx.fail, 'a_zero_point', za!.shape);
  checkScalar(ctx.fail, 'y_scale', sy?.shape);
  checkScalar(ctx.fail, 'y_zero_point', zy?.shape);
  const { M, N } = gemmDims(ctx.fail, a!.shape, b!.shape, ctx.int('transA') === 1, ctx.int('transB') === 1);
  for (const [p, what] of [[sb, 'b_scale'], [zb, 'b_zero_point']] as const) {
    const s = p!.shape;
    if (!isScalarShape(s) && !(s.length === 1 && (typeof s[0] !== 'number' || typeof N !== 'number' || s[0] === N))) {
      ctx.fail(`${what} ${formatShape(s)} must be a scalar or have one entry per column (N = ${N})`);
    }
  }
  if (!sameShape(sb!.shape, zb!.shape) && !(isScalarShape(sb!.shape) && isScalarShape(zb!.shape))) {
    ctx.fail(`b_zero_point ${formatShape(zb!.shape)} must have the shape of b_scale ${formatShape(sb!.shape)}`);
  }
  if (c) {
    const cs = c.shape;
    const target = [M, N].slice(2 - Math.min(cs.length, 2));
    const ok = cs.length <= 2 && cs.every((d, i) => typeof d !== 'number' || typeof target[i] !== 'number' || d === 1 || d === target[i]);
    if (!ok) ctx.fail(`C ${formatShape(cs)} does not broadcast to [M, N] = [${M},${N}]`);
  }
  return { M, N };
}

const qGemm = defineOp({
  name: 'QGemm',
  group: 'quant',
  doc: "Quantized Gemm (com.microsoft): acc = (A' - a_zp) x (B' - b_zp) + C in int32 (A', B' transposed per transA/transB; b per tensor or per column; C an int32 bias broadcast to [M, N]). With y_scale/y_zero_point the output is requantized: round_half_even(float32(acc) * float32(float32(float32(alpha * a_scale) * b_scale) / y_scale)) + y_zp, saturated; without them it is float32(acc) * float32(float32(alpha * a_scale) * b_scale).",
  inputs: [
    { name: 'A', type: 'TA' },
    { name: 'a_scale', type: 'T' },
    { name: 'a_zero_point', type: 'TA' },
    { name: 'B', type: 'TB' },
    { name: 'b_scale', type: 'T' },
    { name: 'b_zero_point', type: 'TB' },
    { name: 'C', type: 'TC', optional: true },
    { name: 'y_scale', type: 'T', optional: true },
    { name: 'y_zero_point', type: 'TYZ', optional: true },
  ],
  outputs: [{ name: 'Y', type: 'TY' }],
  types: { T: ['float32'], TA: INT8_TYPES, TB: INT8_TYPES, TC: ['int32'], TYZ: INT8_TYPES, TY: ['float32', 'int8', 'uint8'] },
  attrs: {
    alpha: { type: 'float', default: 1, doc: "multiplier of A' * B'" },
    transA: { type: 'int', default: 0, values: [0, 1], doc: 'transpose A first' },
    transB: { type: 'int', default: 0, values: [0, 1], doc: 'transpose B first' },
  },
  infer(ctx) {
    const { M, N } = checkQGemm(ctx, ctx.inputs);
    return [{ dtype: ctx.inputs[8]?.dtype ?? 'float32', shape: [M, N] }];
  },
  run(ctx) {
    checkQGemm(ctx, ctx.inputs);
    const [a, sa, za, b, sb, zb, c, sy, zy] = ctx.inputs;
    const transA = ctx.int('transA') === 1;
    const transB = ctx.int('transB') === 1;
    const { M, K, N } = gemmDims(ctx.fail, a!.shape, b!.shape, transA, transB) as { M: number; K: number; N: number };
    const av = a!.toNumbers();
    const bv = b!.toNumbers();
    const zav = scalarOf(ctx, za, 'a_zero_point');
    const zbv = zb!.toNumbers();
    const sbv = sb!.toNumbers();
    const cv = c?.toNumbers();
    const alphaA = Math.fround(Math.fround(ctx.float('alpha')) * scalarOf(ctx, sa, 'a_scale'));
    const dtype: DType = zy?.dtype ?? 'float32';
    const out = zeros(dtype, [M, N]);
    const yScale = sy ? scalarOf(ctx, sy, 'y_scale') : 1;
    const yZp = zy ? scalarOf(ctx, zy, 'y_zero_point') : 0;
    const range = zy ? quantRange(zy.dtype) : undefined;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const zbn = zbv.length === 1 ? zbv[0] : zbv[n];
        let s = 0;
        for (let k = 0; k < K; k++) s = (s + (av[transA ? k * M + m : m * K + k] - zav) * (bv[transB ? n * K + k : k * N + n] - zbn)) | 0;
        if (cv) s = (s + cv[biasIndex(c!.shape, m, n)]) | 0;
        const scale = Math.fround(alphaA * (sbv.length === 1 ? sbv[0] : sbv[n]));
        const v = range ? requantize(s, Math.fround(scale / yScale), yZp, range.qmin, range.qmax, 'float') : Math.fround(Math.fround(s) * scale);
        writeElement(dtype, out.data as TypedArray, m * N + n, v);
      }
    }
    return [out];
  },
  macs(ctx, outputs) {
    return matmulMacs(ctx, outputs, 0, ctx.int('transA') === 1);
  },
});

// ------------------------------------------------------------------ QLinear elementwise (com.microsoft)

/** Per-tensor params of a QLinear elementwise op: indices of [scale, zero point] per operand. */
function checkQLinearParams(ctx: OpContext, data: readonly number[], params: readonly [number, number, string][]): void {
  const ins = ctx.inputs as readonly ({ dtype: DType; shape: Shape } | undefined)[];
  for (const i of data) if (ins[i]!.dtype !== ins[data[0]]!.dtype) ctx.failDType(`quantized operands must share one dtype, got '${ins[data[0]]!.dtype}' and '${ins[i]!.dtype}'`);
  for (const [s, z, name] of params) {
    checkScalar(ctx.fail, `${name}_scale`, ins[s]!.shape);
    checkScalar(ctx.fail, `${name}_zero_point`, ins[z]?.shape);
    checkSameDType(ctx, ins[data[0]], ins[z], `${name}_zero_point`);
  }
}

/** Dequantizes per tensor in float32. */
function deq(q: number, s: number, z: number): number {
  return dequantizeValue(q, s, z);
}

function qlinearBinary(name: string, doc: string, f: (a: number, b: number) => number): OpSchema {
  return defineOp({
    name,
    group: 'quant',
    doc,
    inputs: [
      { name: 'A', type: 'T' },
      { name: 'A_scale', type: ['float32'] },
      { name: 'A_zero_point', type: 'T', optional: true },
      { name: 'B', type: 'T' },
      { name: 'B_scale', type: ['float32'] },
      { name: 'B_zero_point', type: 'T', optional: true },
      { name: 'C_scale', type: ['float32'] },
      { name: 'C_zero_point', type: 'T', optional: true },
    ],
    outputs: [{ name: 'C', type: 'T' }],
    types: { T: INT8_TYPES },
    infer(ctx) {
      checkQLinearParams(ctx, [0, 3], [[1, 2, 'A'], [4, 5, 'B'], [6, 7, 'C']]);
      return [{ dtype: ctx.inputs[0]!.dtype, shape: broadcastOf(ctx, [0, 3]) }];
    },
    run(ctx) {
      checkQLinearParams(ctx, [0, 3], [[1, 2, 'A'], [4, 5, 'B'], [6, 7, 'C']]);
      const [a, sa, za, b, sb, zb, sc, zc] = ctx.inputs;
      const [as, az, bs, bz, cs, cz] = [scalarOf(ctx, sa, 'A_scale'), scalarOf(ctx, za, 'A_zero_point'), scalarOf(ctx, sb, 'B_scale'), scalarOf(ctx, zb, 'B_zero_point'), scalarOf(ctx, sc, 'C_scale'), scalarOf(ctx, zc, 'C_zero_point')];
      const { qmin, qmax } = quantRange(a!.dtype);
      return [broadcastMap([a!, b!], a!.dtype, (x, y) => quantizeValue(Math.fround(f(deq(x, as, az), deq(y, bs, bz))), cs, cz, qmin, qmax))];
    },
  });
}

const qLinearAdd = qlinearBinary(
  'QLinearAdd',
  'Quantized Add (com.microsoft), numpy broadcasting: dequantize both operands (float32), add in float32, quantize with C_scale/C_zero_point (round half to even, saturate). Scales and zero points are per tensor; absent zero points are 0.',
  (x, y) => x + y,
);

const qLinearMul = qlinearBinary(
  'QLinearMul',
  'Quantized Mul (com.microsoft), numpy broadcasting: dequantize both operands (float32), multiply in float32, quantize with C_scale/C_zero_point (round half to even, saturate). Scales and zero points are per tensor; absent zero points are 0.',
  (x, y) => x * y,
);

function qlinearUnary(name: string, doc: string, attrs: OpSchema['attrs'], f: (ctx: RunContext) => (x: number) => number): OpSchema {
  return defineOp({
    name,
    group: 'quant',
    doc,
    inputs: [
      { name: 'X', type: 'T' },
      { name: 'X_scale', type: ['float32'] },
      { name: 'X_zero_point', type: 'T', optional: true },
      { name: 'Y_scale', type: ['float32'] },
      { name: 'Y_zero_point', type: 'T', optional: true },
    ],
    outputs: [{ name: 'Y', type: 'T' }],
    types: { T: INT8_TYPES },
    attrs,
    infer(ctx) {
      checkQLinearParams(ctx, [0], [[1, 2, 'X'], [3, 4, 'Y']]);
      const x = ctx.inputs[0]!;
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    run(ctx) {
      checkQLinearParams(ctx, [0], [[1, 2, 'X'], [3, 4, 'Y']]);
      const [x, sx, zx, sy, zy] = ctx.inputs;
      const [xs, xz, ys, yz] = [scalarOf(ctx, sx, 'X_scale'), scalarOf(ctx, zx, 'X_zero_point'), scalarOf(ctx, sy, 'Y_scale'), scalarOf(ctx, zy, 'Y_zero_point')];
      const { qmin, qmax } = quantRange(x!.dtype);
      const fn = f(ctx);
      const out = zeros(x!.dtype, x!.shape);
      for (let i = 0; i < x!.size; i++) {
        writeElement(x!.dtype, out.data as TypedArray, i, quantizeValue(Math.fround(fn(deq(x!.get(i), xs, xz))), ys, yz, qmin, qmax));
      }
      return [out];
    },
  });
}

const qLinearSigmoid = qlinearUnary(
  'QLinearSigmoid',
  'Quantized Sigmoid (com.microsoft): quantize(sigmoid(dequantize(x))), per-tensor params, sigmoid in float64 rounded to float32.',
  undefined,
  () => sigmoid,
);

const qLinearLeakyRelu = qlinearUnary(
  'QLinearLeakyRelu',
  'Quantized LeakyRelu (com.microsoft): quantize(f(dequantize(x))) with f(v) = v for v >= 0 and float32(alpha * v) below; per-tensor params.',
  { alpha: { type: 'float', default: 0.01, doc: 'slope for negative inputs' } },
  (ctx) => {
    const alpha = Math.fround(ctx.float('alpha'));
    return (v) => (v >= 0 ? v : alpha * v);
  },
);

/** Ops of this family. */
export const quantOps: readonly OpSchema[] = [
  quantizeLinear,
  dequantizeLinear,
  dequantize,
  dynamicQuantizeLinear,
  matMulInteger,
  qLinearMatMul,
  qGemm,
  qLinearAdd,
  qLinearMul,
  qLinearSigmoid,
  qLinearLeakyRelu,
];
