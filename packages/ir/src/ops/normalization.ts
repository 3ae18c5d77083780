/**
 * Normalizations: BatchNormalization (opset 15, inference and training mode), LayerNormalization
 * (17), InstanceNormalization (22), GroupNormalization (21), LpNormalization (22),
 * MeanVarianceNormalization (13) and LRN (13). The channel axis is 1 (NCHW).
 *
 * Statistics are computed in float64 and results rounded once to the output dtype. Where ONNX
 * defines a stash_type (the precision of the standardization stage), the input, mean,
 * inverse standard deviation and normalized values are rounded to that precision as ONNX says.
 */
import { FLOAT_TYPES, type DType, type TypedArray } from '../core/dtype.js';
import { sizeOf, stridesOf, type Dim, type Shape, type StaticShape } from '../core/shape.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import type { TensorType } from '../graph/types.js';
import { axesIn, axisIn } from './axes.js';
import { broadcastIndex } from './broadcast.js';
import type { OpContext } from './context.js';
import { dimsMatch } from './dims.js';
import { laneGeometry } from './lanes.js';
import { sameAs } from './output-types.js';
import { floatRounder } from './rounding.js';
import { defineOp, type OpSchema } from './schema.js';

// ------------------------------------------------------------------ helpers

/** ONNX TensorProto element-type codes accepted by stash_type. */
const STASH_TYPES: Readonly<Record<number, DType>> = { 1: 'float32', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

/** Shape of input i (for either context). */
const shapeAt = (ctx: OpContext, i: number): Shape => ctx.inputs[i]!.shape;

function requireRank(ctx: OpContext, min: number, layout: string): Shape {
  const s = shapeAt(ctx, 0);
  if (s.length < min) ctx.fail(`input has rank ${s.length}; ${ctx.node.op} needs rank >= ${min} (${layout})`);
  return s;
}

/** Checks that input i is a 1-D tensor of C elements (a per-channel parameter). */
function checkChannelParam(ctx: OpContext, i: number, name: string, c: Dim): void {
  const s = shapeAt(ctx, i);
  if (s.length !== 1 || !dimsMatch(s[0], c)) ctx.fail(`${name} has shape [${s.join(',')}]; it must be [${c}] (one value per channel of input X)`);
}

/** Throws DTypeError unless the given inputs share one dtype (they share a type constraint). */
function checkSameDType(ctx: OpContext, indices: readonly number[], names: readonly string[]): void {
  const types = indices.map((i) => ctx.inputs[i]?.dtype);
  const first = types.find((t) => t !== undefined);
  if (types.some((t) => t !== undefined && t !== first)) {
    ctx.failDType(`${names.join(', ')} must share one dtype, got ${types.filter(Boolean).join(', ')}`);
  }
}

/** Checks that input i broadcasts to X's shape without changing it (unidirectional broadcasting). */
function checkBroadcastsTo(ctx: OpContext, i: number, name: string, x: Shape): void {
  const s = shapeAt(ctx, i);
  const ok = s.length <= x.length && s.every((d, k) => d === 1 || dimsMatch(d, x[x.length - s.length + k]));
  if (!ok) ctx.fail(`${name} has shape [${s.join(',')}], which does not broadcast to input X's shape [${x.join(',')}]`);
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: readonly number[], m: number): number => mean(xs.map((x) => (x - m) * (x - m)));

/** N, C and the number of elements per (n, c) for an NCHW tensor; element (n, c, s) is at (n * C + c) * S + s. */
function nchw(shape: StaticShape): { n: number; c: number; s: number } {
  return { n: shape[0], c: shape[1], s: sizeOf(shape.slice(2)) };
}

// ------------------------------------------------------------------ BatchNormalization

function checkBatchNorm(ctx: OpContext): { training: boolean } {
  const x = requireRank(ctx, 2, 'N x C x D1 x ...');
  ['scale', 'B', 'input_mean', 'input_var'].forEach((name, k) => checkChannelParam(ctx, k + 1, name, x[1]));
  checkSameDType(ctx, [1, 2], ['scale', 'B']);
  checkSameDType(ctx, [3, 4], ['input_mean', 'input_var']);
  const training = ctx.int('training_mode') === 1;
  if (!training && ctx.node.outputs.slice(1).some(Boolean)) {
    ctx.failAttr('outputs running_mean and running_var exist only with training_mode=1');
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

function checkLayerNorm(ctx: OpContext): number {
  const x = shapeAt(ctx, 0);
  const axis = axisIn(ctx, ctx.int('axis'), x.length);
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
    const toU = floatRounder(stash);
    const toT = floatRounder(x.dtype);
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
        const shifted = normalized * scale.get(scaleAt[i]) + (bias && biasAt ? bias.get(biasAt[i]) : 0);
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
  const toU = floatRounder(stash ?? 'float64');
  const toT = stash ? floatRounder(x.dtype) : floatRounder('float64');
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

function checkInstanceNorm(ctx: OpContext): void {
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

function checkGroupNorm(ctx: OpContext): number {
  const groups = ctx.int('num_groups');
  if (groups < 1) ctx.failAttr(`attribute 'num_groups' is ${groups}; it must be >= 1`);
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
    axisIn(ctx, ctx.int('axis'), shapeAt(ctx, 0).length);
    return [sameAs(ctx)];
  },
  run(ctx) {
    const x = ctx.inputs[0]!;
    const { outer, len, inner } = laneGeometry(x.shape, axisIn(ctx, ctx.int('axis'), x.rank));
    const p = ctx.int('p');
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

function mvnAxes(ctx: OpContext, rank: number): number[] {
  return axesIn(ctx, ctx.ints('axes'), rank);
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

function checkLrn(ctx: OpContext): void {
  requireRank(ctx, 2, 'N x C x D1 x ...');
  const size = ctx.int('size');
  if (size < 1) ctx.failAttr(`attribute 'size' is ${size}; it must be >= 1`);
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
