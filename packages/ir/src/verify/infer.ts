/**
 * Type inference over a whole graph: every value gets a TensorType (dtype, shape, quant).
 * Values that can be known before running (initializers, Constant outputs, Shape of static
 * shapes and small all-constant subexpressions) are tracked as constants, so that shapes computed
 * by PyTorch-style Shape->Gather->Concat chains come out static.
 */
import { MoError, ShapeError, withContext } from '../core/errors.js';
import { isStaticShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { Graph } from '../graph/graph.js';
import type { Node, TensorType } from '../graph/types.js';
import { baseContext, checkArity, getSchema, resolveAttrs, type InferContext } from '../ops/schema.js';
import { runNode } from '../interpreter/run-node.js';

/** Constant subexpressions up to this many elements are evaluated during inference. */
const FOLD_LIMIT = 4096;

export interface InferResult {
  readonly types: ReadonlyMap<string, TensorType>;
  /** Values known before running (initializers, folded constants). */
  readonly constants: ReadonlyMap<string, Tensor>;
}

export function typeOfTensor(t: Tensor): TensorType {
  return t.quant ? { dtype: t.dtype, shape: t.shape, quant: t.quant } : { dtype: t.dtype, shape: t.shape };
}

/** Builds the InferContext for one node. */
export function inferContext(node: Node, inputs: (TensorType | undefined)[], constants: (i: number) => Tensor | undefined, counter: { n: number }): InferContext {
  const schema = getSchema(node.op, { node: node.name });
  const attrs = resolveAttrs(schema, node);
  return {
    ...baseContext(node, attrs),
    inputs,
    constant: constants,
    unknownDim: () => `?${++counter.n}`,
  };
}

/** Infers one node's output types (and constant outputs when they can be folded). */
export function inferNode(
  node: Node,
  inputTypes: (TensorType | undefined)[],
  constantOf: (name: string) => Tensor | undefined,
  counter: { n: number },
): { types: TensorType[]; constants?: Tensor[] } {
  const schema = getSchema(node.op, { node: node.name });
  checkArity(schema, node);
  const ctx = inferContext(node, inputTypes, (i) => (node.inputs[i] ? constantOf(node.inputs[i]) : undefined), counter);
  const types = schema.infer(ctx);
  if (types.length < node.outputs.filter(Boolean).length) ctx.fail(`inference produced ${types.length} output types for ${node.outputs.length} outputs`);
  let constants = schema.foldFromTypes?.(ctx);
  if (!constants) {
    const allConst = node.inputs.every((n) => !n || constantOf(n) !== undefined);
    const small = types.every((t) => isStaticShape(t.shape) && t.shape.reduce((a, b) => a * (b as number), 1) <= FOLD_LIMIT);
    if (allConst && small && !schema.tags?.includes('layout-sensitive')) {
      try {
        constants = runNode(node, node.inputs.map((n) => (n ? constantOf(n) : undefined)));
      } catch (e) {
        // A constant subexpression that cannot be evaluated stays a runtime value; the interpreter
        // reports the problem (with context) if the graph is ever run.
        if (!(e instanceof MoError)) throw e;
        constants = undefined;
      }
    }
  }
  return constants ? { types, constants } : { types };
}

/**
 * Infers the type of every value. Throws typed errors (ShapeError, DTypeError, AttributeError,
 * UnsupportedOpError) naming the node. Result is cached on the (immutable) graph.
 */
export function inferTypes(graph: Graph): InferResult {
  return graph.cached('infer', () => {
    const types = new Map<string, TensorType>();
    const constants = new Map<string, Tensor>();
    for (const i of graph.inputs) types.set(i.name, i.type);
    for (const [k, t] of graph.initializers) {
      types.set(k, typeOfTensor(t));
      if (!graph.isGraphInput(k)) constants.set(k, t);
    }
    const counter = { n: 0 };
    for (const node of graph.topologicalOrder()) {
      const inTypes = node.inputs.map((n) => {
        if (!n) return undefined;
        const t = types.get(n);
        if (!t) throw new ShapeError(`input '${n}' is not defined by any graph input, initializer or node`, { node: node.name, op: node.op, value: n });
        return t;
      });
      let result;
      try {
        result = inferNode(node, inTypes, (n) => constants.get(n), counter);
      } catch (e) {
        throw withContext(e, { node: node.name, op: node.op });
      }
      node.outputs.forEach((o, k) => {
        if (!o) return;
        const declared = graph.valueTypes.get(o);
        const t = result.types[k];
        types.set(o, declared && declared.quant && !t.quant ? { ...t, quant: declared.quant } : t);
        if (result.constants?.[k]) constants.set(o, result.constants[k]);
      });
    }
    return { types, constants };
  });
}
