/**
 * Weight-only rewrites: each weight initializer of a Conv / ConvTranspose / Gemm / MatMul / Gather
 * becomes a quantized initializer (int2..8 affine, or a palettized lookup-table index tensor, or a
 * float16/bfloat16 copy) feeding a Dequantize (or DequantizeLinear, or Cast) node that feeds the
 * original consumer. Activations stay float.
 */
import { Tensor, allocate, writeElement, type Graph, type Node, type NodeInit, type TypedArray } from '@mo/ir';
import { outputShift } from '../correct/bias.js';
import { round } from '../math.js';
import type { LayerReport } from '../report-types.js';
import { tensorBytes } from '../size.js';
import { quantizeAffine, type AffineResult, type Granularity } from '../weights/affine.js';
import { palettize } from '../weights/palettize.js';
import { Names, dropUnusedInitializers, int64Vector } from './edit.js';
import { weightSlots, type WeightSlot } from './roles.js';

export interface WeightRewriteOptions {
  readonly family: 'weights' | 'palettize' | 'half';
  readonly bits: number;
  readonly symmetric: boolean;
  readonly perChannel: boolean;
  readonly groupSize: number;
  readonly minSize: number;
  readonly weightOp: 'Dequantize' | 'DequantizeLinear';
  readonly halfType: 'float16' | 'bfloat16';
  readonly seed: number;
  /** Nodes that stay float, with the reason. */
  readonly keepFloat: ReadonlyMap<string, string>;
  /** Per node, bits that replace `bits` (mixed precision). */
  readonly bitsOverride?: ReadonlyMap<string, number>;
  /** Per node, mean of its data input per channel (bias correction). */
  readonly inputMeans?: ReadonlyMap<string, ArrayLike<number>>;
}

export interface WeightRewriteResult {
  readonly graph: Graph;
  readonly layers: LayerReport[];
  /** Scheme bits of each quantized initializer (for packed sizes). */
  readonly bitsOf: ReadonlyMap<string, number>;
}

function describe(bits: number, g: Granularity | 'lut', symmetric: boolean, groupSize: number): string {
  if (g === 'lut') return `lut${bits} ${groupSize > 0 ? `grouped(${groupSize})` : 'per-tensor'}`;
  const gran = g.kind === 'per-block' ? `per-block(${g.blockSize})` : g.kind;
  return `int${bits} ${gran} ${symmetric ? 'symmetric' : 'asymmetric'}`;
}

function halfCopy(t: Tensor, dtype: 'float16' | 'bfloat16'): { q: Tensor; dequantized: Float32Array } {
  const data = allocate(dtype, t.size) as TypedArray;
  for (let i = 0; i < t.size; i++) writeElement(dtype, data, i, t.get(i));
  const q = new Tensor(dtype, t.shape, data as Uint16Array);
  return { q: q as Tensor, dequantized: q.toFloat32() };
}

/** Rewrites the weights of every node not kept float. */
export function rewriteWeights(g: Graph, opts: WeightRewriteOptions): WeightRewriteResult {
  const names = new Names(g);
  const inits = new Map(g.initializers);
  const layers: LayerReport[] = [];
  const bitsOf = new Map<string, number>();
  const out: NodeInit[] = [];
  // One quantized copy per (initializer, scheme) even when several nodes read it.
  const cache = new Map<string, { value: string; layer: Omit<LayerReport, 'node' | 'op'> }>();

  const emitDequant = (slot: WeightSlot, bits: number): { value: string; layer: Omit<LayerReport, 'node' | 'op'>; dequantized?: Float32Array } => {
    const w = slot.tensor;
    const base = slot.name;
    const nodes: NodeInit[] = [];
    let value: string;
    let dequantized: Float32Array;
    let layer: Omit<LayerReport, 'node' | 'op'>;
    if (opts.family === 'half') {
      const { q, dequantized: d } = halfCopy(w, opts.halfType);
      const qName = names.fresh(`${base}_${opts.halfType}`);
      inits.set(qName, q);
      value = names.fresh(`${base}_float`);
      nodes.push({ name: names.fresh(`${base}/Cast`), op: 'Cast', inputs: [qName], outputs: [value], attrs: { to: 'float32' } });
      dequantized = d;
      const err = errorOf(w, d);
      layer = { weight: base, scheme: opts.halfType, dtype: opts.halfType, bits: 16, weightError: err, bytes: { before: tensorBytes(w), after: tensorBytes(q) } };
    } else if (opts.family === 'palettize') {
      const axis = slot.channelAxis ?? 0;
      const groupSize = slot.channelAxis === undefined ? 0 : opts.groupSize;
      const r = palettize(w, { bits, groupSize, axis, seed: opts.seed });
      const qName = names.fresh(`${base}_palettized`);
      inits.set(qName, r.q);
      bitsOf.set(qName, bits);
      value = names.fresh(`${base}_dequantized`);
      nodes.push({ name: names.fresh(`${base}/Dequantize`), op: 'Dequantize', inputs: [qName], outputs: [value] });
      dequantized = r.dequantized;
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of r.params.tables) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      layer = {
        weight: base,
        scheme: describe(bits, 'lut', true, groupSize),
        dtype: r.q.dtype,
        bits,
        granularity: 'lut',
        groupSize,
        scaleRange: [lo, hi],
        weightError: summary(r.error),
        bytes: { before: tensorBytes(w), after: tensorBytes(r.q) },
      };
    } else {
      const granularity: Granularity =
        opts.groupSize > 0 && slot.blockView
          ? { kind: 'per-block', axis: slot.blockView.axis, blockSize: opts.groupSize }
          : opts.perChannel && slot.channelAxis !== undefined
            ? { kind: 'per-channel', axis: slot.channelAxis }
            : { kind: 'per-tensor' };
      const view = granularity.kind === 'per-block' ? slot.blockView!.shape : w.shape;
      const reshaped = view.length !== w.shape.length || view.some((d, i) => d !== w.shape[i]);
      const r: AffineResult = quantizeAffine(reshaped ? w.reshape(view) : w, { bits, symmetric: opts.symmetric, granularity });
      const qName = names.fresh(`${base}_quantized`);
      let dq = names.fresh(reshaped ? `${base}_dequantized_view` : `${base}_dequantized`);
      if (opts.weightOp === 'Dequantize') {
        inits.set(qName, r.q);
        nodes.push({ name: names.fresh(`${base}/Dequantize`), op: 'Dequantize', inputs: [qName], outputs: [dq] });
      } else {
        // ONNX form: plain integer storage, explicit scale and zero point inputs.
        inits.set(qName, r.q.withQuant(undefined));
        const scaleShape = granularity.kind === 'per-tensor' ? [] : granularity.kind === 'per-channel' ? [r.scales.length] : view.map((d, i) => (i === granularity.axis ? Math.ceil(d / granularity.blockSize) : d));
        const sName = names.fresh(`${base}_scale`);
        inits.set(sName, new Tensor('float32', scaleShape, Float32Array.from(r.scales)));
        const inputs = [qName, sName];
        if (r.zeroPoints.some((z) => z !== 0)) {
          const zName = names.fresh(`${base}_zero_point`);
          const zp = allocate(r.q.dtype, r.zeroPoints.length) as TypedArray;
          r.zeroPoints.forEach((z, i) => writeElement(r.q.dtype, zp, i, z));
          inits.set(zName, new Tensor(r.q.dtype, scaleShape, zp));
          inputs.push(zName);
        }
        const attrs: Record<string, number> = granularity.kind === 'per-tensor' ? {} : granularity.kind === 'per-channel' ? { axis: granularity.axis } : { axis: granularity.axis, block_size: granularity.blockSize };
        nodes.push({ name: names.fresh(`${base}/DequantizeLinear`), op: 'DequantizeLinear', inputs, outputs: [dq], attrs });
      }
      bitsOf.set(qName, bits);
      if (reshaped) {
        const shapeName = names.fresh(`${base}_shape`);
        inits.set(shapeName, int64Vector(w.shape));
        const back = names.fresh(`${base}_dequantized`);
        nodes.push({ name: names.fresh(`${base}/Reshape`), op: 'Reshape', inputs: [dq, shapeName], outputs: [back] });
        dq = back;
      }
      value = dq;
      dequantized = r.dequantized;
      let lo = Infinity;
      let hi = -Infinity;
      for (const s of r.scales) [lo, hi] = [Math.min(lo, s), Math.max(hi, s)];
      const after = [...nodes].flatMap((n) => n.inputs).filter((n) => n !== dq && inits.has(n) && !g.initializers.has(n)).reduce((a, n) => a + tensorBytes(inits.get(n)!), 0);
      layer = {
        weight: base,
        scheme: describe(bits, granularity, opts.symmetric, 0),
        dtype: r.q.dtype,
        bits,
        granularity: granularity.kind,
        ...(granularity.kind === 'per-block' ? { groupSize: granularity.blockSize } : {}),
        symmetric: opts.symmetric,
        scaleRange: [lo, hi],
        weightError: summary(r.error),
        bytes: { before: tensorBytes(w), after },
      };
    }
    out.push(...nodes);
    return { value, layer, dequantized };
  };

  for (const node of g.topologicalOrder()) {
    const slots = weightSlots(g, node);
    const weight = slots.find((s) => s.role === 'weight');
    if (!weight) {
      out.push(node);
      continue;
    }
    const reason = opts.keepFloat.get(node.name) ?? (weight.tensor.size < opts.minSize ? `weight has ${weight.tensor.size} elements, below minSize ${opts.minSize}` : undefined);
    if (reason) {
      layers.push({ node: node.name, op: node.op, weight: weight.name, scheme: 'float', dtype: 'float32', bits: 32, bytes: { before: tensorBytes(weight.tensor), after: tensorBytes(weight.tensor) }, reason });
      out.push(node);
      continue;
    }
    const bits = opts.bitsOverride?.get(node.name) ?? opts.bits;
    const inputs = [...node.inputs];
    const key = `${weight.name}|${bits}`;
    let hit = cache.get(key);
    let dequantized: Float32Array | undefined;
    if (!hit) {
      const r = emitDequant(weight, bits);
      hit = { value: r.value, layer: r.layer };
      dequantized = r.dequantized;
      cache.set(key, hit);
    }
    inputs[weight.input] = hit.value;
    let layer: LayerReport = { node: node.name, op: node.op, ...hit.layer };
    // fp16/bf16 also halve the bias.
    const bias = slots.find((s) => s.role === 'bias');
    if (opts.family === 'half' && bias && bias.tensor.size >= opts.minSize) {
      const { q } = halfCopy(bias.tensor, opts.halfType);
      const qName = names.fresh(`${bias.name}_${opts.halfType}`);
      inits.set(qName, q);
      const v = names.fresh(`${bias.name}_float`);
      out.push({ name: names.fresh(`${bias.name}/Cast`), op: 'Cast', inputs: [qName], outputs: [v], attrs: { to: 'float32' } });
      inputs[bias.input] = v;
      layer = { ...layer, bytes: { before: layer.bytes.before + tensorBytes(bias.tensor), after: layer.bytes.after + tensorBytes(q) } };
    }
    const mean = opts.inputMeans?.get(node.name);
    if (mean && dequantized && opts.family !== 'half') {
      const corrected = correctBias(node, weight, bias, dequantized, mean, names);
      if (corrected) {
        inits.set(corrected.name, corrected.tensor);
        inputs[corrected.input] = corrected.name;
        layer = { ...layer, biasCorrected: true };
      }
    }
    out.push({ ...node, inputs });
    layers.push(layer);
  }
  const graph = dropUnusedInitializers(g.with({ nodes: out, initializers: inits }));
  return { graph, layers, bitsOf };
}

/** The corrected bias initializer of `node` (a new one when it had none). */
export function correctBias(
  node: Node,
  weight: WeightSlot,
  bias: WeightSlot | undefined,
  dequantized: ArrayLike<number>,
  mean: ArrayLike<number>,
  names: Names,
): { name: string; tensor: Tensor; input: number } | undefined {
  const shift = outputShift(weight, dequantized, mean);
  if (!shift) return undefined;
  if (!bias && node.inputs[2]) return undefined; // a bias that is not a plain constant
  const beta = node.op === 'Gemm' ? ((node.attrs.beta as number | undefined) ?? 1) : 1;
  if (beta === 0) return undefined;
  const b = new Float32Array(shift.length);
  for (let c = 0; c < shift.length; c++) b[c] = (bias ? bias.tensor.get(c) : 0) - shift[c] / beta;
  const name = names.fresh(`${bias?.name ?? `${node.name}.bias`}_corrected`);
  return { name, tensor: new Tensor('float32', [shift.length], b), input: 2 };
}

function errorOf(w: Tensor, d: Float32Array) {
  const x = w.toFloat32();
  let signal = 0;
  let noise = 0;
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    const e = d[i] - x[i];
    signal += x[i] * x[i];
    noise += e * e;
    maxAbs = Math.max(maxAbs, Math.abs(e));
  }
  return { mse: x.length ? noise / x.length : 0, maxAbs, sqnrDb: noise === 0 ? Infinity : round(10 * Math.log10(signal / noise), 2) };
}

function summary(e: { mse: number; maxAbs: number; sqnrDb: number }) {
  return { mse: e.mse, maxAbs: e.maxAbs, sqnrDb: round(e.sqnrDb, 2) };
}

