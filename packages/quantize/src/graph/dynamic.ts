/**
 * Dynamic-range quantization: int8 weights (symmetric, per output channel) and activations
 * quantized on the fly to uint8 by DynamicQuantizeLinear, multiplied in int32 by MatMulInteger /
 * ConvInteger, and scaled back to float by input scale x weight scale:
 *
 *   x -> DynamicQuantizeLinear -> (xq, sx, zx) -> MatMulInteger(xq, Wq, zx) -> Cast -> * (sx * sw) [+ b] [-> act]
 */
import { Tensor, findSchema, type Graph, type NodeInit, type Attrs } from '@mo/ir';
import { round } from '../math.js';
import type { LayerReport } from '../report-types.js';
import { tensorBytes } from '../size.js';
import { quantizeAffine } from '../weights/affine.js';
import { Names, activationNodes, dropUnusedInitializers, fusedActivationOf } from './edit.js';
import { weightSlots } from './roles.js';

export interface DynamicOptions {
  readonly perChannel: boolean;
  readonly minSize: number;
  readonly keepFloat: ReadonlyMap<string, string>;
}

/** Transposes a 2-D int8 tensor. */
function transpose2d(t: Tensor<'int8'>): Tensor<'int8'> {
  const [r, c] = t.shape;
  const out = new Int8Array(t.size);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return new Tensor('int8', [c, r], out);
}

/** Rewrites MatMul / Gemm / Conv with constant weights to dynamic-range integer products. */
export function rewriteDynamic(g: Graph, opts: DynamicOptions): { graph: Graph; layers: LayerReport[] } {
  const names = new Names(g);
  const inits = new Map(g.initializers);
  const layers: LayerReport[] = [];
  const nodes: NodeInit[] = [];
  const convIntegerAttrs = Object.keys(findSchema('ConvInteger')?.attrs ?? {});

  for (const n of g.topologicalOrder()) {
    const slots = weightSlots(g, n);
    const weight = slots.find((s) => s.role === 'weight' && s.input === 1);
    const supported = n.op === 'MatMul' ? weight !== undefined && weight.tensor.shape.length >= 2 : n.op === 'Gemm' ? (n.attrs.transA as number | undefined) !== 1 : n.op === 'Conv' ? (n.attrs.layout ?? 'NCHW') === 'NCHW' : false;
    if (!weight || !supported) {
      if (weight) layers.push({ node: n.name, op: n.op, weight: weight.name, scheme: 'float', dtype: 'float32', bits: 32, bytes: { before: tensorBytes(weight.tensor), after: tensorBytes(weight.tensor) }, reason: `dynamic quantization covers MatMul, Gemm (transA = 0) and NCHW Conv, not this ${n.op}` });
      nodes.push(n);
      continue;
    }
    const why = opts.keepFloat.get(n.name) ?? (weight.tensor.size < opts.minSize ? `weight has ${weight.tensor.size} elements, below minSize ${opts.minSize}` : undefined);
    if (why) {
      layers.push({ node: n.name, op: n.op, weight: weight.name, scheme: 'float', dtype: 'float32', bits: 32, bytes: { before: tensorBytes(weight.tensor), after: tensorBytes(weight.tensor) }, reason: why });
      nodes.push(n);
      continue;
    }
    const w = weight.tensor;
    const perChannel = opts.perChannel && weight.channelAxis !== undefined;
    const r = quantizeAffine(w, { bits: 8, symmetric: true, granularity: perChannel ? { kind: 'per-channel', axis: weight.channelAxis! } : { kind: 'per-tensor' } });
    const base = n.name;
    const x = n.inputs[0];
    const [xq, xs, xz] = ['x_quantized', 'x_scale', 'x_zero_point'].map((s) => names.fresh(`${base}/${s}`));
    nodes.push({ name: names.fresh(`${base}/DynamicQuantizeLinear`), op: 'DynamicQuantizeLinear', inputs: [x], outputs: [xq, xs, xz] });
    const acc = names.fresh(`${base}/acc`);
    const wName = names.fresh(`${weight.name}_quantized`);
    const channels = r.scales.length;
    const alpha = n.op === 'Gemm' ? ((n.attrs.alpha as number | undefined) ?? 1) : 1;
    let scaleShape: number[];
    if (n.op === 'Conv') {
      inits.set(wName, r.q.withQuant(undefined));
      const attrs: Record<string, Attrs[string]> = {};
      for (const k of convIntegerAttrs) if (n.attrs[k] !== undefined) attrs[k] = n.attrs[k];
      nodes.push({ name: names.fresh(`${base}/ConvInteger`), op: 'ConvInteger', inputs: [xq, wName, xz], outputs: [acc], attrs });
      scaleShape = perChannel ? [1, channels, ...Array<number>(w.shape.length - 2).fill(1)] : [];
    } else {
      // MatMulInteger wants B as [K, N]: a transB Gemm weight is transposed once here.
      const transB = n.op === 'Gemm' && (n.attrs.transB as number | undefined) === 1;
      inits.set(wName, transB ? transpose2d(r.q.withQuant(undefined) as Tensor<'int8'>) : r.q.withQuant(undefined));
      nodes.push({ name: names.fresh(`${base}/MatMulInteger`), op: 'MatMulInteger', inputs: [xq, wName, xz], outputs: [acc] });
      scaleShape = perChannel ? [channels] : [];
    }
    const wScale = names.fresh(`${weight.name}_scale`);
    inits.set(wScale, new Tensor('float32', scaleShape, Float32Array.from(r.scales, (s) => s * alpha)));
    const accF = names.fresh(`${base}/acc_float`);
    const scale = names.fresh(`${base}/output_scale`);
    const scaled = names.fresh(`${base}/scaled`);
    nodes.push({ name: names.fresh(`${base}/Cast`), op: 'Cast', inputs: [acc], outputs: [accF], attrs: { to: 'float32' } });
    nodes.push({ name: names.fresh(`${base}/MulScale`), op: 'Mul', inputs: [xs, wScale], outputs: [scale] });
    nodes.push({ name: names.fresh(`${base}/Rescale`), op: 'Mul', inputs: [accF, scale], outputs: [scaled] });
    let y = scaled;
    const bias = n.inputs[2];
    if (bias) {
      const b = g.initializers.get(bias);
      let biasName = bias;
      const beta = n.op === 'Gemm' ? ((n.attrs.beta as number | undefined) ?? 1) : 1;
      if (n.op === 'Conv' && b) {
        biasName = names.fresh(`${bias}_channels`);
        inits.set(biasName, b.reshape([1, b.size, ...Array<number>(w.shape.length - 2).fill(1)]));
      } else if (beta !== 1 && b) {
        biasName = names.fresh(`${bias}_beta`);
        inits.set(biasName, new Tensor('float32', b.shape, Float32Array.from(b.toFloat32(), (v) => v * beta)));
      } else if (!b && n.op === 'Conv') {
        biasName = '';
      }
      if (biasName) {
        const withBias = names.fresh(`${base}/biased`);
        nodes.push({ name: names.fresh(`${base}/AddBias`), op: 'Add', inputs: [scaled, biasName], outputs: [withBias] });
        y = withBias;
      }
    }
    const { activation, params } = fusedActivationOf(n.attrs);
    const act = activationNodes(activation, params, y, n.outputs[0], names, base);
    nodes.push(...act.nodes);
    for (const [k, t] of act.initializers) inits.set(k, t);
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of r.scales) [lo, hi] = [Math.min(lo, s), Math.max(hi, s)];
    layers.push({
      node: n.name,
      op: n.op,
      weight: weight.name,
      scheme: `int8 ${perChannel ? 'per-channel' : 'per-tensor'} symmetric, dynamic uint8 activations`,
      dtype: 'int8',
      bits: 8,
      granularity: perChannel ? 'per-channel' : 'per-tensor',
      symmetric: true,
      scaleRange: [lo, hi],
      weightError: { mse: r.error.mse, maxAbs: r.error.maxAbs, sqnrDb: round(r.error.sqnrDb, 2) },
      bytes: { before: tensorBytes(w), after: tensorBytes(inits.get(wName)!) + tensorBytes(inits.get(wScale)!) },
    });
  }
  return { graph: dropUnusedInitializers(g.with({ nodes, initializers: inits })), layers };
}
