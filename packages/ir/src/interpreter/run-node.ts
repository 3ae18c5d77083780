/**
 * Runs one node with the reference implementation of its op.
 */
import { DTypeError, withContext } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { Node } from '../graph/types.js';
import { allowedTypes, baseContext, checkArity, getSchema, resolveAttrs, specAt } from '../ops/schema.js';

/** Executes `node` on `inputs` (undefined for absent optional inputs) and returns its outputs. */
export function runNode(node: Node, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const schema = getSchema(node.op, { node: node.name });
  try {
    checkArity(schema, node);
    inputs.forEach((t, i) => {
      if (!t) return;
      const spec = specAt(schema.inputs, i);
      if (spec && !allowedTypes(schema, spec).includes(t.dtype)) {
        throw new DTypeError(`input ${i} (${spec.name}) has dtype '${t.dtype}'; ${node.op} accepts ${allowedTypes(schema, spec).join(', ')}`);
      }
    });
    const attrs = resolveAttrs(schema, node);
    return schema.run({ ...baseContext(node, attrs), inputs });
  } catch (e) {
    throw withContext(e, { node: node.name, op: node.op });
  }
}
