/**
 * The reading context: the verified TFLite subgraph's tensors (types, shapes, quantization,
 * constant data), and the IR graph being built. Import rules ask for the float IR value of a
 * tensor (`float`), which inserts DequantizeLinear for int8 tensors, and declare an operator's
 * result (`result`), which inserts QuantizeLinear when the output tensor is quantized: integer
 * operators come back as their QDQ form with the same params.
 */
import { FormatError, Tensor, UnsupportedOpError, perAxis, perTensor, uniqueName, type AttrValue, type DType, type NodeInit, type QuantParams, type Shape } from '@mo/ir';

/** A TFLite tensor as read from the file. */
export interface TensorInfo {
  readonly index: number;
  /** IR value name. */
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly quant?: QuantParams;
  /** Constant data (with `quant` attached), or undefined for activations. */
  readonly data?: Tensor;
  /** Byte offset of the tensor's table (for errors). */
  readonly offset: number;
}

/** One operator as the rules see it. */
export interface OpInfo {
  readonly builtin: string;
  readonly version: number;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** Byte offset of the operator's table (for errors). */
  readonly offset: number;
  /** Index of the operator in the subgraph. */
  readonly index: number;
}

export class ReadContext {
  readonly nodes: NodeInit[] = [];
  readonly initializers = new Map<string, Tensor>();
  /** Node name -> operator offset, to report inconsistent operators. */
  readonly nodeOffsets = new Map<string, number>();
  private readonly taken = new Set<string>();
  private readonly floatOf = new Map<number, string>();
  op: OpInfo | undefined;

  constructor(readonly tensors: readonly TensorInfo[]) {
    for (const t of tensors) this.taken.add(t.name);
  }

  fail(message: string): never {
    throw new FormatError(message, { offset: this.op?.offset, op: this.op?.builtin });
  }

  unsupported(message: string): never {
    throw new UnsupportedOpError(message, { op: this.op?.builtin, offset: this.op?.offset });
  }

  fresh(base: string): string {
    const n = uniqueName(base, this.taken);
    this.taken.add(n);
    return n;
  }

  tensor(i: number): TensorInfo {
    const t = this.tensors[i];
    if (!t) this.fail(`operator ${this.op?.index} refers to tensor ${i}, which does not exist`);
    return t;
  }

  /** Input tensor k of the current operator (undefined when absent or -1). */
  in(k: number): TensorInfo | undefined {
    const i = this.op!.inputs[k];
    return i === undefined || i < 0 ? undefined : this.tensor(i);
  }

  /** Like `in`, for inputs the builtin requires. */
  need(k: number, what: string): TensorInfo {
    const t = this.in(k);
    if (!t) this.fail(`${this.op!.builtin} needs input ${k} (${what})`);
    return t;
  }

  out(k = 0): TensorInfo {
    const i = this.op!.outputs[k];
    if (i === undefined || i < 0) this.fail(`${this.op!.builtin} needs output ${k}`);
    return this.tensor(i);
  }

  /** Constant data of input k (undefined for activations). */
  constant(k: number): Tensor | undefined {
    return this.in(k)?.data;
  }

  requireConstant(k: number, what: string): Tensor {
    const c = this.constant(k);
    if (!c) this.unsupported(`${this.op!.builtin} with a computed ${what} (input ${k}); mo reads constant ${what}s only`);
    return c;
  }

  static isQuantized(t: TensorInfo): boolean {
    return t.quant !== undefined && t.dtype !== 'float32' && t.dtype !== 'float16';
  }

  /** Adds a node (named after the current operator) and returns its outputs. */
  node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue | undefined> = {}): void {
    const clean: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = v;
    const name = this.fresh(`${this.op ? `${this.op.builtin.toLowerCase()}_${this.op.index}` : 'node'}${this.nodes.length ? '' : ''}`);
    this.nodes.push({ name, op, inputs: [...inputs], outputs: [...outputs], attrs: clean });
    if (this.op) this.nodeOffsets.set(name, this.op.offset);
  }

  /** A new initializer. */
  init(base: string, t: Tensor): string {
    const name = this.fresh(base);
    this.initializers.set(name, t);
    return name;
  }

  int64(base: string, values: readonly number[]): string {
    return this.init(base, new Tensor('int64', [values.length], BigInt64Array.from(values.map((v) => BigInt(v)))));
  }

  floats(base: string, values: readonly number[], shape: readonly number[] = [values.length]): string {
    return this.init(base, new Tensor('float32', shape, Float32Array.from(values)));
  }

  /** Scale and zero point initializers of `q` (scalar for per-tensor, vectors per axis). */
  quantInputs(base: string, q: QuantParams, zpType: DType): { scale: string; zp: string; axis?: number } {
    if (q.kind === 'per-tensor') {
      return {
        scale: this.init(`${base}_scale`, new Tensor('float32', [], Float32Array.of(q.scale))),
        zp: this.init(`${base}_zero_point`, zpTensor(zpType, [], [q.zeroPoint])),
      };
    }
    if (q.kind !== 'per-axis') this.unsupported(`${q.kind} quantization`);
    return {
      scale: this.init(`${base}_scale`, new Tensor('float32', [q.scales.length], Float32Array.from(q.scales))),
      zp: this.init(`${base}_zero_point`, zpTensor(zpType, [q.zeroPoints.length], [...q.zeroPoints])),
      axis: q.axis,
    };
  }

  /** The plain IR value of tensor `t` (constants become initializers, quant params kept in the type). */
  value(t: TensorInfo): string {
    if (t.data && !this.initializers.has(t.name)) this.initializers.set(t.name, t.data);
    return t.name;
  }

  /** The float IR value of tensor `t`: DequantizeLinear of quantized tensors, Cast of float16 constants. */
  float(t: TensorInfo): string {
    const known = this.floatOf.get(t.index);
    if (known) return known;
    let v: string;
    if (ReadContext.isQuantized(t)) {
      const q = this.quantInputs(t.name, t.quant!, t.dtype);
      v = this.fresh(`${t.name}_dequantized`);
      const save = this.op;
      this.node('DequantizeLinear', [this.value(t), q.scale, q.zp], [v], { axis: q.axis });
      this.op = save;
    } else if (t.dtype === 'float16' && t.data) {
      v = this.fresh(`${t.name}_float32`);
      this.node('Cast', [this.value(t)], [v], { to: 'float32' });
    } else v = this.value(t);
    this.floatOf.set(t.index, v);
    return v;
  }

  /**
   * The IR value a float computation for output tensor `t` should write: the tensor's own value
   * for float tensors; for quantized ones a fresh float value followed by QuantizeLinear into it.
   */
  result(t: TensorInfo): string {
    if (!ReadContext.isQuantized(t)) return t.name;
    const f = this.fresh(`${t.name}_float`);
    const q = this.quantInputs(t.name, t.quant!, t.dtype);
    this.pending.push(() => this.node('QuantizeLinear', [f, q.scale, q.zp], [t.name], { axis: q.axis }));
    return f;
  }

  /** QuantizeLinear nodes waiting for the float node that feeds them. */
  private pending: (() => void)[] = [];

  /** Adds the QuantizeLinear nodes of the current operator's quantized outputs. */
  flush(): void {
    const p = this.pending;
    this.pending = [];
    for (const f of p) f();
  }
}

function zpTensor(dtype: DType, shape: readonly number[], values: readonly number[]): Tensor {
  switch (dtype) {
    case 'int8': return new Tensor('int8', shape, Int8Array.from(values));
    case 'uint8': return new Tensor('uint8', shape, Uint8Array.from(values));
    case 'int16': return new Tensor('int16', shape, Int16Array.from(values));
    case 'int32': return new Tensor('int32', shape, Int32Array.from(values));
    default: throw new UnsupportedOpError(`quantized ${dtype} tensors`);
  }
}

/** IR quant params from TFLite's, validated. */
export function quantParams(scale: readonly number[], zeroPoint: readonly number[], dim: number, shape: Shape, offset: number): QuantParams | undefined {
  if (scale.length === 0) return undefined;
  const zps = zeroPoint.length ? zeroPoint : new Array<number>(scale.length).fill(0);
  if (zps.length !== scale.length) throw new FormatError(`quantization has ${scale.length} scales but ${zps.length} zero points`, { offset });
  if (scale.some((s) => !(s > 0 && Number.isFinite(s)))) throw new FormatError(`quantization scale must be positive and finite, got [${scale.slice(0, 4).join(', ')}${scale.length > 4 ? ', ...' : ''}]`, { offset });
  if (zps.some((z) => !Number.isSafeInteger(z) || Math.abs(z) > 2 ** 31)) throw new FormatError('quantization zero point out of range', { offset });
  if (scale.length === 1) return perTensor(scale[0], zps[0]);
  if (dim < 0 || dim >= shape.length) throw new FormatError(`quantized_dimension ${dim} is outside rank ${shape.length}`, { offset });
  if (typeof shape[dim] === 'number' && shape[dim] !== scale.length) throw new FormatError(`per-axis quantization has ${scale.length} scales for dimension ${dim} of size ${shape[dim]}`, { offset });
  return perAxis(dim, scale, zps);
}
