/**
 * Normalizations: BatchNormalization (opset 15, inference and training mode), LayerNormalization
 * (17), InstanceNormalization (22), GroupNormalization (21), LpNormalization (22),
 * MeanVarianceNormalization (13) and LRN (13). The channel axis is 1 (NCHW).
 *
 * Statistics are computed in float64 and results rounded once to the output dtype. Where ONNX
 * defines a stash_type (the precision of the standardization stage), the input, mean,
 * inverse standard deviation and normalized values are rounded to that precision as ONNX says.
 */
import { AttributeError, DTypeError } from '../core/errors.js';
import { FLOAT_TYPES, type DType, type TypedArray } from '../core/dtype.js';
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from '../core/float16.js';
import { sizeOf, stridesOf, type Dim, type Shape, type StaticShape } from '../core/shape.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import type { TensorType } from '../graph/types.js';
import { defineOp, type InferContext, type OpSchema, type RunContext } from './schema.js';
import { sameAs } from './util.js';

type Ctx = InferContext | RunContext;

// ------------------------------------------------------------------ helpers

function nodeOf(ctx: Ctx): { node: string; op: string } {
  return { node: ctx.node.name, op: ctx.node.op };
}

/** Normalises `axis` into [0, rank), or fails naming the op. */
function axisOf(ctx: Ctx, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    ctx.fail(rank === 0
      ? `${what} ${axis} is invalid: the input is a scalar (rank 0) and has no axes`
      : `${what} ${axis} is out of range for input of rank ${rank} (valid: ${-rank}..${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Rounds a float64 value to the precision of a float dtype. */
function rounder(dtype: DType): (x: number) => number {
  switch (dtype) {
    case 'float32': return Math.fround;
    case 'float16': return (x) => float16BitsToFloat32(float32ToFloat16Bits(x));
    case 'bfloat16': return (x) => bfloat16BitsToFloat32(float32ToBfloat16Bits(x));
    default: return (x) => x;
  }
}

/** ONNX TensorProto element-type codes accepted by stash_type. */
const STASH_TYPES: Readonly<Record<number, DType>> = { 1: 'float32', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

/** True unless both dims are static and differ (symbols may turn out equal). */
const dimsMatch = (a: Dim, b: Dim): boolean => typeof a !== 'number' || typeof b !== 'number' || a === b;

/** Shape of input i (for either context). */
const shapeAt = (ctx: Ctx, i: number): Shape => ctx.inputs[i]!.shape;

function requireRank(ctx: Ctx, min: number, layout: string): Shape {
  const s = shapeAt(ctx, 0);
  if (s.length < min) ctx.fail(`input has rank ${s.length}; ${ctx.node.op} needs rank >= ${min} (${layout})`);
  return s;
}

/** Checks that input i is a 1-D tensor of C elements (a per-channel parameter). */
function checkChannelParam(ctx: Ctx, i: number, name: string, c: Dim): void {
  const s = shapeAt(ctx, i);
  if (s.length !== 1 || !dimsMatch(s[0], c)) ctx.fail(`${name} has shape [${s.join(',')}]; it must be [${c}] (one value per channel of input X)`);
}

/** Throws DTypeError unless the given inputs share one dtype (they share a type constraint). */
function checkSameDType(ctx: Ctx, indices: readonly number[], names: readonly string[]): void {
  const types = indices.map((i) => ctx.inputs[i]?.dtype);
  const first = types.find((t) => t !== undefined);
  if (types.some((t) => t !== undefined && t !== first)) {
    throw new DTypeError(`${names.join(', ')} must share one dtype, got ${types.filter(Boolean).join(', ')}`, nodeOf(ctx));
  }
}

/** Checks that input i broadcasts to X's shape without changing it (unidirectional broadcasting). */
function checkBroadcastsTo(ctx: Ctx, i: number, name: string, x: Shape): void {
  const s = shapeAt(ctx, i);
  const ok = s.length <= x.length && s.every((d, k) => d === 1 || dimsMatch(d, x[x.length - s.length + k]));
  if (!ok) ctx.fail(`${name} has shape [${s.join(',')}], which does not broadcast to input X's shape [${x.join(',')}]`);
}

/** Maps a flat index of shape `to` to the flat index of a tensor of shape `from` broadcast to it. */
function broadcastIndex(from: StaticShape, to: StaticShape): (i: number) => number {
  const toStrides = stridesOf(to);
  const fromStrides = stridesOf(from);
  const lead = to.length - from.length;
  return (i) => {
    let j = 0;
    for (let k = 0; k < from.length; k++) {
      if (from[k] !== 1) j += (Math.floor(i / toStrides[lead + k]) % to[lead + k]) * fromStrides[k];
    }
    return j;
  };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: readonly number[], m: number): number => mean(xs.map((x) => (x - m) * (x - m)));

/** N, C and the number of elements per (n, c) for an NCHW tensor; element (n, c, s) is at (n * C + c) * S + s. */
function nchw(shape: StaticShape): { n: number; c: number; s: number } {
  return { n: shape[0], c: shape[1], s: sizeOf(shape.slice(2)) };
}

// ------------------------------------------------------------------ BatchNormalization

function checkBatchNorm(ctx: Ctx): { training: boolean } {
  const x = requireRank(ctx, 2, 'N x C x D1 x ...');
  ['scale', 'B', 'input_mean', 'input_var'].forEach((name, k) => checkChannelParam(ctx, k + 1, name, x[1]));
  checkSameDType(ctx, [1, 2], ['scale', 'B']);
  checkSameDType(ctx, [3, 4], ['input_mean', 'input_var']);
  const training = ctx.int('training_mode') === 1;
  if (!training && ctx.node.outputs.slice(1).some(Boolean)) {
    throw new AttributeError('outputs running_mean and running_var exist only with training_mode=1', nodeOf(ctx));
  }
  return { training };
}

const batchNormalization = defineOp({
  name: 'BatchNormalization',
  group: 'normalization',
  since: 15,
  doc: 'Y = scale * (X - mean) / sqrt(var + epsilon) + B per channel (axis 1). Inference (training_mode=0) uses input_mean/input_var; training mode uses the batch statistics (population variance over every axis but 1) and also returns running_mean = input_mean * momentum + mean * (1 - momentum) and running_var likewise.',
  inputs: [
    { name: 'X', type: 'T' },
    { name: 'scale', type: 'T1' },
    { name: 'B', type: 'T1' },
    { name: 'input_mean', type: 'T2' },
    { name: 'input_var', type: 'T2' },
  ],
  outputs: [
    { name: 'Y', type: 'T' },
    { name: 'running_mean', type: 'T2', optional: true },
    { name: 'running_var', type: 'T2', optional: true },
  ],
  types: { T: FLOAT_TYPES, T1: FLOAT_TYPES, T2: FLOAT_TYPES },
  attrs: {
    epsilon: { type: 'float', default: 1e-5, doc: 'added to the variance' },
    momentum: { type: 'float', default: 0.9, doc: 'weight of the old running statistics (training mode)' },
    training_mode: { type: 'int', default: 0, values: [0, 1], doc: '1: normalize with batch statistics and update the running ones' },
  },
  infer(ctx) {
    checkBatchNorm(ctx);
    const x = ctx.inputs[0]!;
    const stat: TensorType = { dtype: ctx.inputs[3]!.dtype, shape: [x.shape[1]] };
    return [sameAs(ctx), stat, stat];
  },
  run(ctx) {
    const { training } = checkBatchNorm(ctx);
    const [x, scale, bias, inMean, inVar] = ctx.inputs as Tensor[];
    const eps = ctx.float('epsilon');
    const momentum = ctx.float('momentum');
    const { n: N, c: C, s: S } = nchw(x.shape);
    const y = zeros(x.dtype, x.shape);
    const runMean = zeros(inMean.dtype, [C]);
    const runVar = zeros(inVar.dtype, [C]);
    for (let c = 0; c < C; c++) {
      const idx: number[] = [];
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) idx.push((n * C + c) * S + s);
      let mu = inMean.get(c);
      let v = inVar.get(c);
      if (training) {
        const xs = idx.map((i) => x.get(i));
        mu = mean(xs);
        v = variance(xs, mu);
        writeElement(runMean.dtype, runMean.data as TypedArray, c, inMean.get(c) * momentum + mu * (1 - momentum));
        writeElement(runVar.dtype, runVar.data as TypedArray, c, inVar.get(c) * momentum + v * (1 - momentum));
      }
      const sd = Math.sqrt(v + eps);
      for (const i of idx) writeElement(x.dtype, y.data as TypedArray, i, (scale.get(c) * (x.get(i) - mu)) / sd + bias.get(c));
    }
    return training ? [y, runMean, runVar] : [y];
  },
});

// ------------------------------------------------------------------ LayerNormalization

function checkLayerNorm(ctx: Ctx): number {
  const x = shapeAt(ctx, 0);
  const axis = axisOf(ctx, ctx.int('axis'), x.length);
  checkBroadcastsTo(ctx, 1, 'Scale', x);
  if (ctx.inputs[2]) checkBroadcastsTo(ctx, 2, 'B', x);
  checkSameDType(ctx, [0, 1, 2], ['X', 'Scale', 'B']);
  return axis;
}

const layerNormalization = defineOp({
  name: 'LayerNormalization',
  group: 'normalization',
  since: 17,
  doc: 'Standardizes X over the axes [axis, rank) (mean 0, variance 1, with epsilon added to the variance), then Y = Normalized * Scale + B (Scale/B broadcast to X). The standardization runs at the precision of stash_type (1: float32, 16: bfloat16), which is also the dtype of the optional Mean and InvStdDev outputs (shape of X with the normalized axes set to 1).',
  inputs: [
    { name: 'X', type: 'T' },
    { name: 'Scale', type: 'T' },
    { name: 'B', type: 'T', optional: true },
  ],
  outputs: [
    { name: 'Y', type: 'T' },
    { name: 'Mean', type: 'U', optional: true },
    { name: 'InvStdDev', type: 'U', optional: true },
  ],
  types: { T: FLOAT_TYPES, U: ['float32', 'bfloat16'] },
  attrs: {
    axis: { type: 'int', default: -1, doc: 'first normalized axis; the normalized axes are [axis, rank)' },
    epsilon: { type: 'float', default: 1e-5, doc: 'added to the variance' },
    stash_type: { type: 'int', default: 1, values: [1, 16], doc: 'precision of the standardization and dtype of Mean/InvStdDev (1: float32, 16: bfloat16)' },
  },
  infer(ctx) {
    const axis = checkLayerNorm(ctx);
    const stat: TensorType = { dtype: STASH_TYPES[ctx.int('stash_type')], shape: shapeAt(ctx, 0).map((d, i) => (i < axis ? d : 1)) };
    return [sameAs(ctx), stat, stat];
  },
  run(ctx) {
    const axis = checkLayerNorm(ctx);
    const [x, scale, bias] = ctx.inputs as (Tensor | undefined)[] as [Tensor, Tensor, Tensor | undefined];
    const eps = ctx.float('epsilon');
    const stash = STASH_TYPES[ctx.int('stash_type')];
    const toU = rounder(stash);
    const toT = rounder(x.dtype);
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis));
    const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
    const y = zeros(x.dtype, x.shape);
    const meanOut = zeros(stash, statShape);
    const invOut = zeros(stash, statShape);
    const scaleAt = broadcastIndex(scale.shape, x.shape);
    const biasAt = bias ? broadcastIndex(bias.shape, x.shape) : undefined;
    for (let o = 0; o < outer; o++) {
      const xs = Array.from({ length: inner }, (_, k) => toU(x.get(o * inner + k)));
      const mu = toU(mean(xs));
      const inv = toU(1 / Math.sqrt(variance(xs, mu) + eps));
      writeElement(stash, meanOut.data as TypedArray, o, mu);
      writeElement(stash, invOut.data as TypedArray, o, inv);
      xs.forEach((v, k) => {
        const i = o * inner + k;
        // Normalized is cast back to T before the scale/shift stage, as the ONNX function does.
        const normalized = toT(toU((v - mu) * inv));
        const shifted = normalized * scale.get(scaleAt(i)) + (bias && biasAt ? bias.get(biasAt(i)) : 0);
        writeElement(x.dtype, y.data as TypedArray, i, shifted);
      });
    }
    return [y, meanOut, invOut];
  },
});

// ------------------------------------------------------------------ InstanceNormalization / GroupNormalization

/**
 * Normalizes each (n, group of channels) slice of an NCHW tensor: per group, mean and population
 * variance over its channels and spatial positions; then per channel scale and bias. With a
 * `stash` dtype the standardization runs at that precision and its result is cast to X's dtype
 * before scaling (ONNX GroupNormalization); without, everything is float64 and rounded once.
 */
function groupNorm(x: Tensor, scale: Tensor, bias: Tensor, groups: number, eps: number, stash?: DType): Tensor {
  const { n: N, c: C, s: S } = nchw(x.shape);
  const toU = rounder(stash ?? 'float64');
  const toT = stash ? rounder(x.dtype) : rounder('float64');
  const per = C / groups;
  const y = zeros(x.dtype, x.shape);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < groups; g++) {
      const start = (n * C + g * per) * S;
      const xs = Array.from({ length: per * S }, (_, k) => toU(x.get(start + k)));
      const mu = toU(mean(xs));
      const inv = toU(1 / Math.sqrt(variance(xs, mu) + eps));
      xs.forEach((v, k) => {
        const c = g * per + Math.floor(k / S);
        const normalized = toT(toU((v - mu) * inv));
        writeElement(x.dtype, y.data as TypedArray, start + k, normalized * scale.get(c) + bias.get(c));
      });
    }
  }
  return y;
}

function checkInstanceNorm(ctx: Ctx): void {
  const x = requireRank(ctx, 3, 'N x C x D1 x ...');
  checkChannelParam(ctx, 1, 'scale', x[1]);
  checkChannelParam(ctx, 2, 'B', x[1]);
  checkSameDType(ctx, [0, 1, 2], ['input', 'scale', 'B']);
}

const instanceNormalization = defineOp({
  name: 'InstanceNormalization',
  group: 'normalization',
  since: 22,
  doc: 'y = scale * (x - mean) / sqrt(variance + epsilon) + B, with mean and population variance per instance and channel over the spatial axes (2..).',
  inputs: [
    { name: 'input', type: 'T' },
    { name: 'scale', type: 'T', doc: '[C]' },
    { name: 'B', type: 'T', doc: '[C]' },
  ],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: { epsilon: { type: 'float', default: 1e-5, doc: 'added to the variance' } },
  infer(ctx) {
    checkInstanceNorm(ctx);
    return [sameAs(ctx)];
  },
  run(ctx) {
    checkInstanceNorm(ctx);
    const [x, scale, bias] = ctx.inputs as Tensor[];
    // One group per channel, all in float64 (this op has no stash precision).
    return [groupNorm(x, scale, bias, x.shape[1], ctx.float('epsilon'))];
  },
});

function checkGroupNorm(ctx: Ctx): number {
  const groups = ctx.int('num_groups');
  if (groups < 1) throw new AttributeError(`attribute 'num_groups' is ${groups}; it must be >= 1`, nodeOf(ctx));
  const x = requireRank(ctx, 2, 'N x C x D1 x ...');
  checkChannelParam(ctx, 1, 'scale', x[1]);
  checkChannelParam(ctx, 2, 'bias', x[1]);
  checkSameDType(ctx, [0, 1, 2], ['X', 'scale', 'bias']);
  if (typeof x[1] === 'number' && x[1] % groups !== 0) ctx.fail(`${x[1]} channels cannot be split into num_groups=${groups} equal groups`);
  return groups;
}

const groupNormalization = defineOp({
  name: 'GroupNormalization',
  group: 'normalization',
  since: 21,
  doc: 'y = scale * (x - mean) / sqrt(variance + epsilon) + bias, with mean and population variance per instance and group of C / num_groups consecutive channels (over those channels and the spatial axes); scale and bias are per channel ([C]). The standardization runs at the precision of stash_type.',
  inputs: [
    { name: 'X', type: 'T' },
    { name: 'scale', type: 'T', doc: '[C]' },
    { name: 'bias', type: 'T', doc: '[C]' },
  ],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: {
    epsilon: { type: 'float', default: 1e-5, doc: 'added to the variance' },
    num_groups: { type: 'int', required: true, doc: 'number of channel groups; must divide C' },
    stash_type: { type: 'int', default: 1, values: [1, 10, 11, 16], doc: 'precision of the standardization stage (1: float32, 10: float16, 11: float64, 16: bfloat16)' },
  },
  infer(ctx) {
    checkGroupNorm(ctx);
    return [sameAs(ctx)];
  },
  run(ctx) {
    const groups = checkGroupNorm(ctx);
    const [x, scale, bias] = ctx.inputs as Tensor[];
    return [groupNorm(x, scale, bias, groups, ctx.float('epsilon'), STASH_TYPES[ctx.int('stash_type')])];
  },
});

// ------------------------------------------------------------------ LpNormalization

const lpNormalization = defineOp({
  name: 'LpNormalization',
  group: 'normalization',
  since: 22,
  doc: 'x / ||x||_p along `axis` (p = 1 or 2). A lane whose norm is 0 stays 0 (no division by zero).',
  inputs: [{ name: 'input', type: 'T' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: {
    axis: { type: 'int', default: -1, doc: 'axis to normalize along' },
    p: { type: 'int', default: 2, values: [1, 2], doc: 'order of the norm' },
  },
  infer(ctx) {
    axisOf(ctx, ctx.int('axis'), shapeAt(ctx, 0).length);
    return [sameAs(ctx)];
  },
  run(ctx) {
    const x = ctx.inputs[0]!;
    const axis = axisOf(ctx, ctx.int('axis'), x.rank);
    const p = ctx.int('p');
    const outer = sizeOf(x.shape.slice(0, axis));
    const len = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const y = zeros(x.dtype, x.shape);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (k: number) => (o * len + k) * inner + i;
        let norm = 0;
        for (let k = 0; k < len; k++) norm += p === 1 ? Math.abs(x.get(at(k))) : x.get(at(k)) ** 2;
        if (p === 2) norm = Math.sqrt(norm);
        for (let k = 0; k < len; k++) writeElement(x.dtype, y.data as TypedArray, at(k), norm === 0 ? 0 : x.get(at(k)) / norm);
      }
    }
    return [y];
  },
});

// ------------------------------------------------------------------ MeanVarianceNormalization

/** MVN's epsilon: the ONNX function adds 1e-9 to the standard deviation. */
const MVN_EPSILON = 1e-9;

function mvnAxes(ctx: Ctx, rank: number): number[] {
  const axes = ctx.ints('axes').map((a) => axisOf(ctx, a, rank, 'axes entry'));
  if (new Set(axes).size !== axes.length) ctx.fail(`axes [${ctx.ints('axes').join(',')}] name the same axis more than once`);
  return axes;
}

const meanVarianceNormalization = defineOp({
  name: 'MeanVarianceNormalization',
  group: 'normalization',
  since: 13,
  doc: '(X - mean) / (sqrt(variance) + 1e-9), with mean and population variance over `axes` (default [0, 2, 3]: per channel of an NCHW tensor).',
  inputs: [{ name: 'X', type: 'T' }],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: { axes: { type: 'ints', default: [0, 2, 3], doc: 'axes the statistics are taken over' } },
  infer(ctx) {
    mvnAxes(ctx, shapeAt(ctx, 0).length);
    return [sameAs(ctx)];
  },
  run(ctx) {
    const x = ctx.inputs[0]!;
    const axes = mvnAxes(ctx, x.rank);
    // Group flat indices by their coordinates on the axes that are not reduced.
    const strides = stridesOf(x.shape);
    const groups = new Map<number, number[]>();
    for (let i = 0; i < x.size; i++) {
      let key = 0;
      for (let d = 0; d < x.rank; d++) if (!axes.includes(d)) key += (Math.floor(i / strides[d]) % x.shape[d]) * strides[d];
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    }
    const y = zeros(x.dtype, x.shape);
    for (const idx of groups.values()) {
      const xs = idx.map((i) => x.get(i));
      const mu = mean(xs);
      const sd = Math.sqrt(variance(xs, mu));
      idx.forEach((i, k) => writeElement(x.dtype, y.data as TypedArray, i, (xs[k] - mu) / (sd + MVN_EPSILON)));
    }
    return [y];
  },
});

// ------------------------------------------------------------------ LRN

function checkLrn(ctx: Ctx): void {
  requireRank(ctx, 2, 'N x C x D1 x ...');
  const size = ctx.int('size');
  if (size < 1) throw new AttributeError(`attribute 'size' is ${size}; it must be >= 1`, nodeOf(ctx));
}

const lrn = defineOp({
  name: 'LRN',
  group: 'normalization',
  since: 13,
  doc: 'Local response normalization across channels: y = x / (bias + alpha / size * square_sum) ^ beta, where square_sum sums x^2 over channels [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)] clipped to [0, C).',
  inputs: [{ name: 'X', type: 'T' }],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: {
    alpha: { type: 'float', default: 1e-4, doc: 'scaling parameter' },
    beta: { type: 'float', default: 0.75, doc: 'exponent' },
    bias: { type: 'float', default: 1, doc: 'additive constant' },
    size: { type: 'int', required: true, doc: 'number of channels summed over' },
  },
  infer(ctx) {
    checkLrn(ctx);
    return [sameAs(ctx)];
  },
  run(ctx) {
    checkLrn(ctx);
    const x = ctx.inputs[0]!;
    const size = ctx.int('size');
    const alpha = ctx.float('alpha');
    const beta = ctx.float('beta');
    const bias = ctx.float('bias');
    const { n: N, c: C, s: S } = nchw(x.shape);
    const below = Math.floor((size - 1) / 2);
    const above = Math.ceil((size - 1) / 2);
    const y = zeros(x.dtype, x.shape);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        for (let s = 0; s < S; s++) {
          let sq = 0;
          for (let j = Math.max(0, c - below); j <= Math.min(C - 1, c + above); j++) sq += x.get((n * C + j) * S + s) ** 2;
          const i = (n * C + c) * S + s;
          writeElement(x.dtype, y.data as TypedArray, i, x.get(i) / (bias + (alpha / size) * sq) ** beta);
        }
      }
    }
    return [y];
  },
});

/** Ops of this family. */
export const normalizationOps: readonly OpSchema[] = [
  batchNormalization,
  layerNormalization,
  instanceNormalization,
  groupNormalization,
  lpNormalization,
  meanVarianceNormalization,
  lrn,
];
