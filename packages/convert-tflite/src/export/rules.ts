/**
 * The lowering functions behind the op table: one per IR op family. Each reads the node (NHWC,
 * static shapes), asks the context for tensors, and emits TFLite operators. Nodes that cannot be
 * expressed call `unsupported(reason)`; the exporter collects those for the whole graph.
 */
import { Tensor, normalizeAxis, type Node, type ResolvedAttrs } from '@mo/ir';
import type { BuiltinName } from '../codes.js';
import { unsupported } from '../errors.js';
import { intsOf, transposeData } from '../util.js';
import type { LowerContext } from './context.js';
import { choosePadding, emitActivation, window2d, withActivation } from './lower-helpers.js';
import {
  ActivationFunctionType,
  Padding,
  batchMatMulOptions,
  binaryOptions,
  concatenationOptions,
  conv2dOptions,
  depthwiseOptions,
  dequantizeOptions,
  fullyConnectedOptions,
  gatherOptions,
  maxMinOptions,
  padOptions,
  padV2Options,
  pool2dOptions,
  quantizeOptions,
  reducerOptions,
  reshapeOptions,
  resizeBilinearOptions,
  resizeNearestOptions,
  softmaxOptions,
  splitOptions,
  splitVOptions,
  stridedSliceOptions,
  transposeOptions,
} from './options.js';
import { activationParams, biasQuant, checkSymmetric, dequantized, quantConstOf, quantizeBias, quantizeWeights, scalesOf, writeRequantized } from './quant-helpers.js';
import type { QuantizedConstant } from './quant-plan.js';

export type LowerFn = (cx: LowerContext, node: Node, attrs: ResolvedAttrs) => void;

const FLT_LOWEST = -3.4028234663852886e38;

// ------------------------------------------------------------------ shared pieces

/** Pads an NHWC tensor explicitly (zeros, or `value` with PADV2); returns the padded tensor. */
function padExplicit(cx: LowerContext, x: number, pads: [[number, number], [number, number]], value?: number): number {
  const t = cx.tensor(x);
  const [n, h, w, c] = t.shape;
  const out = cx.temp(`${t.name}_padded`, t.quant ? 'int8' : 'float32', [n, h + pads[0][0] + pads[0][1], w + pads[1][0] + pads[1][1], c], t.quant);
  const paddings = cx.int32(`${t.name}_paddings`, [0, 0, pads[0][0], pads[0][1], pads[1][0], pads[1][1], 0, 0], [4, 2]);
  if (value === undefined) cx.emit('PAD', [x, paddings], [out], padOptions());
  else {
    const v = t.quant ? new Tensor('int8', [], Int8Array.of(-128)) : new Tensor('float32', [], Float32Array.of(value));
    const cv = cx.constTensor(`${t.name}_pad_value`, v, t.quant);
    cx.emit('PADV2', [x, paddings, cv], [out], padV2Options());
  }
  return out;
}

/** Weights of a quantized node: quantized constant behind the value, or float ones quantized here. */
function int8Weights(cx: LowerContext, value: string, axis: number): QuantizedConstant {
  const q = quantConstOf(cx, value);
  if (q) {
    if (q.data.dtype !== 'int8') unsupported(`weights '${value}' are ${q.data.dtype}; TFLite integer kernels take int8 weights`);
    checkSymmetric(q.quant, `weights '${value}'`);
    if (q.quant.kind === 'per-axis' && q.quant.axis !== axis) unsupported(`weights '${value}' are quantized per axis ${q.quant.axis}; this op needs per-tensor or per-axis ${axis} (output channels)`);
    return q;
  }
  return quantizeWeights(cx.requireConstant(value, 'weights'), axis);
}

/** A float constant operand, or the dequantized values behind a quantized constant. */
function floatWeights(cx: LowerContext, value: string, what: string): Tensor {
  const c = cx.constant(value);
  if (c) return c;
  // Quantized weights (DequantizeLinear of a constant) read by a float operator; float16 constants cast to float32.
  const q = quantConstOf(cx, value);
  if (q) return dequantized(q);
  const p = cx.graph.producerOf(value);
  const half = p?.op === 'Cast' && p.attrs.to === 'float32' ? cx.constant(p.inputs[0]) : undefined;
  if (half && half.dtype === 'float16') return new Tensor('float32', half.shape, half.toFloat32());
  return unsupported(`${what} must be a constant (initializer); computed weights are not supported`);
}

// ------------------------------------------------------------------ convolution

export const lowerConv: LowerFn = (cx, node, a) => {
  const xName = node.inputs[0];
  const [, , , cin] = cx.shape(xName);
  const group = (a.group as number) ?? 1;
  const wShape = cx.shape(node.inputs[1]);
  const m = wShape[0];
  const kernel = wShape.slice(2);
  const win = window2d(cx, node, a, kernel);
  const depthwise = group > 1 && group === cin && wShape[1] === 1;
  // Grouped: CONV_2D whose filter has cin / group input channels (version 6, TFLite 2.9).
  const grouped = group > 1 && !depthwise;
  if (grouped && (cin % group !== 0 || wShape[1] !== cin / group || m % group !== 0)) unsupported(`convolution with group ${group} has ${cin} input channels and weights [${wShape.join(',')}]; expected [M, ${cin / group}, kh, kw] with M a multiple of ${group}`);
  const pad = choosePadding(win);
  let x = cx.input(0);
  if (pad.explicit) x = padExplicit(cx, x, pad.explicit);
  const y = cx.output(0);
  const base = cx.outName();
  // OIHW -> OHWI (conv) or 1HWO (depthwise).
  const perm = depthwise ? [1, 2, 3, 0] : [0, 2, 3, 1];
  let wIdx: number;
  let bIdx: number;
  if (cx.quantized) {
    const q = int8Weights(cx, node.inputs[1], 0);
    const data = transposeData(q.data, perm);
    const scales = scalesOf(q.quant, m);
    const wq = { scale: scales, zeroPoint: new Array<number>(scales.length).fill(0), dim: depthwise ? 3 : 0 };
    if (q.quant.kind === 'per-tensor') Object.assign(wq, { scale: [scales[0]], zeroPoint: [0], dim: 0 });
    wIdx = cx.constTensor(`${base}_weights`, data, wq);
    const sx = activationParams(cx, x).scale;
    const bias = quantizeBias(cx, node.inputs[2] || undefined, m, sx, scales);
    bIdx = cx.constTensor(`${base}_bias`, bias, biasQuant(sx, scales, q.quant.kind === 'per-tensor'));
  } else {
    const w = floatWeights(cx, node.inputs[1], 'convolution weights');
    wIdx = cx.floatConst(`${base}_weights`, transposeData(w, perm));
    const b = node.inputs[2] ? floatWeights(cx, node.inputs[2], 'convolution bias') : new Tensor('float32', [m], new Float32Array(m));
    bIdx = cx.floatConst(`${base}_bias`, b);
  }
  const opts = { padding: pad.padding, strideH: win.strides[0], strideW: win.strides[1], dilationH: win.dilations[0], dilationW: win.dilations[1] };
  withActivation(cx, a, y, (out, act) => {
    if (depthwise) cx.emit('DEPTHWISE_CONV_2D', [x, wIdx, bIdx], [out], depthwiseOptions({ ...opts, activation: act, depthMultiplier: m / cin }), { dilated: win.dilations.some((d) => d !== 1) });
    else cx.emit('CONV_2D', [x, wIdx, bIdx], [out], conv2dOptions({ ...opts, activation: act }), { grouped });
  });
};

// ------------------------------------------------------------------ pooling

export const lowerPool: LowerFn = (cx, node, a) => {
  const isMax = node.op === 'MaxPool';
  if (node.outputs[1]) unsupported('MaxPool with an Indices output has no TFLite form');
  const kernel = a.kernel_shape as readonly number[];
  const win = window2d(cx, node, a, kernel);
  if (win.dilations.some((d) => d !== 1)) unsupported('dilated pooling has no TFLite form');
  const pad = choosePadding(win);
  let x = cx.input(0);
  let padding = pad.padding;
  if (pad.explicit) {
    if (isMax) x = padExplicit(cx, x, pad.explicit, FLT_LOWEST);
    else if (a.count_include_pad) x = padExplicit(cx, x, pad.explicit);
    else unsupported(`AveragePool with pads [${win.pads.join(',')}] that are not TFLite's SAME padding and count_include_pad = 0`);
    padding = Padding.VALID;
  }
  const y = cx.output(0);
  const op: BuiltinName = isMax ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D';
  const opts = pool2dOptions({ padding, strideH: win.strides[0], strideW: win.strides[1], filterH: kernel[0], filterW: kernel[1], activation: ActivationFunctionType.NONE });
  if (cx.quantized) writeRequantized(cx, y, cx.tensor(x).quant!, (out) => cx.emit(op, [x], [out], opts));
  else cx.emit(op, [x], [y], opts);
};

export const lowerGlobalPool: LowerFn = (cx, node, a) => {
  if ((a.layout ?? 'NCHW') !== 'NHWC') unsupported(`internal: ${node.op} still in NCHW layout`);
  const rank = cx.rank(node.inputs[0]);
  const axes = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  const x = cx.input(0);
  const y = cx.output(0);
  const op: BuiltinName = node.op === 'GlobalMaxPool' ? 'REDUCE_MAX' : 'MEAN';
  const ax = cx.int32(`${cx.outName()}_axes`, axes);
  if (cx.quantized && op === 'REDUCE_MAX') writeRequantized(cx, y, cx.tensor(x).quant!, (out) => cx.emit(op, [x, ax], [out], reducerOptions(true)));
  else cx.emit(op, [x, ax], [y], reducerOptions(true));
};

// ------------------------------------------------------------------ matrix products

/** FULLY_CONNECTED y = x W^T + b with W [N, K] given as a float or quantized constant. */
function fullyConnected(cx: LowerContext, a: ResolvedAttrs, x: number, w: { float?: Tensor; quant?: QuantizedConstant }, bias: { float?: Tensor; value?: string }, keepNumDims: boolean): void {
  const y = cx.output(0);
  const base = cx.outName();
  let wIdx: number;
  let bIdx: number;
  if (w.quant) {
    const n = w.quant.data.shape[0];
    const scales = scalesOf(w.quant.quant, n);
    const perTensor = w.quant.quant.kind === 'per-tensor';
    wIdx = cx.constTensor(`${base}_weights`, w.quant.data, perTensor ? { scale: [scales[0]], zeroPoint: [0], dim: 0 } : { scale: scales, zeroPoint: new Array<number>(n).fill(0), dim: 0 });
    const sx = activationParams(cx, x).scale;
    const bq = bias.float ? quantizeBiasFromTensor(bias.float, n, sx, scales) : quantizeBias(cx, bias.value, n, sx, scales);
    bIdx = cx.constTensor(`${base}_bias`, bq, biasQuant(sx, scales, perTensor));
  } else {
    const n = w.float!.shape[0];
    wIdx = cx.floatConst(`${base}_weights`, w.float!);
    bIdx = cx.floatConst(`${base}_bias`, bias.float ?? new Tensor('float32', [n], new Float32Array(n)));
  }
  withActivation(cx, a, y, (out, act) => cx.emit('FULLY_CONNECTED', [x, wIdx, bIdx], [out], fullyConnectedOptions(act, keepNumDims), { keepNumDims }));
}

function quantizeBiasFromTensor(b: Tensor, n: number, sx: number, scales: readonly number[]): Tensor<'int32'> {
  const v = b.toFloat32();
  const out = new Int32Array(n);
  for (let c = 0; c < n; c++) out[c] = Math.round(v[v.length === 1 ? 0 : c] / (sx * scales[c]));
  return new Tensor('int32', [n], out);
}

/** A Gemm / MatMul bias C as a [N] float vector (scaled by beta), or undefined when it is not a constant vector. */
function biasVector(cx: LowerContext, value: string | undefined, n: number, beta: number): Tensor | undefined {
  if (!value) return undefined;
  const c = cx.constant(value);
  if (!c) return undefined;
  const shape = c.shape;
  const isVector = c.size === n && shape.slice(0, -1).every((d) => d === 1);
  if (!isVector && c.size !== 1) return undefined;
  const v = c.toFloat32();
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(beta * v[c.size === 1 ? 0 : i]);
  return new Tensor('float32', [n], out);
}

export const lowerGemm: LowerFn = (cx, node, a) => {
  if (a.transA) unsupported('Gemm with transA = 1 (transpose A first)');
  const alpha = (a.alpha as number) ?? 1;
  const beta = (a.beta as number) ?? 1;
  const bName = node.inputs[1];
  const n = cx.shape(node.outputs[0])[1];
  const x = cx.input(0);
  if (cx.quantized) {
    if (alpha !== 1 || beta !== 1) unsupported('quantized Gemm with alpha or beta other than 1');
    let q = int8Weights(cx, bName, a.transB ? 0 : 1);
    if (!a.transB) q = transposedQuant(q);
    return fullyConnected(cx, a, x, { quant: q }, { value: node.inputs[2] || undefined }, false);
  }
  const b = cx.constant(bName);
  if (!b) {
    if (alpha !== 1) unsupported('Gemm with a computed B and alpha != 1');
    return batchMatMul(cx, a, node, false, !!a.transB, node.inputs[2] || undefined, beta);
  }
  let w = a.transB ? b : transposeData(b, [1, 0]);
  if (alpha !== 1) w = scaleTensor(w, alpha);
  const bias = biasVector(cx, node.inputs[2] || undefined, n, beta);
  if (node.inputs[2] && !bias) {
    // A [M, N] C: FULLY_CONNECTED without activation, then ADD (with it).
    const y = cx.output(0);
    const tmp = cx.temp(`${cx.outName()}_matmul`, 'float32', cx.shape(node.outputs[0]));
    fullyConnectedInto(cx, x, w, tmp);
    const c = beta === 1 ? cx.value(node.inputs[2]) : cx.floatConst(`${cx.outName()}_c`, scaleTensor(cx.requireConstant(node.inputs[2], 'C'), beta));
    withActivation(cx, a, y, (out, act) => cx.emit('ADD', [tmp, c], [out], binaryOptions('ADD', act)));
    return;
  }
  fullyConnected(cx, a, x, { float: w }, { float: bias }, false);
};

/** FULLY_CONNECTED without bias or activation into `out`. */
function fullyConnectedInto(cx: LowerContext, x: number, w: Tensor, out: number): void {
  const n = w.shape[0];
  const wIdx = cx.floatConst(`${cx.outName()}_weights`, w);
  const bIdx = cx.floatConst(`${cx.outName()}_bias`, new Tensor('float32', [n], new Float32Array(n)));
  cx.emit('FULLY_CONNECTED', [x, wIdx, bIdx], [out], fullyConnectedOptions(ActivationFunctionType.NONE, false));
}

function transposedQuant(q: QuantizedConstant): QuantizedConstant {
  const data = transposeData(q.data, [1, 0]);
  const quant = q.quant.kind === 'per-axis' ? { ...q.quant, axis: 1 - q.quant.axis } : q.quant;
  return { data: new Tensor(data.dtype, data.shape, data.data), quant };
}

function scaleTensor(t: Tensor, k: number): Tensor<'float32'> {
  const v = t.toFloat32();
  for (let i = 0; i < v.length; i++) v[i] = Math.fround(v[i] * k);
  return new Tensor('float32', t.shape, v);
}

/** BATCH_MATMUL (+ ADD for a bias) for products with a computed right-hand side. */
function batchMatMul(cx: LowerContext, a: ResolvedAttrs, node: Node, adjX: boolean, adjY: boolean, bias: string | undefined, beta: number): void {
  const x = cx.input(0);
  const w = cx.input(1);
  const y = cx.output(0);
  if (cx.rank(node.inputs[0]) < 2 || cx.rank(node.inputs[1]) < 2) unsupported('BATCH_MATMUL needs operands of rank >= 2');
  if (!bias) return withActivation(cx, a, y, (out, act) => {
    if (act !== ActivationFunctionType.NONE) {
      const tmp = cx.temp(`${cx.outName()}_matmul`, 'float32', cx.shape(node.outputs[0]));
      cx.emit('BATCH_MATMUL', [x, w], [tmp], batchMatMulOptions(adjX, adjY));
      emitActivation(cx, String(a.activation), (a.activation_params as number[]) ?? [], tmp, out);
    } else cx.emit('BATCH_MATMUL', [x, w], [out], batchMatMulOptions(adjX, adjY));
  });
  const tmp = cx.temp(`${cx.outName()}_matmul`, 'float32', cx.shape(node.outputs[0]));
  cx.emit('BATCH_MATMUL', [x, w], [tmp], batchMatMulOptions(adjX, adjY));
  const c = beta === 1 ? cx.value(bias) : cx.floatConst(`${cx.outName()}_c`, scaleTensor(cx.requireConstant(bias, 'C'), beta));
  withActivation(cx, a, y, (out, act) => cx.emit('ADD', [tmp, c], [out], binaryOptions('ADD', act)));
}

export const lowerMatMul: LowerFn = (cx, node, a) => {
  const aRank = cx.rank(node.inputs[0]);
  const bName = node.inputs[1];
  const bConst = cx.constant(bName) ?? (cx.quantized ? quantConstOf(cx, bName)?.data : undefined);
  if (bConst && bConst.rank === 2 && aRank >= 2) {
    const x = cx.input(0);
    if (cx.quantized) return fullyConnected(cx, a, x, { quant: transposedQuant(int8Weights(cx, bName, 1)) }, {}, aRank > 2);
    return fullyConnected(cx, a, x, { float: transposeData(bConst, [1, 0]) }, {}, aRank > 2);
  }
  if (cx.quantized) unsupported('quantized MatMul with a computed right-hand side');
  batchMatMul(cx, a, node, false, false, undefined, 1);
};

// ------------------------------------------------------------------ elementwise

const BINARY: Record<string, 'ADD' | 'SUB' | 'MUL' | 'DIV'> = { Add: 'ADD', Sub: 'SUB', Mul: 'MUL', Div: 'DIV' };

/** Int8 operand: the int8 tensor of an activation, or a constant quantized here (per-tensor). */
function int8Operand(cx: LowerContext, i: number): number {
  const node = cx.node!;
  const name = node.inputs[i];
  const c = cx.constant(name);
  if (!c) {
    const q = quantConstOf(cx, name);
    if (q) return cx.constTensor(`${name}_q`, q.data, q.quant.kind === 'per-tensor' ? { scale: [q.quant.scale], zeroPoint: [q.quant.zeroPoint], dim: 0 } : unsupported('per-axis quantized operands of elementwise ops'));
    return cx.input(i);
  }
  const v = c.toFloat32();
  const lo = Math.min(0, ...v);
  const hi = Math.max(0, ...v);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zp = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  const q = new Int8Array(v.length);
  for (let k = 0; k < v.length; k++) q[k] = Math.max(-128, Math.min(127, Math.round(v[k] / scale) + zp));
  return cx.constTensor(`${name}_q`, new Tensor('int8', c.shape, q), { scale: [scale], zeroPoint: [zp], dim: 0 });
}

export const lowerBinary: LowerFn = (cx, node, a) => {
  const op = BINARY[node.op];
  const ra = cx.rank(node.inputs[0]);
  const rb = cx.rank(node.inputs[1]);
  const sa = cx.shape(node.inputs[0]);
  const sb = cx.shape(node.inputs[1]);
  const broadcast5d = Math.max(ra, rb) > 4 && (ra !== rb || sa.some((d, i) => d !== sb[i]));
  if (Math.max(ra, rb) > 6) unsupported('broadcasting beyond rank 6');
  const y = cx.output(0);
  if (cx.quantized) {
    if (op === 'DIV') unsupported('DIV has no int8 kernel');
    const x0 = int8Operand(cx, 0);
    const x1 = int8Operand(cx, 1);
    const facts = op === 'MUL' ? { mulRescaleGe1: activationParams(cx, x0).scale * activationParams(cx, x1).scale / activationParams(cx, y).scale >= 1 } : {};
    return withActivation(cx, a, y, (out, act) => cx.emit(op, [x0, x1], [out], binaryOptions(op, act), { broadcast5d, ...facts }));
  }
  const x0 = cx.input(0);
  const x1 = cx.input(1);
  withActivation(cx, a, y, (out, act) => cx.emit(op, [x0, x1], [out], binaryOptions(op, act), { broadcast5d }));
};

export const lowerMinMax: LowerFn = (cx, node) => {
  if (node.inputs.length !== 2) unsupported(`${node.op} of ${node.inputs.length} inputs (TFLite MAXIMUM / MINIMUM take 2)`);
  const op: BuiltinName = node.op === 'Max' ? 'MAXIMUM' : 'MINIMUM';
  if (cx.quantized) unsupported(`quantized ${node.op}`);
  cx.emit(op, [cx.input(0), cx.input(1)], [cx.output(0)], maxMinOptions());
};

/** Activation nodes (Relu, Clip, Sigmoid, Tanh, HardSwish, HardSigmoid, LeakyRelu). */
export const lowerActivation: LowerFn = (cx, node, a) => {
  let params: number[] = [];
  switch (node.op) {
    case 'Clip': {
      const bound = (i: number, dflt: number) => {
        const name = node.inputs[i];
        if (!name) return dflt;
        const t = cx.requireConstant(name, `Clip ${i === 1 ? 'min' : 'max'}`);
        if (t.size !== 1) unsupported('Clip bounds must be scalars');
        return t.get(0);
      };
      params = [bound(1, -Infinity), bound(2, Infinity)];
      break;
    }
    case 'LeakyRelu':
      params = [(a.alpha as number) ?? 0.01];
      break;
    case 'HardSigmoid':
      params = [(a.alpha as number) ?? 0.2, (a.beta as number) ?? 0.5];
      break;
  }
  const x = cx.input(0);
  const y = cx.output(0);
  if (cx.quantized) {
    // Integer kernels with fixed output params.
    if (node.op === 'Sigmoid') return writeRequantized(cx, y, { scale: [1 / 256], zeroPoint: [-128], dim: 0 }, (out) => cx.emit('LOGISTIC', [x], [out]));
    if (node.op === 'Tanh') return writeRequantized(cx, y, { scale: [1 / 128], zeroPoint: [0], dim: 0 }, (out) => cx.emit('TANH', [x], [out]));
    if (node.op === 'HardSigmoid') return int8HardSigmoid(cx, params[0], params[1], x, y);
    if (node.op === 'LeakyRelu') unsupported(`quantized ${node.op}`);
  }
  emitActivation(cx, node.op, params, x, y);
};

/** An int8 scalar constant holding `v` exactly at q = +-127. */
function int8Scalar(cx: LowerContext, base: string, v: number): number {
  const scale = Math.abs(v) / 127 || 1;
  return cx.constTensor(base, new Tensor('int8', [1], Int8Array.of(v === 0 ? 0 : v > 0 ? 127 : -127)), { scale: [scale], zeroPoint: [0], dim: 0 });
}

/** int8 hardsigmoid(x) = relu6(6a*x + 6b) / 6: [MUL] + ADD (fused RELU6, params for [0, 6]) + MUL. */
function int8HardSigmoid(cx: LowerContext, alpha: number, beta: number, x: number, y: number): void {
  if (!(alpha > 0)) unsupported('quantized HardSigmoid with alpha <= 0');
  const base = cx.tensor(y).name;
  const shape = cx.tensor(x).shape;
  let cur = x;
  if (Math.fround(6 * alpha) !== 1) {
    const { scale, zeroPoint } = activationParams(cx, x);
    cur = cx.temp(`${base}_scaled`, 'int8', shape, { scale: [scale * 6 * alpha], zeroPoint: [zeroPoint], dim: 0 });
    cx.emit('MUL', [x, int8Scalar(cx, `${base}_alpha6`, 6 * alpha)], [cur], binaryOptions('MUL', ActivationFunctionType.NONE));
  }
  const relu6 = cx.temp(`${base}_relu6`, 'int8', shape, { scale: [6 / 255], zeroPoint: [-128], dim: 0 });
  cx.emit('ADD', [cur, int8Scalar(cx, `${base}_beta6`, 6 * beta)], [relu6], binaryOptions('ADD', ActivationFunctionType.RELU6));
  cx.emit('MUL', [relu6, int8Scalar(cx, `${base}_sixth`, 1 / 6)], [y], binaryOptions('MUL', ActivationFunctionType.NONE));
}

export const lowerSoftmax: LowerFn = (cx, node, a) => {
  const rank = cx.rank(node.inputs[0]);
  const axis = normalizeAxis((a.axis as number) ?? -1, rank);
  if (axis !== rank - 1) unsupported(`Softmax over axis ${axis} of a rank-${rank} tensor: TFLite SOFTMAX works on the last axis`);
  const x = cx.input(0);
  const y = cx.output(0);
  if (cx.quantized) return writeRequantized(cx, y, { scale: [1 / 256], zeroPoint: [-128], dim: 0 }, (out) => cx.emit('SOFTMAX', [x], [out], softmaxOptions(1)));
  cx.emit('SOFTMAX', [x], [y], softmaxOptions(1));
};

// ------------------------------------------------------------------ movement

/** Ops that keep their input's quantization params in TFLite's integer kernels. */
function sameScale(cx: LowerContext, x: number, y: number, write: (out: number) => void): void {
  if (cx.quantized) writeRequantized(cx, y, cx.tensor(x).quant!, write);
  else write(y);
}

/** Reshape, Flatten, Squeeze, Unsqueeze: RESHAPE to the inferred output shape. */
export const lowerReshape: LowerFn = (cx, node) => {
  const shape = cx.shape(node.outputs[0]);
  const x = cx.input(0);
  const y = cx.output(0);
  const s = cx.int32(`${cx.outName()}_shape`, shape);
  sameScale(cx, x, y, (out) => cx.emit('RESHAPE', [x, s], [out], reshapeOptions(shape)));
};

export const lowerIdentity: LowerFn = (cx, node) => {
  const src = node.inputs[0];
  const out = node.outputs[0];
  const interfaceValue = (v: string) => cx.graph.isGraphInput(v) || cx.graph.isGraphOutput(v) || cx.constant(v) !== undefined;
  if (!cx.quantized && !(interfaceValue(src) && cx.graph.isGraphOutput(out)) && !cx.has(out)) return cx.alias(out, cx.input(0));
  const shape = cx.shape(out);
  const x = cx.input(0);
  const y = cx.output(0);
  const s = cx.int32(`${cx.outName()}_shape`, shape);
  sameScale(cx, x, y, (o) => cx.emit('RESHAPE', [x, s], [o], reshapeOptions(shape)));
};

export const lowerTranspose: LowerFn = (cx, node, a) => {
  const rank = cx.rank(node.inputs[0]);
  if (rank > 6) unsupported('TRANSPOSE of rank above 6');
  const perm = (a.perm as readonly number[] | undefined) ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const x = cx.input(0);
  const y = cx.output(0);
  const p = cx.int32(`${cx.outName()}_perm`, perm);
  sameScale(cx, x, y, (out) => cx.emit('TRANSPOSE', [x, p], [out], transposeOptions()));
};

export const lowerConcat: LowerFn = (cx, node, a) => {
  const rank = cx.rank(node.outputs[0]);
  const axis = normalizeAxis(a.axis as number, rank);
  const y = cx.output(0);
  if (cx.quantized) {
    // TFLite's int8 CONCATENATION keeps one scale: requantize inputs whose params differ from the output's.
    const outQ = cx.tensor(y).quant!;
    const ins = node.inputs.map((_, i) => {
      const x = int8Operand(cx, i);
      const q = cx.tensor(x).quant!;
      if (Math.fround(q.scale[0]) === Math.fround(outQ.scale[0]) && q.zeroPoint[0] === outQ.zeroPoint[0]) return x;
      const t = cx.temp(`${cx.tensor(x).name}_requant`, 'int8', cx.tensor(x).shape, outQ);
      cx.emit('QUANTIZE', [x], [t], quantizeOptions(), { input: 'int8' });
      return t;
    });
    return cx.emit('CONCATENATION', ins, [y], concatenationOptions(axis, ActivationFunctionType.NONE));
  }
  const ins = node.inputs.map((_, i) => cx.input(i));
  cx.emit('CONCATENATION', ins, [y], concatenationOptions(axis, ActivationFunctionType.NONE));
};

export const lowerSplit: LowerFn = (cx, node, a) => {
  const rank = cx.rank(node.inputs[0]);
  const axis = normalizeAxis((a.axis as number) ?? 0, rank);
  const outs = node.outputs.map((o) => (o ? cx.shape(o)[axis] : unsupported('Split with an unused (empty) output')));
  const x = cx.input(0);
  let ys = node.outputs.map((_, k) => cx.output(k));
  const requant: [number, number][] = [];
  if (cx.quantized) {
    // TFLite's int8 SPLIT keeps the input params: outputs that want others are requantized after it.
    const xq = cx.tensor(x).quant!;
    ys = ys.map((y) => {
      const q = cx.tensor(y).quant!;
      if (Math.fround(q.scale[0]) === Math.fround(xq.scale[0]) && q.zeroPoint[0] === xq.zeroPoint[0]) return y;
      const tmp = cx.temp(`${cx.tensor(y).name}_split`, 'int8', cx.tensor(y).shape, xq);
      requant.push([tmp, y]);
      return tmp;
    });
  }
  if (outs.every((s) => s === outs[0])) {
    const ax = cx.constTensor(`${cx.outName()}_axis`, new Tensor('int32', [], Int32Array.of(axis)));
    cx.emit('SPLIT', [ax, x], ys, splitOptions(outs.length), { input: cx.tensor(x).quant ? 'int8' : 'float32', rank });
  } else {
    const sizes = cx.int32(`${cx.outName()}_sizes`, outs);
    const ax = cx.constTensor(`${cx.outName()}_axis`, new Tensor('int32', [], Int32Array.of(axis)));
    cx.emit('SPLIT_V', [x, sizes, ax], ys, splitVOptions(outs.length));
  }
  for (const [tmp, y] of requant) cx.emit('QUANTIZE', [tmp], [y], quantizeOptions(), { input: 'int8' });
};

export const lowerSlice: LowerFn = (cx, node) => {
  const inShape = cx.shape(node.inputs[0]);
  const outShape = cx.shape(node.outputs[0]);
  const rank = inShape.length;
  const starts = intsOf(cx.requireConstant(node.inputs[1], 'Slice starts'));
  const ends = intsOf(cx.requireConstant(node.inputs[2], 'Slice ends'));
  const axes = node.inputs[3] ? intsOf(cx.requireConstant(node.inputs[3], 'Slice axes')) : starts.map((_, i) => i);
  const steps = node.inputs[4] ? intsOf(cx.requireConstant(node.inputs[4], 'Slice steps')) : starts.map(() => 1);
  const begin = new Array<number>(rank).fill(0);
  const end = [...inShape];
  const stride = new Array<number>(rank).fill(1);
  let endMask = 0;
  axes.forEach((ax0, i) => {
    const ax = normalizeAxis(ax0, rank);
    const dim = inShape[ax];
    const st = steps[i];
    const count = outShape[ax];
    if (count === 0) unsupported('Slice with an empty result');
    let s = starts[i] < 0 ? starts[i] + dim : starts[i];
    s = st > 0 ? Math.max(0, Math.min(dim, s)) : Math.max(0, Math.min(dim - 1, s));
    begin[ax] = s;
    stride[ax] = st;
    const e = st > 0 ? s + st * (count - 1) + 1 : s + st * (count - 1) - 1;
    if (e < 0) {
      end[ax] = 0;
      endMask |= 1 << ax;
    } else end[ax] = e;
  });
  const x = cx.input(0);
  const y = cx.output(0);
  const base = cx.outName();
  const ins = [x, cx.int32(`${base}_begin`, begin), cx.int32(`${base}_end`, end), cx.int32(`${base}_strides`, stride)];
  sameScale(cx, x, y, (out) => cx.emit('STRIDED_SLICE', ins, [out], stridedSliceOptions({ beginMask: 0, endMask, shrinkAxisMask: 0 })));
};

export const lowerGather: LowerFn = (cx, node, a) => {
  const rank = cx.rank(node.inputs[0]);
  const axis = normalizeAxis((a.axis as number) ?? 0, rank);
  const x = cx.input(0);
  const y = cx.output(0);
  const idxConst = cx.constant(node.inputs[1]);
  let idx: number;
  if (idxConst) {
    const dim = cx.shape(node.inputs[0])[axis];
    const v = intsOf(idxConst).map((i) => (i < 0 ? i + dim : i));
    idx = cx.constTensor(`${cx.outName()}_indices`, new Tensor('int32', idxConst.shape, Int32Array.from(v)));
  } else {
    if (cx.dtype(node.inputs[1]) !== 'int32') unsupported(`Gather with computed ${cx.dtype(node.inputs[1])} indices (TFLite GATHER takes int32; negative indices are not allowed)`);
    idx = cx.input(1);
  }
  sameScale(cx, x, y, (out) => cx.emit('GATHER', [x, idx], [out], gatherOptions(axis)));
};

export const lowerPad: LowerFn = (cx, node, a) => {
  if ((a.mode ?? 'constant') !== 'constant') unsupported(`Pad mode '${String(a.mode)}' (only 'constant' is written; TFLite MIRROR_PAD is not mapped yet)`);
  const rank = cx.rank(node.inputs[0]);
  const pads = intsOf(cx.requireConstant(node.inputs[1], 'Pad pads'));
  const axes = node.inputs[3] ? intsOf(cx.requireConstant(node.inputs[3], 'Pad axes')).map((v) => normalizeAxis(v, rank)) : Array.from({ length: rank }, (_, i) => i);
  const paddings = new Array<number>(2 * rank).fill(0);
  axes.forEach((ax, i) => {
    paddings[2 * ax] = pads[i];
    paddings[2 * ax + 1] = pads[i + axes.length];
  });
  if (paddings.some((p) => p < 0)) unsupported('Pad with negative pads (cropping)');
  const value = node.inputs[2] ? cx.requireConstant(node.inputs[2], 'Pad value').get(0) : 0;
  const x = cx.input(0);
  const y = cx.output(0);
  const p = cx.int32(`${cx.outName()}_paddings`, paddings, [rank, 2]);
  if (value === 0) return sameScale(cx, x, y, (out) => cx.emit('PAD', [x, p], [out], padOptions()));
  if (cx.quantized) unsupported('quantized Pad with a non-zero value');
  const v = cx.constTensor(`${cx.outName()}_value`, new Tensor('float32', [], Float32Array.of(value)));
  cx.emit('PADV2', [x, p, v], [y], padV2Options());
};

const REDUCE: Record<string, BuiltinName> = { ReduceMean: 'MEAN', ReduceSum: 'SUM', ReduceMax: 'REDUCE_MAX' };

export const lowerReduce: LowerFn = (cx, node, a) => {
  const rank = cx.rank(node.inputs[0]);
  let axes = node.inputs[1] ? intsOf(cx.requireConstant(node.inputs[1], `${node.op} axes`)) : [];
  if (!axes.length) {
    if (a.noop_with_empty_axes) return lowerIdentity(cx, node, a);
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  axes = axes.map((v) => normalizeAxis(v, rank));
  const x = cx.input(0);
  const y = cx.output(0);
  const op = REDUCE[node.op];
  const ax = cx.int32(`${cx.outName()}_axes`, axes);
  const keep = ((a.keepdims as number) ?? 1) === 1;
  if (cx.quantized && op !== 'MEAN') sameScale(cx, x, y, (out) => cx.emit(op, [x, ax], [out], reducerOptions(keep)));
  else cx.emit(op, [x, ax], [y], reducerOptions(keep));
};

// ------------------------------------------------------------------ resize

/** ONNX's source coordinate of output index `x` for one axis. */
function sourceCoordinate(mode: string, x: number, scale: number, inSize: number, outSize: number): number {
  switch (mode) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return outSize > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return outSize === 1 ? 0 : (x * (inSize - 1)) / (outSize - 1);
    case 'asymmetric': return x / scale;
    case 'tf_half_pixel_for_nn': return (x + 0.5) / scale;
    default: return unsupported(`Resize coordinate_transformation_mode '${mode}'`);
  }
}

function nearestRound(mode: string, v: number): number {
  switch (mode) {
    case 'round_prefer_floor': return v === Math.floor(v) + 0.5 ? Math.floor(v) : Math.round(v);
    case 'round_prefer_ceil': return v === Math.floor(v) + 0.5 ? Math.ceil(v) : Math.round(v);
    case 'floor': return Math.floor(v);
    case 'ceil': return Math.ceil(v);
    default: return unsupported(`Resize nearest_mode '${mode}'`);
  }
}

/** TFLite RESIZE_NEAREST_NEIGHBOR's source index (reference kernel). */
function tfliteNearest(x: number, inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): number {
  const scale = Math.fround(alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize);
  const offset = halfPixel ? 0.5 : 0;
  const v = Math.fround((x + offset) * scale);
  let i = Math.min(alignCorners ? Math.round(v) : Math.floor(v), inSize - 1);
  if (halfPixel) i = Math.max(0, i);
  return i;
}

export const lowerResize: LowerFn = (cx, node, a) => {
  const inShape = cx.shape(node.inputs[0]);
  const outShape = cx.shape(node.outputs[0]);
  if (inShape.length !== 4 || inShape[0] !== outShape[0] || inShape[3] !== outShape[3]) unsupported('Resize other than of the spatial dims of a rank-4 NHWC tensor');
  if (a.antialias) unsupported('Resize with antialias');
  const mode = (a.mode as string) ?? 'nearest';
  const ctm = (a.coordinate_transformation_mode as string) ?? 'half_pixel';
  const scales = node.inputs[2] && cx.constant(node.inputs[2]) ? cx.constant(node.inputs[2])!.toNumbers() : undefined;
  const scaleOf = (ax: number) => (scales && scales.length === 4 ? scales[ax] : outShape[ax] / inShape[ax]);
  for (const ax of [1, 2]) if (Math.fround(scaleOf(ax)) !== Math.fround(outShape[ax] / inShape[ax])) unsupported(`Resize scale ${scaleOf(ax)} is not output/input size (${outShape[ax]}/${inShape[ax]}); TFLite derives the scale from the sizes`);
  let alignCorners = false;
  let halfPixel = false;
  if (mode === 'linear') {
    if (ctm === 'align_corners') alignCorners = true;
    else if (ctm === 'half_pixel' || (ctm === 'pytorch_half_pixel' && outShape[1] > 1 && outShape[2] > 1)) halfPixel = true;
    else if (ctm !== 'asymmetric') unsupported(`linear Resize with coordinate_transformation_mode '${ctm}'`);
  } else if (mode === 'nearest') {
    const nm = (a.nearest_mode as string) ?? 'round_prefer_floor';
    const want = (ax: number) => Array.from({ length: outShape[ax] }, (_, x) => Math.max(0, Math.min(inShape[ax] - 1, nearestRound(nm, sourceCoordinate(ctm, x, scaleOf(ax), inShape[ax], outShape[ax])))));
    const wants = [want(1), want(2)];
    const combos: [boolean, boolean][] = [[false, false], [false, true], [true, false]];
    const found = combos.find(([ac, hp]) => [1, 2].every((ax, k) => wants[k].every((v, x) => v === tfliteNearest(x, inShape[ax], outShape[ax], ac, hp))));
    if (!found) unsupported(`nearest Resize (${ctm}, ${nm}) picks source pixels no TFLite RESIZE_NEAREST_NEIGHBOR option reproduces for these sizes`);
    [alignCorners, halfPixel] = found;
  } else unsupported(`Resize mode '${mode}' (TFLite has bilinear and nearest)`);
  const x = cx.input(0);
  const y = cx.output(0);
  const size = cx.int32(`${cx.outName()}_size`, [outShape[1], outShape[2]]);
  const facts = { halfPixel, alignCorners };
  sameScale(cx, x, y, (out) =>
    mode === 'linear'
      ? cx.emit('RESIZE_BILINEAR', [x, size], [out], resizeBilinearOptions(alignCorners, halfPixel), facts)
      : cx.emit('RESIZE_NEAREST_NEIGHBOR', [x, size], [out], resizeNearestOptions(alignCorners, halfPixel), facts),
  );
};

// ------------------------------------------------------------------ quantization

/** QuantizeLinear not absorbed by a quantized producer: QUANTIZE (float -> int8, or requantize). */
export const lowerQuantizeLinear: LowerFn = (cx, node) => {
  const t = cx.type(node.outputs[0]);
  if (t.dtype !== 'int8' && t.dtype !== 'int16') unsupported(`QuantizeLinear to ${t.dtype}: TFLite integer models use int8 (or int16) activations`);
  if (!t.quant) unsupported('QuantizeLinear with computed scale or zero point');
  if (t.quant.kind !== 'per-tensor') unsupported('per-axis QuantizeLinear of activations');
  cx.emit('QUANTIZE', [cx.value(node.inputs[0])], [cx.value(node.outputs[0])], quantizeOptions(), { input: 'float32' });
};

/** DequantizeLinear some float node reads: DEQUANTIZE (int8 activations or constants). */
export const lowerDequantizeLinear: LowerFn = (cx, node) => {
  const q = quantConstOf(cx, node.outputs[0]);
  const y = cx.value(node.outputs[0]);
  if (q) {
    const perChannel = q.quant.kind === 'per-axis';
    const src = cx.constTensor(`${node.inputs[0]}`, q.data, perChannel ? { scale: [...(q.quant as { scales: Float32Array }).scales], zeroPoint: [...(q.quant as { zeroPoints: Int32Array }).zeroPoints], dim: (q.quant as { axis: number }).axis } : { scale: [(q.quant as { scale: number }).scale], zeroPoint: [(q.quant as { zeroPoint: number }).zeroPoint], dim: 0 });
    return cx.emit('DEQUANTIZE', [src], [y], dequantizeOptions(), { input: q.data.dtype === 'int8' ? 'int8' : 'other', perChannel });
  }
  const x = cx.value(node.inputs[0]);
  const xt = cx.tensor(x);
  if (!xt.quant) unsupported('DequantizeLinear of a value without constant scale / zero point');
  cx.emit('DEQUANTIZE', [x], [y], dequantizeOptions(), { input: cx.dtype(node.inputs[0]) === 'int8' ? 'int8' : 'other' });
};

/** The IR's Dequantize of a constant carrying quant params (weight-only quantization): DEQUANTIZE. */
export const lowerDequantize: LowerFn = (cx, node) => {
  const c = cx.requireConstant(node.inputs[0], 'Dequantize input');
  if ((node.attrs.to ?? 'float32') !== 'float32') unsupported('Dequantize to float16');
  if (!c.quant || (c.quant.kind !== 'per-tensor' && c.quant.kind !== 'per-axis')) unsupported(`Dequantize of ${c.quant?.kind ?? 'unquantized'} weights (TFLite stores per-tensor or per-axis)`);
  if (c.dtype !== 'int8' && c.dtype !== 'int16') unsupported(`Dequantize of ${c.dtype} weights (TFLite DEQUANTIZE reads int8, int16 or float16)`);
  const src = cx.constTensor(node.inputs[0], c);
  cx.emit('DEQUANTIZE', [src], [cx.output(0)], dequantizeOptions(), { input: c.dtype, perChannel: c.quant.kind === 'per-axis' });
};

/** Cast of a float16 constant to float32 (how float16 weights come back from a .tflite): DEQUANTIZE. */
export const lowerCast: LowerFn = (cx, node, a) => {
  const c = cx.constant(node.inputs[0]);
  if (!c || c.dtype !== 'float16' || a.to !== 'float32') unsupported('Cast other than of a float16 constant to float32 (TFLite CAST is not mapped yet)');
  const src = cx.constTensor(node.inputs[0], c);
  cx.emit('DEQUANTIZE', [src], [cx.output(0)], dequantizeOptions(), { input: 'float16' });
};

