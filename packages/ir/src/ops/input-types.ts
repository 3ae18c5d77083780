/**
 * Input dtypes against an op's declaration: each one allowed by its spec, and inputs that share a
 * type constraint sharing the dtype. (The verifier runs the same checks, collecting problems
 * instead of throwing.)
 */
import { DTypeError } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import type { Node } from '../graph/types.js';
import { allowedTypes, specAt, type OpSchema } from './schema.js';

/** Throws DTypeError naming the node unless input i's dtype is one its spec allows. */
export function checkAllowedDType(schema: OpSchema, node: Node, i: number, dtype: DType): void {
  const spec = specAt(schema.inputs, i);
  if (!spec) return;
  const allowed = allowedTypes(schema, spec);
  if (!allowed.includes(dtype)) {
    throw new DTypeError(`input ${i} (${spec.name}) has dtype '${dtype}'; ${schema.name} accepts ${allowed.join(', ')}`, { node: node.name, op: node.op });
  }
}

/**
 * Checks every present input: its dtype allowed by its spec, and inputs sharing a type constraint
 * sharing the dtype. Throws DTypeError naming the node.
 */
export function checkInputTypes(schema: OpSchema, node: Node, inputs: readonly ({ readonly dtype: DType } | undefined)[]): void {
  const seen = new Map<string, { dtype: DType; index: number }>();
  inputs.forEach((t, i) => {
    if (!t) return;
    checkAllowedDType(schema, node, i, t.dtype);
    const spec = specAt(schema.inputs, i);
    if (!spec || typeof spec.type !== 'string') return;
    const prev = seen.get(spec.type);
    if (prev && prev.dtype !== t.dtype) {
      throw new DTypeError(`inputs ${prev.index} and ${i} of ${schema.name} must share type ${spec.type}, got '${prev.dtype}' and '${t.dtype}'`, { node: node.name, op: node.op });
    }
    if (!prev) seen.set(spec.type, { dtype: t.dtype, index: i });
  });
}
