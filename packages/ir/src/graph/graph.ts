/**
 * The immutable graph. Every edit returns a new Graph; nodes, value infos and metadata are frozen
 * and shared between versions (initializer tensors too, which nothing writes into).
 */
import { ArgumentError, VerifyError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { Attrs, GraphMetadata, Node, TensorType, ValueInfo } from './types.js';
import { structurallyEqual } from './equal.js';
import { formatGraph, graphStats, summary, type GraphStats } from './summary.js';

/** What `Graph.create` accepts. */
export interface GraphInit {
  name?: string;
  inputs?: readonly ValueInfo[];
  outputs?: readonly ValueInfo[];
  nodes?: readonly NodeInit[];
  initializers?: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;
  /** Type annotations for intermediate values (e.g. ONNX value_info); inference may refine them. */
  valueTypes?: ReadonlyMap<string, TensorType>;
  metadata?: GraphMetadata;
}

/** A node as given to the editing API (attrs optional). */
export interface NodeInit {
  name: string;
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Attrs;
  doc?: string;
}

function freezeNode(n: NodeInit): Node {
  const node: Node = {
    name: n.name,
    op: n.op,
    inputs: Object.freeze([...n.inputs]),
    outputs: Object.freeze([...n.outputs]),
    attrs: Object.freeze({ ...(n.attrs ?? {}) }),
    ...(n.doc !== undefined ? { doc: n.doc } : {}),
  };
  return Object.freeze(node);
}

function toMap<T>(m: ReadonlyMap<string, T> | Readonly<Record<string, T>> | undefined): Map<string, T> {
  if (!m) return new Map();
  if (m instanceof Map) return new Map(m);
  return new Map(Object.entries(m as Record<string, T>));
}

/** True when both maps annotate the same values with the same quantization (inference reads only that). */
function sameQuantAnnotations(a: ReadonlyMap<string, TensorType>, b: ReadonlyMap<string, TensorType>): boolean {
  for (const [k, t] of a) if (t.quant && b.get(k)?.quant !== t.quant) return false;
  for (const [k, t] of b) if (t.quant && a.get(k)?.quant !== t.quant) return false;
  return true;
}

export class Graph {
  readonly name: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly nodes: readonly Node[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  readonly valueTypes: ReadonlyMap<string, TensorType>;
  readonly metadata: GraphMetadata;

  private _producers?: Map<string, Node>;
  private _consumers?: Map<string, Node[]>;
  private _byName?: Map<string, Node>;
  /** Cache slot for derived facts (inferred types, ...) keyed by the module that owns them. */
  private readonly _cache = new Map<string, unknown>();

  private constructor(init: GraphInit) {
    this.name = init.name ?? 'graph';
    this.inputs = Object.freeze((init.inputs ?? []).map((v) => Object.freeze({ ...v })));
    this.outputs = Object.freeze((init.outputs ?? []).map((v) => Object.freeze({ ...v })));
    this.nodes = Object.freeze((init.nodes ?? []).map((n) => (Object.isFrozen(n) ? (n as Node) : freezeNode(n))));
    this.initializers = toMap(init.initializers);
    this.valueTypes = new Map(init.valueTypes ?? []);
    this.metadata = Object.freeze({ ...(init.metadata ?? {}) });
  }

  /**
   * Creates a graph. No checks beyond shape of the arguments: run `verify(graph)` to check it.
   *
   * @example
   * ```ts
   * const g = Graph.create({
   *   inputs: [{ name: 'x', type: { dtype: 'float32', shape: [1, 4] } }],
   *   outputs: [{ name: 'y', type: { dtype: 'float32', shape: [1, 4] } }],
   *   nodes: [{ name: 'relu', op: 'Relu', inputs: ['x'], outputs: ['y'] }],
   * });
   * ```
   */
  static create(init: GraphInit): Graph {
    return new Graph(init);
  }

  /** A copy with some parts replaced. */
  with(changes: GraphInit): Graph {
    const g = new Graph({
      name: changes.name ?? this.name,
      inputs: changes.inputs ?? this.inputs,
      outputs: changes.outputs ?? this.outputs,
      nodes: changes.nodes ?? this.nodes,
      initializers: changes.initializers ?? this.initializers,
      valueTypes: changes.valueTypes ?? this.valueTypes,
      metadata: changes.metadata ?? this.metadata,
    });
    // Derived facts that depend only on unchanged parts carry over: the topological order on the
    // nodes; inferred types on inputs, initializers, nodes and the quant of value annotations.
    if (!changes.nodes) {
      const topo = this._cache.get('topo');
      if (topo !== undefined) g._cache.set('topo', topo);
      const infer = this._cache.get('infer');
      if (infer !== undefined && !changes.inputs && !changes.initializers && sameQuantAnnotations(this.valueTypes, g.valueTypes)) g._cache.set('infer', infer);
    }
    return g;
  }

  /** A copy that shares nothing mutable (tensors deep-copied). */
  clone(): Graph {
    const inits = new Map<string, Tensor>();
    for (const [k, t] of this.initializers) inits.set(k, t.clone());
    return this.with({ initializers: inits });
  }

  /** Memoised derived data; only for modules of this package (graphs are immutable, so it is safe). */
  cached<T>(key: string, compute: () => T): T {
    if (!this._cache.has(key)) this._cache.set(key, compute());
    return this._cache.get(key) as T;
  }

  // ------------------------------------------------------------------ queries

  /** True when `other` computes the same DAG with the same interface (names of nodes and intermediates aside). */
  equals(other: Graph): boolean {
    return structurallyEqual(this, other);
  }

  /** Op counts, parameters, bytes and MACs as text. */
  summary(): string {
    return summary(this);
  }

  /** Op counts, parameters, bytes and MACs as numbers (symbolic input dims bound as in `graphStats`). */
  stats(bind?: Readonly<Record<string, number>>): GraphStats {
    return graphStats(this, bind);
  }

  /** A readable one-node-per-line dump. */
  toString(): string {
    return formatGraph(this);
  }

  /** The node with this name. */
  node(name: string): Node | undefined {
    if (!this._byName) {
      this._byName = new Map();
      for (const n of this.nodes) this._byName.set(n.name, n);
    }
    return this._byName.get(name);
  }

  /** The node whose output is `value` (undefined for graph inputs and initializers). */
  producerOf(value: string): Node | undefined {
    if (!this._producers) {
      this._producers = new Map();
      for (const n of this.nodes) for (const o of n.outputs) if (o) this._producers.set(o, n);
    }
    return this._producers.get(value);
  }

  /** Nodes that read `value` (a node appears once even if it reads it twice). */
  consumersOf(value: string): readonly Node[] {
    if (!this._consumers) {
      this._consumers = new Map();
      for (const n of this.nodes) {
        for (const i of new Set(n.inputs)) {
          if (!i) continue;
          let list = this._consumers.get(i);
          if (!list) this._consumers.set(i, (list = []));
          list.push(n);
        }
      }
    }
    return this._consumers.get(value) ?? [];
  }

  /** True when `value` is read by a node or is a graph output. */
  isUsed(value: string): boolean {
    return this.consumersOf(value).length > 0 || this.outputs.some((o) => o.name === value);
  }

  isGraphInput(value: string): boolean {
    return this.inputs.some((i) => i.name === value);
  }

  isGraphOutput(value: string): boolean {
    return this.outputs.some((o) => o.name === value);
  }

  /** Every value name defined in the graph: inputs, initializers, node outputs. */
  definedValues(): Set<string> {
    const s = new Set<string>();
    for (const i of this.inputs) s.add(i.name);
    for (const k of this.initializers.keys()) s.add(k);
    for (const n of this.nodes) for (const o of n.outputs) if (o) s.add(o);
    return s;
  }

  /**
   * Nodes in a topological order (stable: keeps the stored order where it is already valid).
   * Throws `VerifyError` naming a node on a cycle.
   */
  topologicalOrder(): readonly Node[] {
    return this.cached('topo', () => {
      const producers = new Map<string, number>();
      this.nodes.forEach((n, i) => n.outputs.forEach((o) => o && producers.set(o, i)));
      const state = new Uint8Array(this.nodes.length); // 0 new, 1 on stack, 2 done
      const order: Node[] = [];
      for (let start = 0; start < this.nodes.length; start++) {
        if (state[start]) continue;
        // Iterative DFS so deep graphs cannot overflow the stack.
        const stack: [number, number][] = [[start, 0]];
        state[start] = 1;
        while (stack.length) {
          const top = stack[stack.length - 1];
          const node = this.nodes[top[0]];
          if (top[1] < node.inputs.length) {
            const inp = node.inputs[top[1]++];
            const p = inp ? producers.get(inp) : undefined;
            if (p === undefined) continue;
            if (state[p] === 1) throw new VerifyError(`cycle: value '${inp}' depends on itself`, { node: this.nodes[p].name, op: this.nodes[p].op });
            if (state[p] === 0) {
              state[p] = 1;
              stack.push([p, 0]);
            }
          } else {
            state[top[0]] = 2;
            order.push(node);
            stack.pop();
          }
        }
      }
      return Object.freeze(order);
    });
  }

  // ------------------------------------------------------------------ edits (each returns a new graph)

  private requireNode(name: string): number {
    const i = this.nodes.findIndex((n) => n.name === name);
    if (i < 0) throw new ArgumentError(`no node named '${name}' in graph '${this.name}'`);
    return i;
  }

  /** Replaces node `name` by zero or more nodes, at the same position. */
  replaceNode(name: string, replacement: readonly NodeInit[]): Graph {
    const i = this.requireNode(name);
    const nodes = [...this.nodes.slice(0, i), ...replacement.map(freezeNode), ...this.nodes.slice(i + 1)];
    return this.with({ nodes });
  }

  /** Inserts nodes right after node `name`. */
  insertAfter(name: string, nodes: readonly NodeInit[]): Graph {
    const i = this.requireNode(name);
    return this.with({ nodes: [...this.nodes.slice(0, i + 1), ...nodes.map(freezeNode), ...this.nodes.slice(i + 1)] });
  }

  /** Inserts nodes right before node `name`. */
  insertBefore(name: string, nodes: readonly NodeInit[]): Graph {
    const i = this.requireNode(name);
    return this.with({ nodes: [...this.nodes.slice(0, i), ...nodes.map(freezeNode), ...this.nodes.slice(i)] });
  }

  /** Appends nodes at the end. */
  addNodes(nodes: readonly NodeInit[]): Graph {
    return this.with({ nodes: [...this.nodes, ...nodes.map(freezeNode)] });
  }

  /** Removes the named nodes (their outputs become dangling unless rewired). */
  removeNodes(names: Iterable<string>): Graph {
    const drop = new Set(names);
    return this.with({ nodes: this.nodes.filter((n) => !drop.has(n.name)) });
  }

  /** Replaces one node's attributes (merged with the old ones; `undefined` removes a key). */
  updateAttrs(name: string, attrs: Record<string, Attrs[string] | undefined>): Graph {
    const i = this.requireNode(name);
    const old = this.nodes[i];
    const merged: Record<string, Attrs[string]> = { ...old.attrs };
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined) delete merged[k];
      else merged[k] = v;
    }
    return this.replaceNode(name, [{ ...old, attrs: merged }]);
  }

  /**
   * Makes every reader of value `from` read `to` instead. If `from` is a graph output, the output
   * keeps its name: the producer of `to` is renamed to produce `from` when `to` is a plain
   * intermediate value; otherwise an Identity keeps the output.
   */
  rewireUses(from: string, to: string): Graph {
    if (from === to) return this;
    const swap = (names: readonly string[]) => names.map((x) => (x === from ? to : x));
    let nodes: NodeInit[] = this.nodes.map((n) => (n.inputs.includes(from) ? { ...n, inputs: swap(n.inputs) } : n));
    if (!this.isGraphOutput(from)) return this.with({ nodes });
    // The old producer of `from` keeps running under a fresh (dead) output name; removeDead drops it.
    const oldProducer = this.producerOf(from)?.name;
    const dead = this.freshName(`${from}__replaced`);
    nodes = nodes.map((n) => (n.name === oldProducer ? { ...n, outputs: n.outputs.map((o) => (o === from ? dead : o)) } : n));
    const renamable = this.producerOf(to) !== undefined && !this.isGraphOutput(to) && !this.isGraphInput(to);
    if (renamable) {
      // Rename `to` into `from` everywhere: its producer now writes the graph output directly.
      const rename = (names: readonly string[]) => names.map((x) => (x === to ? from : x));
      nodes = nodes.map((n) => ({ ...n, inputs: rename(n.inputs), outputs: rename(n.outputs) }));
      const valueTypes = new Map(this.valueTypes);
      valueTypes.delete(to);
      return this.with({ nodes, valueTypes });
    }
    const identityName = uniqueName(`${from}/identity`, new Set(this.nodes.map((n) => n.name)));
    return this.with({ nodes: [...nodes, { name: identityName, op: 'Identity', inputs: [to], outputs: [from] }] });
  }

  /** Adds or replaces an initializer. */
  withInitializer(name: string, t: Tensor): Graph {
    const m = new Map(this.initializers);
    m.set(name, t);
    return this.with({ initializers: m });
  }

  /** Removes initializers. */
  withoutInitializers(names: Iterable<string>): Graph {
    const m = new Map(this.initializers);
    for (const n of names) m.delete(n);
    return this.with({ initializers: m });
  }

  /** Removes nodes whose outputs nobody reads, then unused initializers and value annotations. */
  removeDead(): Graph {
    const live = new Set<string>(this.outputs.map((o) => o.name));
    const keep: Node[] = [];
    const order = this.topologicalOrder();
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i];
      if (n.outputs.some((o) => o && live.has(o))) {
        keep.push(n);
        for (const inp of n.inputs) if (inp) live.add(inp);
      }
    }
    const kept = new Set(keep);
    const nodes = this.nodes.filter((n) => kept.has(n));
    const inits = new Map([...this.initializers].filter(([k]) => live.has(k)));
    const valueTypes = new Map([...this.valueTypes].filter(([k]) => live.has(k)));
    if (nodes.length === this.nodes.length && inits.size === this.initializers.size && valueTypes.size === this.valueTypes.size) return this;
    return this.with({ nodes, initializers: inits, valueTypes });
  }

  /** A name not yet used by any value or node, derived from `base`. */
  freshName(base: string): string {
    const taken = this.definedValues();
    for (const n of this.nodes) taken.add(n.name);
    return uniqueName(base, taken);
  }
}

/** `base`, or `base_1`, `base_2`, ... whichever is not in `taken`. */
export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 1; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}
