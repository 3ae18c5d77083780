/**
 * Cross-layer equalization (Nagel et al., 2019, "Data-Free Quantization Through Weight
 * Equalization and Bias Correction", section 4.1; AIMET's CLE). For two convolutions in a row with
 * a positively homogeneous activation between them (none, ReLU, LeakyReLU: f(x / s) = f(x) / s for
 * s > 0), output channel i of the first can be divided by s_i and input channel i of the second
 * multiplied by s_i without changing the function. Choosing s_i = sqrt(r1_i / r2_i), with r1_i and
 * r2_i the channel's weight ranges in each layer, makes both ranges sqrt(r1_i r2_i): per-tensor
 * weight quantization then wastes far less of its grid. Depthwise-separable nets (one tiny range
 * in a depthwise filter ruins the per-tensor scale) gain most.
 */
import { Tensor, type Graph, type Node } from '@mo/ir';
import { Names } from '../graph/edit.js';
import { constantOf } from '../graph/roles.js';

/** Activations that commute with positive per-channel scaling. */
const HOMOGENEOUS = new Set(['none', 'Relu', 'LeakyRelu']);

export interface EqualizeOptions {
  /** Also equalize across ReLU6 (Clip(0, 6)) by replacing it with ReLU, as AIMET does (changes the float model). */
  readonly relu6AsRelu?: boolean;
  /** Sweeps over the chain of pairs (default 20). */
  readonly iterations?: number;
  /** Node names that are left alone. */
  readonly exclude?: ReadonlySet<string>;
}

export interface EqualizeResult {
  readonly graph: Graph;
  /** Equalized pairs [first, second] by node name. */
  readonly pairs: readonly (readonly [string, string])[];
  /** Per equalized value (the first conv's output): channel c is now the old value / scales[c]. */
  readonly scales: ReadonlyMap<string, Float64Array>;
  /** Nodes whose ReLU6 became ReLU. */
  readonly relu6Replaced: readonly string[];
}

function isPlainConv(g: Graph, n: Node): boolean {
  const w = constantOf(g, n.inputs[1]);
  const b = n.inputs[2] ? constantOf(g, n.inputs[2]) : undefined;
  return n.op === 'Conv' && (n.attrs.layout ?? 'NCHW') === 'NCHW' && !!w && w.dtype === 'float32' && !w.quant && w.shape.length >= 3 && (!n.inputs[2] || (!!b && b.dtype === 'float32'));
}

function isRelu6(n: Node): boolean {
  const p = (n.attrs.activation_params as readonly number[] | undefined) ?? [];
  return n.attrs.activation === 'Clip' && p.length === 2 && p[0] === 0 && p[1] > 0;
}

/**
 * Equalizes every Conv -> (activation) -> Conv pair whose middle value has no other reader.
 *
 * @example
 * ```ts
 * const { graph, pairs } = equalize(optimize(model));
 * ```
 */
export function equalize(g: Graph, opts: EqualizeOptions = {}): EqualizeResult {
  const exclude = opts.exclude ?? new Set<string>();
  const pairs: [Node, Node][] = [];
  const replaced: string[] = [];
  for (const n1 of g.nodes) {
    if (exclude.has(n1.name) || !isPlainConv(g, n1)) continue;
    const y = n1.outputs[0];
    const readers = g.consumersOf(y);
    if (readers.length !== 1 || g.isGraphOutput(y)) continue;
    const n2 = readers[0];
    if (exclude.has(n2.name) || !isPlainConv(g, n2) || n2.inputs[0] !== y || n2.inputs.slice(1).includes(y)) continue;
    const act = (n1.attrs.activation as string | undefined) ?? 'none';
    if (!HOMOGENEOUS.has(act) && !(opts.relu6AsRelu && isRelu6(n1))) continue;
    if (!HOMOGENEOUS.has(act)) replaced.push(n1.name);
    pairs.push([n1, n2]);
  }
  if (!pairs.length) return { graph: g, pairs: [], scales: new Map(), relu6Replaced: [] };

  // Working copies of every weight and bias involved (originals are never written).
  const w = new Map<string, Float32Array>();
  const b = new Map<string, Float32Array>();
  const shapeOf = new Map<string, readonly number[]>();
  for (const [n1, n2] of pairs) {
    for (const n of [n1, n2]) {
      if (w.has(n.name)) continue;
      const wt = constantOf(g, n.inputs[1])!;
      w.set(n.name, wt.toFloat32());
      shapeOf.set(n.name, wt.shape);
      if (n.inputs[2]) b.set(n.name, constantOf(g, n.inputs[2])!.toFloat32());
    }
  }
  const scales = new Map<string, Float64Array>();
  const iterations = opts.iterations ?? 20;
  for (let it = 0; it < iterations; it++) {
    let change = 0;
    for (const [n1, n2] of pairs) {
      const w1 = w.get(n1.name)!;
      const w2 = w.get(n2.name)!;
      const [m1] = shapeOf.get(n1.name)!;
      const per1 = w1.length / m1;
      const s2 = shapeOf.get(n2.name)!;
      const [m2, cg2] = s2;
      const taps2 = w2.length / (m2 * cg2);
      const groups2 = (n2.attrs.group as number | undefined) ?? 1;
      if (cg2 * groups2 !== m1) continue;
      const outPerGroup2 = m2 / groups2;
      // Weight ranges: output channel i of W1, input channel i of W2.
      const r1 = new Float64Array(m1);
      for (let i = 0; i < w1.length; i++) r1[Math.floor(i / per1)] = Math.max(r1[Math.floor(i / per1)], Math.abs(w1[i]));
      const r2 = new Float64Array(m1);
      const each2 = (i: number, f: (idx: number) => void) => {
        const g2 = Math.floor(i / cg2);
        const c = i % cg2;
        for (let o = g2 * outPerGroup2; o < (g2 + 1) * outPerGroup2; o++) for (let t = 0; t < taps2; t++) f((o * cg2 + c) * taps2 + t);
      };
      for (let i = 0; i < m1; i++) each2(i, (idx) => (r2[i] = Math.max(r2[i], Math.abs(w2[idx]))));
      const acc = scales.get(n1.outputs[0]) ?? new Float64Array(m1).fill(1);
      const b1 = b.get(n1.name);
      for (let i = 0; i < m1; i++) {
        if (!(r1[i] > 0 && r2[i] > 0)) continue;
        const s = Math.sqrt(r1[i] / r2[i]);
        if (s === 1) continue;
        change = Math.max(change, Math.abs(Math.log(s)));
        for (let k = i * per1; k < (i + 1) * per1; k++) w1[k] /= s;
        if (b1) b1[i] /= s;
        each2(i, (idx) => (w2[idx] *= s));
        acc[i] *= s;
      }
      scales.set(n1.outputs[0], acc);
    }
    if (change < 1e-6) break;
  }

  const names = new Names(g);
  const inits = new Map(g.initializers);
  const replace = new Map<string, Node>();
  for (const [name, data] of w) {
    const n = g.node(name)!;
    const inputs = [...n.inputs];
    const wName = names.fresh(`${n.inputs[1]}_equalized`);
    inits.set(wName, new Tensor('float32', shapeOf.get(name)!, data));
    inputs[1] = wName;
    const bd = b.get(name);
    if (bd) {
      const bName = names.fresh(`${n.inputs[2]}_equalized`);
      inits.set(bName, new Tensor('float32', [bd.length], bd));
      inputs[2] = bName;
    }
    const attrs = replaced.includes(name) ? { ...n.attrs, activation: 'Relu', activation_params: [] } : n.attrs;
    replace.set(name, { ...n, inputs, attrs });
  }
  const nodes = g.nodes.map((n) => replace.get(n.name) ?? n);
  const read = new Set(nodes.flatMap((n) => n.inputs));
  for (const k of [...inits.keys()]) if (!read.has(k) && !g.isGraphInput(k) && !g.isGraphOutput(k)) inits.delete(k);
  return {
    graph: g.with({ nodes, initializers: inits }),
    pairs: pairs.map(([a, c]) => [a.name, c.name] as const),
    scales,
    relu6Replaced: replaced,
  };
}
