/**
 * Shape ops: values computed from types or attributes (Shape, Size, Constant, ConstantOfShape,
 * Range, EyeLike). Shape and Size fold during inference when the dims they read are static.
 */
import { ALL_TYPES, NUMERIC_TYPES, allocate, type DType, type TypedArray } from '../core/dtype.js';
import { formatShape, isStaticShape, sizeOf, type Dim } from '../core/shape.js';
import { MAX_TENSOR_ELEMENTS, Tensor, scalar, tensor, writeElement } from '../core/tensor.js';
import { freshDim, inputAt, known, type OpContext } from './context.js';
import { elementCopier, rawView } from './elements.js';
import { typeOf } from './output-types.js';
import { defineOp, type OpSchema } from './schema.js';

// ------------------------------------------------------------------ Shape / Size

/** The [start, end) range of axes Shape reports, clamped to [0, rank] as ONNX specifies. */
function shapeRange(ctx: OpContext, rank: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = clamp(ctx.int('start'));
  const end = ctx.has('end') ? clamp(ctx.int('end')) : rank;
  return [start, Math.max(start, end)];
}

function int64Vector(values: readonly number[]): Tensor {
  return new Tensor('int64', [values.length], BigInt64Array.from(values, (v) => BigInt(v)));
}

const shapeOp = defineOp({
  name: 'Shape',
  group: 'shape',
  since: 15,
  doc: 'The dims of the input (axes start..end, clamped to [0, rank]) as a 1-D int64 tensor.',
  inputs: [{ name: 'data', type: 'T' }],
  outputs: [{ name: 'shape', type: ['int64'] }],
  types: { T: ALL_TYPES },
  attrs: {
    start: { type: 'int', default: 0, doc: 'First axis (negative counts from the back).' },
    end: { type: 'int', doc: 'Axis after the last one (negative counts from the back); default rank.' },
  },
  infer: (ctx) => {
    const [s, e] = shapeRange(ctx, ctx.inputs[0]!.shape.length);
    return [typeOf('int64', [e - s])];
  },
  foldFromTypes: (ctx) => {
    const shape = ctx.inputs[0]!.shape;
    const dims = shape.slice(...shapeRange(ctx, shape.length));
    return isStaticShape(dims) ? [int64Vector(dims)] : undefined;
  },
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    return [int64Vector(x.shape.slice(...shapeRange(ctx, x.rank)))];
  },
});

const size = defineOp({
  name: 'Size',
  group: 'shape',
  since: 13,
  doc: 'The number of elements of the input as an int64 scalar.',
  inputs: [{ name: 'data', type: 'T' }],
  outputs: [{ name: 'size', type: ['int64'] }],
  types: { T: ALL_TYPES },
  infer: () => [typeOf('int64', [])],
  foldFromTypes: (ctx) => {
    const shape = ctx.inputs[0]!.shape;
    return isStaticShape(shape) ? [scalar('int64', sizeOf(shape))] : undefined;
  },
  run: (ctx) => [scalar('int64', ctx.inputs[0]!.size)],
});

// ------------------------------------------------------------------ Constant

const CONSTANT_ATTRS = ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'] as const;

/** The tensor a Constant node holds (value_int(s) are int64, value_float(s) float32). */
function constantValue(ctx: OpContext): Tensor {
  const set = CONSTANT_ATTRS.filter((a) => ctx.has(a));
  if (set.length !== 1) {
    ctx.failAttr(set.length ? `exactly one value attribute may be set, got ${set.join(', ')}` : `one of ${CONSTANT_ATTRS.join(', ')} must be set`);
  }
  switch (set[0]) {
    case 'value':
      return ctx.attrs.value as Tensor;
    case 'value_float':
      return scalar('float32', ctx.float('value_float'));
    case 'value_floats': {
      const v = ctx.floats('value_floats');
      return tensor('float32', v, [v.length]);
    }
    case 'value_int':
      return scalar('int64', BigInt(ctx.int('value_int')));
    case 'value_ints':
      return int64Vector(ctx.ints('value_ints'));
  }
}

const constant = defineOp({
  name: 'Constant',
  group: 'shape',
  since: 13,
  doc: 'A constant tensor from exactly one attribute: value (a tensor), value_float/value_floats (float32) or value_int/value_ints (int64). String and sparse values are not supported.',
  inputs: [],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: {
    value: { type: 'tensor' },
    value_float: { type: 'float' },
    value_floats: { type: 'floats' },
    value_int: { type: 'int' },
    value_ints: { type: 'ints' },
  },
  infer: (ctx) => {
    const v = constantValue(ctx);
    return [typeOf(v.dtype, v.shape, v.quant)];
  },
  foldFromTypes: (ctx) => [constantValue(ctx)],
  run: (ctx) => [constantValue(ctx)],
});

// ------------------------------------------------------------------ ConstantOfShape

function fillValue(ctx: OpContext): Tensor {
  if (!ctx.has('value')) return scalar('float32', 0);
  const v = ctx.attrs.value as Tensor;
  if (v.size !== 1) ctx.failAttr(`value must hold exactly one element, got shape ${formatShape(v.shape)}`);
  return v;
}

function constantOfShapeDims(ctx: OpContext): Dim[] {
  const shapeT = known(ctx, 0);
  if (shapeT) {
    if (shapeT.rank > 1) ctx.fail(`input must be 1-D, got shape ${formatShape(shapeT.shape)}`);
    const dims = shapeT.toNumbers();
    if (dims.some((d) => d < 0)) ctx.fail(`shape [${dims.join(',')}] has a negative dimension`);
    return dims;
  }
  const s = inputAt(ctx, 0).shape;
  if (s.length !== 1 || typeof s[0] !== 'number') return ctx.fail(`the shape input ${formatShape(s)} has no static length, so the output rank is unknown`);
  return Array.from({ length: s[0] }, freshDim(ctx));
}

const constantOfShape = defineOp({
  name: 'ConstantOfShape',
  group: 'shape',
  since: 20,
  doc: 'A tensor of the given shape filled with the one element of value (default float32 0); the dtype is that of value.',
  inputs: [{ name: 'input', type: ['int64'] }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: { value: { type: 'tensor', doc: 'One-element tensor; default float32 0.' } },
  infer: (ctx) => [typeOf(fillValue(ctx).dtype, constantOfShapeDims(ctx))],
  run: (ctx) => {
    const v = fillValue(ctx);
    const shape = constantOfShapeDims(ctx) as number[];
    const n = sizeOf(shape);
    const data = allocate(v.dtype, n);
    const src = rawView(v.data as TypedArray);
    const dst = rawView(data as TypedArray);
    const copy = elementCopier(v.dtype);
    for (let i = 0; i < n; i++) copy(src, 0, dst, i);
    return [new Tensor(v.dtype, shape, data)];
  },
});

// ------------------------------------------------------------------ Range

const RANGE_TYPES: readonly DType[] = ['float32', 'float64', 'int16', 'int32', 'int64', 'float16', 'bfloat16'];

function rangeScalars(ctx: OpContext): Tensor[] | undefined {
  const ts: Tensor[] = [];
  for (let i = 0; i < 3; i++) {
    const t = known(ctx, i);
    if (!t) return undefined;
    if (t.size !== 1) ctx.fail(`input ${i} must be a scalar, got shape ${formatShape(t.shape)}`);
    ts.push(t);
  }
  return ts;
}

/** Number of elements: max(ceil((limit - start) / delta), 0), exact for integer types. */
function rangeCount(ctx: OpContext, [start, limit, delta]: Tensor[]): number {
  if (start.dtype === 'int16' || start.dtype === 'int32' || start.dtype === 'int64') {
    const s = start.getBig(0);
    const l = limit.getBig(0);
    const d = delta.getBig(0);
    if (d === 0n) ctx.fail('delta must not be 0');
    const num = l - s;
    // Ceiling division of bigints with any signs.
    let q = num / d;
    if (q * d !== num && num > 0n === d > 0n) q += 1n;
    return checkCount(ctx, q > 0n ? Number(q) : 0);
  }
  const d = delta.get(0);
  if (d === 0) ctx.fail('delta must not be 0');
  const n = Math.ceil((limit.get(0) - start.get(0)) / d);
  if (Number.isNaN(n)) ctx.fail('start, limit and delta must be finite');
  return checkCount(ctx, Math.max(n, 0));
}

function checkCount(ctx: OpContext, n: number): number {
  if (n > MAX_TENSOR_ELEMENTS) ctx.fail(`the range has ${n} elements, above the limit of ${MAX_TENSOR_ELEMENTS}`);
  return n;
}

const range = defineOp({
  name: 'Range',
  group: 'shape',
  since: 11,
  doc: 'The 1-D sequence start + i*delta for i < max(ceil((limit-start)/delta), 0). Integers are exact; floats compute in float64 (float32 when stash_type is float32 for float16/bfloat16) and round once.',
  inputs: [
    { name: 'start', type: 'T' },
    { name: 'limit', type: 'T' },
    { name: 'delta', type: 'T' },
  ],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: RANGE_TYPES },
  attrs: { stash_type: { type: 'string', default: 'float32', values: ['float32', 'float64'], doc: 'Compute precision for float16/bfloat16 (opset 27).' } },
  infer: (ctx) => {
    const dtype = ctx.inputs[0]!.dtype;
    for (let i = 1; i < 3; i++) if (ctx.inputs[i]!.dtype !== dtype) ctx.failDType(`start, limit and delta must share one dtype, got ${ctx.inputs.map((t) => t!.dtype).join(', ')}`);
    const ts = rangeScalars(ctx);
    return [typeOf(dtype, [ts ? rangeCount(ctx, ts) : ctx.unknownDim()])];
  },
  run: (ctx) => {
    const ts = rangeScalars(ctx)!;
    const dtype = ts[0].dtype;
    for (const t of ts) if (t.dtype !== dtype) ctx.failDType(`start, limit and delta must share one dtype, got ${ts.map((x) => x.dtype).join(', ')}`);
    const n = rangeCount(ctx, ts);
    const data = allocate(dtype, n);
    if (data instanceof BigInt64Array) {
      const s = ts[0].getBig(0);
      const d = ts[2].getBig(0);
      for (let i = 0; i < n; i++) data[i] = s + BigInt(i) * d;
    } else {
      const s = ts[0].get(0);
      const d = ts[2].get(0);
      const low = (dtype === 'float16' || dtype === 'bfloat16') && ctx.str('stash_type') === 'float32';
      for (let i = 0; i < n; i++) writeElement(dtype, data as TypedArray, i, low ? Math.fround(s + Math.fround(i * d)) : s + i * d);
    }
    return [new Tensor(dtype, [n], data)];
  },
});

// ------------------------------------------------------------------ EyeLike

const EYE_TYPES: readonly DType[] = [...NUMERIC_TYPES, 'bool'];

function eyeDType(ctx: OpContext): DType {
  return ctx.has('dtype') ? (ctx.str('dtype') as DType) : inputAt(ctx, 0).dtype;
}

const eyeLike = defineOp({
  name: 'EyeLike',
  group: 'shape',
  since: 22,
  doc: 'A 2-D tensor of the input shape with ones on diagonal k (element [i, i+k]) and zeros elsewhere; dtype from the dtype attribute or the input.',
  inputs: [{ name: 'input', type: 'T1' }],
  outputs: [{ name: 'output', type: 'T2' }],
  types: { T1: EYE_TYPES, T2: EYE_TYPES },
  attrs: {
    dtype: { type: 'string', values: EYE_TYPES, doc: 'Output dtype name; default the input dtype.' },
    k: { type: 'int', default: 0, doc: 'Diagonal offset: > 0 above, < 0 below the main diagonal.' },
  },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    if (x.shape.length !== 2) ctx.fail(`input has rank ${x.shape.length}; EyeLike needs rank 2`);
    return [typeOf(eyeDType(ctx), x.shape)];
  },
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    if (x.rank !== 2) ctx.fail(`input has rank ${x.rank}; EyeLike needs rank 2`);
    const dtype = eyeDType(ctx);
    const [rows, cols] = x.shape;
    const k = ctx.int('k');
    const data = allocate(dtype, rows * cols);
    for (let i = 0; i < rows; i++) {
      const j = i + k;
      if (j >= 0 && j < cols) writeElement(dtype, data as TypedArray, i * cols + j, 1);
    }
    return [new Tensor(dtype, x.shape, data)];
  },
});

/** Ops of this family. */
export const shapeOps: readonly OpSchema[] = [shapeOp, size, constant, constantOfShape, range, eyeLike];
