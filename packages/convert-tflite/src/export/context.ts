/**
 * The lowering context an export rule works with: the prepared (NHWC, static-shape) IR graph, its
 * inferred types and constants, the TFLite model being built, and helpers that create tensors and
 * operators. Rules ask for the tensor of an IR value (`input`/`output`), create constants and
 * temporaries, and `emit` operators in execution order.
 */
import { ArgumentError, Tensor, float32ToFloat16Bits, isStaticShape, uniqueName, type DType, type Graph, type Node, type QuantParams, type TensorType } from '@mo/ir';
import { BuiltinOperator, tfliteType, type BuiltinName } from '../codes.js';
import { builtinVersion, type VersionFacts } from '../builtins.js';
import { unsupported } from '../errors.js';
import { bytesOf } from '../util.js';
import { TflModelBuilder, type TflOptions, type TflQuant } from './model.js';
import { dequantizeOptions } from './options.js';
import type { QuantPlan } from './quant-plan.js';

/** Exporter options that rules see. */
export interface LowerOptions {
  /** Store float weights as float16 with DEQUANTIZE ops (float16 weight compression). */
  readonly fp16Weights: boolean;
}

/** A quantized constant as TFLite stores it. */
export interface QuantConst {
  readonly tensor: Tensor;
  readonly quant: QuantParams;
}

/** Converts IR quantization params to TFLite's (per-tensor or per-axis only). */
export function tflQuant(q: QuantParams | undefined, rank: number): TflQuant | undefined {
  if (!q) return undefined;
  switch (q.kind) {
    case 'per-tensor':
      return { scale: [q.scale], zeroPoint: [q.zeroPoint], dim: 0 };
    case 'per-axis':
      return { scale: [...q.scales], zeroPoint: [...q.zeroPoints], dim: q.axis < 0 ? q.axis + rank : q.axis };
    default:
      return unsupported(`${q.kind} quantization has no TFLite form (TFLite stores per-tensor or per-axis scales)`);
  }
}

export class LowerContext {
  readonly model = new TflModelBuilder();
  /** Float (or plain) tensor of each IR value. */
  private readonly tensorOf = new Map<string, number>();
  private readonly taken = new Set<string>();
  /** The node being lowered (for naming). */
  node: Node | undefined;

  constructor(
    readonly graph: Graph,
    readonly types: ReadonlyMap<string, TensorType>,
    readonly options: LowerOptions,
    readonly plan: QuantPlan,
  ) {}

  // ------------------------------------------------------------------ facts about IR values

  type(value: string): TensorType {
    const t = this.types.get(value);
    if (!t) throw new ArgumentError(`value '${value}' has no type`);
    return t;
  }

  shape(value: string): number[] {
    const s = this.type(value).shape;
    if (!isStaticShape(s)) unsupported(`value '${value}' has symbolic shape [${s.join(',')}]; bind its dimensions (option \`dims\`)`);
    return [...s];
  }

  rank(value: string): number {
    return this.type(value).shape.length;
  }

  dtype(value: string): DType {
    return this.type(value).dtype;
  }

  /** The value of `value` when it is an initializer (not a graph input). */
  constant(value: string): Tensor | undefined {
    if (!value || this.graph.isGraphInput(value)) return undefined;
    return this.graph.initializers.get(value);
  }

  /** Like `constant`, but the rule cannot work without it. */
  requireConstant(value: string, what: string): Tensor {
    const t = this.constant(value);
    if (!t) unsupported(`${what} must be a constant (initializer), got a computed value '${value}'`);
    return t;
  }

  /** True when the node is lowered as an integer (quantized) operator. */
  get quantized(): boolean {
    return this.node !== undefined && this.plan.quantNodes.has(this.node.name);
  }

  // ------------------------------------------------------------------ tensors

  private freshName(base: string): string {
    const n = uniqueName(base || 'tensor', this.taken);
    this.taken.add(n);
    return n;
  }

  /** A new activation tensor. */
  temp(base: string, dtype: DType, shape: readonly number[], quant?: TflQuant): number {
    const type = tfliteType(dtype);
    if (type === undefined) unsupported(`dtype ${dtype} has no TFLite element type`);
    return this.model.addTensor({ name: this.freshName(base), type, shape: [...shape], ...(quant ? { quant } : {}) });
  }

  /** A new constant tensor holding `t` (its own quant params unless `quant` is given). */
  constTensor(base: string, t: Tensor, quant?: TflQuant): number {
    const type = tfliteType(t.dtype);
    if (type === undefined) unsupported(`constant of dtype ${t.dtype} has no TFLite element type`);
    if (t.dtype === 'int4') unsupported('int4 constants are not written yet');
    const q = quant ?? tflQuant(t.quant, t.rank);
    return this.model.addTensor({ name: this.freshName(base), type, shape: [...t.shape], data: bytesOf(t).slice(), ...(q ? { quant: q } : {}) });
  }

  /** An int32 constant (shapes, axes, paddings, permutations). */
  int32(base: string, values: readonly number[], shape: readonly number[] = [values.length]): number {
    return this.constTensor(base, new Tensor('int32', shape, Int32Array.from(values)));
  }

  /** A float32 constant; with `fp16Weights` non-scalar ones are stored as float16 plus a DEQUANTIZE. */
  floatConst(base: string, t: Tensor<'float32'> | Tensor): number {
    if (t.dtype !== 'float32') return this.constTensor(base, t);
    if (!this.options.fp16Weights || t.size <= 1) return this.constTensor(base, t);
    const half = new Uint16Array(t.size);
    const f = t.data as Float32Array;
    for (let i = 0; i < f.length; i++) half[i] = float32ToFloat16Bits(f[i]);
    const h = this.constTensor(`${base}_fp16`, new Tensor('float16', t.shape, half));
    const out = this.temp(base, 'float32', t.shape);
    this.emit('DEQUANTIZE', [h], [out], dequantizeOptions(), { input: 'float16' });
    return out;
  }

  /** The tensor that holds IR value `value` (created on first use: constants become constant tensors). */
  value(value: string): number {
    const known = this.tensorOf.get(value);
    if (known !== undefined) return known;
    const c = this.constant(value);
    let index: number;
    if (c) {
      index = c.dtype === 'float32' ? this.floatConst(value, c) : this.constTensor(value, c);
    } else {
      const t = this.type(value);
      index = this.temp(value, t.dtype, this.shape(value), tflQuant(t.quant, t.shape.length));
    }
    this.tensorOf.set(value, index);
    return index;
  }

  /** Makes IR value `value` an alias of an existing tensor (ops that change nothing). */
  alias(value: string, index: number): void {
    if (this.tensorOf.has(value)) unsupported(`value '${value}' is defined twice`);
    this.tensorOf.set(value, index);
  }

  /** True when `value` already has a tensor. */
  has(value: string): boolean {
    return this.tensorOf.has(value);
  }

  /** Tensor of input `i` of the current node (quantized tensors for quantized nodes). */
  input(i: number): number {
    const node = this.node!;
    const name = node.inputs[i];
    if (!name) return -1;
    if (this.quantized) {
      const q = this.plan.quantSource.get(name);
      if (q !== undefined) return this.value(q);
    }
    return this.value(name);
  }

  /** Tensor of output `k` of the current node (the QuantizeLinear output for quantized nodes). */
  output(k = 0): number {
    const node = this.node!;
    const name = node.outputs[k];
    if (this.quantized) {
      const q = this.plan.quantSink.get(name);
      if (q !== undefined) return this.value(q);
    }
    return this.value(name);
  }

  /** Name of output k of the current node (for naming temporaries). */
  outName(k = 0): string {
    return this.node?.outputs[k] ?? 'tensor';
  }

  /** Element type and shape of tensor `index`. */
  tensor(index: number) {
    return this.model.tensors[index];
  }

  // ------------------------------------------------------------------ operators

  /**
   * Appends an operator; its version follows from the builtin's version rules and the facts given
   * (input dtype defaults to the first input's).
   */
  emit(op: BuiltinName, inputs: readonly number[], outputs: readonly number[], options?: TflOptions, facts: Partial<VersionFacts> = {}): void {
    const first = inputs.find((i) => i >= 0);
    const firstType = first !== undefined ? this.model.tensors[first] : undefined;
    const version = builtinVersion(op, {
      input: facts.input ?? (firstType ? typeName(firstType.type) : 'float32'),
      rank: facts.rank ?? (firstType ? firstType.shape.length : 0),
      ...facts,
    } as VersionFacts);
    this.model.addOperator({ op: BuiltinOperator[op], version, inputs: [...inputs], outputs: [...outputs], ...(options ? { options } : {}) });
  }
}

function typeName(t: number): VersionFacts['input'] {
  const names: Record<number, VersionFacts['input']> = { 0: 'float32', 1: 'float16', 2: 'int32', 3: 'uint8', 4: 'int64', 7: 'int16', 9: 'int8', 6: 'bool' };
  return names[t] ?? 'other';
}
