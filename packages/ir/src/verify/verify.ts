/**
 * The verifier: checks the IR's invariants and reports every problem it finds, each naming the
 * node, op and offending value with its dtype and shape.
 */
import { MoError, VerifyError, type ErrorContext } from '../core/errors.js';
import { formatShape, type Shape } from '../core/shape.js';
import type { Graph } from '../graph/graph.js';
import type { TensorType } from '../graph/types.js';
import { allowedTypes, checkArity, findSchema, resolveAttrs, specAt } from '../ops/schema.js';
import { inferTypes } from './infer.js';

/** One problem found by the verifier. */
export interface Problem extends ErrorContext {
  readonly message: string;
}

/** Thrown by `verify`; `problems` lists all of them (the message shows the first ones). */
export class GraphVerifyError extends VerifyError {
  problems: readonly Problem[] = [];
}

const fmt = (t: TensorType) => `${t.dtype}${formatShape(t.shape)}`;

function compatible(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => typeof d !== 'number' || typeof b[i] !== 'number' || d === b[i]);
}

/**
 * Checks a graph and returns the list of problems (empty when the graph is valid):
 * unique node names, SSA (each value defined once), no dangling inputs or outputs, no cycles,
 * known ops with valid arity and attributes, dtypes within each op's constraints, and inferred
 * types consistent with declared graph outputs.
 */
export function findProblems(graph: Graph): Problem[] {
  const problems: Problem[] = [];
  const add = (message: string, ctx: ErrorContext = {}) => problems.push({ message, ...ctx });

  const nodeNames = new Set<string>();
  for (const n of graph.nodes) {
    if (!n.name) add('node has an empty name', { op: n.op });
    else if (nodeNames.has(n.name)) add(`duplicate node name '${n.name}'`, { node: n.name, op: n.op });
    nodeNames.add(n.name);
  }

  const defined = new Map<string, string>();
  const define = (name: string, by: string, ctx: ErrorContext) => {
    if (!name) return;
    const prev = defined.get(name);
    if (prev !== undefined) add(`value '${name}' is defined twice (by ${prev} and by ${by}); the IR is in SSA form`, { ...ctx, value: name });
    else defined.set(name, by);
  };
  for (const i of graph.inputs) define(i.name, 'a graph input', { value: i.name });
  for (const k of graph.initializers.keys()) if (!graph.isGraphInput(k)) define(k, 'an initializer', { value: k });
  for (const n of graph.nodes) for (const o of n.outputs) define(o, `node '${n.name}'`, { node: n.name, op: n.op });

  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      if (i && !defined.has(i)) add(`input '${i}' is not defined by any graph input, initializer or node`, { node: n.name, op: n.op, value: i });
    }
  }
  for (const o of graph.outputs) if (!defined.has(o.name)) add(`graph output '${o.name}' is not produced by anything`, { value: o.name });

  try {
    graph.topologicalOrder();
  } catch (e) {
    if (e instanceof MoError) add(e.detail, e.context);
    else throw e;
    return problems;
  }

  // Per-node schema checks that do not need inference.
  let schemaOk = true;
  for (const n of graph.nodes) {
    const schema = findSchema(n.op);
    const ctx = { node: n.name, op: n.op };
    if (!schema) {
      add(`unknown op '${n.op}'`, ctx);
      schemaOk = false;
      continue;
    }
    try {
      checkArity(schema, n);
      resolveAttrs(schema, n);
    } catch (e) {
      if (!(e instanceof MoError)) throw e;
      add(e.detail, { ...ctx, ...stripUndefined(e.context) });
      schemaOk = false;
    }
  }
  if (problems.length || !schemaOk) return problems;

  let types: ReadonlyMap<string, TensorType>;
  try {
    types = inferTypes(graph).types;
  } catch (e) {
    if (!(e instanceof MoError)) throw e;
    add(e.detail, stripUndefined(e.context));
    return problems;
  }

  for (const n of graph.nodes) {
    const schema = findSchema(n.op)!;
    const seen = new Map<string, { dtype: string; index: number }>();
    n.inputs.forEach((name, i) => {
      if (!name) return;
      const t = types.get(name)!;
      const spec = specAt(schema.inputs, i)!;
      const allowed = allowedTypes(schema, spec);
      if (!allowed.includes(t.dtype)) {
        add(`input ${i} (${spec.name}) '${name}' is ${fmt(t)}; ${n.op} accepts ${allowed.join(', ')}`, { node: n.name, op: n.op, value: name });
      }
      if (typeof spec.type === 'string') {
        const prev = seen.get(spec.type);
        if (prev && prev.dtype !== t.dtype) {
          add(`inputs ${prev.index} and ${i} must share type ${spec.type}, got ${prev.dtype} and ${t.dtype} ('${name}' is ${fmt(t)})`, { node: n.name, op: n.op, value: name });
        } else if (!prev) seen.set(spec.type, { dtype: t.dtype, index: i });
      }
    });
  }

  for (const o of graph.outputs) {
    const t = types.get(o.name);
    if (!t) continue;
    if (t.dtype !== o.type.dtype || !compatible(t.shape, o.type.shape)) {
      const p = graph.producerOf(o.name);
      add(`graph output '${o.name}' is declared ${fmt(o.type)} but computes ${fmt(t)}`, { value: o.name, ...(p ? { node: p.name, op: p.op } : {}) });
    }
  }
  for (const [name, declared] of graph.valueTypes) {
    const t = types.get(name);
    if (t && (t.dtype !== declared.dtype || !compatible(t.shape, declared.shape))) {
      const p = graph.producerOf(name);
      add(`value '${name}' is annotated ${fmt(declared)} but computes ${fmt(t)}`, { value: name, ...(p ? { node: p.name, op: p.op } : {}) });
    }
  }
  return problems;
}

function stripUndefined(ctx: ErrorContext): ErrorContext {
  return Object.fromEntries(Object.entries(ctx).filter(([, v]) => v !== undefined)) as ErrorContext;
}

/**
 * Throws a `GraphVerifyError` (a `VerifyError`) listing every problem; returns the graph when valid.
 *
 * @example
 * ```ts
 * verify(graph); // throws VerifyError: node 'conv1', op Conv: input 1 (W) ...
 * ```
 */
export function verify(graph: Graph, ctx: ErrorContext = {}): Graph {
  const problems = findProblems(graph);
  if (problems.length) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (+${problems.length - 1} more: ${problems.slice(1, 6).map((p) => p.message).join('; ')})` : '';
    const { message: firstMessage, ...firstCtx } = first;
    const err = new GraphVerifyError(`${firstMessage}${more}`, { ...ctx, ...stripUndefined(firstCtx) });
    err.problems = problems;
    throw err;
  }
  return graph;
}
