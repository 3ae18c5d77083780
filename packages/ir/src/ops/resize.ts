/**
 * Resize (ONNX opset 19): nearest, n-linear and n-cubic interpolation over any subset of axes,
 * with every coordinate transformation mode, scales or sizes (with keep_aspect_ratio_policy),
 * tf_crop_and_resize regions and antialiasing. Interpolation is separable: each output element is
 * the sum over the per-axis taps of the product of their weights times the input element, in
 * float64; integer outputs are rounded half to even and saturated (as the ONNX reference does).
 */
import { NUMERIC_TYPES, allocate, dtypeInfo, type DType, type TypedArray } from '../core/dtype.js';
import { roundHalfEven } from '../core/quant.js';
import { formatShape, isStaticShape, sizeOf, stridesOf, type Dim } from '../core/shape.js';
import { Tensor, readElement, writeElement } from '../core/tensor.js';
import { axesIn } from './axes.js';
import { freshDim, inputAt, known, type OpContext } from './context.js';
import { forEachIndex, remap } from './elements.js';
import { intRange } from './integers.js';
import { movedQuant, typeOf } from './output-types.js';
import { defineOp, type OpSchema } from './schema.js';

const MODES = ['nearest', 'linear', 'cubic'] as const;
const COORDINATE_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize'] as const;
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
const POLICIES = ['stretch', 'not_larger', 'not_smaller'] as const;
const RESIZE_TYPES: readonly DType[] = [...NUMERIC_TYPES, 'int4', 'uint4'];

interface ResizePlan {
  shape: Dim[];
  /** Resized axes, in the order scales/sizes/roi list them. */
  axes: number[];
  /** Scale per dimension (1 for axes not resized); NaN when unknown during inference. */
  scale: number[];
}

function resizeAxes(ctx: OpContext, rank: number): number[] {
  if (!ctx.has('axes')) return Array.from({ length: rank }, (_, i) => i);
  return axesIn(ctx, ctx.ints('axes'), rank, 'axes', ctx.failAttr);
}

/** An optional input counts as given when present and not an empty tensor. */
function given(ctx: OpContext, i: number): boolean {
  const t = ctx.inputs[i];
  return !!t && !(isStaticShape(t.shape) && sizeOf(t.shape) === 0);
}

function resizePlan(ctx: OpContext): ResizePlan {
  const s = inputAt(ctx, 0).shape;
  const r = s.length;
  const axes = resizeAxes(ctx, r);
  const n = axes.length;
  const fresh = freshDim(ctx);
  const plan: ResizePlan = { shape: [...s], axes, scale: new Array<number>(r).fill(1) };
  const hasScales = given(ctx, 2);
  const hasSizes = given(ctx, 3);
  if (hasScales === hasSizes) ctx.fail(hasScales ? "give either 'scales' or 'sizes', not both" : "one of 'scales' and 'sizes' is required");
  const unknown = () => {
    for (const a of axes) {
      plan.shape[a] = fresh();
      plan.scale[a] = NaN;
    }
    return plan;
  };
  const valuesT = known(ctx, hasScales ? 2 : 3);
  if (!valuesT) return unknown();
  const values = valuesT.toNumbers();
  if (values.length !== n) ctx.fail(`${hasScales ? 'scales' : 'sizes'} has ${values.length} entries for ${n} resized axes`);
  if (hasScales) {
    axes.forEach((a, i) => {
      const sc = values[i];
      if (!(sc > 0)) ctx.fail(`scales entry ${i} is ${sc}; scales must be > 0`);
      const d = s[a];
      plan.scale[a] = sc;
      // float32 product as ONNX shape inference and onnxruntime compute it
      plan.shape[a] = typeof d === 'number' ? Math.floor(Math.fround(d * sc)) : sc === 1 ? d : fresh();
    });
    return plan;
  }
  if (values.some((v) => !Number.isInteger(v) || v < 0)) ctx.fail(`sizes [${values.join(',')}] has a negative entry`);
  const policy = ctx.str('keep_aspect_ratio_policy');
  if (policy === 'stretch') {
    axes.forEach((a, i) => {
      const d = s[a];
      plan.shape[a] = values[i];
      plan.scale[a] = typeof d === 'number' ? values[i] / d : NaN;
    });
    return plan;
  }
  if (axes.some((a) => typeof s[a] !== 'number')) return unknown();
  const ratios = axes.map((a, i) => values[i] / (s[a] as number));
  const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  for (const a of axes) {
    plan.scale[a] = scale;
    plan.shape[a] = Math.floor(scale * (s[a] as number) + 0.5); // round half up
  }
  return plan;
}

// ------------------------------------------------------------------ coordinates and taps

/** x_original for output coordinate o of an axis (input length L, output O, scale s, roi [b, e]). */
function originalCoordinate(mode: string, o: number, L: number, O: number, s: number, roi: readonly [number, number]): number {
  // ONNX: output_width is the fractional target length scale * L; output_width_int is O.
  const ow = s * L;
  switch (mode) {
    case 'half_pixel':
      return (o + 0.5) / s - 0.5;
    case 'half_pixel_symmetric': {
      const offset = (L / 2) * (1 - O / ow);
      return offset + (o + 0.5) / s - 0.5;
    }
    case 'pytorch_half_pixel':
      return ow > 1 ? (o + 0.5) / s - 0.5 : 0;
    case 'align_corners':
      return ow === 1 ? 0 : (o * (L - 1)) / (ow - 1);
    case 'asymmetric':
      return o / s;
    default: {
      const [b, e] = roi;
      return ow === 1 ? ((e - b) * (L - 1)) / 2 + b * (L - 1) : (o * (e - b) * (L - 1)) / (ow - 1) + b * (L - 1);
    }
  }
}

function nearestIndex(x: number, mode: string): number {
  if (Number.isInteger(x)) return x;
  const f = Math.floor(x);
  const ratio = x - f;
  switch (mode) {
    case 'floor':
      return f;
    case 'ceil':
      return f + 1;
    case 'round_prefer_ceil':
      return ratio < 0.5 ? f : f + 1;
    default:
      return ratio <= 0.5 ? f : f + 1;
  }
}

/** Keys cubic convolution kernel with coefficient A. */
function cubicKernel(x: number, A: number): number {
  const t = Math.abs(x);
  if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
  if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
  return 0;
}

interface Taps {
  idx: number[];
  w: number[];
}

interface TapOptions {
  mode: string;
  nearestMode: string;
  A: number;
  antialias: boolean;
  excludeOutside: boolean;
}

/**
 * Input indices and weights around x (length L, scale s). The window starts left of x: an
 * integer x counts as the right end of the cell [x-1, x] (ratio 1), as in the ONNX reference.
 */
function tapsAt(x: number, L: number, s: number, o: TapOptions): Taps {
  const clampIdx = (i: number) => Math.min(Math.max(i, 0), L - 1);
  if (o.mode === 'nearest') return { idx: [clampIdx(nearestIndex(x, o.nearestMode))], w: [1] };
  let base = Math.floor(x);
  let ratio = x - base;
  if (ratio === 0) {
    ratio = 1;
    base -= 1;
  }
  const offs: number[] = [];
  const w: number[] = [];
  // Antialiasing stretches the kernel by 1/scale when downsampling.
  const ss = o.antialias ? Math.min(s, 1) : 1;
  if (o.mode === 'linear') {
    const start = o.antialias ? Math.floor(-1 / ss) + 1 : 0;
    const n = 2 - 2 * start;
    for (let k = start; k < start + n; k++) {
      offs.push(k);
      w.push(Math.min(Math.max(1 - Math.abs((k - ratio) * ss), 0), 1));
    }
  } else {
    const start = o.antialias ? Math.floor(-2 / ss) + 1 : -1;
    for (let k = start; k < 2 - start; k++) {
      offs.push(k);
      w.push(cubicKernel(ss * (k - ratio), o.A));
    }
  }
  const normalize = () => {
    const sum = w.reduce((a, b) => a + b, 0);
    if (sum !== 0) for (let i = 0; i < w.length; i++) w[i] /= sum;
  };
  if (o.antialias) normalize();
  if (o.excludeOutside) {
    offs.forEach((k, i) => {
      const j = base + k;
      if (j < 0 || j >= L) w[i] = 0;
    });
    normalize();
  }
  const taps: Taps = { idx: [], w: [] };
  offs.forEach((k, i) => {
    // Zero-weight taps are skipped so that far-away NaN/Inf elements do not leak in.
    if (w[i] === 0) return;
    taps.idx.push(clampIdx(base + k));
    taps.w.push(w[i]);
  });
  return taps;
}

/** Converts a float64 result to `dtype`: integers round half to even and saturate. */
function writeResult(dtype: DType, data: TypedArray, i: number, v: number): void {
  const info = dtypeInfo(dtype);
  if (info.kind === 'float') {
    writeElement(dtype, data, i, v);
    return;
  }
  if (Number.isNaN(v)) v = 0;
  const q = roundHalfEven(v);
  if (info.big) {
    const { min: lo, max: hi } = intRange(dtype);
    let b = Number.isFinite(q) ? BigInt(q) : q > 0 ? hi : lo;
    b = b < lo ? lo : b > hi ? hi : b;
    (data as BigInt64Array)[i] = b;
    return;
  }
  writeElement(dtype, data, i, Math.min(Math.max(q, info.min), info.max));
}

// ------------------------------------------------------------------ the op

function runResize(ctx: OpContext & { inputs: readonly (Tensor | undefined)[] }): Tensor {
  const x = ctx.inputs[0]!;
  const plan = resizePlan(ctx);
  const shape = plan.shape as number[];
  const mode = ctx.str('mode');
  const ctm = ctx.str('coordinate_transformation_mode');
  const antialias = ctx.int('antialias') === 1;
  if (antialias && mode === 'nearest') ctx.failAttr("antialias applies to the 'linear' and 'cubic' modes only");
  const r = x.rank;
  const roi: [number, number][] = x.shape.map(() => [0, 1]);
  if (ctm === 'tf_crop_and_resize') {
    if (!given(ctx, 1)) ctx.fail("coordinate_transformation_mode 'tf_crop_and_resize' needs the roi input");
    const v = ctx.inputs[1]!.toNumbers();
    const n = plan.axes.length;
    if (v.length !== 2 * n) ctx.fail(`roi has ${v.length} entries; ${2 * n} are needed (starts and ends of ${n} axes)`);
    plan.axes.forEach((a, i) => {
      roi[a] = [v[i], v[i + n]];
    });
  }
  const opts: TapOptions = {
    mode,
    nearestMode: ctx.str('nearest_mode'),
    A: ctx.float('cubic_coeff_a'),
    antialias,
    excludeOutside: ctx.int('exclude_outside') === 1,
  };
  // Per axis and output coordinate: the taps, or null where tf_crop_and_resize extrapolates.
  const taps: (Taps | null)[][] = shape.map((O, a) => {
    const L = x.shape[a];
    const s = plan.scale[a];
    const identity = !plan.axes.includes(a) || (Math.abs(s - 1) <= 1e-12 && O === L && roi[a][0] === 0 && roi[a][1] === 1);
    if (O > 0 && L === 0) ctx.fail(`cannot resize axis ${a} from 0 to ${O} elements`);
    return Array.from({ length: O }, (_, o) => {
      if (identity) return { idx: [o], w: [1] };
      const xo = originalCoordinate(ctm, o, L, O, s, roi[a]);
      if (ctm === 'tf_crop_and_resize' && (xo < 0 || xo > L - 1)) return null;
      return tapsAt(xo, L, s, opts);
    });
  });
  const st = stridesOf(x.shape);
  const extrapolation = ctx.float('extrapolation_value');
  if (mode === 'nearest') {
    // Copy elements bit for bit (exact for int64); extrapolated points take the fill value.
    const fillData = allocate(x.dtype, 1);
    writeResult(x.dtype, fillData as TypedArray, 0, extrapolation);
    const fill = { tensor: new Tensor(x.dtype, [1], fillData), index: 0 };
    return remap(
      x,
      shape,
      (idx) => {
        let src = 0;
        for (let a = 0; a < r; a++) {
          const t = taps[a][idx[a]];
          if (!t) return -1;
          src += t.idx[0] * st[a];
        }
        return src;
      },
      fill,
      movedQuant(x),
    );
  }
  const vals = new Float64Array(x.size);
  for (let i = 0; i < x.size; i++) vals[i] = readElement(x.dtype, x.data as TypedArray, i);
  const out = allocate(x.dtype, sizeOf(shape));
  const cur: Taps[] = new Array(r);
  forEachIndex(shape, (idx, flat) => {
    for (let a = 0; a < r; a++) {
      const t = taps[a][idx[a]];
      if (!t) {
        writeResult(x.dtype, out as TypedArray, flat, extrapolation);
        return;
      }
      cur[a] = t;
    }
    const acc = (a: number, offset: number, weight: number): number => {
      if (a === r) return weight * vals[offset];
      const t = cur[a];
      let sum = 0;
      for (let k = 0; k < t.idx.length; k++) sum += acc(a + 1, offset + t.idx[k] * st[a], weight * t.w[k]);
      return sum;
    };
    writeResult(x.dtype, out as TypedArray, flat, acc(0, 0, 1));
  });
  return new Tensor(x.dtype, shape, out);
}

const resize = defineOp({
  name: 'Resize',
  group: 'resize',
  since: 19,
  doc: 'Resizes by scales (output = floor(input * scale)) or to sizes (keep_aspect_ratio_policy stretch/not_larger/not_smaller) over all axes or the axes attribute, with nearest, n-linear or n-cubic interpolation and the ONNX coordinate transformation modes. Integer outputs round half to even and saturate.',
  inputs: [
    { name: 'X', type: 'T1' },
    { name: 'roi', type: 'T2', optional: true },
    { name: 'scales', type: ['float32'], optional: true },
    { name: 'sizes', type: ['int64'], optional: true },
  ],
  outputs: [{ name: 'Y', type: 'T1' }],
  types: { T1: RESIZE_TYPES, T2: ['float16', 'float32', 'float64'] },
  attrs: {
    antialias: { type: 'int', default: 0, values: [0, 1], doc: 'Stretch linear/cubic kernels by 1/scale when downsampling.' },
    axes: { type: 'ints', doc: 'Axes that roi, scales and sizes refer to; default all.' },
    coordinate_transformation_mode: { type: 'string', default: 'half_pixel', values: COORDINATE_MODES },
    cubic_coeff_a: { type: 'float', default: -0.75 },
    exclude_outside: { type: 'int', default: 0, values: [0, 1] },
    extrapolation_value: { type: 'float', default: 0 },
    keep_aspect_ratio_policy: { type: 'string', default: 'stretch', values: POLICIES },
    mode: { type: 'string', default: 'nearest', values: MODES },
    nearest_mode: { type: 'string', default: 'round_prefer_floor', values: NEAREST_MODES },
  },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const plan = resizePlan(ctx);
    if (ctx.int('antialias') === 1 && ctx.str('mode') === 'nearest') ctx.failAttr("antialias applies to the 'linear' and 'cubic' modes only");
    const roi = ctx.inputs[1];
    if (ctx.str('coordinate_transformation_mode') === 'tf_crop_and_resize' && !roi) ctx.fail("coordinate_transformation_mode 'tf_crop_and_resize' needs the roi input");
    if (roi && roi.shape.length !== 1) ctx.fail(`roi must be 1-D, got shape ${formatShape(roi.shape)}`);
    return [typeOf(x.dtype, plan.shape, ctx.str('mode') === 'nearest' ? movedQuant(x) : undefined)];
  },
  run: (ctx) => [runResize(ctx)],
});

/** Ops of this family. */
export const resizeOps: readonly OpSchema[] = [resize];
