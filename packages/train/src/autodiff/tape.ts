/**
 * Tape-based reverse-mode autodiff over IR graphs. `recordForward` runs the graph node by node
 * with the reference interpreter (through each op's gradient rule, which may switch the op to
 * training mode) and keeps every value; `Tape.backward` walks the nodes in reverse and applies
 * the gradient rules. Nothing here depends on how a rule computes: rules may later run on a fast
 * engine, or the tape may be replaced by a backward graph, without changing this API.
 */
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  UnsupportedOpError,
  baseContext,
  formatShape,
  fusedActivationFn,
  getSchema,
  resolveAttrs,
  runNode,
  throwIfAborted,
  withContext,
  type Feeds,
  type Graph,
  type Node,
  type ResolvedAttrs,
  type Tensor,
} from '@mo/ir';
import { fusedActivationDerivative } from './activation.js';
import { addTensors, allocFloat, floatTensor, floats, isTrainDType, zerosLike, zipFloat } from './array.js';
import { checkGradShape, findGradient, gradientOps, type GradContext, type GradientRule } from './registry.js';

/** Options of {@link recordForward}. */
export interface RecordOptions {
  /**
   * Training mode: BatchNormalization normalizes with batch statistics (and reports new running
   * statistics in `Tape.stateUpdates`), Dropout drops. Default false (inference semantics).
   */
  training?: boolean;
  /** Seed of the random ops of this forward (Dropout); each node derives its own stream. */
  seed?: number;
  /** Values that replace initializers of the same name (the parameters being trained). */
  params?: ReadonlyMap<string, Tensor>;
  /** Forward hook: called after each node with its inputs and outputs (after any fused activation). */
  onNode?: (node: Node, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[]) => void;
  signal?: AbortSignal;
  /**
   * Rules that replace the registered ones for their ops in this forward and its backward (the
   * wasm engine's rules, from `createTrainingEngine`).
   */
  rules?: ReadonlyMap<string, GradientRule>;
}

/** One recorded node. */
interface Entry {
  readonly node: Node;
  readonly attrs: ResolvedAttrs;
  readonly rule: GradientRule | undefined;
  readonly inputs: readonly (Tensor | undefined)[];
  /** Outputs as the rule produced them (before a fused activation). */
  readonly raw: readonly Tensor[];
  /** The fused activation applied by the engine, if any. */
  readonly activation?: { readonly name: string; readonly params: readonly number[] };
  readonly saved: unknown;
}

const FUSED_KEYS = ['activation', 'activation_params'];

/** A 32-bit mix of a seed and a node index (splitmix-style finalizer). */
function mixSeed(seed: number, k: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Checks feeds against the graph inputs (names, dtypes, static dims, consistent symbols); throws
 * ArgumentError, DTypeError or ShapeError naming the input.
 *
 * @example
 * ```ts
 * checkFeeds(graph, new Map([['input', x]]));
 * ```
 */
export function checkFeeds(graph: Graph, feeds: ReadonlyMap<string, Tensor>): void {
  const names = graph.inputs.map((i) => i.name);
  for (const k of feeds.keys()) {
    if (!names.includes(k)) throw new ArgumentError(`feed '${k}' is not an input of graph '${graph.name}'; inputs are ${names.map((n) => `'${n}'`).join(', ')}`, { value: k });
  }
  const bound = new Map<string, number>();
  for (const input of graph.inputs) {
    const t = feeds.get(input.name);
    if (!t) {
      if (graph.initializers.has(input.name)) continue;
      throw new ArgumentError(`missing feed for input '${input.name}' (${input.type.dtype}${formatShape(input.type.shape)})`, { value: input.name });
    }
    if (t.dtype !== input.type.dtype) throw new DTypeError(`feed '${input.name}' has dtype '${t.dtype}', expected '${input.type.dtype}'`, { value: input.name });
    const shape = input.type.shape;
    const bad = () => new ShapeError(`feed '${input.name}' has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`, { value: input.name });
    if (t.shape.length !== shape.length) throw bad();
    shape.forEach((d, k) => {
      const actual = t.shape[k];
      if (typeof d === 'number') {
        if (d !== actual) throw bad();
      } else {
        const prev = bound.get(d);
        if (prev !== undefined && prev !== actual) throw new ShapeError(`feed '${input.name}' binds dimension '${d}' to ${actual}, but another input bound it to ${prev}`, { value: input.name });
        bound.set(d, actual);
      }
    });
  }
}

/**
 * The record of one forward pass: every value, and what each node's rule saved for the backward.
 * Made by {@link recordForward}.
 *
 * @example
 * ```ts
 * const tape = recordForward(graph, { input: x }, { training: true });
 * const grads = tape.backward({ logits: dLogits }, trainableParameters(graph));
 * ```
 */
export class Tape {
  /** @internal */
  constructor(
    readonly graph: Graph,
    private readonly entries: readonly Entry[],
    private readonly vals: Map<string, Tensor>,
    /** New values of state initializers (BatchNormalization running statistics) in training mode. */
    readonly stateUpdates: ReadonlyMap<string, Tensor>,
    /** True when recorded in training mode. */
    readonly training: boolean,
  ) {}

  /** Every value of the forward pass by name (inputs, initializers, node outputs). */
  get values(): ReadonlyMap<string, Tensor> {
    return this.vals;
  }

  /** The value `name`; ArgumentError when it does not exist. */
  value(name: string): Tensor {
    const t = this.vals.get(name);
    if (!t) throw new ArgumentError(`value '${name}' does not exist in graph '${this.graph.name}'`, { value: name });
    return t;
  }

  /**
   * Reverse-mode pass: given the gradients of some values (`seeds`, e.g. dLoss/dLogits), returns
   * the gradient of every value in `wrt` (zeros for those the seeds do not depend on).
   *
   * @example
   * ```ts
   * const tape = recordForward(graph, { input: x });
   * const grads = tape.backward({ logits: dLogits }, ['classifier.weight']);
   * ```
   */
  backward(seeds: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>, wrt: readonly string[]): Map<string, Tensor> {
    const seedMap: ReadonlyMap<string, Tensor> = seeds instanceof Map ? seeds : new Map(Object.entries(seeds as Record<string, Tensor>));
    for (const name of wrt) {
      const v = this.vals.get(name);
      if (!v) throw new ArgumentError(`cannot differentiate with respect to '${name}': no such value in graph '${this.graph.name}'`, { value: name });
      if (!isTrainDType(v.dtype)) throw new DTypeError(`cannot differentiate with respect to '${name}' of dtype '${v.dtype}'; training supports float32 and float64`, { value: name });
    }
    // Which values depend on a `wrt` value through differentiable inputs.
    const requires = new Set(wrt);
    for (const e of this.entries) {
      const nonDiff = e.rule?.nonDifferentiable ?? [];
      const dep = e.node.inputs.some((n, i) => n && requires.has(n) && !nonDiff.includes(i));
      if (dep) for (const o of e.node.outputs) if (o && isTrainDType(this.vals.get(o)!.dtype)) requires.add(o);
    }
    const grads = new Map<string, Tensor>();
    const accumulate = (name: string, g: Tensor) => {
      const prev = grads.get(name);
      grads.set(name, prev ? addTensors(prev, g) : g);
    };
    for (const [name, g] of seedMap) {
      const v = this.vals.get(name);
      if (!v) throw new ArgumentError(`gradient given for '${name}', which is not a value of graph '${this.graph.name}'`, { value: name });
      if (g.shape.length !== v.shape.length || g.shape.some((d, i) => d !== v.shape[i])) {
        throw new ShapeError(`gradient for '${name}' has shape ${formatShape(g.shape)} but the value has shape ${formatShape(v.shape)}`, { value: name });
      }
      if (g.dtype !== v.dtype) throw new DTypeError(`gradient for '${name}' has dtype '${g.dtype}' but the value has '${v.dtype}'`, { value: name });
      accumulate(name, g);
    }
    const keep = new Set(wrt);
    for (let k = this.entries.length - 1; k >= 0; k--) {
      const e = this.entries[k];
      const gy = e.node.outputs.map((o) => (o ? grads.get(o) : undefined));
      if (gy.every((g) => !g)) continue;
      const nonDiff = e.rule?.nonDifferentiable ?? [];
      const needs = e.node.inputs.map((n, i) => !!n && requires.has(n) && !nonDiff.includes(i));
      if (!needs.some(Boolean)) continue;
      if (!e.rule) {
        throw new UnsupportedOpError(`op '${e.node.op}' has no gradient rule; ops with gradients: ${gradientOps().join(', ')}`, { node: e.node.name, op: e.node.op });
      }
      let gradOutputs: (Tensor | undefined)[] = gy;
      if (e.activation && gy[0]) {
        const d = fusedActivationDerivative(e.activation.name, e.activation.params);
        const y = this.vals.get(e.node.outputs[0])!;
        const yd = floats(y);
        gradOutputs = [zipFloat(gy[0], e.raw[0], (g, z, i) => g * d(z, yd[i])), ...gy.slice(1)];
      }
      const ctx = gradContext(e, gradOutputs, needs, this.training);
      let res: readonly (Tensor | undefined)[];
      try {
        res = e.rule.grad(ctx);
      } catch (err) {
        throw withContext(err, { node: e.node.name, op: e.node.op });
      }
      e.node.inputs.forEach((n, i) => {
        const g = res[i];
        if (!needs[i] || !g) return;
        checkGradShape(e.node, i, e.inputs[i]!, g);
        accumulate(n, g);
      });
      for (const o of e.node.outputs) if (o && !keep.has(o)) grads.delete(o);
    }
    const out = new Map<string, Tensor>();
    for (const name of wrt) out.set(name, grads.get(name) ?? zerosLike(this.vals.get(name)!));
    return out;
  }
}

function gradContext(e: Entry, gradOutputs: readonly (Tensor | undefined)[], needs: readonly boolean[], training: boolean): GradContext {
  const base = baseContext(e.node, e.attrs);
  return {
    node: e.node,
    attrs: e.attrs,
    inputs: e.inputs,
    outputs: e.raw,
    gradOutputs,
    saved: e.saved,
    training,
    needsGrad: (i) => needs[i] === true,
    fail: base.fail,
  };
}

/**
 * Runs `graph` on `feeds` with the reference interpreter, recording what the backward pass needs.
 *
 * @example
 * ```ts
 * import { recordForward } from '@mo/train';
 * const tape = recordForward(graph, { input: x }, { training: true });
 * const logits = tape.value('logits');
 * ```
 */
export function recordForward(graph: Graph, feeds: Feeds, options: RecordOptions = {}): Tape {
  const feedMap = feeds instanceof Map ? (feeds as ReadonlyMap<string, Tensor>) : new Map(Object.entries(feeds as Record<string, Tensor>));
  checkFeeds(graph, feedMap);
  const training = options.training ?? false;
  const vals = new Map<string, Tensor>();
  for (const [k, t] of graph.initializers) vals.set(k, t);
  if (options.params) {
    for (const [k, t] of options.params) {
      const init = graph.initializers.get(k);
      if (!init) throw new ArgumentError(`parameter '${k}' is not an initializer of graph '${graph.name}'`, { value: k });
      if (t.dtype !== init.dtype || t.shape.length !== init.shape.length || t.shape.some((d, i) => d !== init.shape[i])) {
        throw new ShapeError(`parameter '${k}' is ${t.dtype}${formatShape(t.shape)} but the initializer is ${init.dtype}${formatShape(init.shape)}`, { value: k });
      }
      vals.set(k, t);
    }
  }
  for (const i of graph.inputs) {
    const t = feedMap.get(i.name);
    if (t) vals.set(i.name, t);
  }
  const entries: Entry[] = [];
  const stateUpdates = new Map<string, Tensor>();
  const order = graph.topologicalOrder();
  for (let k = 0; k < order.length; k++) {
    const node = order[k];
    throwIfAborted(options.signal, { node: node.name, op: node.op });
    const inputs = node.inputs.map((name) => {
      if (!name) return undefined;
      const t = vals.get(name);
      if (!t) throw new ArgumentError(`value '${name}' is not available (missing feed or undefined value)`, { node: node.name, op: node.op, value: name });
      return t;
    });
    const entry = runEntry(node, inputs, training, options.seed === undefined ? undefined : mixSeed(options.seed, k), options.rules);
    entries.push(entry.entry);
    node.outputs.forEach((o, j) => {
      if (!o) return;
      const t = entry.outputs[j];
      if (!t) throw new ShapeError(`the forward returned no tensor for output ${j}`, { node: node.name, op: node.op });
      vals.set(o, t);
    });
    if (entry.updates) {
      for (const [i, t] of entry.updates) {
        const name = node.inputs[i];
        if (name && graph.initializers.has(name)) stateUpdates.set(name, t);
      }
    }
    options.onNode?.(node, inputs, entry.outputs);
  }
  return new Tape(graph, entries, vals, stateUpdates, training);
}

/** Runs one node through its rule's forward (or the interpreter), applying a fused activation. */
function runEntry(node: Node, inputs: readonly (Tensor | undefined)[], training: boolean, seed: number | undefined, rules: ReadonlyMap<string, GradientRule> | undefined): { entry: Entry; outputs: readonly Tensor[]; updates?: ReadonlyMap<number, Tensor> } {
  const schema = getSchema(node.op, { node: node.name });
  const rule = rules?.get(node.op) ?? findGradient(node.op);
  let attrs: ResolvedAttrs;
  try {
    attrs = resolveAttrs(schema, node);
  } catch (e) {
    throw withContext(e, { node: node.name, op: node.op });
  }
  const actName = typeof attrs.activation === 'string' ? attrs.activation : 'none';
  const fused = actName !== 'none' && rule !== undefined && inputs[0] !== undefined && isTrainDType(inputs[0].dtype);
  let runAs = node;
  let runAttrs = attrs;
  if (fused) {
    const stripped: Record<string, Node['attrs'][string]> = {};
    for (const [key, v] of Object.entries(node.attrs)) if (!FUSED_KEYS.includes(key)) stripped[key] = v;
    runAs = { ...node, attrs: stripped };
    runAttrs = resolveAttrs(schema, runAs);
  }
  const run = (n: Node = runAs, ins: readonly (Tensor | undefined)[] = inputs) => runNode(n, ins);
  let result;
  try {
    result = rule?.forward ? rule.forward({ node: runAs, attrs: runAttrs, inputs, training, seed, run }) : { outputs: run() };
  } catch (e) {
    throw withContext(e, { node: node.name, op: node.op });
  }
  let outputs = result.outputs;
  let activation: Entry['activation'];
  if (fused) {
    const params = (attrs.activation_params as readonly number[] | undefined) ?? [];
    const f = fusedActivationFn(actName, params);
    const z = outputs[0];
    const zd = floats(z);
    const yd = allocFloat(z.dtype as 'float32' | 'float64', z.size);
    for (let i = 0; i < yd.length; i++) yd[i] = f(zd[i]);
    outputs = [floatTensor(z.dtype as 'float32' | 'float64', z.shape, yd), ...outputs.slice(1)];
    activation = { name: actName, params };
  }
  return {
    entry: { node, attrs: runAttrs, rule, inputs, raw: result.outputs, activation, saved: result.saved },
    outputs,
    updates: result.stateUpdates,
  };
}
