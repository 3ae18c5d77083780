/**
 * Pooling: MaxPool (with Indices), AveragePool, LpPool, their Global* forms, and the quantized
 * QLinearAveragePool / QLinearGlobalAveragePool (onnxruntime contrib ops). All take an NCHW or
 * NHWC activation layout and any number of spatial dims; windows come from conv-geometry.ts.
 */
import { FLOAT_TYPES, dtypeInfo, isFloat, type DType, type TypedArray } from '../core/dtype.js';
import { dequantizeValue, quantRange, quantizeValue } from '../core/quant.js';
import { sizeOf, type Dim } from '../core/shape.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import type { TensorType } from '../graph/types.js';
import { inputAt, type OpContext } from './context.js';
import { isPerTensorShape } from './dims.js';
import { defineOp, type AttrSpec, type InferContext, type OpSchema, type RunContext } from './schema.js';
import {
  LAYOUT_ATTR,
  TAP_OUTSIDE,
  WINDOW_ATTRS,
  activationShape,
  columnMajorStrides,
  layoutStrides,
  offsetTable,
  readKernelShape,
  readWindowSpec,
  rowMajorStrides,
  spatialOf,
  windowGeometry,
  windowShape,
  windowTaps,
  type Layout,
  type WindowGeometry,
  type WindowSpec,
} from './conv-geometry.js';

const Q8: readonly DType[] = ['int8', 'uint8'];

const FLAG = (doc: string): AttrSpec => ({ type: 'int', default: 0, values: [0, 1], doc });

// ------------------------------------------------------------------ shared analysis

interface PoolInfo {
  readonly layout: Layout;
  readonly n: Dim;
  readonly c: Dim;
  readonly inSpatial: Dim[];
  readonly kernel: Dim[];
  /** Undefined for global pools (one window covering every spatial position). */
  readonly spec: WindowSpec | undefined;
  readonly ceilMode: boolean;
}

function analyzePool(ctx: OpContext, global: boolean): PoolInfo {
  const layout = ctx.str('layout') as Layout;
  const xs = inputAt(ctx, 0).shape;
  const minRank = global ? 2 : 3;
  if (xs.length < minRank) {
    ctx.fail(`input X has rank ${xs.length} (shape [${xs.join(',')}]); ${ctx.node.op} needs rank >= ${minRank} (batch, channels${global ? '' : ' and at least one spatial dim'})`);
  }
  const rank = xs.length - 2;
  const n = xs[0];
  const c = layout === 'NCHW' ? xs[1] : xs[xs.length - 1];
  const inSpatial = spatialOf([...xs], layout);
  if (global) return { layout, n, c, inSpatial, kernel: inSpatial, spec: undefined, ceilMode: false };
  const kernel = readKernelShape(ctx, rank);
  const ceilMode = ctx.attrs.ceil_mode === 1;
  return { layout, n, c, inSpatial, kernel, spec: readWindowSpec(ctx, rank), ceilMode };
}

function poolOutShape(ctx: InferContext, info: PoolInfo): Dim[] {
  const spatial = info.spec ? windowShape(ctx, info.inSpatial, info.kernel, info.spec, info.ceilMode) : info.inSpatial.map(() => 1);
  return activationShape(info.layout, info.n, info.c, spatial);
}

/** Static problem: window geometry and the input/output shapes. */
interface PoolProblem {
  readonly layout: Layout;
  readonly n: number;
  readonly c: number;
  readonly geometry: WindowGeometry;
  readonly xShape: readonly number[];
  readonly yShape: readonly number[];
}

function poolProblem(ctx: RunContext, info: PoolInfo, x: Tensor): PoolProblem {
  const inSpatial = info.inSpatial as number[];
  const ones = inSpatial.map(() => 1);
  const zerosN = inSpatial.map(() => 0);
  const geometry: WindowGeometry = info.spec
    ? windowGeometry(ctx, inSpatial, info.kernel as number[], info.spec, info.ceilMode)
    : { inSpatial, outSpatial: ones, kernel: inSpatial, strides: ones, dilations: ones, padsBegin: zerosN, padsEnd: zerosN };
  const n = info.n as number;
  const c = info.c as number;
  return { layout: info.layout, n, c, geometry, xShape: x.shape, yShape: activationShape(info.layout, n, c, [...geometry.outSpatial]) };
}

/**
 * Calls `visit` for every (batch, channel, output position) with the input base offset, the output
 * index, the tap table of that position (input spatial offsets, or < 0 outside the input) and
 * the flat (batch * C + channel) plane index and output position.
 */
function forEachWindow(p: PoolProblem, visit: (xBase: number, yIndex: number, taps: Int32Array, plane: number, o: number) => void): void {
  const xs = layoutStrides(p.xShape, p.layout);
  const ys = layoutStrides(p.yShape, p.layout);
  const taps = windowTaps(p.geometry, xs.spatial);
  const yOff = offsetTable(p.geometry.outSpatial, ys.spatial);
  for (let n = 0; n < p.n; n++) {
    for (let c = 0; c < p.c; c++) {
      for (let o = 0; o < taps.length; o++) visit(n * xs.n + c * xs.c, n * ys.n + c * ys.c + yOff[o], taps[o], n * p.c + c, o);
    }
  }
}

/** Average of the in-input taps; the divisor counts padding taps too with `includePad`. */
function average(xv: ArrayLike<number>, xBase: number, taps: Int32Array, includePad: boolean): number {
  let sum = 0;
  let count = 0;
  for (let t = 0; t < taps.length; t++) {
    const off = taps[t];
    if (off >= 0) {
      sum += xv[xBase + off];
      count++;
    } else if (includePad && off !== TAP_OUTSIDE) count++;
  }
  return sum / count;
}

function lpNorm(xv: ArrayLike<number>, xBase: number, taps: Int32Array, p: number): number {
  let sum = 0;
  for (let t = 0; t < taps.length; t++) {
    const off = taps[t];
    if (off >= 0) sum += Math.abs(xv[xBase + off]) ** p;
  }
  return sum ** (1 / p);
}

function readP(ctx: OpContext): number {
  const p = ctx.int('p');
  if (p < 1) ctx.failAttr(`attribute 'p' is ${p}; must be >= 1`);
  return p;
}

// ------------------------------------------------------------------ float pools

function floatPoolRun(ctx: RunContext, global: boolean, reduce: (xv: ArrayLike<number>, xBase: number, taps: Int32Array) => number): Tensor[] {
  const x = ctx.inputs[0]!;
  const p = poolProblem(ctx, analyzePool(ctx, global), x);
  const y = zeros(x.dtype, p.yShape);
  const yd = y.data as TypedArray;
  const xv = x.toNumbers();
  forEachWindow(p, (xBase, yi, taps) => writeElement(x.dtype, yd, yi, reduce(xv, xBase, taps)));
  return [y];
}

function poolInfer(ctx: InferContext, global: boolean): TensorType[] {
  if (ctx.attrs.p !== undefined) readP(ctx);
  return [{ dtype: ctx.inputs[0]!.dtype, shape: poolOutShape(ctx, analyzePool(ctx, global)) }];
}

const POOL_ATTRS: Readonly<Record<string, AttrSpec>> = {
  ...WINDOW_ATTRS,
  ceil_mode: FLAG('1: ceil instead of floor for the output size (a last window starting in the end padding is dropped)'),
  kernel_shape: { type: 'ints', required: true, doc: 'window size per spatial axis' },
  layout: LAYOUT_ATTR,
};

const X_IN = { name: 'X', type: 'T', doc: '[N, C, D1, ...] (NCHW) or [N, D1, ..., C] (NHWC)' } as const;

/**
 * MaxPool. NaN inputs are skipped (a window of only NaN gives NaN); ties keep the first position
 * in window order. Indices are flat positions in the NCHW view of X, whatever the layout, with
 * the spatial part row-major (storage_order 0) or column-major (storage_order 1).
 */
const maxPool = defineOp({
  name: 'MaxPool',
  group: 'pool',
  tags: ['layout-sensitive'],
  since: 12,
  doc: 'Max pooling (ONNX MaxPool) with strides, pads/auto_pad, dilations, ceil_mode and the optional int64 Indices output (storage_order), in NCHW or NHWC layout.',
  inputs: [X_IN],
  outputs: [
    { name: 'Y', type: 'T' },
    { name: 'Indices', type: 'I', optional: true, doc: 'flat index into X seen as NCHW' },
  ],
  types: { T: [...FLOAT_TYPES, ...Q8], I: ['int64'] },
  attrs: { ...POOL_ATTRS, storage_order: FLAG('Indices: 0 row-major, 1 column-major over the spatial dims') },
  infer(ctx) {
    const [y] = poolInfer(ctx, false);
    return [y, { dtype: 'int64', shape: y.shape }];
  },
  run(ctx) {
    const x = ctx.inputs[0]!;
    const info = analyzePool(ctx, false);
    const p = poolProblem(ctx, info, x);
    const g = p.geometry;
    const y = zeros(x.dtype, p.yShape);
    // Indices follow the output's layout like Y does, with values in NCHW terms.
    const ind = zeros('int64', p.yShape);
    const yd = y.data as TypedArray;
    const id = ind.data as BigInt64Array;
    const xv = x.toNumbers();
    const planeSize = sizeOf(g.inSpatial);
    const logical = windowTaps(g, ctx.int('storage_order') === 1 ? columnMajorStrides(g.inSpatial) : rowMajorStrides(g.inSpatial));
    const empty = isFloat(x.dtype) ? NaN : dtypeInfo(x.dtype).min;
    forEachWindow(p, (xBase, yi, taps, plane, o) => {
      let best = NaN;
      let at = -1;
      let first = -1;
      for (let t = 0; t < taps.length; t++) {
        const off = taps[t];
        if (off < 0) continue;
        if (first < 0) first = t;
        const v = xv[xBase + off];
        if (!Number.isNaN(v) && (at < 0 || v > best)) {
          best = v;
          at = t;
        }
      }
      // All-NaN windows give NaN at their first position; windows entirely in the padding
      // (possible only with pads >= the kernel extent) give the lowest value and index -1.
      if (at < 0) at = first;
      writeElement(x.dtype, yd, yi, at < 0 ? empty : best);
      id[yi] = BigInt(at < 0 ? -1 : plane * planeSize + logical[o][at]);
    });
    return [y, ind];
  },
});

const averagePool = defineOp({
  name: 'AveragePool',
  group: 'pool',
  tags: ['layout-sensitive'],
  since: 19,
  doc: 'Average pooling (ONNX AveragePool) with strides, pads/auto_pad, dilations, ceil_mode and count_include_pad (padding counts, positions beyond the padding added by ceil_mode do not), in NCHW or NHWC layout.',
  inputs: [X_IN],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: { ...POOL_ATTRS, count_include_pad: FLAG('1: padding positions count in the divisor') },
  infer: (ctx) => poolInfer(ctx, false),
  run(ctx) {
    const include = ctx.int('count_include_pad') === 1;
    return floatPoolRun(ctx, false, (xv, b, taps) => average(xv, b, taps, include));
  },
});

const lpPool = defineOp({
  name: 'LpPool',
  group: 'pool',
  tags: ['layout-sensitive'],
  since: 18,
  doc: 'Lp pooling (ONNX LpPool): (sum |x|^p)^(1/p) over each window, with strides, pads/auto_pad, dilations and ceil_mode, in NCHW or NHWC layout.',
  inputs: [X_IN],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: { ...POOL_ATTRS, p: { type: 'int', default: 2, doc: 'order of the norm (>= 1)' } },
  infer: (ctx) => poolInfer(ctx, false),
  run(ctx) {
    const p = readP(ctx);
    return floatPoolRun(ctx, false, (xv, b, taps) => lpNorm(xv, b, taps, p));
  },
});

function globalPool(name: string, doc: string, since: number, types: readonly DType[], attrs: Record<string, AttrSpec>, reduce: (ctx: RunContext) => (xv: ArrayLike<number>, xBase: number, taps: Int32Array) => number): OpSchema {
  return defineOp({
    name,
    group: 'pool',
    tags: ['layout-sensitive'],
    since,
    doc,
    inputs: [X_IN],
    outputs: [{ name: 'Y', type: 'T', doc: 'spatial dims reduced to 1' }],
    types: { T: types },
    attrs: { layout: LAYOUT_ATTR, ...attrs },
    infer: (ctx) => poolInfer(ctx, true),
    run: (ctx) => floatPoolRun(ctx, true, reduce(ctx)),
  });
}

const globalAveragePool = globalPool('GlobalAveragePool', 'Average over all spatial positions (ONNX GlobalAveragePool), in NCHW or NHWC layout.', 1, FLOAT_TYPES, {}, () => (xv, b, taps) => average(xv, b, taps, false));

const globalMaxPool = globalPool('GlobalMaxPool', 'Maximum over all spatial positions (ONNX GlobalMaxPool; NaN skipped unless all NaN), in NCHW or NHWC layout.', 1, FLOAT_TYPES, {}, () => (xv, b, taps) => {
  let best = NaN;
  for (let t = 0; t < taps.length; t++) {
    const v = xv[b + taps[t]];
    if (Number.isNaN(best) || v > best) best = v;
  }
  return best;
});

const globalLpPool = globalPool('GlobalLpPool', 'Lp norm over all spatial positions (ONNX GlobalLpPool), in NCHW or NHWC layout.', 2, FLOAT_TYPES, { p: { type: 'int', default: 2, doc: 'order of the norm (>= 1)' } }, (ctx) => {
  const p = readP(ctx);
  return (xv, b, taps) => lpNorm(xv, b, taps, p);
});

// ------------------------------------------------------------------ quantized average pools

function qCheck(ctx: OpContext): void {
  const x = ctx.inputs[0] as Tensor | TensorType | undefined;
  for (const [i, name] of [[2, 'x_zero_point'], [4, 'y_zero_point']] as const) {
    const t = ctx.inputs[i] as Tensor | TensorType | undefined;
    if (t && x && t.dtype !== x.dtype) ctx.failDType(`${name} has dtype '${t.dtype}' but X has '${x.dtype}'; they must match`);
  }
  for (const [i, name] of [[1, 'x_scale'], [2, 'x_zero_point'], [3, 'y_scale'], [4, 'y_zero_point']] as const) {
    const t = ctx.inputs[i] as Tensor | TensorType | undefined;
    if (t && !isPerTensorShape(t.shape)) ctx.fail(`${name} has shape [${t.shape.join(',')}]; expected a scalar`);
  }
}

/** Dequantize, average (float), requantize with ties to even and saturation. */
function qlinearPoolRun(ctx: RunContext, global: boolean): Tensor[] {
  qCheck(ctx);
  const [x, xScale, xZero, yScale, yZero] = ctx.inputs as [Tensor, Tensor, Tensor | undefined, Tensor, Tensor | undefined];
  const p = poolProblem(ctx, analyzePool(ctx, global), x);
  const include = !global && ctx.int('count_include_pad') === 1;
  const xs = xScale.get(0);
  const xz = xZero ? xZero.get(0) : 0;
  const ys = yScale.get(0);
  const yz = yZero ? yZero.get(0) : 0;
  const { qmin, qmax } = quantRange(x.dtype);
  const xv = new Float64Array(x.size);
  for (let i = 0; i < x.size; i++) xv[i] = dequantizeValue(x.get(i), xs, xz);
  const y = zeros(x.dtype, p.yShape);
  const yd = y.data as TypedArray;
  forEachWindow(p, (b, yi, taps) => writeElement(x.dtype, yd, yi, quantizeValue(average(xv, b, taps, include), ys, yz, qmin, qmax)));
  return [y];
}

const Q_INPUTS = [
  X_IN,
  { name: 'x_scale', type: ['float32'], doc: 'scalar' },
  { name: 'x_zero_point', type: 'T', optional: true, doc: 'scalar (default 0)' },
  { name: 'y_scale', type: ['float32'], doc: 'scalar' },
  { name: 'y_zero_point', type: 'T', optional: true, doc: 'scalar (default 0)' },
] as const;

const qlinearAveragePool = defineOp({
  name: 'QLinearAveragePool',
  group: 'quant',
  tags: ['layout-sensitive'],
  doc: "Quantized average pooling (onnxruntime com.microsoft QLinearAveragePool): dequantize, average as AveragePool, requantize (ties to even, saturating). The contrib attribute channels_last=1 is layout 'NHWC'.",
  inputs: Q_INPUTS,
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: Q8 },
  attrs: {
    auto_pad: WINDOW_ATTRS.auto_pad,
    pads: WINDOW_ATTRS.pads,
    strides: WINDOW_ATTRS.strides,
    ceil_mode: POOL_ATTRS.ceil_mode,
    kernel_shape: POOL_ATTRS.kernel_shape,
    count_include_pad: FLAG('1: padding positions count in the divisor'),
    layout: LAYOUT_ATTR,
  },
  infer(ctx) {
    qCheck(ctx);
    return poolInfer(ctx, false);
  },
  run: (ctx) => qlinearPoolRun(ctx, false),
});

const qlinearGlobalAveragePool = defineOp({
  name: 'QLinearGlobalAveragePool',
  group: 'quant',
  tags: ['layout-sensitive'],
  doc: "Quantized global average pooling (onnxruntime com.microsoft QLinearGlobalAveragePool): dequantize, average over all spatial positions, requantize (ties to even, saturating). channels_last=1 is layout 'NHWC'.",
  inputs: Q_INPUTS,
  outputs: [{ name: 'Y', type: 'T', doc: 'spatial dims reduced to 1' }],
  types: { T: Q8 },
  attrs: { layout: LAYOUT_ATTR },
  infer(ctx) {
    qCheck(ctx);
    return poolInfer(ctx, true);
  },
  run: (ctx) => qlinearPoolRun(ctx, true),
});

/** Ops of this family. */
export const poolOps: readonly OpSchema[] = [
  maxPool,
  averagePool,
  lpPool,
  globalAveragePool,
  globalMaxPool,
  globalLpPool,
  qlinearAveragePool,
  qlinearGlobalAveragePool,
];
