/**
 * Reductions: ReduceX (axes as an optional input, keepdims, noop_with_empty_axes), ArgMax/ArgMin,
 * TopK and CumSum, following the newest ONNX versions (ReduceX 18/20, ArgX 13, TopK 11, CumSum 14).
 *
 * Float inputs are reduced in float64 and rounded once when written. Integer Sum/Mean/Prod/L1/
 * SumSquare/Max/Min are exact (bigint) and wrap to the dtype's width like C integer arithmetic.
 */
import { dtypeInfo, NUMERIC_TYPES, type DType, type TypedArray } from '../core/dtype.js';
import { sizeOf, stridesOf, type Dim, type Shape, type StaticShape } from '../core/shape.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import { axesIn, axisIn } from './axes.js';
import type { OpContext } from './context.js';
import { elementCopier, rawView } from './elements.js';
import { intRange, writeInt } from './integers.js';
import { laneGeometry, nanMax } from './lanes.js';
import { sameAs } from './output-types.js';
import { accumulatorRound } from './rounding.js';
import { defineOp, type AttrSpec, type InferContext, type OpSchema } from './schema.js';

const FLAG = (doc: string, def: 0 | 1): AttrSpec => ({ type: 'int', default: def, values: [0, 1], doc });

// ------------------------------------------------------------------ shared helpers

/**
 * Compares two elements for ordering: negative when element i is smaller. NaN sorts above every
 * number (numpy's convention, which the ONNX reference implementation inherits).
 */
function elementOrder(t: Tensor): (i: number, j: number) => number {
  if (dtypeInfo(t.dtype).big) {
    return (i, j) => {
      const a = t.getBig(i);
      const b = t.getBig(j);
      return a === b ? 0 : a < b ? -1 : 1;
    };
  }
  return (i, j) => {
    const a = t.get(i);
    const b = t.get(j);
    const na = Number.isNaN(a);
    const nb = Number.isNaN(b);
    if (na || nb) return na === nb ? 0 : na ? 1 : -1;
    return a === b ? 0 : a < b ? -1 : 1;
  };
}

// ------------------------------------------------------------------ ReduceX

/** Values of the axes input (int64, rank 0 or 1). */
function axesValues(ctx: OpContext, t: Tensor): number[] {
  if (t.rank > 1) ctx.fail(`axes input must be 1-D, got rank ${t.rank}`);
  return t.toNumbers();
}

/**
 * The sorted axes to reduce. Absent or empty axes reduce every axis, unless noop_with_empty_axes
 * is set: then nothing is reduced (each output element is the reduction of one input element).
 */
function reducedAxes(ctx: OpContext, rank: number, axes: readonly number[] | undefined): number[] {
  if (!axes || axes.length === 0) return ctx.int('noop_with_empty_axes') ? [] : Array.from({ length: rank }, (_, i) => i);
  return axesIn(ctx, axes, rank).sort((a, b) => a - b);
}

function reducedShape(shape: Shape, axes: readonly number[], keep: boolean): Dim[] {
  return keep ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function inferReduceShape(ctx: InferContext): Dim[] {
  const x = ctx.inputs[0]!;
  const rank = x.shape.length;
  const keep = ctx.int('keepdims') === 1;
  const axesType = ctx.inputs[1];
  let axes: number[] | undefined;
  if (axesType) {
    if (axesType.shape.length > 1) ctx.fail(`axes input must be 1-D, got rank ${axesType.shape.length}`);
    const c = ctx.constant(1);
    const len = axesType.shape.length === 0 ? 1 : axesType.shape[0];
    if (c) axes = c.toNumbers();
    else if (len === 0) axes = [];
    else {
      // Which axes go away is only known at run time.
      if (keep) return x.shape.map((d) => (d === 1 ? 1 : ctx.unknownDim()));
      if (typeof len !== 'number') return ctx.fail('with keepdims=0 the axes input must be constant or have a static length (the output rank depends on it)');
      if (len > rank) ctx.fail(`axes input has ${len} entries but the input has rank ${rank}`);
      return Array.from({ length: rank - len }, () => ctx.unknownDim());
    }
  }
  return reducedShape(x.shape, reducedAxes(ctx, rank, axes), keep);
}

/** For each output element (row-major over the kept dims), the flat indices of the input elements it reduces. */
function reductionGroups(shape: StaticShape, axes: readonly number[]): number[][] {
  const keepShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = stridesOf(keepShape);
  const inStrides = stridesOf(shape);
  const groups = Array.from({ length: sizeOf(keepShape) }, () => [] as number[]);
  const n = sizeOf(shape);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let d = 0; d < shape.length; d++) {
      if (!axes.includes(d)) j += (Math.floor(i / inStrides[d]) % shape[d]) * outStrides[d];
    }
    groups[j].push(i);
  }
  return groups;
}

interface ReduceRule {
  readonly name: string;
  readonly doc: string;
  /** The reduction on numbers (float inputs, and integer inputs without an exact rule: result truncated). */
  readonly num: (xs: number[]) => number;
  /** Exact rule for integer inputs. */
  readonly big?: (xs: bigint[], dtype: DType) => bigint;
  /** Rule for bool inputs (ReduceMax/ReduceMin); declares bool as a supported dtype. */
  readonly bool?: (xs: boolean[]) => boolean;
}

const sumNum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const sumBig = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

const minNum = (xs: number[]): number => -nanMax(xs.map((x) => -x));

const REDUCE_RULES: readonly ReduceRule[] = [
  {
    name: 'ReduceSum',
    doc: 'Sum over the axes; the empty sum is 0.',
    num: sumNum,
    big: sumBig,
  },
  {
    name: 'ReduceMean',
    doc: 'Mean over the axes; undefined for an empty set (NaN for floats, 0 for integers). Integer means truncate toward zero.',
    num: (xs) => sumNum(xs) / xs.length,
    big: (xs) => (xs.length ? sumBig(xs) / BigInt(xs.length) : 0n),
  },
  {
    name: 'ReduceMax',
    doc: 'Maximum over the axes (NaN propagates); the empty max is -inf for floats, the dtype minimum for integers, false for bool.',
    num: nanMax,
    big: (xs, dtype) => xs.reduce((a, b) => (b > a ? b : a), intRange(dtype).min),
    bool: (xs) => xs.some((b) => b),
  },
  {
    name: 'ReduceMin',
    doc: 'Minimum over the axes (NaN propagates); the empty min is +inf for floats, the dtype maximum for integers, true for bool.',
    num: minNum,
    big: (xs, dtype) => xs.reduce((a, b) => (b < a ? b : a), intRange(dtype).max),
    bool: (xs) => xs.every((b) => b),
  },
  {
    name: 'ReduceProd',
    doc: 'Product over the axes; the empty product is 1.',
    num: (xs) => xs.reduce((a, b) => a * b, 1),
    big: (xs) => xs.reduce((a, b) => a * b, 1n),
  },
  {
    name: 'ReduceL1',
    doc: 'Sum of absolute values over the axes; 0 for an empty set.',
    num: (xs) => sumNum(xs.map(Math.abs)),
    big: (xs) => sumBig(xs.map((x) => (x < 0n ? -x : x))),
  },
  {
    name: 'ReduceL2',
    doc: 'Square root of the sum of squares over the axes; 0 for an empty set. Integer results truncate.',
    num: (xs) => Math.sqrt(sumNum(xs.map((x) => x * x))),
  },
  {
    name: 'ReduceLogSum',
    doc: 'Natural log of the sum over the axes; -inf for an empty set. Integer results truncate.',
    num: (xs) => Math.log(sumNum(xs)),
  },
  {
    name: 'ReduceLogSumExp',
    doc: 'log(sum(exp(x))) over the axes, computed as max + log(sum(exp(x - max))) so large inputs do not overflow; -inf for an empty set.',
    num: (xs) => {
      const m = nanMax(xs);
      if (!Number.isFinite(m)) return m; // NaN, all -inf (or empty) -> -inf, any +inf -> +inf
      return m + Math.log(sumNum(xs.map((x) => Math.exp(x - m))));
    },
  },
  {
    name: 'ReduceSumSquare',
    doc: 'Sum of squares over the axes; 0 for an empty set.',
    num: (xs) => sumNum(xs.map((x) => x * x)),
    big: (xs) => sumBig(xs.map((x) => x * x)),
  },
];

function reduceOp(rule: ReduceRule): OpSchema {
  return defineOp({
    name: rule.name,
    group: 'reduce',
    since: rule.bool ? 20 : rule.name === 'ReduceSum' ? 13 : 18,
    doc: `${rule.doc} Reduces the axes given by the optional \`axes\` input (all axes when it is absent or empty, none with noop_with_empty_axes=1); keepdims keeps reduced axes as size 1.`,
    inputs: [
      { name: 'data', type: 'T' },
      { name: 'axes', type: ['int64'], optional: true, doc: '1-D axes to reduce (negative counts from the back)' },
    ],
    outputs: [{ name: 'reduced', type: 'T' }],
    types: { T: rule.bool ? [...NUMERIC_TYPES, 'bool'] : NUMERIC_TYPES },
    attrs: {
      keepdims: FLAG('keep reduced axes as dimensions of size 1', 1),
      noop_with_empty_axes: FLAG('with absent/empty axes: 1 reduces nothing, 0 reduces every axis', 0),
    },
    infer: (ctx) => [{ dtype: ctx.inputs[0]!.dtype, shape: inferReduceShape(ctx) }],
    run(ctx) {
      const x = ctx.inputs[0]!;
      const axesT = ctx.inputs[1];
      const axes = reducedAxes(ctx, x.rank, axesT ? axesValues(ctx, axesT) : undefined);
      const out = zeros(x.dtype, reducedShape(x.shape, axes, ctx.int('keepdims') === 1) as number[]);
      const od = out.data as TypedArray;
      const kind = dtypeInfo(x.dtype).kind;
      reductionGroups(x.shape, axes).forEach((g, j) => {
        if (kind === 'bool') writeElement('bool', od, j, rule.bool!(g.map((i) => x.get(i) !== 0)) ? 1 : 0);
        else if (kind !== 'float' && rule.big) writeInt(x.dtype, od, j, rule.big(g.map((i) => x.getBig(i)), x.dtype));
        else writeElement(x.dtype, od, j, rule.num(g.map((i) => x.get(i))));
      });
      return [out];
    },
  });
}

// ------------------------------------------------------------------ ArgMax / ArgMin

function argOp(name: 'ArgMax' | 'ArgMin'): OpSchema {
  const sign = name === 'ArgMax' ? 1 : -1;
  const shapeOf = (ctx: OpContext, shape: Shape): Dim[] => {
    const axis = axisIn(ctx, ctx.int('axis'), shape.length);
    return reducedShape(shape, [axis], ctx.int('keepdims') === 1);
  };
  return defineOp({
    name,
    group: 'reduce',
    since: 13,
    doc: `Index (int64) of the ${name === 'ArgMax' ? 'largest' : 'smallest'} element along \`axis\`; ties give the first index, or the last with select_last_index=1. NaN counts as the extreme value (numpy convention).`,
    inputs: [{ name: 'data', type: 'T' }],
    outputs: [{ name: 'reduced', type: ['int64'] }],
    types: { T: NUMERIC_TYPES },
    attrs: {
      axis: { type: 'int', default: 0, doc: 'axis to reduce (negative counts from the back)' },
      keepdims: FLAG('keep the reduced axis as a dimension of size 1', 1),
      select_last_index: FLAG('on ties, return the last index instead of the first', 0),
    },
    infer: (ctx) => [{ dtype: 'int64', shape: shapeOf(ctx, ctx.inputs[0]!.shape) }],
    run(ctx) {
      const x = ctx.inputs[0]!;
      const axis = axisIn(ctx, ctx.int('axis'), x.rank);
      const { outer, len, inner } = laneGeometry(x.shape, axis);
      if (len === 0 && outer * inner > 0) ctx.fail(`${name} over axis ${axis} of size 0 has no index to return`);
      const last = ctx.int('select_last_index') === 1;
      const order = elementOrder(x);
      const out = zeros('int64', shapeOf(ctx, x.shape) as number[]);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const at = (k: number) => (o * len + k) * inner + i;
          let best = 0;
          for (let k = 1; k < len; k++) {
            const a = x.get(at(k));
            const b = x.get(at(best));
            // NaN wins for both ArgMax and ArgMin (numpy returns the first NaN).
            const nan = Number.isNaN(a) || Number.isNaN(b);
            const c = nan ? order(at(k), at(best)) : sign * order(at(k), at(best));
            if (c > 0 || (c === 0 && last)) best = k;
          }
          out.data[o * inner + i] = BigInt(best);
        }
      }
      return [out];
    },
  });
}

// ------------------------------------------------------------------ TopK

function topKValue(ctx: OpContext, k: Tensor): number {
  if (k.rank > 1 || k.size !== 1) ctx.fail(`K must be a 1-D tensor of one value, got shape [${k.shape.join(',')}]`);
  const v = k.get(0);
  if (v < 0) ctx.fail(`K must be non-negative, got ${v}`);
  return v;
}

const topK = defineOp({
  name: 'TopK',
  group: 'reduce',
  since: 11,
  doc: 'The K largest (largest=1) or smallest (largest=0) elements along `axis` and their int64 indices. Equal values keep the lower index first; NaN counts as larger than any number. With sorted=1 the results are ordered (descending for largest, ascending otherwise); with sorted=0 (order unspecified by ONNX) they keep their order along the axis.',
  inputs: [
    { name: 'X', type: 'T' },
    { name: 'K', type: ['int64'], doc: '1-D tensor holding the single value K' },
  ],
  outputs: [
    { name: 'Values', type: 'T' },
    { name: 'Indices', type: ['int64'] },
  ],
  types: { T: NUMERIC_TYPES },
  attrs: {
    axis: { type: 'int', default: -1, doc: 'axis to select along' },
    largest: FLAG('1: the largest elements, 0: the smallest', 1),
    sorted: FLAG('1: return the elements in sorted order', 1),
  },
  infer(ctx) {
    const x = ctx.inputs[0]!;
    const axis = axisIn(ctx, ctx.int('axis'), x.shape.length);
    const kc = ctx.constant(1);
    let k: Dim = ctx.unknownDim();
    if (kc) {
      k = topKValue(ctx, kc);
      const len = x.shape[axis];
      if (typeof len === 'number' && k > len) ctx.fail(`K = ${k} is larger than axis ${axis} of size ${len}`);
    }
    const shape = x.shape.map((d, i) => (i === axis ? k : d));
    return [{ dtype: x.dtype, shape }, { dtype: 'int64', shape }];
  },
  run(ctx) {
    const x = ctx.inputs[0]!;
    const axis = axisIn(ctx, ctx.int('axis'), x.rank);
    const k = topKValue(ctx, ctx.inputs[1]!);
    const { outer, len, inner } = laneGeometry(x.shape, axis);
    if (k > len) ctx.fail(`K = ${k} is larger than axis ${axis} of size ${len}`);
    const dir = ctx.int('largest') === 1 ? -1 : 1;
    const sorted = ctx.int('sorted') === 1;
    const order = elementOrder(x);
    const shape = x.shape.map((d, i) => (i === axis ? k : d));
    const values = zeros(x.dtype, shape);
    const indices = zeros('int64', shape);
    const copy = elementCopier(x.dtype);
    const xRaw = rawView(x.data as TypedArray);
    const valuesRaw = rawView(values.data as TypedArray);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (j: number) => (o * len + j) * inner + i;
        const lane = Array.from({ length: len }, (_, j) => j);
        lane.sort((a, b) => dir * order(at(a), at(b)) || a - b);
        const picked = lane.slice(0, k);
        if (!sorted) picked.sort((a, b) => a - b);
        picked.forEach((j, r) => {
          const dst = (o * k + r) * inner + i;
          copy(xRaw, at(j), valuesRaw, dst);
          indices.data[dst] = BigInt(j);
        });
      }
    }
    return [values, indices];
  },
});

// ------------------------------------------------------------------ CumSum

function cumSumAxis(ctx: OpContext, t: Tensor, rank: number): number {
  if (t.rank > 1 || t.size !== 1) ctx.fail(`axis input must hold a single value (0-D), got shape [${t.shape.join(',')}]`);
  return axisIn(ctx, t.get(0), rank);
}

const cumSum = defineOp({
  name: 'CumSum',
  group: 'reduce',
  since: 14,
  doc: 'Cumulative sum along the axis given by the `axis` input. exclusive=1 leaves out the element itself (the first output is 0); reverse=1 sums from the end. float32 sums are accumulated in float32, as runtimes do; integer sums are exact and wrap.',
  inputs: [
    { name: 'x', type: 'T' },
    { name: 'axis', type: 'T2', doc: '0-D axis (negative counts from the back)' },
  ],
  outputs: [{ name: 'y', type: 'T' }],
  types: { T: NUMERIC_TYPES, T2: ['int32', 'int64'] },
  attrs: {
    exclusive: FLAG('1: each output excludes its own element', 0),
    reverse: FLAG('1: accumulate from the last element backwards', 0),
  },
  infer(ctx) {
    const c = ctx.constant(1);
    if (c) cumSumAxis(ctx, c, ctx.inputs[0]!.shape.length);
    return [sameAs(ctx)];
  },
  run(ctx) {
    const x = ctx.inputs[0]!;
    const axis = cumSumAxis(ctx, ctx.inputs[1]!, x.rank);
    const exclusive = ctx.int('exclusive') === 1;
    const reverse = ctx.int('reverse') === 1;
    const { outer, len, inner } = laneGeometry(x.shape, axis);
    const out = zeros(x.dtype, x.shape);
    const od = out.data as TypedArray;
    const isFloat = dtypeInfo(x.dtype).kind === 'float';
    // float16/bfloat16 accumulate in float32 too; float64 in float64.
    const round = accumulatorRound(x.dtype);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        let accBig = 0n;
        for (let step = 0; step < len; step++) {
          const k = reverse ? len - 1 - step : step;
          const at = (o * len + k) * inner + i;
          if (isFloat) {
            if (!exclusive) acc = round(acc + x.get(at));
            writeElement(x.dtype, od, at, acc);
            if (exclusive) acc = round(acc + x.get(at));
          } else {
            if (!exclusive) accBig += x.getBig(at);
            writeInt(x.dtype, od, at, accBig);
            if (exclusive) accBig += x.getBig(at);
          }
        }
      }
    }
    return [out];
  },
});

/** Ops of this family. */
export const reduceOps: readonly OpSchema[] = [...REDUCE_RULES.map(reduceOp), argOp('ArgMax'), argOp('ArgMin'), topK, cumSum];
