/**
 * The training graph of quantization-aware training: the prepared float graph with every
 * activation the static converter quantizes rounded to its integer grid in float ops,
 *   x -> Div(scale) -> Round -> Clip(qmin - zp, qmax - zp) -> Mul(scale)
 * which equals DequantizeLinear(QuantizeLinear(x)) bit for bit (float32 division, ties to even,
 * saturation, float32 product) but keeps a float path for gradients: Round passes them straight
 * through (see round-gradient.ts) and Clip zeroes them outside the grid. Which node reads the
 * rounded value and which the float one follows the converter (buildStatic) exactly.
 */
import { Tensor, type Graph, type NodeInit } from '@mo/ir';
import { Names } from '../graph/edit.js';
import type { StaticPlan } from '../graph/static.js';
import type { ActivationParams } from '../report-types.js';

export interface FakeQuantGraph {
  readonly graph: Graph;
  /** Scale initializers, one per group of values sharing params (trained only with learned ranges). */
  readonly scales: readonly string[];
  /** Clip bound initializers (never trained). */
  readonly bounds: readonly string[];
  /** Quantized value -> its scale initializer. */
  readonly scaleOf: ReadonlyMap<string, string>;
}

const scalar = (v: number) => new Tensor('float32', [], Float32Array.of(v));

/** Inserts the fake-quantization chains of `plan` with activation params `params` into `g`. */
export function fakeQuantGraph(g: Graph, plan: StaticPlan, params: ReadonlyMap<string, ActivationParams>): FakeQuantGraph {
  const names = new Names(g);
  const inits = new Map(g.initializers);
  const nodes: NodeInit[] = [];
  const scales: string[] = [];
  const bounds: string[] = [];
  const groupScale = new Map<string, string>();
  const scaleOf = new Map<string, string>();
  const values = plan.values;
  // As in buildStatic: a graph output written by a quantized node becomes the rounded value.
  const rename = new Map<string, string>();
  for (const o of g.outputs) {
    const p = g.producerOf(o.name);
    if (values.has(o.name) && p && plan.rules.has(p.name)) rename.set(o.name, names.fresh(`${o.name}_float`));
  }
  const ren = (v: string) => rename.get(v) ?? v;
  const fqOf = new Map<string, string>();
  for (const v of values) fqOf.set(v, rename.has(v) ? v : names.fresh(`${v}_fake_quantized`));

  const chain = (v: string) => {
    const p = params.get(v)!;
    const [qmin, qmax] = p.dtype === 'int8' ? [-128, 127] : [0, 255];
    // One scale per group of values that share params (so learned ranges stay shared).
    const group = plan.groupOf.get(v) ?? v;
    let s = groupScale.get(group);
    if (!s) {
      s = names.fresh(`${group}_scale`);
      inits.set(s, scalar(p.scale));
      groupScale.set(group, s);
      scales.push(s);
    }
    const lo = names.fresh(`${v}_qmin`);
    const hi = names.fresh(`${v}_qmax`);
    inits.set(lo, scalar(qmin - p.zeroPoint));
    inits.set(hi, scalar(qmax - p.zeroPoint));
    bounds.push(lo, hi);
    scaleOf.set(v, s);
    const [scaled, rounded, clipped] = ['scaled', 'rounded', 'clipped'].map((k) => names.fresh(`${v}_${k}`));
    nodes.push(
      { name: names.fresh(`${v}/FakeQuant/Div`), op: 'Div', inputs: [ren(v), s], outputs: [scaled] },
      { name: names.fresh(`${v}/FakeQuant/Round`), op: 'Round', inputs: [scaled], outputs: [rounded] },
      { name: names.fresh(`${v}/FakeQuant/Clip`), op: 'Clip', inputs: [rounded, lo, hi], outputs: [clipped] },
      { name: names.fresh(`${v}/FakeQuant/Mul`), op: 'Mul', inputs: [clipped, s], outputs: [fqOf.get(v)!] },
    );
  };

  for (const i of g.inputs) if (values.has(i.name)) chain(i.name);
  for (const n of g.topologicalOrder()) {
    const quantized = plan.rules.has(n.name);
    nodes.push({ ...n, inputs: n.inputs.map((i) => (quantized && i && values.has(i) ? fqOf.get(i)! : ren(i))), outputs: n.outputs.map(ren) });
    for (const o of n.outputs) if (o && values.has(o)) chain(o);
  }
  return { graph: g.with({ nodes, initializers: inits }), scales, bounds, scaleOf };
}
