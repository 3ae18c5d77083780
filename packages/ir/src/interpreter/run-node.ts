/**
 * Runs one node with the reference implementation of its op.
 */
import { withContext } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { Node } from '../graph/types.js';
import { checkAllowedDType } from '../ops/input-types.js';
import { baseContext, checkArity, getSchema, resolveAttrs } from '../ops/schema.js';

/** Executes `node` on `inputs` (undefined for absent optional inputs) and returns its outputs. */
export function runNode(node: Node, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const schema = getSchema(node.op, { node: node.name });
  try {
    checkArity(schema, node);
    inputs.forEach((t, i) => {
      if (t) checkAllowedDType(schema, node, i, t.dtype);
    });
    const attrs = resolveAttrs(schema, node);
    return schema.run({ ...baseContext(node, attrs), inputs });
  } catch (e) {
    throw withContext(e, { node: node.name, op: node.op });
  }
}
