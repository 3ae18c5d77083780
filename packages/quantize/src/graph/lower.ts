/**
 * Lowering a QDQ graph to integer ops: DequantizeLinear -> op -> QuantizeLinear patterns become
 * QLinearConv, QGemm, QLinearMatMul, QLinearAdd/Mul, QLinear(Global)AveragePool, QLinearSigmoid,
 * QLinearLeakyRelu; ops that only move data (max pooling, reshapes, concatenation) run on the
 * integers directly when input and output params agree. What does not match stays in QDQ form.
 */
import { Tensor, allocate, findSchema, groupOf, type Attrs, type Graph, type Node, type NodeInit, type RequantMode, type TypedArray } from '@mo/ir';
import { Names, dropUnusedInitializers } from './edit.js';
import { constantOf } from './roles.js';

export interface LowerOptions {
  /** Requantization of QLinearConv / QLinearMatMul: 'float' (ONNX Runtime) or 'fixed-point' (TFLite). */
  readonly requant?: RequantMode;
}

export interface LowerResult {
  readonly graph: Graph;
  /** Lowered nodes per resulting op. */
  readonly ops: Record<string, number>;
  /** Compute nodes left in QDQ form (float op between DequantizeLinear and QuantizeLinear). */
  readonly kept: string[];
}

interface Dq {
  readonly q: string;
  readonly scale: string;
  readonly zp: string | undefined;
  readonly scaleT: Tensor;
  readonly zpT: Tensor | undefined;
  readonly axis: number;
  readonly dtype: string;
}

/** The DequantizeLinear producing `v`, with constant params. */
function dqOf(g: Graph, v: string | undefined): Dq | undefined {
  if (!v) return undefined;
  const p = g.producerOf(v);
  if (!p || p.op !== 'DequantizeLinear' || ((p.attrs.block_size as number | undefined) ?? 0) !== 0) return undefined;
  const scaleT = constantOf(g, p.inputs[1]);
  const zpT = p.inputs[2] ? constantOf(g, p.inputs[2]) : undefined;
  if (!scaleT || (p.inputs[2] && !zpT) || scaleT.dtype !== 'float32') return undefined;
  const producerOfQ = g.producerOf(p.inputs[0]);
  const qT = constantOf(g, p.inputs[0]);
  const dtype = qT?.dtype ?? (producerOfQ?.op === 'QuantizeLinear' ? (producerOfQ.inputs[2] ? constantOf(g, producerOfQ.inputs[2])?.dtype : 'uint8') : undefined);
  if (!dtype) return undefined;
  return { q: p.inputs[0], scale: p.inputs[1], zp: p.inputs[2] || undefined, scaleT, zpT, axis: (p.attrs.axis as number | undefined) ?? 1, dtype };
}

/** The QuantizeLinear that is the only reader of `v` (per-tensor, constant params). */
function qOf(g: Graph, v: string): { node: Node; out: string; scale: string; zp: string; scaleT: Tensor; zpT: Tensor } | undefined {
  if (g.isGraphOutput(v)) return undefined;
  const readers = g.consumersOf(v);
  if (readers.length !== 1 || readers[0].op !== 'QuantizeLinear') return undefined;
  const q = readers[0];
  const scaleT = constantOf(g, q.inputs[1]);
  const zpT = q.inputs[2] ? constantOf(g, q.inputs[2]) : undefined;
  if (!scaleT || !zpT || scaleT.size !== 1 || zpT.size !== 1) return undefined;
  return { node: q, out: q.outputs[0], scale: q.inputs[1], zp: q.inputs[2], scaleT, zpT };
}

const perTensor = (d: Dq) => d.scaleT.size === 1;
const sameParams = (a: Dq, s: Tensor, z: Tensor) => a.scaleT.size === 1 && a.scaleT.get(0) === s.get(0) && (a.zpT ? a.zpT.get(0) : 0) === z.get(0) && (a.zpT?.dtype ?? a.dtype) === z.dtype;

function pick(attrs: Attrs, op: string, drop: readonly string[] = []): Record<string, Attrs[string]> {
  const keys = Object.keys(findSchema(op)?.attrs ?? {});
  const out: Record<string, Attrs[string]> = {};
  for (const k of keys) if (attrs[k] !== undefined && !drop.includes(k)) out[k] = attrs[k];
  return out;
}

/**
 * Lowers the QDQ patterns of `g` to integer ops.
 *
 * @example
 * ```ts
 * const { graph, ops } = lowerQdq(qdqGraph, { requant: 'fixed-point' });
 * ```
 */
export function lowerQdq(g: Graph, opts: LowerOptions = {}): LowerResult {
  const requant = opts.requant ?? 'float';
  const names = new Names(g);
  const inits = new Map(g.initializers);
  const replace = new Map<string, NodeInit | null>();
  const ops: Record<string, number> = {};
  const kept: string[] = [];
  const zeros = new Map<string, string>();
  /** A zero-point constant of `dtype` shaped like `like` (cached). */
  const zeroLike = (dtype: string, like: Tensor): string => {
    const key = `${dtype}[${like.shape.join(',')}]`;
    let name = zeros.get(key);
    if (!name) {
      name = names.fresh(`zero_point_${dtype}`);
      inits.set(name, new Tensor(dtype as 'int8', like.shape, allocate(dtype as 'int8', like.size) as TypedArray as Int8Array));
      zeros.set(key, name);
    }
    return name;
  };
  const zpOf = (d: Dq) => d.zp ?? zeroLike(d.dtype, d.scaleT);
  const emit = (n: Node, q: Node, node: NodeInit) => {
    replace.set(n.name, node);
    replace.set(q.name, null);
    ops[node.op] = (ops[node.op] ?? 0) + 1;
  };

  for (const n of g.nodes) {
    if (n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear') continue;
    const group = groupOf(n.op);
    const out = n.outputs[0];
    const y = out ? qOf(g, out) : undefined;
    const act = (n.attrs.activation as string | undefined) ?? 'none';
    const x = dqOf(g, n.inputs[0]);
    let done = false;
    if (y && x && perTensor(x)) {
      if (n.op === 'Conv' && ['none', 'Relu', 'Clip'].includes(act)) {
        const w = dqOf(g, n.inputs[1]);
        const b = n.inputs[2] ? dqOf(g, n.inputs[2]) : undefined;
        if (w && constantOf(g, w.q) && (!n.inputs[2] || (b && constantOf(g, b.q)?.dtype === 'int32'))) {
          emit(n, y.node, {
            name: n.name,
            op: 'QLinearConv',
            inputs: [x.q, x.scale, zpOf(x), w.q, w.scale, zpOf(w), y.scale, y.zp, b?.q ?? ''],
            outputs: [y.out],
            attrs: { ...pick(n.attrs, 'QLinearConv', ['requant']), requant },
          });
          done = true;
        }
      } else if (n.op === 'Gemm' && act === 'none') {
        const w = dqOf(g, n.inputs[1]);
        const c = n.inputs[2] ? dqOf(g, n.inputs[2]) : undefined;
        const beta = (n.attrs.beta as number | undefined) ?? 1;
        if (w && constantOf(g, w.q) && beta === 1 && (!n.inputs[2] || (c && constantOf(g, c.q)?.dtype === 'int32'))) {
          emit(n, y.node, {
            name: n.name,
            op: 'QGemm',
            inputs: [x.q, x.scale, zpOf(x), w.q, w.scale, zpOf(w), c?.q ?? '', y.scale, y.zp],
            outputs: [y.out],
            attrs: pick(n.attrs, 'QGemm'),
          });
          done = true;
        }
      } else if (n.op === 'MatMul' && act === 'none') {
        const w = dqOf(g, n.inputs[1]);
        if (w && (perTensor(w) || w.scaleT.shape.length === 1)) {
          emit(n, y.node, {
            name: n.name,
            op: 'QLinearMatMul',
            inputs: [x.q, x.scale, zpOf(x), w.q, w.scale, zpOf(w), y.scale, y.zp],
            outputs: [y.out],
            attrs: { requant },
          });
          done = true;
        }
      } else if ((n.op === 'Add' || n.op === 'Mul') && act === 'none') {
        const b = dqOf(g, n.inputs[1]);
        if (b && perTensor(b) && b.dtype === x.dtype) {
          emit(n, y.node, { name: n.name, op: `QLinear${n.op}`, inputs: [x.q, x.scale, zpOf(x), b.q, b.scale, zpOf(b), y.scale, y.zp], outputs: [y.out] });
          done = true;
        }
      } else if (n.op === 'GlobalAveragePool' || n.op === 'AveragePool') {
        const op = `QLinear${n.op}`;
        emit(n, y.node, { name: n.name, op, inputs: [x.q, x.scale, zpOf(x), y.scale, y.zp], outputs: [y.out], attrs: pick(n.attrs, op) });
        done = true;
      } else if (n.op === 'Sigmoid' || n.op === 'LeakyRelu') {
        const op = `QLinear${n.op}`;
        emit(n, y.node, { name: n.name, op, inputs: [x.q, x.scale, zpOf(x), y.scale, y.zp], outputs: [y.out], attrs: pick(n.attrs, op) });
        done = true;
      } else if ((group === 'movement' || n.op === 'MaxPool' || n.op === 'GlobalMaxPool') && n.outputs.filter(Boolean).length === 1) {
        // Data movement on the integers: every quantized input must carry the output's params.
        const data = n.inputs.map((i) => (i && g.producerOf(i)?.op === 'DequantizeLinear' ? dqOf(g, i) : undefined));
        const ok = data.every((d, k) => (d ? sameParams(d, y.scaleT, y.zpT) : !n.inputs[k] || !!constantOf(g, n.inputs[k]) && constantOf(g, n.inputs[k])!.dtype !== 'float32'));
        if (ok) {
          emit(n, y.node, { ...n, inputs: n.inputs.map((i, k) => (data[k] ? data[k]!.q : i)), outputs: [y.out] });
          done = true;
        }
      }
    }
    if (!done && y && (group === 'conv' || group === 'matmul' || group === 'pool' || group === 'elementwise' || group === 'normalization')) kept.push(n.name);
  }
  const nodes: NodeInit[] = [];
  for (const n of g.nodes) {
    const r = replace.get(n.name);
    if (r === null) continue;
    nodes.push(r ?? n);
  }
  let out = g.with({ nodes, initializers: inits }).removeDead();
  out = dropUnusedInitializers(out);
  return { graph: out, ops, kept };
}
