/**
 * eliminateDeadCode: removes nodes no graph output depends on, then unused initializers and value
 * annotations. Graph inputs are the interface and stay, used or not, with their default values.
 */
import type { Graph } from '../graph/graph.js';
import { definePass } from './pass.js';

/** `graph.removeDead()`, keeping initializers that give graph inputs a default value. */
export function removeDeadCode(graph: Graph): Graph {
  const g = graph.removeDead();
  if (g === graph) return graph;
  const lostDefaults = [...graph.initializers].filter(([k]) => graph.isGraphInput(k) && !g.initializers.has(k));
  if (!lostDefaults.length) return g;
  const inits = new Map(g.initializers);
  for (const [k, t] of lostDefaults) inits.set(k, t);
  const out = g.with({ initializers: inits });
  return out.nodes.length === graph.nodes.length && out.initializers.size === graph.initializers.size && out.valueTypes.size === graph.valueTypes.size ? graph : out;
}

export const eliminateDeadCode = definePass({
  name: 'eliminate-dead-code',
  description: 'removes nodes, initializers and annotations that no graph output depends on (graph inputs stay)',
  run(graph, ctx) {
    const g = removeDeadCode(graph);
    if (g !== graph) {
      const nodes = graph.nodes.length - g.nodes.length;
      const inits = graph.initializers.size - g.initializers.size;
      ctx.log(`removed ${nodes} node${nodes === 1 ? '' : 's'} and ${inits} initializer${inits === 1 ? '' : 's'}`);
    }
    return g;
  },
});
