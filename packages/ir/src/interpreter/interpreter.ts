/**
 * The reference interpreter: executes a graph node by node with each op's reference
 * implementation. Slow and obvious on purpose; it is what fast kernels and exported files are
 * judged against.
 */
import { ArgumentError, DTypeError, ShapeError, throwIfAborted, withContext } from '../core/errors.js';
import { formatShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { Graph } from '../graph/graph.js';
import type { Node } from '../graph/types.js';
import { runNode } from './run-node.js';

export type Feeds = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

export interface RunOptions {
  /** Values to return (graph outputs by default); any intermediate value name works. */
  outputs?: readonly string[];
  /** Called after each node with its inputs and outputs (forward hooks, tracing). */
  onNode?: (node: Node, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[]) => void;
  signal?: AbortSignal;
}

/**
 * Runs `graph` on `feeds` and returns the requested values by name.
 *
 * @example
 * ```ts
 * const out = run(graph, { x: tensor('float32', [[1, -2]]) });
 * console.log(out.y.toNumbers());
 * ```
 */
export function run(graph: Graph, feeds: Feeds, options: RunOptions = {}): Record<string, Tensor> {
  const feedMap = feeds instanceof Map ? feeds : new Map(Object.entries(feeds as Record<string, Tensor>));
  const values = new Map<string, Tensor>();
  checkFeeds(graph, feedMap);
  for (const [k, t] of graph.initializers) values.set(k, t);
  for (const i of graph.inputs) {
    const t = feedMap.get(i.name);
    if (t) values.set(i.name, t);
  }
  const wanted = options.outputs ?? graph.outputs.map((o) => o.name);
  const order = graph.topologicalOrder();
  // Free each value after its last reader so long graphs do not hold every activation.
  const lastUse = new Map<string, number>();
  order.forEach((n, idx) => n.inputs.forEach((i) => i && lastUse.set(i, idx)));
  const keep = new Set(wanted);
  for (let idx = 0; idx < order.length; idx++) {
    throwIfAborted(options.signal, { node: order[idx].name });
    const node = order[idx];
    const inputs = node.inputs.map((name) => {
      if (!name) return undefined;
      const t = values.get(name);
      if (!t) throw new ArgumentError(`value '${name}' is not available (missing feed or undefined value)`, { node: node.name, op: node.op, value: name });
      return t;
    });
    const outputs = runNode(node, inputs);
    node.outputs.forEach((o, k) => {
      if (!o) return;
      if (!outputs[k]) throw withContext(new ShapeError(`reference implementation returned no tensor for output ${k}`), { node: node.name, op: node.op });
      values.set(o, outputs[k]);
    });
    options.onNode?.(node, inputs, outputs);
    for (const i of node.inputs) if (i && lastUse.get(i) === idx && !keep.has(i) && !graph.initializers.has(i)) values.delete(i);
  }
  const result: Record<string, Tensor> = {};
  for (const name of wanted) {
    const t = values.get(name);
    if (!t) throw new ArgumentError(`requested value '${name}' does not exist in graph '${graph.name}'`, { value: name });
    result[name] = t;
  }
  return result;
}

function checkFeeds(graph: Graph, feeds: ReadonlyMap<string, Tensor>): void {
  const names = graph.inputs.map((i) => i.name);
  for (const k of feeds.keys()) {
    if (!names.includes(k)) throw new ArgumentError(`feed '${k}' is not an input of graph '${graph.name}'; inputs are ${names.map((n) => `'${n}'`).join(', ')}`, { value: k });
  }
  const bound = new Map<string, number>();
  for (const input of graph.inputs) {
    const t = feeds.get(input.name);
    if (!t) {
      if (graph.initializers.has(input.name)) continue; // an input with a default value
      throw new ArgumentError(`missing feed for input '${input.name}' (${input.type.dtype}${formatShape(input.type.shape)})`, { value: input.name });
    }
    if (t.dtype !== input.type.dtype) throw new DTypeError(`feed '${input.name}' has dtype '${t.dtype}', expected '${input.type.dtype}'`, { value: input.name });
    const shape = input.type.shape;
    if (t.shape.length !== shape.length) throw new ShapeError(`feed '${input.name}' has shape ${formatShape(t.shape)}, expected rank ${shape.length} ${formatShape(shape)}`, { value: input.name });
    shape.forEach((d, k) => {
      const actual = t.shape[k];
      if (typeof d === 'number') {
        if (d !== actual) throw new ShapeError(`feed '${input.name}' has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`, { value: input.name });
      } else {
        const prev = bound.get(d);
        if (prev !== undefined && prev !== actual) throw new ShapeError(`feed '${input.name}' binds dimension '${d}' to ${actual}, but another input bound it to ${prev}`, { value: input.name });
        bound.set(d, actual);
      }
    });
  }
}
