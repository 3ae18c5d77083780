/**
 * fromTflite: .tflite bytes -> IR graph. Verifies the flatbuffer first (verify.ts), then checks
 * what the structure means (version, indices, buffer sizes against shapes, quantization params,
 * operator order) before building anything, and throws FormatError with the byte offset of the
 * offending table. Integer tensors keep their quantization in their types; integer operators come
 * back as float operators between DequantizeLinear and QuantizeLinear (QDQ).
 */
import * as flatbuffers from 'flatbuffers';
import { ArgumentError, FormatError, Graph, MoError, Tensor, UnsupportedOpError, allocate, byteLength, convertGraphLayout, uniqueName, verify, type DType, type Shape, type ValueInfo } from '@mo/ir';
import { builtinName, irDType, tensorTypeName } from '../codes.js';
import { importRule } from '../op-table.js';
import { BuiltinOptions } from '../schema/generated/tflite/builtin-options.js';
import { Model } from '../schema/generated/tflite/model.js';
import type { Operator } from '../schema/generated/tflite/operator.js';
import type { Tensor as FbTensor } from '../schema/generated/tflite/tensor.js';
import { ReadContext, quantParams, type OpInfo, type TensorInfo } from './context.js';
import { current } from './rules.js';
import { verifyModel } from './verify.js';
import { cleanUpLayout } from '../export/layout.js';

/** Options of `fromTflite`. */
export interface FromTfliteOptions {
  /**
   * Layout of the returned graph: 'NHWC' (default, as the file computes) or 'NCHW' (convolutions,
   * pools and rank-4 inputs/outputs converted back to the IR's usual layout).
   */
  readonly layout?: 'NHWC' | 'NCHW';
  /** Graph name (default: the subgraph name, else "tflite"). */
  readonly name?: string;
  /** Index of the subgraph to read (default 0). */
  readonly subgraph?: number;
}

/** Largest rank the reader accepts. */
const MAX_RANK = 16;

/**
 * Reads a TFLite model into an IR graph.
 *
 * @example
 * ```ts
 * import { fromTflite } from '@mo/convert-tflite';
 * import { readFileSync } from 'node:fs';
 * const graph = fromTflite(readFileSync('model.tflite'), { layout: 'NCHW' });
 * ```
 */
export function fromTflite(bytes: Uint8Array, options: FromTfliteOptions = {}): Graph {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('fromTflite expects the model bytes as a Uint8Array');
  // Generated accessors create typed-array views: give them a buffer aligned like the file.
  const buf = bytes.byteOffset % 16 === 0 ? bytes : bytes.slice();
  verifyModel(buf);
  const model = Model.getRootAsModel(new flatbuffers.ByteBuffer(buf));
  const rootPos = model.bb_pos;
  const fail = (message: string, offset: number): never => {
    throw new FormatError(message, { offset });
  };
  if (model.version() !== 3) fail(`schema version ${model.version()}; mo reads version 3`, rootPos);
  const sgIndex = options.subgraph ?? 0;
  if (sgIndex < 0 || sgIndex >= model.subgraphsLength()) fail(`model has ${model.subgraphsLength()} subgraphs; subgraph ${sgIndex} does not exist`, rootPos);
  const sg = model.subgraphs(sgIndex)!;

  // Buffers (data inline, or outside the flatbuffer for models above 2 GB).
  const nBuffers = model.buffersLength();
  const bufferData = (i: number, at: number): Uint8Array | undefined => {
    if (i === 0) return undefined;
    if (i >= nBuffers) fail(`tensor refers to buffer ${i} of ${nBuffers}`, at);
    const b = model.buffers(i)!;
    const off = b.offset();
    if (off > 1n) {
      const size = b.size();
      if (off + size > BigInt(buf.length)) fail(`buffer ${i} points outside the file (offset ${off}, size ${size})`, b.bb_pos);
      return buf.subarray(Number(off), Number(off + size));
    }
    const d = b.dataArray();
    return d && d.length ? d : undefined;
  };

  // Tensors.
  const nTensors = sg.tensorsLength();
  const taken = new Set<string>();
  const tensors: TensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) tensors.push(readTensor(sg.tensors(i)!, i, bufferData, taken));

  // Operator codes.
  const codes: { name: string; version: number }[] = [];
  for (let i = 0; i < model.operatorCodesLength(); i++) {
    const c = model.operatorCodes(i)!;
    const code = Math.max(c.builtinCode(), c.deprecatedBuiltinCode());
    codes.push({ name: builtinName(code), version: c.version() });
    if (code === 32) codes[i] = { name: `CUSTOM(${c.customCode() ?? ''})`, version: c.version() };
  }

  // Interface.
  const ioIndex = (v: number, what: string): number => {
    if (!Number.isInteger(v) || v < 0 || v >= nTensors) fail(`subgraph ${what} refers to tensor ${v} of ${nTensors}`, sg.bb_pos);
    return v;
  };
  const inputIdx = Array.from({ length: sg.inputsLength() }, (_, k) => ioIndex(sg.inputs(k)!, 'input'));
  const outputIdx = Array.from({ length: sg.outputsLength() }, (_, k) => ioIndex(sg.outputs(k)!, 'output'));
  const sigNames = signatureNames(model, sgIndex);

  // Operators: indices, order (every input defined before use), single definition of outputs.
  const defined = new Set<number>(inputIdx);
  tensors.forEach((t) => t.data && defined.add(t.index));
  const ops: { info: OpInfo; raw: Operator }[] = [];
  for (let k = 0; k < sg.operatorsLength(); k++) {
    const op = sg.operators(k)!;
    const at = op.bb_pos;
    const ci = op.opcodeIndex();
    if (ci >= codes.length) fail(`operator ${k} uses operator code ${ci} of ${codes.length}`, at);
    const inputs = Array.from({ length: op.inputsLength() }, (_, j) => op.inputs(j)!);
    const outputs = Array.from({ length: op.outputsLength() }, (_, j) => op.outputs(j)!);
    for (const t of inputs) {
      if (t === -1) continue;
      if (t < 0 || t >= nTensors) fail(`operator ${k} reads tensor ${t} of ${nTensors}`, at);
      if (!defined.has(t)) fail(`operator ${k} reads tensor ${t} ('${tensors[t].name}') before any operator writes it`, at);
    }
    for (const t of outputs) {
      if (t < 0 || t >= nTensors) fail(`operator ${k} writes tensor ${t} of ${nTensors}`, at);
      if (defined.has(t)) fail(`operator ${k} writes tensor ${t} ('${tensors[t].name}'), which is already defined`, at);
      defined.add(t);
    }
    ops.push({ info: { builtin: codes[ci].name, version: codes[ci].version, inputs, outputs, offset: at, index: k }, raw: op });
  }
  for (const o of outputIdx) if (!defined.has(o)) fail(`subgraph output tensor ${o} ('${tensors[o].name}') is never written`, sg.bb_pos);

  // Build the graph.
  const cx = new ReadContext(tensors);
  const unsupported: string[] = [];
  for (const { info, raw } of ops) {
    const rule = importRule(info.builtin);
    if (!rule) {
      unsupported.push(`operator ${info.index} (${info.builtin}) at offset ${info.offset}`);
      continue;
    }
    cx.op = info;
    current.options = <T>(type: BuiltinOptions, ctor: new () => T): T | undefined => {
      const t = raw.builtinOptionsType();
      if (t === BuiltinOptions.NONE) return undefined;
      if (t !== type) fail(`operator ${info.index} (${info.builtin}) has options of union type ${t}, expected ${type}`, info.offset);
      return raw.builtinOptions(new ctor() as unknown as flatbuffers.Table) as T;
    };
    if (raw.customOptionsLength() > 0) fail(`builtin operator ${info.index} (${info.builtin}) carries custom_options`, info.offset);
    try {
      rule.read(cx);
      cx.flush();
    } catch (e) {
      if (e instanceof FormatError || e instanceof UnsupportedOpError || !(e instanceof MoError)) throw e;
      throw new FormatError(`operator ${info.index} (${info.builtin}): ${e.detail}`, { offset: info.offset, op: info.builtin });
    }
  }
  cx.op = undefined;
  current.options = () => undefined;
  if (unsupported.length) throw new UnsupportedOpError(`${unsupported.length} operator${unsupported.length === 1 ? '' : 's'} have no IR mapping: ${unsupported.join('; ')}`, { op: ops.find((o) => !importRule(o.info.builtin))?.info.builtin });

  const info = (i: number): ValueInfo => {
    const t = tensors[i];
    return { name: t.name, type: t.quant ? { dtype: t.dtype, shape: t.shape, quant: t.quant } : { dtype: t.dtype, shape: t.shape } };
  };
  const inputs = inputIdx.map(info);
  const outputs = outputIdx.map(info);
  // Constants listed as graph inputs stay initializers.
  for (const t of tensors) if (t.data && !cx.initializers.has(t.name) && (inputIdx.includes(t.index) || outputIdx.includes(t.index))) cx.initializers.set(t.name, t.data);
  let g = Graph.create({
    name: options.name ?? sg.name() ?? 'tflite',
    inputs: inputs.filter((v, k) => !tensors[inputIdx[k]].data),
    outputs,
    nodes: cx.nodes,
    initializers: cx.initializers,
    metadata: { producer: 'tflite', doc: model.description() ?? undefined, props: sigNames.size ? { 'tflite.signature': [...sigNames.values()].join(',') } : undefined },
  });
  try {
    g = verify(g);
  } catch (e) {
    if (!(e instanceof MoError)) throw e;
    const offset = e.node !== undefined ? cx.nodeOffsets.get(e.node) : undefined;
    throw new FormatError(`the model's operators are inconsistent: ${e.detail}`, { offset: offset ?? rootPos, node: e.node, op: e.op });
  }
  g = renameInterface(g, inputIdx, outputIdx, tensors, sigNames);
  if (options.layout === 'NCHW') g = cleanUpLayout(convertGraphLayout(g, { to: 'NCHW', inputs: 'NCHW', outputs: 'NCHW', cancel: false }));
  return g;
}

/** Signature names of the subgraph's tensors (tensor index -> name). */
function signatureNames(model: Model, sg: number): Map<number, string> {
  const names = new Map<number, string>();
  for (let i = 0; i < model.signatureDefsLength(); i++) {
    const s = model.signatureDefs(i)!;
    if (s.subgraphIndex() !== sg) continue;
    for (const [len, get] of [[s.inputsLength(), (k: number) => s.inputs(k)!], [s.outputsLength(), (k: number) => s.outputs(k)!]] as const) {
      for (let k = 0; k < len; k++) {
        const m = get(k);
        const name = m.name();
        if (name && !names.has(m.tensorIndex())) names.set(m.tensorIndex(), name);
      }
    }
    break;
  }
  return names;
}

/** Gives graph inputs and outputs their signature names where those are free. */
function renameInterface(g: Graph, inputIdx: readonly number[], outputIdx: readonly number[], tensors: readonly TensorInfo[], sig: ReadonlyMap<number, string>): Graph {
  let out = g;
  const taken = out.definedValues();
  for (const i of [...inputIdx, ...outputIdx]) {
    const want = sig.get(i);
    const cur = tensors[i].name;
    if (!want || want === cur || taken.has(want) || tensors[i].data) continue;
    const swap = (xs: readonly string[]) => xs.map((x) => (x === cur ? want : x));
    out = out.with({
      inputs: out.inputs.map((v) => (v.name === cur ? { ...v, name: want } : v)),
      outputs: out.outputs.map((v) => (v.name === cur ? { ...v, name: want } : v)),
      nodes: out.nodes.map((n) => ({ ...n, inputs: swap(n.inputs), outputs: swap(n.outputs) })),
    });
    taken.add(want);
  }
  return out;
}

/** Element size in bytes of dtypes the reader turns into tensors. */
function readTensor(t: FbTensor, index: number, bufferData: (i: number, at: number) => Uint8Array | undefined, taken: Set<string>): TensorInfo {
  const at = t.bb_pos;
  const fail = (message: string): never => {
    throw new FormatError(`tensor ${index}: ${message}`, { offset: at });
  };
  const type = t.type();
  const dtype = irDType(type);
  if (!dtype) throw new UnsupportedOpError(`tensor ${index} has element type ${tensorTypeName(type)}, which mo does not map`, { offset: at });
  if (t.sparsity()) throw new UnsupportedOpError(`tensor ${index} is sparse; mo reads dense tensors only`, { offset: at });
  const rank = t.shapeLength();
  if (rank > MAX_RANK) fail(`rank ${rank} is above ${MAX_RANK}`);
  const dims = Array.from({ length: rank }, (_, k) => t.shape(k)!);
  const sigLen = t.shapeSignatureLength();
  const sig = sigLen === rank ? Array.from({ length: rank }, (_, k) => t.shapeSignature(k)!) : undefined;
  const shape: (number | string)[] = dims.map((d, k) => {
    if (!Number.isInteger(d) || d < 0) fail(`dimension ${k} is ${d}`);
    return sig && sig[k] === -1 ? `d${index}_${k}` : d;
  });
  const baseName = (t.name() ?? '').replace(/\s+/g, '_') || `tensor_${index}`;
  const name = uniqueName(baseName, taken);
  taken.add(name);
  const qp = t.quantization();
  let quant;
  if (qp) {
    if (qp.detailsType() !== 0) throw new UnsupportedOpError(`tensor ${index} uses custom quantization details`, { offset: at });
    const scales = Array.from({ length: qp.scaleLength() }, (_, k) => qp.scale(k)!);
    const zps = Array.from({ length: qp.zeroPointLength() }, (_, k) => Number(qp.zeroPoint(k)!));
    try {
      quant = quantParams(scales, zps, qp.quantizedDimension(), shape as Shape, at);
    } catch (e) {
      if (e instanceof ArgumentError) fail(`quantization params: ${e.detail}`);
      throw e;
    }
    if (quant && (dtype === 'float32' || dtype === 'float64' || dtype === 'bool')) quant = undefined;
  }
  const bytes = bufferData(t.buffer(), at);
  let data: Tensor | undefined;
  if (bytes) {
    if (typeof shape.find((d) => typeof d === 'string') === 'string') fail('constant with unknown dimensions');
    const dims2 = shape as number[];
    let count = 1;
    for (const d of dims2) {
      count *= d;
      if (count > 2 ** 31 - 1) fail(`${dims2.join('x')} elements is too many`);
    }
    const want = byteLength(dtype, count);
    if (bytes.length !== want) fail(`buffer holds ${bytes.length} bytes; ${dtype}[${dims2.join(',')}] needs ${want}`);
    const storage = allocate(dtype as DType, count);
    new Uint8Array(storage.buffer, storage.byteOffset, storage.byteLength).set(bytes);
    try {
      data = new Tensor(dtype, dims2, storage, quant);
    } catch (e) {
      if (e instanceof MoError) fail(e.detail);
      throw e;
    }
  }
  return { index, name, dtype, shape, ...(quant ? { quant } : {}), ...(data ? { data } : {}), offset: at };
}
