/**
 * Import rules: one function per TFLite builtin, building IR nodes from an operator. Rules read
 * float values (`cx.float`) and write float results (`cx.result`); the context adds the
 * DequantizeLinear / QuantizeLinear that give integer operators their QDQ form. Convolutions and
 * pools come back in NHWC layout (`layout: 'NHWC'`), with weights in the IR's OIHW order.
 */
import { Tensor, type AttrValue } from '@mo/ir';
import { ActivationFunctionType } from '../schema/generated/tflite/activation-function-type.js';
import { BatchMatMulOptions } from '../schema/generated/tflite/batch-mat-mul-options.js';
import { BuiltinOptions } from '../schema/generated/tflite/builtin-options.js';
import { ConcatenationOptions } from '../schema/generated/tflite/concatenation-options.js';
import { Conv2DOptions } from '../schema/generated/tflite/conv2doptions.js';
import { DepthwiseConv2DOptions } from '../schema/generated/tflite/depthwise-conv2doptions.js';
import { FullyConnectedOptions } from '../schema/generated/tflite/fully-connected-options.js';
import { GatherOptions } from '../schema/generated/tflite/gather-options.js';
import { LeakyReluOptions } from '../schema/generated/tflite/leaky-relu-options.js';
import { Padding } from '../schema/generated/tflite/padding.js';
import { Pool2DOptions } from '../schema/generated/tflite/pool2doptions.js';
import { ReducerOptions } from '../schema/generated/tflite/reducer-options.js';
import { ResizeBilinearOptions } from '../schema/generated/tflite/resize-bilinear-options.js';
import { ResizeNearestNeighborOptions } from '../schema/generated/tflite/resize-nearest-neighbor-options.js';
import { SoftmaxOptions } from '../schema/generated/tflite/softmax-options.js';
import { StridedSliceOptions } from '../schema/generated/tflite/strided-slice-options.js';
import { AddOptions } from '../schema/generated/tflite/add-options.js';
import { SubOptions } from '../schema/generated/tflite/sub-options.js';
import { MulOptions } from '../schema/generated/tflite/mul-options.js';
import { DivOptions } from '../schema/generated/tflite/div-options.js';
import { ReadContext, type TensorInfo } from './context.js';
import { transposeData } from '../util.js';

export type ReadFn = (cx: ReadContext) => void;

/** Option table of the current operator when it has the expected type (undefined when absent). */
interface OptionsReader {
  <T>(type: BuiltinOptions, ctor: new () => T): T | undefined;
}

/** Set by the reader for the operator being read. */
export const current: { options: OptionsReader } = { options: () => undefined };

function ints(t: Tensor): number[] {
  return t.toNumbers().map((v) => Math.trunc(v));
}

function staticShape(cx: ReadContext, t: TensorInfo): number[] {
  if (!t.shape.every((d) => typeof d === 'number')) cx.unsupported(`tensor '${t.name}' with unknown dimensions`);
  return t.shape as number[];
}

// ------------------------------------------------------------------ activations

/** Fused activation as IR `activation` attributes (undefined for NONE). */
function fusedAttrs(cx: ReadContext, f: ActivationFunctionType | undefined): { activation?: string; activation_params?: number[] } {
  switch (f ?? ActivationFunctionType.NONE) {
    case ActivationFunctionType.NONE: return {};
    case ActivationFunctionType.RELU: return { activation: 'Relu' };
    case ActivationFunctionType.RELU6: return { activation: 'Clip', activation_params: [0, 6] };
    case ActivationFunctionType.RELU_N1_TO_1: return { activation: 'Clip', activation_params: [-1, 1] };
    case ActivationFunctionType.TANH: return { activation: 'Tanh' };
    default: return cx.unsupported(`fused activation function ${String(f)}`);
  }
}

/** Writes `op` into `out`, then the fused activation as a separate node when the op has no activation attribute. */
function withAct(cx: ReadContext, f: ActivationFunctionType | undefined, out: string, emit: (to: string) => void): void {
  const a = fusedAttrs(cx, f);
  if (!a.activation) return emit(out);
  const tmp = cx.fresh(`${out}_pre_act`);
  emit(tmp);
  if (a.activation === 'Clip') {
    const [lo, hi] = a.activation_params!;
    cx.node('Clip', [tmp, cx.floats('clip_min', [lo], []), cx.floats('clip_max', [hi], [])], [out]);
  } else cx.node(a.activation, [tmp], [out]);
}

const unary = (op: string, attrs: Record<string, AttrValue> = {}): ReadFn => (cx) => {
  const x = cx.float(cx.need(0, 'input'));
  cx.node(op, [x], [cx.result(cx.out())], attrs);
};

const clip = (lo: number, hi: number): ReadFn => (cx) => {
  const x = cx.float(cx.need(0, 'input'));
  cx.node('Clip', [x, cx.floats('clip_min', [lo], []), cx.floats('clip_max', [hi], [])], [cx.result(cx.out())]);
};

// ------------------------------------------------------------------ convolution and pooling

function padAttrs(p: Padding | undefined): Record<string, AttrValue> {
  return p === Padding.VALID ? { auto_pad: 'VALID' } : { auto_pad: 'SAME_UPPER' };
}

export const readConv: ReadFn = (cx) => {
  const o = current.options(BuiltinOptions.Conv2DOptions, Conv2DOptions);
  const x = cx.need(0, 'input');
  const wT = cx.need(1, 'filter');
  const ws = staticShape(cx, wT);
  const xs = staticShape(cx, x);
  if (ws.length !== 4 || xs.length !== 4) cx.fail('CONV_2D needs rank-4 input and filter');
  if (xs[3] % ws[3] !== 0) cx.fail(`CONV_2D filter has ${ws[3]} input channels for an input of ${xs[3]}`);
  const group = xs[3] / ws[3];
  const w = irWeights(cx, wT, [0, 3, 1, 2]);
  const b = cx.in(2);
  cx.node('Conv', [cx.float(x), w, b ? cx.float(b) : ''], [cx.result(cx.out())], {
    ...padAttrs(o?.padding()),
    strides: [o?.strideH() ?? 1, o?.strideW() ?? 1],
    dilations: [o?.dilationHFactor() ?? 1, o?.dilationWFactor() ?? 1],
    group: group === 1 ? undefined : group,
    layout: 'NHWC',
    ...fusedAttrs(cx, o?.fusedActivationFunction()),
  });
};

export const readDepthwise: ReadFn = (cx) => {
  const o = current.options(BuiltinOptions.DepthwiseConv2DOptions, DepthwiseConv2DOptions);
  const x = cx.need(0, 'input');
  const wT = cx.need(1, 'filter');
  const ws = staticShape(cx, wT);
  const xs = staticShape(cx, x);
  if (ws.length !== 4 || xs.length !== 4 || ws[0] !== 1) cx.fail('DEPTHWISE_CONV_2D needs a rank-4 input and a [1, kh, kw, M] filter');
  if (ws[3] % xs[3] !== 0) cx.fail(`DEPTHWISE_CONV_2D filter has ${ws[3]} channels for an input of ${xs[3]}`);
  const w = irWeights(cx, wT, [3, 0, 1, 2]);
  const b = cx.in(2);
  cx.node('Conv', [cx.float(x), w, b ? cx.float(b) : ''], [cx.result(cx.out())], {
    ...padAttrs(o?.padding()),
    strides: [o?.strideH() ?? 1, o?.strideW() ?? 1],
    dilations: [o?.dilationHFactor() ?? 1, o?.dilationWFactor() ?? 1],
    group: xs[3],
    layout: 'NHWC',
    ...fusedAttrs(cx, o?.fusedActivationFunction()),
  });
};

/** Float IR weights from a TFLite filter, permuted to OIHW (per-axis params follow their axis). */
function irWeights(cx: ReadContext, w: TensorInfo, perm: readonly number[]): string {
  if (!w.data) {
    // Computed filter: permute at run time.
    const v = cx.fresh(`${w.name}_oihw`);
    cx.node('Transpose', [cx.float(w)], [v], { perm: [...perm] });
    return v;
  }
  const data = transposeData(w.data, perm);
  let quant = w.quant;
  if (quant?.kind === 'per-axis') quant = { ...quant, axis: perm.indexOf(quant.axis) };
  const t: TensorInfo = { ...w, name: cx.fresh(`${w.name}_oihw`), shape: data.shape, data: new Tensor(data.dtype, data.shape, data.data, quant), ...(quant ? { quant } : {}) };
  return cx.float(t);
}

const readPool = (op: 'MaxPool' | 'AveragePool'): ReadFn => (cx) => {
  const o = current.options(BuiltinOptions.Pool2DOptions, Pool2DOptions);
  if (!o) return cx.fail(`${cx.op!.builtin} without Pool2DOptions`);
  const x = cx.float(cx.need(0, 'input'));
  withAct(cx, o.fusedActivationFunction(), cx.result(cx.out()), (to) =>
    cx.node(op, [x], [to], {
      ...padAttrs(o.padding()),
      kernel_shape: [o.filterHeight(), o.filterWidth()],
      strides: [o.strideH(), o.strideW()],
      layout: 'NHWC',
    }),
  );
};
export const readMaxPool = readPool('MaxPool');
export const readAvgPool = readPool('AveragePool');

// ------------------------------------------------------------------ matrix products

export const readFullyConnected: ReadFn = (cx) => {
  const o = current.options(BuiltinOptions.FullyConnectedOptions, FullyConnectedOptions);
  if (o && o.weightsFormat() !== 0) cx.unsupported('FULLY_CONNECTED with shuffled weights');
  const xT = cx.need(0, 'input');
  const wT = cx.need(1, 'weights');
  const ws = staticShape(cx, wT);
  const xs = staticShape(cx, xT);
  if (ws.length !== 2) cx.fail('FULLY_CONNECTED weights must be [out, in]');
  const [, k] = ws;
  let x = cx.float(xT);
  if (xs.length !== 2) {
    if (xs.reduce((a, b) => a * b, 1) % k !== 0) cx.fail(`FULLY_CONNECTED input of ${xs.join('x')} is not a multiple of ${k}`);
    const flat = cx.fresh(`${xT.name}_2d`);
    cx.node('Reshape', [x, cx.int64('shape', [-1, k])], [flat]);
    x = flat;
  }
  const b = cx.in(2);
  const out = cx.result(cx.out());
  const keep = o?.keepNumDims() && xs.length !== 2;
  const y = keep ? cx.fresh(`${out}_2d`) : out;
  cx.node('Gemm', [x, cx.float(wT), b ? cx.float(b) : ''], [y], { transB: 1, ...fusedAttrs(cx, o?.fusedActivationFunction()) });
  if (keep) cx.node('Reshape', [y, cx.int64('shape', staticShape(cx, cx.out()))], [out]);
};

export const readBatchMatMul: ReadFn = (cx) => {
  const o = current.options(BuiltinOptions.BatchMatMulOptions, BatchMatMulOptions);
  const operand = (k: number, adj: boolean | undefined) => {
    const t = cx.need(k, k ? 'y' : 'x');
    const v = cx.float(t);
    if (!adj) return v;
    const r = t.shape.length;
    const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
    const tv = cx.fresh(`${v}_adj`);
    cx.node('Transpose', [v], [tv], { perm });
    return tv;
  };
  cx.node('MatMul', [operand(0, o?.adjX()), operand(1, o?.adjY())], [cx.result(cx.out())]);
};

// ------------------------------------------------------------------ elementwise

export const readBinary = (op: 'Add' | 'Sub' | 'Mul' | 'Div'): ReadFn => (cx) => {
  const fused = (() => {
    switch (op) {
      case 'Add': return current.options(BuiltinOptions.AddOptions, AddOptions)?.fusedActivationFunction();
      case 'Sub': return current.options(BuiltinOptions.SubOptions, SubOptions)?.fusedActivationFunction();
      case 'Mul': return current.options(BuiltinOptions.MulOptions, MulOptions)?.fusedActivationFunction();
      case 'Div': return current.options(BuiltinOptions.DivOptions, DivOptions)?.fusedActivationFunction();
    }
  })();
  const a = cx.float(cx.need(0, 'x'));
  const b = cx.float(cx.need(1, 'y'));
  const out = cx.result(cx.out());
  if (op === 'Add') return cx.node('Add', [a, b], [out], fusedAttrs(cx, fused));
  withAct(cx, fused, out, (to) => cx.node(op, [a, b], [to]));
};

export const readMinMax = (op: 'Max' | 'Min'): ReadFn => (cx) => {
  cx.node(op, [cx.float(cx.need(0, 'x')), cx.float(cx.need(1, 'y'))], [cx.result(cx.out())]);
};

export const readRelu = unary('Relu');
export const readRelu6 = clip(0, 6);
export const readReluN1To1 = clip(-1, 1);
export const readRelu0To1 = clip(0, 1);
export const readLogistic = unary('Sigmoid');
export const readTanh = unary('Tanh');
export const readHardSwish = unary('HardSwish');

export const readLeakyRelu: ReadFn = (cx) => {
  const o = current.options(BuiltinOptions.LeakyReluOptions, LeakyReluOptions);
  unary('LeakyRelu', { alpha: o?.alpha() ?? 0.2 })(cx);
};

export const readSoftmax: ReadFn = (cx) => {
  const o = current.options(BuiltinOptions.SoftmaxOptions, SoftmaxOptions);
  let x = cx.float(cx.need(0, 'input'));
  const beta = o?.beta() ?? 1;
  if (beta !== 1) {
    const scaled = cx.fresh(`${x}_beta`);
    cx.node('Mul', [x, cx.floats('beta', [beta], [])], [scaled]);
    x = scaled;
  }
  cx.node('Softmax', [x], [cx.result(cx.out())], { axis: -1 });
};

// ------------------------------------------------------------------ movement

export const readReshape: ReadFn = (cx) => {
  const x = cx.float(cx.need(0, 'input'));
  cx.node('Reshape', [x, cx.int64('shape', staticShape(cx, cx.out()))], [cx.result(cx.out())]);
};

export const readTranspose: ReadFn = (cx) => {
  const perm = ints(cx.requireConstant(1, 'permutation'));
  cx.node('Transpose', [cx.float(cx.need(0, 'input'))], [cx.result(cx.out())], { perm });
};

export const readConcat: ReadFn = (cx) => {
  const o = current.options(BuiltinOptions.ConcatenationOptions, ConcatenationOptions);
  const ins = cx.op!.inputs.map((_, k) => cx.float(cx.need(k, 'input')));
  if (!ins.length) cx.fail('CONCATENATION without inputs');
  withAct(cx, o?.fusedActivationFunction(), cx.result(cx.out()), (to) => cx.node('Concat', ins, [to], { axis: o?.axis() ?? 0 }));
};

function splitInto(cx: ReadContext, x: string, axis: number, rank: number): void {
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= rank) cx.fail(`split axis ${axis} is outside rank ${rank}`);
  const outs = cx.op!.outputs.map((_, k) => cx.out(k));
  const sizes = outs.map((t) => staticShape(cx, t)[ax]);
  cx.node('Split', [x, cx.int64('split', sizes)], outs.map((t) => cx.result(t)), { axis: ax });
}

export const readSplit: ReadFn = (cx) => {
  const axis = cx.requireConstant(0, 'axis');
  const x = cx.need(1, 'input');
  splitInto(cx, cx.float(x), ints(axis)[0] ?? 0, x.shape.length);
};

export const readSplitV: ReadFn = (cx) => {
  const x = cx.need(0, 'input');
  const axis = cx.requireConstant(2, 'axis');
  splitInto(cx, cx.float(x), ints(axis)[0] ?? 0, x.shape.length);
};

export const readStridedSlice: ReadFn = (cx) => {
  const o = current.options(BuiltinOptions.StridedSliceOptions, StridedSliceOptions);
  if (o && (o.ellipsisMask() || o.newAxisMask() || o.offset())) cx.unsupported('STRIDED_SLICE with ellipsis_mask, new_axis_mask or offset');
  const xT = cx.need(0, 'input');
  const xs = staticShape(cx, xT);
  const begin = ints(cx.requireConstant(1, 'begin'));
  const end = ints(cx.requireConstant(2, 'end'));
  const strides = cx.in(3) ? ints(cx.requireConstant(3, 'strides')) : begin.map(() => 1);
  if (begin.length !== xs.length || end.length !== xs.length || strides.length !== xs.length) cx.fail('STRIDED_SLICE begin/end/strides must have one entry per input dimension');
  if (strides.some((s) => s === 0)) cx.fail('STRIDED_SLICE stride 0');
  const BIG = 2 ** 53 - 1;
  const bm = o?.beginMask() ?? 0;
  const em = o?.endMask() ?? 0;
  const starts = begin.map((b, i) => ((bm >> i) & 1 ? (strides[i] > 0 ? 0 : BIG) : b));
  const ends = end.map((e, i) => ((em >> i) & 1 ? (strides[i] > 0 ? BIG : -BIG) : e));
  const shrink = o?.shrinkAxisMask() ?? 0;
  // Shrunk axes take one element: end = begin + 1 (TFLite ignores end there).
  shrink && begin.forEach((b, i) => {
    if ((shrink >> i) & 1) {
      starts[i] = b;
      ends[i] = b === -1 ? BIG : b + 1;
      strides[i] = 1;
    }
  });
  const out = cx.result(cx.out());
  const sliced = shrink ? cx.fresh(`${out}_unshrunk`) : out;
  cx.node('Slice', [cx.float(xT), cx.int64('starts', starts), cx.int64('ends', ends), cx.int64('axes', xs.map((_, i) => i)), cx.int64('steps', strides)], [sliced]);
  if (shrink) cx.node('Reshape', [sliced, cx.int64('shape', staticShape(cx, cx.out()))], [out]);
};

export const readGather: ReadFn = (cx) => {
  const o = current.options(BuiltinOptions.GatherOptions, GatherOptions);
  if (o && o.batchDims() !== 0) cx.unsupported('GATHER with batch_dims');
  const idx = cx.need(1, 'indices');
  if (idx.dtype !== 'int32' && idx.dtype !== 'int64') cx.fail(`GATHER indices of type ${idx.dtype}`);
  cx.node('Gather', [cx.float(cx.need(0, 'params')), cx.value(idx)], [cx.result(cx.out())], { axis: o?.axis() ?? 0 });
};

function padsOf(cx: ReadContext, rank: number): number[] {
  const p = ints(cx.requireConstant(1, 'paddings'));
  if (p.length !== 2 * rank) cx.fail(`paddings have ${p.length} values for rank ${rank}`);
  return [...Array.from({ length: rank }, (_, i) => p[2 * i]), ...Array.from({ length: rank }, (_, i) => p[2 * i + 1])];
}

export const readPad: ReadFn = (cx) => {
  const x = cx.need(0, 'input');
  const pads = padsOf(cx, x.shape.length);
  const v = cx.in(2);
  let value = '';
  if (v) {
    const d = v.data;
    if (!d || d.size !== 1) return cx.unsupported('PADV2 with a computed or non-scalar constant value');
    const q = v.quant;
    const raw = d.get(0);
    const real = q?.kind === 'per-tensor' ? (raw - q.zeroPoint) * q.scale : raw;
    value = cx.floats('pad_value', [real], []);
  }
  cx.node('Pad', [cx.float(x), cx.int64('pads', pads), value], [cx.result(cx.out())], { mode: 'constant' });
};

export const readReduce = (op: 'ReduceMean' | 'ReduceSum' | 'ReduceMax'): ReadFn => (cx) => {
  const o = current.options(BuiltinOptions.ReducerOptions, ReducerOptions);
  const axes = ints(cx.requireConstant(1, 'axes'));
  cx.node(op, [cx.float(cx.need(0, 'input')), cx.int64('axes', axes)], [cx.result(cx.out())], { keepdims: o?.keepDims() ? 1 : 0 });
};

export const readResize = (mode: 'linear' | 'nearest'): ReadFn => (cx) => {
  const o = mode === 'linear' ? current.options(BuiltinOptions.ResizeBilinearOptions, ResizeBilinearOptions) : current.options(BuiltinOptions.ResizeNearestNeighborOptions, ResizeNearestNeighborOptions);
  const x = cx.need(0, 'input');
  const xs = staticShape(cx, x);
  const size = ints(cx.requireConstant(1, 'size'));
  if (xs.length !== 4 || size.length !== 2) cx.fail('resize needs a rank-4 input and a 2-element size');
  const ac = o?.alignCorners() ?? false;
  const hp = o?.halfPixelCenters() ?? false;
  const attrs: Record<string, AttrValue> =
    mode === 'linear'
      ? { mode: 'linear', coordinate_transformation_mode: ac ? 'align_corners' : hp ? 'half_pixel' : 'asymmetric' }
      : { mode: 'nearest', coordinate_transformation_mode: ac ? 'align_corners' : hp ? 'tf_half_pixel_for_nn' : 'asymmetric', nearest_mode: ac ? 'round_prefer_ceil' : 'floor' };
  cx.node('Resize', [cx.float(x), '', '', cx.int64('sizes', [xs[0], size[0], size[1], xs[3]])], [cx.result(cx.out())], attrs);
};

// ------------------------------------------------------------------ quantization

export const readQuantize: ReadFn = (cx) => {
  const x = cx.need(0, 'input');
  const y = cx.out();
  if (!ReadContext.isQuantized(y)) cx.fail('QUANTIZE output has no quantization params');
  // float input, or an int8 input requantized through float -> QuantizeLinear into the output tensor.
  const q = cx.quantInputs(y.name, y.quant!, y.dtype);
  cx.node('QuantizeLinear', [cx.float(x), q.scale, q.zp], [y.name], { axis: q.axis });
};

export const readDequantize: ReadFn = (cx) => {
  const x = cx.need(0, 'input');
  const y = cx.out();
  if (ReadContext.isQuantized(y)) cx.fail('DEQUANTIZE output is quantized');
  if (x.dtype === 'float16') {
    if (!x.data) cx.unsupported('DEQUANTIZE of a computed float16 tensor');
    return cx.node('Cast', [cx.value(x)], [y.name], { to: 'float32' });
  }
  if (!ReadContext.isQuantized(x)) cx.fail(`DEQUANTIZE of ${x.dtype} without quantization params`);
  const q = cx.quantInputs(x.name, x.quant!, x.dtype);
  cx.node('DequantizeLinear', [cx.value(x), q.scale, q.zp], [y.name], { axis: q.axis });
};
