/**
 * foldBatchNorm: merges an inference BatchNormalization into the Conv / ConvTranspose / Gemm /
 * MatMul that produces its input (per output channel c, with f = scale / sqrt(var + eps)):
 *   W'[c] = W[c] * f[c],   b'[c] = (b[c] - mean[c]) * f[c] + beta[c].
 * Arithmetic is float64; results are stored in the weight dtype.
 * bnToAffine turns any remaining inference BatchNormalization into Mul + Add.
 */
import { isFloat } from '../core/dtype.js';
import type { TypedArray } from '../core/dtype.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import type { Graph, NodeInit } from '../graph/graph.js';
import type { AttrValue, Node, TensorType } from '../graph/types.js';
import { findSchema } from '../ops/schema.js';
import { attrsOf, bypassNode, canBypass, constantOf, dropUnusedInitializers, freshNamer, soleConsumer, tryInferTypes } from './helpers.js';
import { definePass } from './pass.js';

/** An inference BatchNormalization with constant parameters, in float64. */
interface BnParams {
  /** f[c] = scale[c] / sqrt(var[c] + eps) */
  readonly factor: Float64Array;
  readonly mean: Float64Array;
  readonly beta: Float64Array;
  readonly channels: number;
}

/** The BN's constant parameters, or undefined when it is not a foldable inference BN. */
function bnParams(g: Graph, bn: Node): BnParams | undefined {
  const attrs = attrsOf(bn);
  if (!attrs || (attrs.training_mode as number | undefined)) return undefined;
  if (bn.outputs.slice(1).some((o) => o && g.isUsed(o))) return undefined;
  const [scale, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => constantOf(g, n));
  if (!scale || !beta || !mean || !variance) return undefined;
  const c = scale.size;
  if ([scale, beta, mean, variance].some((t) => t.size !== c || t.shape.length !== 1 || !isFloat(t.dtype))) return undefined;
  const eps = (attrs.epsilon as number | undefined) ?? 1e-5;
  const factor = new Float64Array(c);
  const m = new Float64Array(c);
  const b = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    factor[i] = scale.get(i) / Math.sqrt(variance.get(i) + eps);
    m[i] = mean.get(i);
    b[i] = beta.get(i);
  }
  return { factor, mean: m, beta: b, channels: c };
}

/** New bias b'[c] = (b[c] - mean[c]) * f[c] + beta[c], as a [C] tensor of `like`'s dtype. */
function foldedBias(p: BnParams, bias: Tensor | undefined, like: Tensor): Tensor {
  const out = zeros(like.dtype, [p.channels]);
  for (let c = 0; c < p.channels; c++) {
    const b = bias ? bias.get(bias.size === 1 ? 0 : c) : 0;
    writeElement(like.dtype, out.data as TypedArray, c, (b - p.mean[c]) * p.factor[c] + p.beta[c]);
  }
  return out;
}

/** `w` with element i multiplied by f[channelOf(i)], in w's dtype. */
function scaleWeights(w: Tensor, p: BnParams, channelOf: (i: number) => number): Tensor {
  const out = zeros(w.dtype, w.shape);
  for (let i = 0; i < w.size; i++) writeElement(w.dtype, out.data as TypedArray, i, w.get(i) * p.factor[channelOf(i)]);
  return out;
}

const isPlainFloat = (t: Tensor | undefined): t is Tensor => t !== undefined && isFloat(t.dtype) && !t.quant;

interface Rewrite {
  /** The producer's replacement (same name, same output). */
  node: NodeInit;
  initializers: [string, Tensor][];
}

type Folder = (g: Graph, producer: Node, p: BnParams, fresh: (base: string) => string, typeOf: (v: string) => TensorType | undefined) => Rewrite | undefined;

/** Conv (NCHW, any group): W is [M, C/g, k...], output channel = axis 0 of W. */
const foldIntoConv: Folder = (g, conv, p, fresh) => {
  const attrs = attrsOf(conv);
  if (!attrs || attrs.layout === 'NHWC') return undefined;
  const w = constantOf(g, conv.inputs[1]);
  const b = conv.inputs[2] ? constantOf(g, conv.inputs[2]) : undefined;
  if (!isPlainFloat(w) || (conv.inputs[2] && !isPlainFloat(b)) || w.shape[0] !== p.channels) return undefined;
  const inner = w.size / p.channels;
  const wName = fresh(`${conv.inputs[1]}_bn`);
  const bName = fresh(`${conv.inputs[2] || `${conv.name}_bias`}_bn`);
  return {
    node: { ...conv, inputs: [conv.inputs[0], wName, bName] },
    initializers: [[wName, scaleWeights(w, p, (i) => Math.floor(i / inner))], [bName, foldedBias(p, b, w)]],
  };
};

/** ConvTranspose (NCHW): W is [C_in, M/g, k...]; output channel = group * M/g + W's axis 1. */
const foldIntoConvTranspose: Folder = (g, ct, p, fresh) => {
  const attrs = attrsOf(ct);
  if (!attrs || attrs.layout === 'NHWC') return undefined;
  const w = constantOf(g, ct.inputs[1]);
  const b = ct.inputs[2] ? constantOf(g, ct.inputs[2]) : undefined;
  if (!isPlainFloat(w) || (ct.inputs[2] && !isPlainFloat(b)) || w.shape.length < 2) return undefined;
  const group = (attrs.group as number | undefined) ?? 1;
  const [cin, mPerGroup] = w.shape;
  if (mPerGroup * group !== p.channels || cin % group !== 0) return undefined;
  const inner = w.size / (cin * mPerGroup);
  const cinPerGroup = cin / group;
  const channelOf = (i: number) => {
    const j = Math.floor(i / inner) % mPerGroup;
    const c = Math.floor(i / (inner * mPerGroup));
    return Math.floor(c / cinPerGroup) * mPerGroup + j;
  };
  const wName = fresh(`${ct.inputs[1]}_bn`);
  const bName = fresh(`${ct.inputs[2] || `${ct.name}_bias`}_bn`);
  return {
    node: { ...ct, inputs: [ct.inputs[0], wName, bName] },
    initializers: [[wName, scaleWeights(w, p, channelOf)], [bName, foldedBias(p, b, w)]],
  };
};

/** Gemm: Y = alpha * A' * B' + beta * C; output channel n = column of B' (row of B when transB). */
const foldIntoGemm: Folder = (g, gemm, p, fresh) => {
  const attrs = attrsOf(gemm);
  if (!attrs) return undefined;
  const w = constantOf(g, gemm.inputs[1]);
  const c = gemm.inputs[2] ? constantOf(g, gemm.inputs[2]) : undefined;
  if (!isPlainFloat(w) || w.shape.length !== 2 || (gemm.inputs[2] && !isPlainFloat(c))) return undefined;
  const transB = (attrs.transB as number | undefined) ?? 0;
  const n = transB ? w.shape[0] : w.shape[1];
  if (n !== p.channels) return undefined;
  const beta = (attrs.beta as number | undefined) ?? 1;
  const channelOf = transB ? (i: number) => Math.floor(i / w.shape[1]) : (i: number) => i % n;
  // C broadcasts to [M, N]: keep a row dimension only when C has one of size > 1.
  const rows = c && c.shape.length === 2 ? c.shape[0] : 1;
  const cols = c ? c.shape[c.shape.length - 1] ?? 1 : 1;
  const newC = zeros(w.dtype, rows > 1 ? [rows, n] : [n]);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < n; k++) {
      const cv = c ? c.get(r * cols + (cols === 1 ? 0 : k)) * beta : 0;
      writeElement(w.dtype, newC.data as TypedArray, r * n + k, (cv - p.mean[k]) * p.factor[k] + p.beta[k]);
    }
  }
  const wName = fresh(`${gemm.inputs[1]}_bn`);
  const cName = fresh(`${gemm.inputs[2] || `${gemm.name}_bias`}_bn`);
  const nodeAttrs: Record<string, AttrValue> = { ...gemm.attrs };
  delete nodeAttrs.beta; // the bias now carries beta
  return {
    node: { ...gemm, inputs: [gemm.inputs[0], wName, cName], attrs: nodeAttrs },
    initializers: [[wName, scaleWeights(w, p, channelOf)], [cName, newC]],
  };
};

/** MatMul [M,K] x constant [K,N] (2-D output, so BN's channel axis is N) becomes Gemm with a bias. */
const foldIntoMatMul: Folder = (g, mm, p, fresh, typeOf) => {
  const outRank = typeOf(mm.outputs[0])?.shape.length;
  const aRank = typeOf(mm.inputs[0])?.shape.length;
  const w = constantOf(g, mm.inputs[1]);
  if (outRank !== 2 || aRank !== 2 || !isPlainFloat(w) || w.shape.length !== 2 || w.shape[1] !== p.channels) return undefined;
  const wName = fresh(`${mm.inputs[1]}_bn`);
  const cName = fresh(`${mm.name}_bias_bn`);
  // Keep only the attributes Gemm also has (the fused activation).
  const gemmAttrs = findSchema('Gemm')?.attrs ?? {};
  const attrs = Object.fromEntries(Object.entries(mm.attrs).filter(([k]) => k in gemmAttrs));
  return {
    node: { ...mm, op: 'Gemm', inputs: [mm.inputs[0], wName, cName], attrs },
    initializers: [[wName, scaleWeights(w, p, (i) => i % p.channels)], [cName, foldedBias(p, undefined, w)]],
  };
};

const FOLDERS: Readonly<Record<string, Folder>> = { Conv: foldIntoConv, ConvTranspose: foldIntoConvTranspose, Gemm: foldIntoGemm, MatMul: foldIntoMatMul };

/** True when the producer's fused activation (applied before BN) is unset. */
function noFusedActivation(node: Node): boolean {
  const a = attrsOf(node)?.activation;
  return a === undefined || a === 'none';
}

export const foldBatchNorm = definePass({
  name: 'fold-batchnorm',
  description: 'folds inference BatchNormalization into the preceding Conv, ConvTranspose, Gemm or MatMul weights',
  run(graph, ctx) {
    if (!graph.nodes.some((n) => n.op === 'BatchNormalization')) return graph;
    // Types by value name stay valid across folds: kept values keep their types, and a BN output
    // taking over its producer's output name has the same type.
    let types: ReadonlyMap<string, TensorType> | undefined | null = null;
    const typeOf = (v: string) => {
      if (types === null) types = tryInferTypes(graph)?.types;
      return types?.get(v);
    };
    let g = graph;
    const fresh = freshNamer(() => g);
    let folded = 0;
    for (const name of graph.nodes.filter((n) => n.op === 'BatchNormalization').map((n) => n.name)) {
      const bn = g.node(name)!;
      const x = bn.inputs[0];
      const producer = g.producerOf(x);
      const folder = producer && FOLDERS[producer.op];
      if (!producer || !folder || soleConsumer(g, x) !== bn || !noFusedActivation(producer)) continue;
      if (producer.outputs.filter(Boolean).length !== 1 || !canBypass(g, bn.outputs[0], x)) continue;
      const p = bnParams(g, bn);
      if (!p) continue;
      const rw = folder(g, producer, p, fresh, typeOf);
      if (!rw) continue;
      let next = g.replaceNode(producer.name, [rw.node]);
      for (const [k, t] of rw.initializers) next = next.withInitializer(k, t);
      next = bypassNode(next, next.node(bn.name)!, bn.outputs[0], x);
      g = dropUnusedInitializers(next, [...producer.inputs, ...bn.inputs]);
      folded++;
    }
    if (folded) ctx.log(`folded ${folded} BatchNormalization node${folded === 1 ? '' : 's'}`);
    return g;
  },
});

/** y = x * f + (beta - mean * f), with f and the shift shaped [C, 1, ...] to broadcast over axis 1. */
export const bnToAffine = definePass({
  name: 'bn-to-affine',
  description: 'rewrites inference BatchNormalization with constant parameters as Mul + Add',
  run(graph, ctx) {
    const types = tryInferTypes(graph)?.types;
    let g = graph;
    const fresh = freshNamer(() => g);
    let count = 0;
    for (const bn of graph.nodes) {
      if (bn.op !== 'BatchNormalization') continue;
      const xt = types?.get(bn.inputs[0]);
      if (!xt || xt.shape.length < 2 || !isFloat(xt.dtype)) continue;
      const p = bnParams(g, bn);
      if (!p) continue;
      const shape = [p.channels, ...Array<number>(xt.shape.length - 2).fill(1)];
      const mul = zeros(xt.dtype, shape);
      const add = zeros(xt.dtype, shape);
      for (let c = 0; c < p.channels; c++) {
        writeElement(xt.dtype, mul.data as TypedArray, c, p.factor[c]);
        writeElement(xt.dtype, add.data as TypedArray, c, p.beta[c] - p.mean[c] * p.factor[c]);
      }
      const mulName = fresh(`${bn.name}_scale`);
      const addName = fresh(`${bn.name}_shift`);
      const mid = fresh(`${bn.outputs[0]}_scaled`);
      const y = bn.outputs[0];
      g = g
        .withInitializer(mulName, mul)
        .withInitializer(addName, add)
        .replaceNode(bn.name, [
          { name: fresh(`${bn.name}_mul`), op: 'Mul', inputs: [bn.inputs[0], mulName], outputs: [mid] },
          { name: bn.name, op: 'Add', inputs: [mid, addName], outputs: [y] },
        ]);
      g = dropUnusedInitializers(g, bn.inputs.slice(1));
      count++;
    }
    if (count) ctx.log(`rewrote ${count} BatchNormalization node${count === 1 ? '' : 's'} as Mul + Add`);
    return g;
  },
});
