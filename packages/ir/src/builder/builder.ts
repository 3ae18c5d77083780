/**
 * GraphBuilder: a typed, fluent way to build graphs in code. Types are inferred as each op is
 * added, so a shape mistake throws at the line that makes it, naming the node.
 */
import { ArgumentError } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import { dtypeInfo } from '../core/dtype.js';
import type { Shape } from '../core/shape.js';
import { Tensor, tensor } from '../core/tensor.js';
import { Graph, uniqueName } from '../graph/graph.js';
import type { AttrValue, Attrs, GraphMetadata, Node, TensorType, ValueInfo } from '../graph/types.js';
import { inferNode, typeOfTensor } from '../verify/infer.js';
import { verify } from '../verify/verify.js';
import { mathMethods, type MathMethods } from './math.js';
import { nnMethods, type NnMethods } from './nn.js';
import { quantMethods, type QuantMethods } from './quant.js';
import { tensorMethods, type TensorMethods } from './tensor-ops.js';

/** A handle to a value in the graph being built. */
export class Value {
  /** @internal */
  constructor(
    /** @internal */ public _name: string,
    readonly type: TensorType,
  ) {}
  get name(): string {
    return this._name;
  }
  get dtype(): DType {
    return this.type.dtype;
  }
  get shape(): Shape {
    return this.type.shape;
  }
}

/** Something that can stand for an input: a value, a tensor (becomes an initializer) or a number. */
export type ValueLike = Value | Tensor | number;

export interface BuilderOptions {
  /** Opset the graph's op semantics follow (stored in metadata). */
  opset?: number;
  producer?: string;
  doc?: string;
}

export interface OpOptions {
  /** Node name (default: op name in lower case plus a counter). */
  name?: string;
  /** Number of outputs (default 1). */
  outputs?: number;
}

/** Attributes as plain objects; undefined entries are dropped. */
export type AttrsIn = Readonly<Record<string, AttrValue | undefined>>;

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inputs: Value[] = [];
  private readonly outputs: Value[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly constants = new Map<string, Tensor>();
  private readonly values = new Map<string, Value>();
  private readonly nodeNames = new Set<string>();
  private readonly counter = { n: 0 };
  private readonly metadata: GraphMetadata;

  /**
   * @example
   * ```ts
   * const b = new GraphBuilder('mlp');
   * const x = b.input('x', 'float32', ['batch', 4]);
   * const h = b.relu(b.gemm(x, b.constant(tensor('float32', new Float32Array(32), [8, 4])), undefined, { transB: 1 }));
   * b.output(h, 'y');
   * const g = b.build();
   * ```
   */
  constructor(
    readonly name = 'graph',
    opts: BuilderOptions = {},
  ) {
    this.metadata = { producer: opts.producer ?? 'mo', opset: opts.opset ?? 21, ...(opts.doc ? { doc: opts.doc } : {}) };
  }

  private taken(): Set<string> {
    return new Set([...this.values.keys()]);
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: Shape): Value {
    dtypeInfo(dtype);
    if (this.values.has(name)) throw new ArgumentError(`value '${name}' already exists`);
    const v = new Value(name, { dtype, shape: [...shape] });
    this.values.set(name, v);
    this.inputs.push(v);
    return v;
  }

  /** Adds an initializer (a named constant tensor, e.g. weights). */
  initializer(name: string, t: Tensor): Value {
    if (this.values.has(name)) throw new ArgumentError(`value '${name}' already exists`);
    const v = new Value(name, typeOfTensor(t));
    this.values.set(name, v);
    this.initializers.set(name, t);
    this.constants.set(name, t);
    return v;
  }

  /** Adds an initializer with a generated name. */
  constant(t: Tensor, name = 'const'): Value {
    return this.initializer(uniqueName(name, this.taken()), t);
  }

  /** An int64 1-D constant (shapes, axes, pads, ...). */
  ints(values: readonly number[], name = 'ints'): Value {
    return this.constant(tensor('int64', values.map((v) => BigInt(v)), [values.length]), name);
  }

  /** A float32 1-D constant (scales, ...). */
  floats(values: readonly number[], name = 'floats'): Value {
    return this.constant(tensor('float32', [...values], [values.length]), name);
  }

  /** A scalar constant of `dtype`. */
  scalar(value: number, dtype: DType = 'float32', name = 'scalar'): Value {
    return this.constant(tensor(dtype, value, []), name);
  }

  private asValue(x: ValueLike | undefined, like?: Value): Value | undefined {
    if (x === undefined) return undefined;
    if (x instanceof Value) return x;
    if (x instanceof Tensor) return this.constant(x);
    return this.scalar(x, like?.dtype ?? 'float32');
  }

  /** Marks a value as a graph output, optionally renaming it. */
  output(v: Value, name?: string): Value {
    if (name !== undefined && name !== v.name) this.rename(v, name);
    this.outputs.push(v);
    return v;
  }

  private rename(v: Value, name: string): void {
    if (this.values.has(name)) throw new ArgumentError(`cannot rename '${v.name}' to '${name}': the name is taken`);
    if (this.inputs.includes(v) || this.initializers.has(v.name)) throw new ArgumentError(`cannot rename graph input or initializer '${v.name}'`);
    const old = v.name;
    const swap = (xs: readonly string[]) => xs.map((x) => (x === old ? name : x));
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n.inputs.includes(old) || n.outputs.includes(old)) this.nodes[i] = { ...n, inputs: swap(n.inputs), outputs: swap(n.outputs) };
    }
    const c = this.constants.get(old);
    if (c) {
      this.constants.delete(old);
      this.constants.set(name, c);
    }
    this.values.delete(old);
    v._name = name;
    this.values.set(name, v);
  }

  /**
   * Adds a node of any registered op and returns its outputs.
   *
   * @example
   * ```ts
   * const [values, indices] = b.op('TopK', [x, b.ints([3])], { axis: -1 }, { outputs: 2 });
   * ```
   */
  op(op: string, inputs: readonly (ValueLike | undefined)[], attrs: AttrsIn = {}, opts: OpOptions = {}): Value[] {
    const first = inputs.find((x): x is Value => x instanceof Value);
    const ins = inputs.map((x) => this.asValue(x, first));
    for (const v of ins) if (v && this.values.get(v.name) !== v) throw new ArgumentError(`value '${v.name}' does not belong to this builder`);
    const cleanAttrs: Record<string, AttrValue> = {};
    for (const [k, val] of Object.entries(attrs)) if (val !== undefined) cleanAttrs[k] = val;
    const nodeName = uniqueName(opts.name ?? `${op.toLowerCase()}`, this.nodeNames);
    const count = opts.outputs ?? 1;
    const taken = this.taken();
    const outNames = Array.from({ length: count }, (_, k) => uniqueName(count === 1 ? nodeName : `${nodeName}_${k}`, taken));
    const node: Node = Object.freeze({ name: nodeName, op, inputs: ins.map((v) => v?.name ?? ''), outputs: outNames, attrs: Object.freeze(cleanAttrs) as Attrs });
    const result = inferNode(node, ins.map((v) => v?.type), (n) => this.constants.get(n), this.counter);
    this.nodeNames.add(nodeName);
    this.nodes.push(node);
    return outNames.map((o, k) => {
      const v = new Value(o, result.types[k]);
      this.values.set(o, v);
      const c = result.constants?.[k];
      if (c) this.constants.set(o, c);
      return v;
    });
  }

  /** `op` for single-output ops. */
  op1(op: string, inputs: readonly (ValueLike | undefined)[], attrs: AttrsIn = {}, opts: OpOptions = {}): Value {
    return this.op(op, inputs, attrs, opts)[0];
  }

  /** The graph built so far; verified unless `{ verify: false }`. */
  build(opts: { verify?: boolean } = {}): Graph {
    const info = (v: Value): ValueInfo => ({ name: v.name, type: v.type.quant ? v.type : { dtype: v.type.dtype, shape: v.type.shape } });
    const g = Graph.create({
      name: this.name,
      inputs: this.inputs.map(info),
      outputs: this.outputs.map(info),
      nodes: this.nodes,
      initializers: this.initializers,
      metadata: this.metadata,
    });
    return opts.verify === false ? g : verify(g);
  }
}

// The op methods live in one file per family; they are mixed in here, where the class is defined,
// so that no bundler can drop them as an unused side-effect import.
export interface GraphBuilder extends MathMethods, NnMethods, TensorMethods, QuantMethods {}
Object.assign(GraphBuilder.prototype, mathMethods, nnMethods, tensorMethods, quantMethods);
