/**
 * Test-only QDQ maker: turns a float graph into the QDQ form a post-training quantizer writes,
 * so the int8 exporter can be tested on real architectures. Activations get per-tensor int8
 * params from min/max over calibration runs (asymmetric, zero point in [-128, 127]); Conv and
 * Gemm weights become per-output-channel symmetric int8 constants behind DequantizeLinear.
 * (mo's real quantizer is @mo/quantize; converters do not depend on it.)
 */
import { Graph, Tensor, optimize, run, type Feeds, type Node, type NodeInit } from '@mo/ir';

function int8Weights(w: Tensor, axis: number, perTensor = false): { q: Tensor; scales: Float32Array } {
  const v = w.toFloat32();
  const ch = perTensor ? 1 : w.shape[axis];
  const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float64Array(ch);
  for (let i = 0; i < v.length; i++) {
    const c = perTensor ? 0 : Math.floor(i / inner) % ch;
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(v[i]));
  }
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const c = perTensor ? 0 : Math.floor(i / inner) % ch;
    q[i] = Math.max(-127, Math.min(127, Math.round(v[i] / scales[c])));
  }
  return { q: new Tensor('int8', w.shape, q), scales };
}

/**
 * Activations TFLite cannot fuse (HardSwish, Sigmoid, ...) become separate nodes again, so that a
 * QDQ pair can sit between the operator and its activation, as a quantizer writes it.
 */
function unfuseActivations(g: Graph): Graph {
  const nodes: NodeInit[] = [];
  const inits = new Map(g.initializers);
  for (const n of g.nodes) {
    const act = n.attrs.activation as string | undefined;
    const params = (n.attrs.activation_params as readonly number[] | undefined) ?? [];
    const relu6 = act === 'Clip' && params[0] === 0 && params[1] === 6;
    if (!act || act === 'none' || act === 'Relu' || relu6) {
      nodes.push(n);
      continue;
    }
    const mid = `${n.outputs[0]}__pre_act`;
    const { activation: _a, activation_params: _p, ...rest } = n.attrs;
    nodes.push({ ...n, outputs: [mid, ...n.outputs.slice(1)], attrs: rest });
    const extra: string[] = [];
    let attrs: Record<string, number> = {};
    if (act === 'Clip') {
      const lo = `${n.name}__clip_lo`;
      const hi = `${n.name}__clip_hi`;
      inits.set(lo, new Tensor('float32', [], Float32Array.of(params[0])));
      inits.set(hi, new Tensor('float32', [], Float32Array.of(params[1])));
      extra.push(lo, hi);
    } else if (act === 'HardSigmoid') attrs = { alpha: params[0] ?? 0.2, beta: params[1] ?? 0.5 };
    else if (act === 'LeakyRelu') attrs = { alpha: params[0] ?? 0.01 };
    nodes.push({ name: `${n.name}__act`, op: act, inputs: [mid, ...extra], outputs: [n.outputs[0]], attrs });
  }
  return g.with({ nodes, initializers: inits });
}

/** Ops whose outputs keep their input's params in TFLite (no new Q/DQ needed, but harmless). */
export interface QdqOptions {
  /** Ops whose outputs are not quantized (they stay float). */
  readonly floatOps?: readonly string[];
  /** Weights with one scale instead of one per output channel, for these kinds of nodes. */
  readonly perTensorWeights?: readonly ('Gemm' | 'depthwise')[];
}

/** The QDQ form of `graph` (optimized first), calibrated on `feeds`. */
export function toQdq(graph: Graph, feeds: readonly Feeds[], opts: QdqOptions = {}): Graph {
  const g0 = unfuseActivations(optimize(graph));
  const lo = new Map<string, number>();
  const hi = new Map<string, number>();
  const note = (name: string, t: Tensor) => {
    if (t.dtype !== 'float32') return;
    const v = t.toFloat32();
    let a = lo.get(name) ?? 0;
    let b = hi.get(name) ?? 0;
    for (const x of v) {
      if (x < a) a = x;
      if (x > b) b = x;
    }
    lo.set(name, a);
    hi.set(name, b);
  };
  for (const f of feeds) {
    for (const [k, t] of Object.entries(f as Record<string, Tensor>)) note(k, t);
    run(g0, f, { onNode: (n, _i, outs) => n.outputs.forEach((o, k) => o && outs[k] && note(o, outs[k])) });
  }
  const floatOps = new Set(opts.floatOps ?? []);
  const nodes: NodeInit[] = [];
  const inits = new Map(g0.initializers);
  let counter = 0;
  const fresh = (b: string) => `${b}__q${counter++}`;
  // Graph outputs keep their names: their producers write `<name>__pre`, the last DequantizeLinear `<name>`.
  const outputNames = new Set(g0.outputs.map((o) => o.name));
  const pre = (v: string) => (outputNames.has(v) ? `${v}__pre` : v);
  const rename = new Map<string, string>();
  const qdq = (v: string): void => {
    const a = lo.get(v);
    const b = hi.get(v);
    if (a === undefined || b === undefined) return;
    const scale = Math.max(b - a, 1e-6) / 255;
    const zp = Math.max(-128, Math.min(127, Math.round(-128 - a / scale)));
    const s = fresh(`${v}_scale`);
    const z = fresh(`${v}_zp`);
    inits.set(s, new Tensor('float32', [], Float32Array.of(scale)));
    inits.set(z, new Tensor('int8', [], Int8Array.of(zp)));
    const q = fresh(`${v}_q`);
    const dq = outputNames.has(v) ? v : fresh(`${v}_dq`);
    nodes.push({ name: fresh('q'), op: 'QuantizeLinear', inputs: [pre(v), s, z], outputs: [q] });
    nodes.push({ name: fresh('dq'), op: 'DequantizeLinear', inputs: [q, s, z], outputs: [dq] });
    rename.set(v, dq);
  };
  const weight = (n: Node, i: number, axis: number): string => {
    const name = n.inputs[i];
    const w = g0.initializers.get(name)!;
    const kind = n.op === 'Gemm' ? 'Gemm' : n.op === 'Conv' && (n.attrs.group ?? 1) !== 1 ? 'depthwise' : undefined;
    const perTensor = kind !== undefined && (opts.perTensorWeights ?? []).includes(kind);
    const { q, scales } = int8Weights(w, axis, perTensor);
    const qn = fresh(`${name}_int8`);
    const s = fresh(`${name}_scale`);
    const z = fresh(`${name}_zp`);
    inits.set(qn, q);
    const shape = perTensor ? [] : [scales.length];
    inits.set(s, new Tensor('float32', shape, scales));
    inits.set(z, new Tensor('int8', shape, new Int8Array(scales.length)));
    const out = fresh(`${name}_dq`);
    nodes.push({ name: fresh('dqw'), op: 'DequantizeLinear', inputs: [qn, s, z], outputs: [out], attrs: perTensor ? {} : { axis } });
    return out;
  };
  for (const i of g0.inputs) qdq(i.name);
  for (const n of g0.topologicalOrder()) {
    const inputs = n.inputs.map((v) => rename.get(v) ?? pre(v));
    if ((n.op === 'Conv' || (n.op === 'Gemm' && n.attrs.transB)) && g0.initializers.has(n.inputs[1])) inputs[1] = weight(n, 1, 0);
    const quantized = !floatOps.has(n.op);
    nodes.push({ ...n, inputs, outputs: n.outputs.map((o) => (quantized || !outputNames.has(o) ? pre(o) : o)) });
    if (quantized) for (const o of n.outputs) if (o) qdq(o);
  }
  const finalNodes = nodes;
  return Graph.create({ name: g0.name, inputs: g0.inputs, outputs: g0.outputs, nodes: finalNodes, initializers: inits, metadata: g0.metadata });
}
