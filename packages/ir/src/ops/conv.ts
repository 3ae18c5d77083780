/**
 * Convolutions: Conv, ConvTranspose (float, with fused activation and NCHW/NHWC layouts) and the
 * integer convolutions ConvInteger and QLinearConv. All share one shape analysis and one
 * accumulation loop over tap tables (see conv-geometry.ts), for any number of spatial dims.
 */
import { FLOAT_TYPES, type DType, type TypedArray } from '../core/dtype.js';
import { REQUANT_MODES, quantRange, requantize, roundHalfEven, type RequantMode } from '../core/quant.js';
import { isStaticShape, sizeOf, type Dim } from '../core/shape.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import type { TensorType } from '../graph/types.js';
import { inputAt, type OpContext } from './context.js';
import { isPerTensorShape } from './dims.js';
import { FUSED_ACTIVATION_ATTRS, fusedActivationFn } from './fused-activation.js';
import { floatRounder } from './rounding.js';
import { defineOp, type AttrSpec, type InferContext, type OpSchema, type RunContext } from './schema.js';
import {
  LAYOUT_ATTR,
  WINDOW_ATTRS,
  activationShape,
  layoutStrides,
  offsetTable,
  readWindowSpec,
  spatialOf,
  transposeGeometry,
  transposeShape,
  transposeTaps,
  windowGeometry,
  windowShape,
  windowTaps,
  type Layout,
  type WindowGeometry,
  type WindowSpec,
} from './conv-geometry.js';

const Q8: readonly DType[] = ['int8', 'uint8'];

const CONV_ATTRS: Readonly<Record<string, AttrSpec>> = {
  ...WINDOW_ATTRS,
  group: { type: 'int', default: 1, doc: 'number of groups input and output channels are divided into' },
  kernel_shape: { type: 'ints', doc: 'kernel spatial shape (default: from W)' },
};

// ------------------------------------------------------------------ shared analysis

/** What a convolution node means, from its attributes and the shapes of X and W. */
interface ConvInfo {
  readonly layout: Layout;
  readonly group: number;
  readonly n: Dim;
  /** Input channels (from X). */
  readonly c: Dim;
  /** Output channels. */
  readonly m: Dim;
  readonly inSpatial: Dim[];
  readonly kernel: Dim[];
  readonly spec: WindowSpec;
}

/** Throws DTypeError unless input `j` (when present) has the dtype of input `i`. */
function sameDType(ctx: OpContext, i: number, j: number, names: [string, string]): void {
  const a = ctx.inputs[i]?.dtype;
  const b = ctx.inputs[j]?.dtype;
  if (a && b && a !== b) ctx.failDType(`${names[1]} has dtype '${b}' but ${names[0]} has '${a}'; they must match`);
}

/**
 * Checks ranks, channels and group of a (transposed) convolution. `transposed` reads W as
 * [C, M/group, k...] instead of [M, C/group, k...].
 */
function analyzeConv(ctx: OpContext, xi: number, wi: number, transposed: boolean, layout: Layout): ConvInfo {
  const op = ctx.node.op;
  const xs = inputAt(ctx, xi).shape;
  const ws = inputAt(ctx, wi).shape;
  if (xs.length < 3) ctx.fail(`input X has rank ${xs.length} (shape [${xs.join(',')}]); ${op} needs rank >= 3 (batch, channels and at least one spatial dim)`);
  if (ws.length !== xs.length) ctx.fail(`weight W has rank ${ws.length} (shape [${ws.join(',')}]) but X has rank ${xs.length}; they must match`);
  const group = ctx.int('group');
  if (group < 1) ctx.failAttr(`attribute 'group' is ${group}; must be >= 1`);
  const rank = xs.length - 2;
  const n = xs[0];
  const c = layout === 'NCHW' ? xs[1] : xs[xs.length - 1];
  const inSpatial = spatialOf([...xs], layout);
  let m: Dim;
  if (!transposed) {
    const wc = ws[1];
    if (typeof c === 'number' && typeof wc === 'number' && c !== wc * group) {
      ctx.fail(`channel mismatch: X has ${c} channels but W expects W.shape[1] * group = ${wc} * ${group} = ${wc * group}`);
    }
    m = ws[0];
    if (typeof m === 'number' && m % group !== 0) ctx.fail(`W has ${m} output channels, not divisible by group ${group}`);
  } else {
    if (typeof c === 'number' && typeof ws[0] === 'number' && c !== ws[0]) {
      ctx.fail(`channel mismatch: X has ${c} channels but W (shape [${ws.join(',')}]) has ${ws[0]} input channels`);
    }
    const mg = ws[1];
    m = typeof mg === 'number' ? mg * group : group === 1 || !('unknownDim' in ctx) ? mg : ctx.unknownDim();
  }
  if (typeof c === 'number' && c % group !== 0) ctx.fail(`X has ${c} channels, not divisible by group ${group}`);
  let kernel: Dim[] = ws.slice(2);
  if (ctx.has('kernel_shape')) {
    const k = ctx.ints('kernel_shape');
    if (k.length !== rank) ctx.failAttr(`attribute 'kernel_shape' has ${k.length} values; ${rank} expected for ${rank} spatial dim${rank === 1 ? '' : 's'}`);
    k.forEach((v, i) => {
      const wd = kernel[i];
      if (typeof wd === 'number' && wd !== v) ctx.fail(`kernel_shape [${k.join(',')}] does not match the spatial dims [${kernel.join(',')}] of W`);
    });
    kernel = [...k];
  }
  kernel.forEach((k, i) => {
    if (typeof k === 'number' && k < 1) ctx.fail(`kernel spatial dim ${i} has size ${k}; must be >= 1`);
  });
  return { layout, group, n, c, m, inSpatial, kernel, spec: readWindowSpec(ctx, rank) };
}

/** Checks an optional per-output-channel vector (bias) has shape [M]. */
function checkChannelVector(ctx: OpContext, i: number, m: Dim, name: string): void {
  const t = ctx.inputs[i] as Tensor | TensorType | undefined;
  if (!t) return;
  const s = t.shape;
  if (s.length !== 1 || (typeof s[0] === 'number' && typeof m === 'number' && s[0] !== m)) {
    ctx.fail(`${name} has shape [${s.join(',')}]; expected [${m}] (one value per output channel)`);
  }
}

/** Checks a scale / zero-point input is a scalar ([] or [1]), or with `perChannel` also [M]. */
function checkQuantParam(ctx: OpContext, i: number, name: string, m: Dim | undefined): void {
  const t = ctx.inputs[i] as Tensor | TensorType | undefined;
  if (!t) return;
  const s = t.shape;
  const scalar = isPerTensorShape(s);
  const channel = m !== undefined && s.length === 1 && (typeof s[0] !== 'number' || typeof m !== 'number' || s[0] === m);
  if (!scalar && !channel) {
    ctx.fail(`${name} has shape [${s.join(',')}]; expected a scalar${m !== undefined ? ` or [${m}] (per output channel)` : ''}`);
  }
}

function outputShape(ctx: InferContext, info: ConvInfo, transposed: boolean): Dim[] {
  const spatial = transposed
    ? transposeShape(ctx, info.inSpatial, info.kernel, info.spec, readOutputPadding(ctx, info.inSpatial.length, info.spec), readOutputShape(ctx, info.inSpatial.length))
    : windowShape(ctx, info.inSpatial, info.kernel, info.spec, false);
  return activationShape(info.layout, info.n, info.m, spatial);
}

function readOutputPadding(ctx: OpContext, rank: number, spec: WindowSpec): number[] {
  if (!ctx.has('output_padding')) return new Array<number>(rank).fill(0);
  const p = ctx.ints('output_padding');
  if (p.length !== rank) ctx.failAttr(`attribute 'output_padding' has ${p.length} values; ${rank} expected`);
  p.forEach((v, i) => {
    const limit = Math.max(spec.strides[i], spec.dilations[i]);
    if (v < 0 || v >= limit) ctx.failAttr(`attribute 'output_padding' value ${i} is ${v}; must be in 0..${limit - 1} (below the stride or dilation)`);
  });
  return [...p];
}

/** output_shape: the spatial dims, or (as older exporters write it) the full [N, C, ...] shape. */
function readOutputShape(ctx: OpContext, rank: number): number[] | undefined {
  if (!ctx.has('output_shape')) return undefined;
  const s = ctx.ints('output_shape');
  if (s.length !== rank && s.length !== rank + 2) ctx.failAttr(`attribute 'output_shape' has ${s.length} values; ${rank} spatial dims expected`);
  const spatial = s.slice(s.length - rank);
  spatial.forEach((v, i) => {
    if (v < 0) ctx.failAttr(`attribute 'output_shape' value ${i} is ${v}; must be >= 0`);
  });
  return spatial;
}

// ------------------------------------------------------------------ accumulation

/** Static problem description for the accumulation loop. */
interface ConvProblem {
  readonly layout: Layout;
  readonly group: number;
  readonly n: number;
  readonly c: number;
  readonly m: number;
  readonly geometry: WindowGeometry;
  readonly transposed: boolean;
  readonly xShape: readonly number[];
  readonly yShape: readonly number[];
}

function staticProblem(ctx: RunContext, info: ConvInfo, x: Tensor, transposed: boolean): ConvProblem {
  const inSpatial = info.inSpatial as number[];
  const kernel = info.kernel as number[];
  const geometry = transposed
    ? transposeGeometry(ctx, inSpatial, kernel, info.spec, readOutputPadding(ctx, inSpatial.length, info.spec), readOutputShape(ctx, inSpatial.length))
    : windowGeometry(ctx, inSpatial, kernel, info.spec, false);
  const n = info.n as number;
  const m = info.m as number;
  return {
    layout: info.layout,
    group: info.group,
    n,
    c: info.c as number,
    m,
    geometry,
    transposed,
    xShape: x.shape,
    yShape: activationShape(info.layout, n, m, [...geometry.outSpatial]),
  };
}

/**
 * Runs the convolution sum for every output element and hands it to `emit(yIndex, channel, acc)`.
 * `xv`/`wv` are the input values (already shifted by zero points for the integer ops);
 * `wOffset(m, c)` is the start of the kernel of output channel m and group-local input channel c.
 * Accumulation is in float64 (exact for the integer ops' int32 range).
 */
function accumulate(p: ConvProblem, xv: ArrayLike<number>, wv: ArrayLike<number>, emit: (yIndex: number, m: number, acc: number) => void): void {
  const g = p.geometry;
  const xs = layoutStrides(p.xShape, p.layout);
  const ys = layoutStrides(p.yShape, p.layout);
  const taps = p.transposed ? transposeTaps(g, xs.spatial) : windowTaps(g, xs.spatial);
  const yOff = offsetTable(g.outSpatial, ys.spatial);
  const kSize = sizeOf(g.kernel);
  const cg = p.c / p.group;
  const mg = p.m / p.group;
  // Conv W: [M, C/group, k...]; ConvTranspose W: [C, M/group, k...].
  const wOffset = p.transposed
    ? (m: number, c: number) => ((Math.floor(m / mg) * cg + c) * mg + (m % mg)) * kSize
    : (m: number, c: number) => (m * cg + c) * kSize;
  for (let n = 0; n < p.n; n++) {
    for (let m = 0; m < p.m; m++) {
      const g0 = Math.floor(m / mg) * cg;
      for (let o = 0; o < taps.length; o++) {
        const tap = taps[o];
        let acc = 0;
        for (let c = 0; c < cg; c++) {
          const xBase = n * xs.n + (g0 + c) * xs.c;
          const wBase = wOffset(m, c);
          for (let t = 0; t < kSize; t++) {
            const off = tap[t];
            if (off >= 0) acc += xv[xBase + off] * wv[wBase + t];
          }
        }
        emit(n * ys.n + m * ys.c + yOff[o], m, acc);
      }
    }
  }
}

// ------------------------------------------------------------------ float Conv / ConvTranspose

function floatConvInfer(ctx: InferContext, transposed: boolean): TensorType[] {
  const layout = ctx.str('layout') as Layout;
  sameDType(ctx, 0, 1, ['X', 'W']);
  sameDType(ctx, 0, 2, ['X', 'B']);
  fusedActivationFn(ctx.str('activation'), ctx.floats('activation_params'));
  const info = analyzeConv(ctx, 0, 1, transposed, layout);
  checkChannelVector(ctx, 2, info.m, 'bias B');
  return [{ dtype: ctx.inputs[0]!.dtype, shape: outputShape(ctx, info, transposed) }];
}

function floatConvRun(ctx: RunContext, transposed: boolean): Tensor[] {
  const [x, w, b] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  const layout = ctx.str('layout') as Layout;
  sameDType(ctx, 0, 1, ['X', 'W']);
  sameDType(ctx, 0, 2, ['X', 'B']);
  const act = fusedActivationFn(ctx.str('activation'), ctx.floats('activation_params'));
  const info = analyzeConv(ctx, 0, 1, transposed, layout);
  checkChannelVector(ctx, 2, info.m, 'bias B');
  const p = staticProblem(ctx, info, x, transposed);
  const y = zeros(x.dtype, p.yShape);
  const yd = y.data as TypedArray;
  const bias = b ? b.toNumbers() : undefined;
  const round = floatRounder(x.dtype);
  // The activation sees the value rounded to the output dtype, as an unfused activation would.
  accumulate(p, x.toNumbers(), w.toNumbers(), (i, m, acc) => writeElement(x.dtype, yd, i, act(round(acc + (bias ? bias[m] : 0)))));
  return [y];
}

function convMacs(ctx: InferContext, outputs: readonly TensorType[], transposed: boolean): number {
  const layout = (ctx.attrs.layout ?? 'NCHW') as Layout;
  const xs = ctx.inputs[0]!.shape;
  const ws = ctx.inputs[1]!.shape;
  const ys = outputs[0].shape;
  if (!isStaticShape(xs) || !isStaticShape(ws) || !isStaticShape(ys)) return ctx.fail(`macs need static shapes, got X [${xs.join(',')}], W [${ws.join(',')}], Y [${ys.join(',')}]`);
  const kernel = sizeOf(ws.slice(2));
  // Every pair (output element, contributing input channel, kernel tap) is one MAC; for the
  // transposed op the roles of input and output swap.
  if (transposed) return xs[0] * sizeOf(spatialOf(xs, layout)) * ws[0] * ws[1] * kernel;
  return ys[0] * sizeOf(spatialOf(ys, layout)) * ws[0] * ws[1] * kernel;
}

const FLOAT_CONV_ATTRS: Readonly<Record<string, AttrSpec>> = {
  ...CONV_ATTRS,
  ...FUSED_ACTIVATION_ATTRS,
  layout: LAYOUT_ATTR,
};

const conv = defineOp({
  name: 'Conv',
  group: 'conv',
  tags: ['layout-sensitive'],
  since: 11,
  doc: 'N-d convolution (ONNX Conv) with groups, dilations, strides, pads/auto_pad and optional bias, plus a fused activation and an NCHW/NHWC activation layout (W stays [M, C/group, k...]).',
  inputs: [
    { name: 'X', type: 'T', doc: '[N, C, D1, ...] (NCHW) or [N, D1, ..., C] (NHWC)' },
    { name: 'W', type: 'T', doc: '[M, C/group, k1, ...]' },
    { name: 'B', type: 'T', optional: true, doc: '[M]' },
  ],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: FLOAT_CONV_ATTRS,
  infer: (ctx) => floatConvInfer(ctx, false),
  run: (ctx) => floatConvRun(ctx, false),
  macs: (ctx, outs) => convMacs(ctx, outs, false),
});

const convTranspose = defineOp({
  name: 'ConvTranspose',
  group: 'conv',
  tags: ['layout-sensitive'],
  since: 11,
  doc: 'N-d transposed convolution (ONNX ConvTranspose) with output_padding, output_shape, groups, dilations, strides, pads/auto_pad and optional bias, plus a fused activation and an NCHW/NHWC activation layout (W stays [C, M/group, k...]).',
  inputs: [
    { name: 'X', type: 'T', doc: '[N, C, D1, ...] (NCHW) or [N, D1, ..., C] (NHWC)' },
    { name: 'W', type: 'T', doc: '[C, M/group, k1, ...]' },
    { name: 'B', type: 'T', optional: true, doc: '[M]' },
  ],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: {
    ...FLOAT_CONV_ATTRS,
    output_padding: { type: 'ints', doc: 'extra output elements at the end of each spatial axis (default 0)' },
    output_shape: { type: 'ints', doc: 'spatial output shape; when set, pads are computed from it' },
  },
  infer: (ctx) => floatConvInfer(ctx, true),
  run: (ctx) => floatConvRun(ctx, true),
  macs: (ctx, outs) => convMacs(ctx, outs, true),
});

// ------------------------------------------------------------------ integer convolutions

/** A zero point input as per-output-channel numbers (scalar broadcast); 0 when absent. */
function zeroPoints(t: Tensor | undefined, m: number): number[] {
  if (!t) return new Array<number>(m).fill(0);
  const v = t.toNumbers();
  return v.length === 1 ? new Array<number>(m).fill(v[0]) : v;
}

/** Input values minus a per-tensor zero point. */
function shifted(t: Tensor, zp: number): Float64Array {
  const out = new Float64Array(t.size);
  for (let i = 0; i < t.size; i++) out[i] = t.get(i) - zp;
  return out;
}

/** W minus its zero point: per output channel for Conv-style W ([M, ...] leading axis). */
function shiftedWeights(w: Tensor, zps: readonly number[]): Float64Array {
  const out = new Float64Array(w.size);
  const per = w.size / (w.shape[0] || 1);
  for (let i = 0; i < w.size; i++) out[i] = w.get(i) - zps[Math.floor(i / per)];
  return out;
}

const convInteger = defineOp({
  name: 'ConvInteger',
  group: 'quant',
  since: 10,
  doc: 'Integer convolution (ONNX ConvInteger): sum((x - x_zero_point) * (w - w_zero_point)) in int32; w_zero_point may be per output channel.',
  inputs: [
    { name: 'x', type: 'T1', doc: '[N, C, D1, ...]' },
    { name: 'w', type: 'T2', doc: '[M, C/group, k1, ...]' },
    { name: 'x_zero_point', type: 'T1', optional: true, doc: 'scalar' },
    { name: 'w_zero_point', type: 'T2', optional: true, doc: 'scalar or [M]' },
  ],
  outputs: [{ name: 'y', type: 'T3' }],
  types: { T1: Q8, T2: Q8, T3: ['int32'] },
  attrs: CONV_ATTRS,
  infer(ctx) {
    sameDType(ctx, 0, 2, ['x', 'x_zero_point']);
    sameDType(ctx, 1, 3, ['w', 'w_zero_point']);
    const info = analyzeConv(ctx, 0, 1, false, 'NCHW');
    checkQuantParam(ctx, 2, 'x_zero_point', undefined);
    checkQuantParam(ctx, 3, 'w_zero_point', info.m);
    return [{ dtype: 'int32', shape: outputShape(ctx, info, false) }];
  },
  run(ctx) {
    const [x, w, xzp, wzp] = ctx.inputs as [Tensor, Tensor, Tensor | undefined, Tensor | undefined];
    sameDType(ctx, 0, 2, ['x', 'x_zero_point']);
    sameDType(ctx, 1, 3, ['w', 'w_zero_point']);
    const info = analyzeConv(ctx, 0, 1, false, 'NCHW');
    checkQuantParam(ctx, 2, 'x_zero_point', undefined);
    checkQuantParam(ctx, 3, 'w_zero_point', info.m);
    const p = staticProblem(ctx, info, x, false);
    const y = zeros('int32', p.yShape);
    const yd = y.data as Int32Array;
    const xv = shifted(x, xzp ? xzp.get(0) : 0);
    const wv = shiftedWeights(w, zeroPoints(wzp, p.m));
    // Int32Array stores wrap modulo 2^32, as int32 accumulation would.
    accumulate(p, xv, wv, (i, _m, acc) => (yd[i] = acc));
    return [y];
  },
  macs: (ctx, outs) => convMacs(ctx, outs, false),
});

const QLINEAR_ACTIVATIONS = ['none', 'Relu', 'Clip'] as const;

/**
 * The quantized-domain clamp of QLinearConv's fused activation: Relu clamps at y_zero_point,
 * Clip [lo, hi] at y_zp + round(lo / y_scale) .. y_zp + round(hi / y_scale) (float32 division,
 * ties to even, as QuantizeLinear); both intersected with the output dtype's range.
 */
export function quantizedActivationRange(ctx: OpContext, act: string, params: readonly number[], yScale: number, yZero: number, dtype: DType): { lo: number; hi: number } {
  const { qmin, qmax } = quantRange(dtype);
  const q = (v: number) => (Number.isFinite(v) ? yZero + roundHalfEven(Math.fround(Math.fround(v) / Math.fround(yScale))) : v);
  switch (act) {
    case 'none':
      if (params.length) ctx.failAttr(`activation none takes no activation_params, got ${params.length}`);
      return { lo: qmin, hi: qmax };
    case 'Relu':
      if (params.length) ctx.failAttr(`activation Relu takes no activation_params, got ${params.length}`);
      return { lo: Math.max(qmin, yZero), hi: qmax };
    default: {
      const [a, b] = params.length ? params : [-Infinity, Infinity];
      if (params.length && params.length !== 2) ctx.failAttr(`activation Clip takes 2 activation_params [min, max], got ${params.length}`);
      if (!(a <= b)) ctx.failAttr(`activation Clip has min ${a} > max ${b}`);
      return { lo: Math.max(qmin, q(a)), hi: Math.min(qmax, q(b)) };
    }
  }
}

function qlinearChecks(ctx: OpContext): ConvInfo {
  sameDType(ctx, 0, 2, ['x', 'x_zero_point']);
  sameDType(ctx, 3, 5, ['w', 'w_zero_point']);
  const info = analyzeConv(ctx, 0, 3, false, ctx.str('layout') as Layout);
  checkQuantParam(ctx, 1, 'x_scale', undefined);
  checkQuantParam(ctx, 2, 'x_zero_point', undefined);
  checkQuantParam(ctx, 4, 'w_scale', info.m);
  checkQuantParam(ctx, 5, 'w_zero_point', info.m);
  checkQuantParam(ctx, 6, 'y_scale', undefined);
  checkQuantParam(ctx, 7, 'y_zero_point', undefined);
  checkChannelVector(ctx, 8, info.m, 'bias B');
  return info;
}

const qlinearConv = defineOp({
  name: 'QLinearConv',
  group: 'quant',
  tags: ['layout-sensitive'],
  since: 10,
  doc: "Quantized convolution (ONNX QLinearConv): int32 accumulation of (x - x_zp) * (w - w_zp) + B, requantized by x_scale * w_scale / y_scale (per tensor or per output channel) to y_zero_point's dtype. IR extensions: requant 'float' (ONNX, float32 multiplier, ties to even) or 'fixed-point' (TFLite Q31 multiplier and shift), a quantized-domain activation clamp (Relu / Clip) and an NCHW/NHWC layout.",
  inputs: [
    { name: 'x', type: 'T1', doc: '[N, C, D1, ...] (NCHW) or [N, D1, ..., C] (NHWC)' },
    { name: 'x_scale', type: ['float32'], doc: 'scalar' },
    { name: 'x_zero_point', type: 'T1', doc: 'scalar' },
    { name: 'w', type: 'T2', doc: '[M, C/group, k1, ...]' },
    { name: 'w_scale', type: ['float32'], doc: 'scalar or [M]' },
    { name: 'w_zero_point', type: 'T2', doc: 'scalar or [M]' },
    { name: 'y_scale', type: ['float32'], doc: 'scalar' },
    { name: 'y_zero_point', type: 'T3', doc: 'scalar; its dtype is the output dtype' },
    { name: 'B', type: 'T4', optional: true, doc: '[M], in units of x_scale * w_scale' },
  ],
  outputs: [{ name: 'y', type: 'T3' }],
  types: { T1: Q8, T2: Q8, T3: Q8, T4: ['int32'] },
  attrs: {
    ...CONV_ATTRS,
    layout: LAYOUT_ATTR,
    requant: { type: 'string', default: 'float', values: REQUANT_MODES, doc: "'float': ONNX (acc * float32 multiplier, ties to even); 'fixed-point': TFLite (Q31 multiplier and shift)" },
    activation: { type: 'string', default: 'none', values: QLINEAR_ACTIVATIONS, doc: 'activation applied as a clamp in the quantized domain' },
    activation_params: { type: 'floats', default: [], doc: 'Clip: [min, max] (real values); others: none' },
  },
  infer(ctx) {
    const info = qlinearChecks(ctx);
    const act = ctx.str('activation');
    const params = ctx.floats('activation_params');
    if (act !== 'Clip' && params.length) ctx.failAttr(`activation ${act} takes no activation_params, got ${params.length}`);
    if (act === 'Clip' && params.length && params.length !== 2) ctx.failAttr(`activation Clip takes 2 activation_params [min, max], got ${params.length}`);
    return [{ dtype: ctx.inputs[7]!.dtype, shape: outputShape(ctx, info, false) }];
  },
  run(ctx) {
    const [x, xScale, xZero, w, wScale, wZero, yScale, yZero, b] = ctx.inputs as Tensor[];
    const info = qlinearChecks(ctx);
    const p = staticProblem(ctx, info, x, false);
    const outType = yZero.dtype;
    const mode = ctx.str('requant') as RequantMode;
    const ys = yScale.get(0);
    const yz = yZero.get(0);
    const { lo, hi } = quantizedActivationRange(ctx, ctx.str('activation'), ctx.floats('activation_params'), ys, yz, outType);
    const xs = xScale.get(0);
    const wScales = wScale.size === 1 ? new Array<number>(p.m).fill(wScale.get(0)) : wScale.toNumbers();
    // ONNX computes the multiplier in float32; TFLite derives its fixed-point multiplier from doubles.
    const multipliers = wScales.map((s) => (mode === 'float' ? Math.fround(Math.fround(xs * s) / ys) : (xs * s) / ys));
    const bias = b ? b.toNumbers() : undefined;
    const y = zeros(outType, p.yShape);
    const yd = y.data as TypedArray;
    const xv = shifted(x, xZero.get(0));
    const wv = shiftedWeights(w, zeroPoints(wZero, p.m));
    accumulate(p, xv, wv, (i, m, acc) => {
      writeElement(outType, yd, i, requantize(acc + (bias ? bias[m] : 0), multipliers[m], yz, lo, hi, mode));
    });
    return [y];
  },
  macs: (ctx, outs) => {
    // Same MAC count as Conv, with W at input 3.
    const layout = ctx.str('layout') as Layout;
    const ws = ctx.inputs[3]!.shape;
    const ys = outs[0].shape;
    if (!isStaticShape(ws) || !isStaticShape(ys)) return ctx.fail(`macs need static shapes, got W [${ws.join(',')}], Y [${ys.join(',')}]`);
    return ys[0] * sizeOf(spatialOf(ys, layout)) * ws[0] * ws[1] * sizeOf(ws.slice(2));
  },
});

/** Ops of this family. */
export const convOps: readonly OpSchema[] = [conv, convTranspose, convInteger, qlinearConv];
