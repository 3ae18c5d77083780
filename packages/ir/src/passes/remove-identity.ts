/**
 * removeIdentity: bypasses nodes that return their input unchanged — Identity, inference-mode
 * Dropout, Cast to the same dtype, reshapes to the same shape, identity Transpose, Expand/Tile
 * that do nothing. Readers are rewired to the input; graph outputs keep their names.
 */
import { shapesEqual } from '../core/shape.js';
import type { Graph } from '../graph/graph.js';
import type { Node, TensorType } from '../graph/types.js';
import { isInferenceDropout } from './fold-constants.js';
import { attrsOf, bypassNode, canBypass, constantOf, dropUnusedInitializers, isIdentityPerm, tryInferTypes } from './helpers.js';
import { definePass } from './pass.js';

/** Ops that only reinterpret the shape (row-major order unchanged): same shape in and out = no-op. */
const RESHAPE_LIKE = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

/** True when `node` (output 0) equals its input 0 for every input. */
function isNoOp(g: Graph, node: Node, typeOf: (v: string) => TensorType | undefined): boolean {
  const x = node.inputs[0];
  const y = node.outputs[0];
  if (!x || !y) return false;
  // Any extra output (Dropout mask) must be unused.
  if (node.outputs.slice(1).some((o) => o && g.isUsed(o))) return false;
  const tx = typeOf(x);
  const ty = typeOf(y);
  const sameType = tx !== undefined && ty !== undefined && tx.dtype === ty.dtype && shapesEqual(tx.shape, ty.shape);
  switch (node.op) {
    case 'Identity':
      return true;
    case 'Dropout':
      return isInferenceDropout(node, (n) => constantOf(g, n));
    case 'Cast':
    case 'CastLike':
      return tx !== undefined && ty !== undefined && tx.dtype === ty.dtype && !tx.quant && !ty.quant;
    case 'Transpose': {
      const perm = attrsOf(node)?.perm as readonly number[] | undefined;
      if (perm) return isIdentityPerm(perm);
      return tx !== undefined && tx.shape.length <= 1; // default perm reverses the axes
    }
    case 'Expand':
    case 'Tile':
      return sameType;
    default:
      return RESHAPE_LIKE.has(node.op) && sameType;
  }
}

export const removeIdentity = definePass({
  name: 'remove-identity',
  description: 'bypasses Identity, inference Dropout, same-type Cast, same-shape Reshape, identity Transpose and no-op Expand/Tile',
  run(graph, ctx) {
    const types = tryInferTypes(graph)?.types;
    const typeOf = (v: string) => types?.get(v);
    // Decide on the input graph (types are per value name; bypassing keeps every kept value's type).
    const candidates = graph.nodes.filter((n) => isNoOp(graph, n, typeOf)).map((n) => n.name);
    let g = graph;
    let removed = 0;
    for (const name of candidates) {
      const node = g.node(name)!;
      const [x] = node.inputs;
      const [y] = node.outputs;
      if (!canBypass(g, y, x)) continue;
      g = dropUnusedInitializers(bypassNode(g, node, y, x), node.inputs.slice(1));
      removed++;
    }
    if (removed) ctx.log(`removed ${removed} no-op node${removed === 1 ? '' : 's'}`);
    return g;
  },
});
