/**
 * simplifyShapes: replaces every node whose outputs inference already knows as constants by
 * initializers (Shape of a static shape, and Gather / Unsqueeze / Concat / ... over constants), so
 * PyTorch-style Shape->Gather->Unsqueeze->Concat->Reshape chains collapse into a constant shape.
 * Values that depend on runtime data (e.g. the Shape of an input with a symbolic batch dimension)
 * are not constants to inference, so their chains stay.
 */
import type { Tensor } from '../core/tensor.js';
import type { Node } from '../graph/types.js';
import { groupOf } from '../ops/schema.js';
import { removeDeadCode } from './dead-code.js';
import { isNondeterministic } from './fold-constants.js';
import { constantOf, tryInferTypes } from './helpers.js';
import { definePass } from './pass.js';

export const simplifyShapes = definePass({
  name: 'simplify-shapes',
  description: 'replaces nodes whose outputs are known before running (shape computations) by initializers, then removes dead code',
  run(graph, ctx) {
    const constants = tryInferTypes(graph)?.constants;
    if (!constants) return graph;
    const constant = (n: string) => constants.get(n) ?? constantOf(graph, n);
    const folded = new Set<Node>();
    const inits = new Map<string, Tensor>(graph.initializers);
    for (const node of graph.nodes) {
      const outs = node.outputs.filter(Boolean);
      // Quantization ops stay: inference would dequantize small constant weights.
      if (!outs.length || groupOf(node.op) === 'quant' || !outs.every((o) => constants.has(o)) || isNondeterministic(node, constant)) continue;
      folded.add(node);
      for (const o of outs) inits.set(o, constants.get(o)!);
    }
    if (!folded.size) return graph;
    const g = removeDeadCode(graph.with({ nodes: graph.nodes.filter((n) => !folded.has(n)), initializers: inits }));
    ctx.log(`replaced ${folded.size} node${folded.size === 1 ? '' : 's'} by constants`);
    return g;
  },
});
