/**
 * Window geometry shared by convolution and pooling: padding rules (explicit pads and auto_pad),
 * output sizes (floor or ceil), the NCHW / NHWC layouts, and tables of the input offsets that each
 * output position reads. Everything here works per spatial axis, so 1-D, 2-D, 3-D and higher
 * windows share one code path.
 */
import { sizeOf, stridesOf, type Dim, type StaticShape } from '../core/shape.js';
import type { OpContext } from './context.js';
import { forEachIndex } from './elements.js';
import type { AttrSpec, InferContext } from './schema.js';

export const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
export type AutoPad = (typeof AUTO_PADS)[number];

/** Activation layouts: channels second (ONNX) or channels last. */
export const LAYOUTS = ['NCHW', 'NHWC'] as const;
export type Layout = (typeof LAYOUTS)[number];

export const LAYOUT_ATTR: AttrSpec = Object.freeze({
  type: 'string',
  default: 'NCHW',
  values: LAYOUTS,
  doc: "layout of the activations: 'NCHW' ([N, C, D1, ...], ONNX) or 'NHWC' ([N, D1, ..., C]); weights keep the ONNX layout",
});

/** strides / dilations / pads / auto_pad, as Conv and the pools declare them. */
export const WINDOW_ATTRS: Readonly<Record<string, AttrSpec>> = Object.freeze({
  auto_pad: { type: 'string', default: 'NOTSET', values: AUTO_PADS, doc: 'NOTSET uses pads; SAME_UPPER/SAME_LOWER pad so that out = ceil(in / stride) (odd padding goes to the end / the start); VALID pads nothing' },
  dilations: { type: 'ints', doc: 'dilation per spatial axis (default 1)' },
  pads: { type: 'ints', doc: '[x1_begin, x2_begin, ..., x1_end, x2_end, ...] (default 0); ignored unless auto_pad is NOTSET' },
  strides: { type: 'ints', doc: 'stride per spatial axis (default 1)' },
});

// ------------------------------------------------------------------ layout

/** Axis that holds the channels in a tensor of rank `rank`. */
export function channelAxis(layout: Layout, rank: number): number {
  return layout === 'NCHW' ? 1 : rank - 1;
}

/** The spatial dims of an activation shape. */
export function spatialOf<D extends Dim>(shape: readonly D[], layout: Layout): D[] {
  return layout === 'NCHW' ? shape.slice(2) : shape.slice(1, shape.length - 1);
}

/** Builds an activation shape from batch, channels and spatial dims. */
export function activationShape<D extends Dim>(layout: Layout, n: D, c: D, spatial: readonly D[]): D[] {
  return layout === 'NCHW' ? [n, c, ...spatial] : [n, ...spatial, c];
}

/** Element strides of the batch, channel and spatial axes of a tensor stored in `layout`. */
export interface LayoutStrides {
  readonly n: number;
  readonly c: number;
  readonly spatial: number[];
}

export function layoutStrides(shape: StaticShape, layout: Layout): LayoutStrides {
  const s = stridesOf(shape);
  const c = channelAxis(layout, shape.length);
  return { n: s[0], c: s[c], spatial: spatialOf(s, layout) };
}

/** Row-major strides of a spatial shape (storage_order 0). */
export function rowMajorStrides(spatial: readonly number[]): number[] {
  return stridesOf(spatial);
}

/** Column-major strides of a spatial shape (first axis fastest; MaxPool storage_order 1). */
export function columnMajorStrides(spatial: readonly number[]): number[] {
  const s = new Array<number>(spatial.length);
  let acc = 1;
  for (let i = 0; i < spatial.length; i++) {
    s[i] = acc;
    acc *= spatial[i];
  }
  return s;
}

/** For every row-major flat index of `shape`, the offset of that position under `strides`. */
export function offsetTable(shape: readonly number[], strides: readonly number[]): Int32Array {
  const out = new Int32Array(sizeOf(shape));
  forEachIndex(shape, (idx, i) => {
    let off = 0;
    for (let a = 0; a < shape.length; a++) off += idx[a] * strides[a];
    out[i] = off;
  });
  return out;
}

// ------------------------------------------------------------------ attributes

/** The window attributes of one node, checked and with defaults filled in. */
export interface WindowSpec {
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Explicit pads [begin..., end...]; zeros when unset. Used only with auto_pad NOTSET. */
  readonly pads: readonly number[];
  readonly autoPad: AutoPad;
}

function intsOr(ctx: OpContext, name: string, n: number, fill: number, min: number): number[] {
  const want = name === 'pads' ? 2 * n : n;
  if (!ctx.has(name)) return new Array<number>(want).fill(fill);
  const v = ctx.ints(name);
  if (v.length !== want) ctx.failAttr(`attribute '${name}' has ${v.length} values; ${want} expected for ${n} spatial dim${n === 1 ? '' : 's'}`);
  v.forEach((x, i) => {
    if (x < min) ctx.failAttr(`attribute '${name}' value ${i} is ${x}; must be >= ${min}`);
  });
  return [...v];
}

/** Reads strides, dilations, pads and auto_pad for `rank` spatial dims (AttributeError when invalid). */
export function readWindowSpec(ctx: OpContext, rank: number, opts: { dilations?: boolean } = {}): WindowSpec {
  return {
    strides: intsOr(ctx, 'strides', rank, 1, 1),
    dilations: opts.dilations === false ? new Array<number>(rank).fill(1) : intsOr(ctx, 'dilations', rank, 1, 1),
    pads: intsOr(ctx, 'pads', rank, 0, 0),
    autoPad: ctx.str('auto_pad') as AutoPad,
  };
}

/** Reads a kernel_shape attribute of `rank` positive values. */
export function readKernelShape(ctx: OpContext, rank: number): number[] {
  const k = ctx.ints('kernel_shape');
  if (k.length !== rank) ctx.failAttr(`attribute 'kernel_shape' has ${k.length} values; ${rank} expected for ${rank} spatial dim${rank === 1 ? '' : 's'}`);
  k.forEach((x, i) => {
    if (x < 1) ctx.failAttr(`attribute 'kernel_shape' value ${i} is ${x}; must be >= 1`);
  });
  return [...k];
}

// ------------------------------------------------------------------ output sizes

/** Output size and the padding actually applied on one spatial axis. */
export interface AxisGeometry {
  readonly out: number;
  readonly padBegin: number;
  readonly padEnd: number;
}

const extent = (k: number, d: number) => (k - 1) * d + 1;

/**
 * Geometry of one axis of a sliding window (Conv, pools). Explicit pads use floor (or ceil with
 * `ceilMode`, dropping a last window that would start in the end padding); SAME_* gives
 * ceil(in / stride) outputs; VALID pads nothing.
 */
export function windowAxis(ctx: OpContext, axis: number, inSize: number, kernel: number, spec: WindowSpec, ceilMode: boolean): AxisGeometry {
  const rank = spec.strides.length;
  const s = spec.strides[axis];
  const ek = extent(kernel, spec.dilations[axis]);
  switch (spec.autoPad) {
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const out = Math.ceil(inSize / s);
      const total = Math.max(0, (out - 1) * s + ek - inSize);
      const small = Math.floor(total / 2);
      const padBegin = spec.autoPad === 'SAME_UPPER' ? small : total - small;
      return { out, padBegin, padEnd: total - padBegin };
    }
    case 'VALID': {
      if (inSize < ek) ctx.fail(`spatial dim ${axis} has size ${inSize}, smaller than the kernel extent ${ek} (auto_pad VALID)`);
      return { out: Math.floor((inSize - ek) / s) + 1, padBegin: 0, padEnd: 0 };
    }
    default: {
      const padBegin = spec.pads[axis];
      const padEnd = spec.pads[axis + rank];
      const span = inSize + padBegin + padEnd - ek;
      if (span < 0) ctx.fail(`spatial dim ${axis} has size ${inSize} (padded ${inSize + padBegin + padEnd}), smaller than the kernel extent ${ek}`);
      let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
      // A last window that would start inside the end padding is dropped (ONNX, PyTorch).
      if (ceilMode && (out - 1) * s >= inSize + padBegin) out--;
      return { out, padBegin, padEnd };
    }
  }
}

/** Static window geometry of all spatial axes. */
export interface WindowGeometry {
  readonly inSpatial: readonly number[];
  readonly outSpatial: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padsBegin: readonly number[];
  readonly padsEnd: readonly number[];
}

/** Collects per-axis geometries into a WindowGeometry. */
function geometryOf(inSpatial: readonly number[], kernel: readonly number[], spec: WindowSpec, axes: readonly AxisGeometry[]): WindowGeometry {
  return {
    inSpatial,
    outSpatial: axes.map((a) => a.out),
    kernel,
    strides: spec.strides,
    dilations: spec.dilations,
    padsBegin: axes.map((a) => a.padBegin),
    padsEnd: axes.map((a) => a.padEnd),
  };
}

export function windowGeometry(ctx: OpContext, inSpatial: readonly number[], kernel: readonly number[], spec: WindowSpec, ceilMode: boolean): WindowGeometry {
  return geometryOf(inSpatial, kernel, spec, inSpatial.map((d, i) => windowAxis(ctx, i, d, kernel[i], spec, ceilMode)));
}

/**
 * Output spatial dims for inference. A symbolic input dim passes through when the window maps
 * sizes onto themselves (stride 1 and SAME, or stride 1 with pads filling the kernel extent);
 * otherwise it becomes a fresh unknown dim. Symbolic kernel dims also give unknown dims.
 */
export function windowShape(ctx: InferContext, inSpatial: readonly Dim[], kernel: readonly Dim[], spec: WindowSpec, ceilMode: boolean): Dim[] {
  const rank = inSpatial.length;
  return inSpatial.map((d, i) => {
    const k = kernel[i];
    if (typeof k !== 'number') return ctx.unknownDim();
    if (typeof d === 'number') return windowAxis(ctx, i, d, k, spec, ceilMode).out;
    const s = spec.strides[i];
    const ek = extent(k, spec.dilations[i]);
    if (s !== 1) return ctx.unknownDim();
    if (spec.autoPad === 'SAME_UPPER' || spec.autoPad === 'SAME_LOWER') return d;
    const padded = spec.autoPad === 'VALID' ? 0 : spec.pads[i] + spec.pads[i + rank];
    return padded === ek - 1 ? d : ctx.unknownDim();
  });
}

/**
 * Geometry of one axis of a transposed convolution (ONNX ConvTranspose): with `outputShape` or
 * SAME_* the pads come from total_padding = stride*(in-1) + output_padding + extent - out
 * (SAME_UPPER puts the odd unit at the end, the others at the start). A negative total (an
 * output larger than the convolution reaches) pads nothing at the start: the extra outputs are at
 * the end, like output_padding.
 */
export function transposeAxis(ctx: OpContext, axis: number, inSize: number, kernel: number, spec: WindowSpec, outputPadding: number, outputShape: number | undefined): AxisGeometry {
  const rank = spec.strides.length;
  const s = spec.strides[axis];
  const full = s * (inSize - 1) + outputPadding + extent(kernel, spec.dilations[axis]);
  const same = spec.autoPad === 'SAME_UPPER' || spec.autoPad === 'SAME_LOWER';
  let out: number;
  let padBegin: number;
  if (outputShape !== undefined || same) {
    out = outputShape ?? inSize * s;
    const total = full - out;
    const half = Math.floor(total / 2);
    padBegin = total < 0 ? 0 : spec.autoPad === 'SAME_UPPER' ? half : total - half;
  } else if (spec.autoPad === 'VALID') {
    out = full;
    padBegin = 0;
  } else {
    padBegin = spec.pads[axis];
    out = full - padBegin - spec.pads[axis + rank];
  }
  if (out < 0) ctx.fail(`output spatial dim ${axis} would have size ${out}; the pads remove more than the transposed convolution produces`);
  return { out, padBegin, padEnd: full - out - padBegin };
}

export function transposeGeometry(ctx: OpContext, inSpatial: readonly number[], kernel: readonly number[], spec: WindowSpec, outputPadding: readonly number[], outputShape: readonly number[] | undefined): WindowGeometry {
  return geometryOf(inSpatial, kernel, spec, inSpatial.map((d, i) => transposeAxis(ctx, i, d, kernel[i], spec, outputPadding[i], outputShape?.[i])));
}

/** Output spatial dims of a transposed convolution for inference (symbolic dims as in windowShape). */
export function transposeShape(ctx: InferContext, inSpatial: readonly Dim[], kernel: readonly Dim[], spec: WindowSpec, outputPadding: readonly number[], outputShape: readonly number[] | undefined): Dim[] {
  const rank = inSpatial.length;
  return inSpatial.map((d, i) => {
    if (outputShape) return outputShape[i];
    const k = kernel[i];
    if (typeof k !== 'number') return ctx.unknownDim();
    if (typeof d === 'number') return transposeAxis(ctx, i, d, k, spec, outputPadding[i], undefined).out;
    if (spec.strides[i] !== 1) return ctx.unknownDim();
    if (spec.autoPad === 'SAME_UPPER' || spec.autoPad === 'SAME_LOWER') return d;
    const grow = outputPadding[i] + extent(k, spec.dilations[i]) - 1;
    const pads = spec.autoPad === 'VALID' ? 0 : spec.pads[i] + spec.pads[i + rank];
    return grow === pads ? d : ctx.unknownDim();
  });
}

// ------------------------------------------------------------------ tap tables

/** Tap-table entry for a kernel position inside the explicit (or auto) padding. */
export const TAP_PAD = -1;
/** Tap-table entry for a kernel position beyond the padded input (ceil_mode windows). */
export const TAP_OUTSIDE = -2;

/** For each output position, `tap(o, k)` for each kernel position (multi-indices, both row-major). */
function tapTable(g: WindowGeometry, tap: (o: readonly number[], k: readonly number[]) => number): Int32Array[] {
  const kPos = positions(g.kernel);
  return positions(g.outSpatial).map((o) => Int32Array.from(kPos, (k) => tap(o, k)));
}

/**
 * For each output position (row-major over the output spatial dims), the input offset that each
 * kernel position (row-major over the kernel) reads, using `inStrides` for the spatial axes; or
 * TAP_PAD / TAP_OUTSIDE when it falls outside the input.
 */
export function windowTaps(g: WindowGeometry, inStrides: readonly number[]): Int32Array[] {
  return tapTable(g, (o, k) => {
    let off = 0;
    let code = 0;
    for (let a = 0; a < o.length; a++) {
      const p = o[a] * g.strides[a] - g.padsBegin[a] + k[a] * g.dilations[a];
      if (p >= g.inSpatial[a] + g.padsEnd[a]) code = TAP_OUTSIDE;
      else if ((p < 0 || p >= g.inSpatial[a]) && code === 0) code = TAP_PAD;
      off += p * inStrides[a];
    }
    return code < 0 ? code : off;
  });
}

/**
 * The transposed table: for each output position of a ConvTranspose, the input offset that each
 * kernel position contributes from (output o receives input i through kernel k when
 * o = i*stride - padBegin + k*dilation), or TAP_PAD when none.
 */
export function transposeTaps(g: WindowGeometry, inStrides: readonly number[]): Int32Array[] {
  return tapTable(g, (o, k) => {
    let off = 0;
    for (let a = 0; a < o.length; a++) {
      const num = o[a] + g.padsBegin[a] - k[a] * g.dilations[a];
      const i = num / g.strides[a];
      if (num < 0 || !Number.isInteger(i) || i >= g.inSpatial[a]) return TAP_PAD;
      off += i * inStrides[a];
    }
    return off;
  });
}

/** All multi-indices of a static shape in row-major order. */
function positions(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  forEachIndex(shape, (idx) => out.push([...idx]));
  return out;
}
