/**
 * fuseActivation: an activation (an elementwise op tagged 'activation' that producers can carry
 * fused) that is the only reader of a Conv / ConvTranspose / Gemm / MatMul output (or of any other
 * op whose schema has the fused-activation attributes, such as Add) becomes the producer's
 * `activation` + `activation_params` attributes.
 */
import type { Graph } from '../graph/graph.js';
import type { Node } from '../graph/types.js';
import { FUSED_ACTIVATIONS } from '../ops/fused-activation.js';
import { findSchema, hasTag } from '../ops/schema.js';
import { attrsOf, bypassNode, canBypass, constantOf, dropUnusedInitializers, soleConsumer } from './helpers.js';
import { definePass } from './pass.js';

/**
 * Producers that can carry a fused activation: their schema declares the `activation` attribute.
 * Quantized ops are left out: a float activation node after them acts on stored integers, while
 * their fused activation acts on real values.
 */
export function acceptsFusedActivation(op: string): boolean {
  const schema = findSchema(op);
  return schema?.attrs?.activation !== undefined && schema.group !== 'quant';
}

/** The fused form of an activation node: its name and parameters, or undefined when it has none. */
export function fusedForm(g: Graph, node: Node): { activation: string; params: number[] } | undefined {
  if (!hasTag(node.op, 'activation') || !(FUSED_ACTIVATIONS as readonly string[]).includes(node.op) || node.op === 'none') return undefined;
  const attrs = attrsOf(node);
  if (!attrs) return undefined;
  switch (node.op) {
    case 'Clip': {
      // Bounds must be known constants; a missing bound is unbounded.
      const bound = (i: number, dflt: number) => {
        const name = node.inputs[i];
        if (!name) return dflt;
        const t = constantOf(g, name);
        return t && t.size === 1 ? t.get(0) : undefined;
      };
      const lo = bound(1, -Infinity);
      const hi = bound(2, Infinity);
      return lo === undefined || hi === undefined ? undefined : { activation: 'Clip', params: [lo, hi] };
    }
    case 'LeakyRelu':
      return { activation: 'LeakyRelu', params: [(attrs.alpha as number | undefined) ?? 0.01] };
    case 'HardSigmoid':
      return { activation: 'HardSigmoid', params: [(attrs.alpha as number | undefined) ?? 0.2, (attrs.beta as number | undefined) ?? 0.5] };
    default:
      return { activation: node.op, params: [] };
  }
}

export const fuseActivation = definePass({
  name: 'fuse-activation',
  description: 'folds Relu, Clip, LeakyRelu, HardSwish, HardSigmoid, Sigmoid and Tanh into the producing Conv, ConvTranspose, Gemm or MatMul',
  run(graph, ctx) {
    let g = graph;
    let fused = 0;
    for (const name of graph.nodes.map((n) => n.name)) {
      const act = g.node(name);
      if (!act || !hasTag(act.op, 'activation')) continue;
      const x = act.inputs[0];
      const y = act.outputs[0];
      const producer = x ? g.producerOf(x) : undefined;
      if (!producer || !acceptsFusedActivation(producer.op) || soleConsumer(g, x) !== act) continue;
      if (producer.outputs.filter(Boolean).length !== 1 || act.outputs.filter(Boolean).length !== 1) continue;
      const current = attrsOf(producer)?.activation;
      if (current !== undefined && current !== 'none') continue;
      if (!canBypass(g, y, x)) continue;
      const form = fusedForm(g, act);
      if (!form) continue;
      g = g.updateAttrs(producer.name, { activation: form.activation, activation_params: form.params.length ? form.params : undefined });
      g = dropUnusedInitializers(bypassNode(g, g.node(act.name)!, y, x), act.inputs.slice(1));
      fused++;
    }
    if (fused) ctx.log(`fused ${fused} activation${fused === 1 ? '' : 's'}`);
    return g;
  },
});
