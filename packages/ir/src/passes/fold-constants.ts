/**
 * foldConstants: evaluates nodes whose inputs are all constants with the reference interpreter and
 * replaces them by initializers. Outputs above a size limit are left to run time so that folding
 * never materializes huge tensors (e.g. an Expand of a scalar to a large shape). Quantization ops
 * stay unless asked for, so quantized weights stay quantized.
 */
import { MoError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { Graph } from '../graph/graph.js';
import type { Node } from '../graph/types.js';
import { runNode } from '../interpreter/run-node.js';
import { findSchema } from '../ops/schema.js';
import { inferNode, typeOfTensor } from '../verify/infer.js';
import { constantOf, dropUnusedInitializers, staticSize } from './helpers.js';
import { definePass, type Pass } from './pass.js';

export interface FoldConstantsOptions {
  /** Largest output (in elements) that may be materialized; default 1M. */
  maxElements?: number;
  /**
   * Also fold quantization ops (default false): DequantizeLinear of constant int8 weights is how
   * quantized models store weights, and folding it would turn them back into float.
   */
  foldQuant?: boolean;
}

/** Ops whose result is random even with constant inputs (they take a `seed` attribute). */
const RANDOM_OPS = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** True when Dropout runs in inference mode: no training_mode input, or a constant false one. */
export function isInferenceDropout(node: Node, constant: (name: string) => Tensor | undefined): boolean {
  const tm = node.inputs[2];
  if (!tm) return true;
  const t = constant(tm);
  return t !== undefined && t.size === 1 && t.get(0) === 0;
}

/** True when running `node` twice may give different results (random ops, training-mode Dropout). */
export function isNondeterministic(node: Node, constant: (name: string) => Tensor | undefined): boolean {
  if (node.op === 'Dropout') return !isInferenceDropout(node, constant);
  return RANDOM_OPS.has(node.op) || findSchema(node.op)?.attrs?.seed !== undefined;
}

/** Folds constant subexpressions of `graph`; returns `graph` itself when there are none. */
export function foldConstantNodes(graph: Graph, opts: FoldConstantsOptions = {}): { graph: Graph; folded: number } {
  const limit = opts.maxElements ?? 1_000_000;
  const known = new Map<string, Tensor>();
  const constant = (name: string) => known.get(name) ?? constantOf(graph, name);
  const folded = new Set<Node>();
  const counter = { n: 0 };
  for (const node of graph.topologicalOrder()) {
    const schema = findSchema(node.op);
    if (!schema || (schema.group === 'quant' && !opts.foldQuant) || isNondeterministic(node, constant)) continue;
    const inputs = node.inputs.map((n) => (n ? constant(n) : undefined));
    if (node.inputs.some((n, i) => n && !inputs[i])) continue;
    let outputs: Tensor[];
    try {
      const { types } = inferNode(node, inputs.map((t) => (t ? typeOfTensor(t) : undefined)), constant, counter);
      const fits = node.outputs.every((o, k) => {
        if (!o) return true;
        const size = types[k] ? staticSize(types[k].shape) : undefined;
        return size !== undefined && size <= limit;
      });
      if (!fits) continue;
      outputs = runNode(node, inputs);
    } catch (e) {
      // Not evaluable ahead of time (bad attributes, shapes...): left for the verifier / run time.
      if (e instanceof MoError) continue;
      throw e;
    }
    if (node.outputs.some((o, k) => o && !outputs[k])) continue;
    node.outputs.forEach((o, k) => o && known.set(o, outputs[k]));
    folded.add(node);
  }
  if (!folded.size) return { graph, folded: 0 };

  const nodes = graph.nodes.filter((n) => !folded.has(n));
  const inits = new Map(graph.initializers);
  const stillRead = new Set<string>(graph.outputs.map((o) => o.name));
  for (const n of nodes) for (const i of n.inputs) if (i) stillRead.add(i);
  for (const n of folded) for (const o of n.outputs) if (o && stillRead.has(o)) inits.set(o, known.get(o)!);
  let g = graph.with({ nodes, initializers: inits });
  g = dropUnusedInitializers(g, [...folded].flatMap((n) => n.inputs));
  return { graph: g, folded: folded.size };
}

/** A foldConstants pass with options. */
export function foldConstantsPass(opts: FoldConstantsOptions = {}): Pass {
  return definePass({
    name: 'fold-constants',
    description: 'evaluates nodes whose inputs are all constants and stores their outputs as initializers',
    run(graph, ctx) {
      const { graph: g, folded } = foldConstantNodes(graph, opts);
      if (folded) ctx.log(`folded ${folded} node${folded === 1 ? '' : 's'}`);
      return g;
    },
  });
}

/** The foldConstants pass with default options (outputs up to 1M elements). */
export const foldConstants: Pass = foldConstantsPass();
