/**
 * Pieces several export rules share: fused activations, TFLite's SAME/VALID padding versus the
 * IR's explicit pads, and window attributes of NHWC convolutions and pools.
 */
import { Tensor, type Node, type ResolvedAttrs } from '@mo/ir';
import { unsupported } from '../errors.js';
import type { LowerContext } from './context.js';
import type { TflQuant } from './model.js';
import { ActivationFunctionType, Padding, binaryOptions, hardSwishOptions, leakyReluOptions, maxMinOptions } from './options.js';

// ------------------------------------------------------------------ activations

/** The fused activation of an IR `activation` + `activation_params`, when TFLite has one. */
export function fusedActivationType(act: string | undefined, params: readonly number[] | undefined): ActivationFunctionType | undefined {
  const p = params ?? [];
  switch (act ?? 'none') {
    case 'none':
      return ActivationFunctionType.NONE;
    case 'Relu':
      return ActivationFunctionType.RELU;
    case 'Clip': {
      const [lo, hi] = p.length ? p : [-Infinity, Infinity];
      if (lo === 0 && hi === 6) return ActivationFunctionType.RELU6;
      if (lo === -1 && hi === 1) return ActivationFunctionType.RELU_N1_TO_1;
      if (lo === 0 && hi === Infinity) return ActivationFunctionType.RELU;
      if (lo === -Infinity && hi === Infinity) return ActivationFunctionType.NONE;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** A float32 scalar constant shaped [1] (broadcasts against anything). */
export function scalarConst(cx: LowerContext, base: string, value: number, like?: number): number {
  const q = like !== undefined ? cx.tensor(like).quant : undefined;
  if (q) unsupported('scalar operands of quantized activations are not supported');
  return cx.constTensor(base, new Tensor('float32', [1], Float32Array.of(value)));
}

/**
 * Emits y = act(x) as standalone TFLite operators. Relu -> RELU, Clip(0,6) -> RELU6,
 * Clip(-1,1) -> RELU_N1_TO_1, Clip(0,1) -> RELU_0_TO_1, other Clip -> MAXIMUM/MINIMUM,
 * Sigmoid -> LOGISTIC, Tanh -> TANH, HardSwish -> HARD_SWISH, LeakyRelu -> LEAKY_RELU,
 * HardSigmoid(a, b) -> [MUL 6a] + ADD 6b (fused RELU6) + MUL 1/6.
 */
export function emitActivation(cx: LowerContext, act: string, params: readonly number[], x: number, y: number): void {
  const base = cx.tensor(y).name;
  const t = cx.tensor(x);
  const fused = fusedActivationType(act, params);
  if (fused === ActivationFunctionType.NONE) unsupported('internal: emitActivation called with no activation');
  const simple: Record<number, 'RELU' | 'RELU6' | 'RELU_N1_TO_1'> = {
    [ActivationFunctionType.RELU]: 'RELU',
    [ActivationFunctionType.RELU6]: 'RELU6',
    [ActivationFunctionType.RELU_N1_TO_1]: 'RELU_N1_TO_1',
  };
  if (fused !== undefined && simple[fused]) return cx.emit(simple[fused], [x], [y]);
  switch (act) {
    case 'Clip': {
      const [lo, hi] = params.length ? params : [-Infinity, Infinity];
      if (lo === 0 && hi === 1 && !t.quant) return cx.emit('RELU_0_TO_1', [x], [y]);
      if (t.quant) unsupported(`Clip(${lo}, ${hi}) on a quantized tensor: only Relu, Clip(0, 6) and Clip(-1, 1) have integer kernels`);
      let cur = x;
      if (lo !== -Infinity) {
        const out = hi === Infinity ? y : cx.temp(`${base}_max`, 'float32', t.shape);
        cx.emit('MAXIMUM', [cur, scalarConst(cx, `${base}_lo`, lo)], [out], maxMinOptions());
        cur = out;
      }
      if (hi !== Infinity) cx.emit('MINIMUM', [cur, scalarConst(cx, `${base}_hi`, hi)], [y], maxMinOptions());
      return;
    }
    case 'Sigmoid':
      return cx.emit('LOGISTIC', [x], [y]);
    case 'Tanh':
      return cx.emit('TANH', [x], [y]);
    case 'HardSwish':
      return cx.emit('HARD_SWISH', [x], [y], hardSwishOptions());
    case 'LeakyRelu':
      return cx.emit('LEAKY_RELU', [x], [y], leakyReluOptions(params.length ? params[0] : 0.01));
    case 'HardSigmoid': {
      if (t.quant) unsupported('HardSigmoid on a quantized tensor has no integer TFLite form');
      const [alpha, beta] = params.length ? params : [0.2, 0.5];
      // hardsigmoid(x) = relu6(6a*x + 6b) / 6; for a = 1/6, b = 1/2 this is relu6(x + 3) / 6 as Keras writes it.
      let cur = x;
      if (Math.fround(6 * alpha) !== 1) {
        cur = cx.temp(`${base}_scaled`, 'float32', t.shape);
        cx.emit('MUL', [x, scalarConst(cx, `${base}_alpha6`, 6 * alpha)], [cur], binaryOptions('MUL', ActivationFunctionType.NONE));
      }
      const shifted = cx.temp(`${base}_relu6`, 'float32', t.shape);
      cx.emit('ADD', [cur, scalarConst(cx, `${base}_beta6`, 6 * beta)], [shifted], binaryOptions('ADD', ActivationFunctionType.RELU6));
      cx.emit('MUL', [shifted, scalarConst(cx, `${base}_sixth`, 1 / 6)], [y], binaryOptions('MUL', ActivationFunctionType.NONE));
      return;
    }
    default:
      unsupported(`activation ${act} has no TFLite form`);
  }
}

/**
 * Writes an operator with a fused activation: TFLite's own when it has one, otherwise the
 * operator without activation into a temporary, then the activation as separate operators.
 */
export function withActivation(cx: LowerContext, attrs: ResolvedAttrs, y: number, write: (out: number, act: ActivationFunctionType) => void): void {
  const act = (attrs.activation as string | undefined) ?? 'none';
  const params = (attrs.activation_params as readonly number[] | undefined) ?? [];
  const fused = fusedActivationType(act, params);
  if (fused !== undefined) return write(y, fused);
  if (cx.quantized) unsupported(`quantized ${cx.node?.op} with fused ${act}: TFLite fuses only Relu, Relu6 and Relu(-1,1); keep a QuantizeLinear/DequantizeLinear pair between the operator and its ${act} so the intermediate has quantization params`);
  const t = cx.tensor(y);
  const tmp = cx.temp(`${t.name}_pre_${act.toLowerCase()}`, 'float32', t.shape, t.quant as TflQuant | undefined);
  write(tmp, ActivationFunctionType.NONE);
  emitActivation(cx, act, params, tmp, y);
}

// ------------------------------------------------------------------ windows and padding

/** Strides, dilations, kernel and the resolved begin/end pads of a 2-D window op in NHWC. */
export interface Window2D {
  readonly kernel: [number, number];
  readonly strides: [number, number];
  readonly dilations: [number, number];
  /** [top, left, bottom, right] as the IR computes them (auto_pad resolved). */
  readonly pads: [number, number, number, number];
  readonly inSpatial: [number, number];
  readonly outSpatial: [number, number];
}

/** Reads a 2-D window (conv or pool) of an NHWC node whose input/output shapes are known. */
export function window2d(cx: LowerContext, node: Node, attrs: ResolvedAttrs, kernel: readonly number[]): Window2D {
  const xs = cx.shape(node.inputs[0]);
  const ys = cx.shape(node.outputs[0]);
  if (xs.length !== 4) unsupported(`${node.op} on rank ${xs.length} input: TFLite has 2-D windows only (rank-4 NHWC tensors)`);
  if ((attrs.layout ?? 'NCHW') !== 'NHWC') unsupported(`internal: ${node.op} still in ${String(attrs.layout ?? 'NCHW')} layout after layout conversion`);
  if (kernel.length !== 2) unsupported(`kernel of ${kernel.length} spatial dims`);
  const strides = (attrs.strides as readonly number[] | undefined) ?? [1, 1];
  const dilations = (attrs.dilations as readonly number[] | undefined) ?? [1, 1];
  const inSpatial: [number, number] = [xs[1], xs[2]];
  const outSpatial: [number, number] = [ys[1], ys[2]];
  const autoPad = (attrs.auto_pad as string | undefined) ?? 'NOTSET';
  const pads: number[] = [0, 0, 0, 0];
  for (let i = 0; i < 2; i++) {
    const effK = (kernel[i] - 1) * dilations[i] + 1;
    const total = Math.max((outSpatial[i] - 1) * strides[i] + effK - inSpatial[i], 0);
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + 2] = total - pads[i];
    } else if (autoPad === 'NOTSET') {
      const p = (attrs.pads as readonly number[] | undefined) ?? [0, 0, 0, 0];
      pads[i] = p[i];
      pads[i + 2] = p[i + 2];
    }
  }
  return {
    kernel: [kernel[0], kernel[1]],
    strides: [strides[0], strides[1]],
    dilations: [dilations[0], dilations[1]],
    pads: pads as [number, number, number, number],
    inSpatial,
    outSpatial,
  };
}

/**
 * How TFLite can express the window's padding: SAME or VALID, or VALID after explicit padding
 * [[top, bottom], [left, right]] (pads the output actually reads; ceil-mode windows may read
 * past the IR's end pads).
 */
export function choosePadding(w: Window2D): { padding: Padding; explicit?: [[number, number], [number, number]] } {
  const before: number[] = [];
  const after: number[] = [];
  let same = true;
  for (let i = 0; i < 2; i++) {
    const effK = (w.kernel[i] - 1) * w.dilations[i] + 1;
    const extent = (w.outSpatial[i] - 1) * w.strides[i] + effK;
    const b = w.pads[i];
    const a = Math.max(0, extent - w.inSpatial[i] - b);
    before.push(b);
    after.push(a);
    const total = Math.max(extent - w.inSpatial[i], 0);
    const sameOut = Math.ceil(w.inSpatial[i] / w.strides[i]);
    if (!(w.outSpatial[i] === sameOut && b === Math.floor(total / 2) && a === total - b)) same = false;
  }
  if (before.every((v) => v === 0) && after.every((v) => v === 0)) return { padding: Padding.VALID };
  if (same) return { padding: Padding.SAME };
  return { padding: Padding.VALID, explicit: [[before[0], after[0]], [before[1], after[1]]] };
}
