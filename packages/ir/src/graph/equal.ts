/**
 * Structural equality of graphs up to node names and intermediate value names: two graphs are
 * equal when they have the same interface (input/output names and types) and compute the same
 * expression DAG (same ops, attributes, constants, and wiring).
 */
import { Tensor, tensorsEqual } from '../core/tensor.js';
import type { Graph } from './graph.js';
import type { AttrValue, Node, TensorType } from './types.js';

interface Canonical {
  lines: string[];
  tensors: Tensor[];
}

const typeStr = (t: TensorType) => `${t.dtype}[${t.shape.join(',')}]${t.quant ? `q:${t.quant.kind}` : ''}`;

function canonicalize(g: Graph): Canonical {
  const lines: string[] = [];
  const tensors: Tensor[] = [];
  const valueIds = new Map<string, string>();
  const nodeIds = new Map<Node, number>();
  const tensorId = (t: Tensor) => {
    tensors.push(t);
    return `#${tensors.length - 1}<${t.dtype}[${t.shape.join(',')}]>`;
  };
  const attrStr = (v: AttrValue): string => (v instanceof Tensor ? tensorId(v) : JSON.stringify(v));

  const visitValue = (name: string): string => {
    if (!name) return '-';
    const known = valueIds.get(name);
    if (known) return known;
    let id: string;
    if (g.isGraphInput(name)) id = `in:${name}`;
    else if (g.initializers.has(name)) id = `const${tensorId(g.initializers.get(name)!)}`;
    else {
      const p = g.producerOf(name);
      if (!p) id = `undef:${name}`;
      else id = `n${visitNode(p)}.${p.outputs.indexOf(name)}`;
    }
    valueIds.set(name, id);
    return id;
  };

  // Iterative post-order so that deep graphs do not overflow the stack.
  const visitNode = (root: Node): number => {
    const stack: Node[] = [root];
    while (stack.length) {
      const n = stack[stack.length - 1];
      if (nodeIds.has(n)) { stack.pop(); continue; }
      const pending = n.inputs.map((i) => (i ? g.producerOf(i) : undefined)).filter((p): p is Node => !!p && !nodeIds.has(p));
      if (pending.length) { stack.push(...pending.reverse()); continue; }
      const ins = n.inputs.map(visitValue);
      const attrs = Object.keys(n.attrs).sort().map((k) => `${k}=${attrStr(n.attrs[k])}`);
      const id = lines.length;
      lines.push(`${n.op}(${ins.join(', ')}) {${attrs.join(' ')}} -> ${n.outputs.length}`);
      nodeIds.set(n, id);
      stack.pop();
    }
    return nodeIds.get(root)!;
  };

  g.topologicalOrder(); // throws on cycles, which the walk below assumes absent
  lines.push(`inputs: ${g.inputs.map((i) => `${i.name}:${typeStr(i.type)}`).join(', ')}`);
  const outs = g.outputs.map((o) => `${o.name}:${typeStr(o.type)}=${visitValue(o.name)}`);
  // Nodes no output depends on still count, in topological order.
  for (const n of g.topologicalOrder()) if (!nodeIds.has(n)) visitNode(n);
  lines.push(`outputs: ${outs.join(', ')}`);
  return { lines, tensors };
}

/**
 * Why `a` and `b` differ structurally, or undefined when they are equal.
 *
 * @example
 * ```ts
 * expect(explainDifference(actual, expected)).toBeUndefined();
 * ```
 */
export function explainDifference(a: Graph, b: Graph): string | undefined {
  const ca = canonicalize(a);
  const cb = canonicalize(b);
  const n = Math.max(ca.lines.length, cb.lines.length);
  for (let i = 0; i < n; i++) {
    if (ca.lines[i] !== cb.lines[i]) return `line ${i} differs:\n  a: ${ca.lines[i] ?? '(none)'}\n  b: ${cb.lines[i] ?? '(none)'}`;
  }
  if (ca.tensors.length !== cb.tensors.length) return `constant count differs: ${ca.tensors.length} vs ${cb.tensors.length}`;
  for (let i = 0; i < ca.tensors.length; i++) {
    if (!tensorsEqual(ca.tensors[i], cb.tensors[i])) return `constant #${i} differs: ${ca.tensors[i].toString()} vs ${cb.tensors[i].toString()}`;
  }
  return undefined;
}

/** True when the graphs are equal up to node and intermediate value names. */
export function structurallyEqual(a: Graph, b: Graph): boolean {
  return explainDifference(a, b) === undefined;
}
