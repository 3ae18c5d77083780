/**
 * Integer helpers of the export rules: quantized weights read from DequantizeLinear of constants,
 * weights and biases quantized by the exporter (TFLite's spec: int8 weights symmetric in
 * [-127, 127] per output channel, int32 bias with scale input_scale * weight_scale[c]), and
 * requantization when an integer kernel fixes its output params.
 */
import { Tensor, perAxis, perTensor, roundHalfEven, type QuantParams } from '@mo/ir';
import { unsupported } from '../errors.js';
import type { LowerContext } from './context.js';
import type { TflQuant } from './model.js';
import { quantizeOptions } from './options.js';
import type { QuantizedConstant } from './quant-plan.js';

/** The quantized constant behind `value` (a DequantizeLinear of an initializer), if it is one. */
export function quantConstOf(cx: LowerContext, value: string): QuantizedConstant | undefined {
  const p = cx.graph.producerOf(value);
  if (!p || p.op !== 'DequantizeLinear') return undefined;
  const data = cx.constant(p.inputs[0]);
  const scale = cx.constant(p.inputs[1]);
  const zp = p.inputs[2] ? cx.constant(p.inputs[2]) : undefined;
  if (!data || !scale || (p.inputs[2] && !zp)) return undefined;
  if ((p.attrs.block_size as number | undefined) ?? 0) unsupported('blocked (per-block) weights have no TFLite form');
  const s = scale.toNumbers();
  const z = zp ? zp.toNumbers() : new Array<number>(s.length).fill(0);
  let quant: QuantParams;
  if (scale.size === 1) quant = perTensor(s[0], z[0]);
  else {
    const a = (p.attrs.axis as number | undefined) ?? 1;
    quant = perAxis(a < 0 ? a + data.rank : a, s, z);
  }
  return { data, quant };
}

/** Scales of a per-tensor or per-axis param set, one per channel (`channels` entries). */
export function scalesOf(q: QuantParams, channels: number): number[] {
  if (q.kind === 'per-tensor') return new Array<number>(channels).fill(q.scale);
  if (q.kind === 'per-axis') return [...q.scales];
  return unsupported(`${q.kind} quantization has no TFLite form`);
}

/** Checks TFLite's symmetric-weight rule (zero points all 0). */
export function checkSymmetric(q: QuantParams, what: string): void {
  const zps = q.kind === 'per-tensor' ? [q.zeroPoint] : q.kind === 'per-axis' || q.kind === 'per-block' ? [...q.zeroPoints] : [];
  if (zps.some((z) => z !== 0)) unsupported(`${what} has non-zero zero points; TFLite int8 weights are symmetric (zero point 0)`);
}

/** Symmetric int8 weights in [-127, 127], one scale per index of `axis`. */
export function quantizeWeights(w: Tensor, axis: number): QuantizedConstant {
  const v = w.toFloat32();
  const shape = w.shape;
  const channels = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < v.length; i++) {
    const c = Math.floor(i / inner) % channels;
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(v[i]));
  }
  const scales = Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const c = Math.floor(i / inner) % channels;
    q[i] = Math.max(-127, Math.min(127, roundHalfEven(v[i] / scales[c])));
  }
  const quant = perAxis(axis, scales);
  return { data: new Tensor('int8', shape, q, quant), quant };
}

/** int32 bias for an integer conv / fully connected: round(b / (inputScale * weightScale[c])). */
export function quantizeBias(cx: LowerContext, value: string | undefined, channels: number, inputScale: number, weightScales: readonly number[]): Tensor<'int32'> {
  const out = new Int32Array(channels);
  if (value) {
    const q = quantConstOf(cx, value);
    if (q && q.data.dtype === 'int32') {
      // Already int32: check its scale is the one the kernel assumes.
      const s = scalesOf(q.quant, channels);
      s.forEach((sc, c) => {
        const want = inputScale * weightScales[c];
        if (Math.abs(sc - want) > 1e-6 * want) unsupported(`int32 bias scale ${sc} of channel ${c} differs from input_scale * weight_scale = ${want}`);
      });
      return new Tensor('int32', [channels], Int32Array.from(q.data.toNumbers()));
    }
    const b = (q ? dequantized(q) : cx.requireConstant(value, 'bias')).toFloat32();
    if (b.length !== channels && b.length !== 1) unsupported(`bias has ${b.length} values for ${channels} channels`);
    for (let c = 0; c < channels; c++) {
      const v = roundHalfEven(b[b.length === 1 ? 0 : c] / (inputScale * weightScales[c]));
      out[c] = Math.max(-2147483648, Math.min(2147483647, v));
    }
  }
  return new Tensor('int32', [channels], out);
}

/**
 * Params of the int32 bias of an integer conv / fully connected: scale input_scale * weight_scale,
 * with one value when the weights have one scale (runtimes such as Arm NN reject a per-channel bias
 * next to per-tensor weights), one per output channel otherwise.
 */
export function biasQuant(inputScale: number, weightScales: readonly number[], perTensor: boolean): TflQuant {
  const scale = (perTensor ? weightScales.slice(0, 1) : weightScales).map((s) => inputScale * s);
  return { scale, zeroPoint: new Array<number>(scale.length).fill(0), dim: 0 };
}

/** Float values of a quantized constant. */
export function dequantized(q: QuantizedConstant): Tensor<'float32'> {
  const d = q.data;
  const out = new Float32Array(d.size);
  const shape = d.shape;
  for (let i = 0; i < d.size; i++) {
    let scale: number;
    let zp: number;
    if (q.quant.kind === 'per-tensor') {
      scale = q.quant.scale;
      zp = q.quant.zeroPoint;
    } else if (q.quant.kind === 'per-axis') {
      const inner = shape.slice(q.quant.axis + 1).reduce((a, b) => a * b, 1);
      const c = Math.floor(i / inner) % shape[q.quant.axis];
      scale = q.quant.scales[c];
      zp = q.quant.zeroPoints[c];
    } else return unsupported(`${q.quant.kind} quantization has no TFLite form`);
    out[i] = (d.get(i) - zp) * scale;
  }
  return new Tensor('float32', shape, out);
}

/** The per-tensor params of an int8 activation tensor. */
export function activationParams(cx: LowerContext, index: number): { scale: number; zeroPoint: number } {
  const q = cx.tensor(index).quant;
  if (!q || q.scale.length !== 1) unsupported(`tensor '${cx.tensor(index).name}' needs per-tensor quantization params`);
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
}

const sameQuant = (a: TflQuant | undefined, b: TflQuant): boolean =>
  a !== undefined && a.scale.length === 1 && Math.fround(a.scale[0]) === Math.fround(b.scale[0]) && a.zeroPoint[0] === b.zeroPoint[0];

/**
 * Writes an integer operator whose kernel needs output params `required` (LOGISTIC, SOFTMAX,
 * TANH, and the ops that keep their input's params): straight into `y` when its params match,
 * else into a temporary followed by a QUANTIZE (int8 -> int8 requantization) into `y`.
 */
export function writeRequantized(cx: LowerContext, y: number, required: TflQuant, write: (out: number) => void): void {
  const t = cx.tensor(y);
  if (sameQuant(t.quant, required)) return write(y);
  const tmp = cx.temp(`${t.name}_requant`, 'int8', t.shape, required);
  write(tmp);
  cx.emit('QUANTIZE', [tmp], [y], quantizeOptions(), { input: 'int8' });
}
