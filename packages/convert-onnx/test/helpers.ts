/**
 * Test helpers: hand-written ONNX models (through onnx-proto directly, so that tests can write any
 * opset and any legacy form), ONNX Runtime sessions, and tolerance checks.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { Tensor, type DType } from '@mo/ir';
import { dtypeToOnnx } from '../src/dtypes.js';

export const onnx = (onnxProto as unknown as { onnx: typeof OnnxTypes }).onnx;

type Int64 = number | { low: number; high: number };
type AttrIn = number | string | number[] | string[] | { floats: number[] } | { float: number } | { ints: Int64[] } | { tensor: OnnxTypes.ITensorProto } | { graph: OnnxTypes.IGraphProto };

/** An AttributeProto from a plain value (integers become INT(S); use {float}/{floats} for floats). */
export function attr(name: string, v: AttrIn): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === 'string') return { name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return (v as number[]).every(Number.isInteger) ? { name, type: T.INTS, ints: v as number[] } : { name, type: T.FLOATS, floats: v as number[] };
  }
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  if ('ints' in v) return { name, type: T.INTS, ints: v.ints as number[] };
  if ('graph' in v) return { name, type: T.GRAPH, g: v.graph };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.TENSOR, t: v.tensor };
}

export interface NodeIn {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrIn>;
  domain?: string;
  name?: string;
}

export function valueInfo(name: string, dtype: DType, shape: (number | string)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: dtypeToOnnx(dtype), shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** A float32 TensorProto with typed float_data. */
export function floatTensor(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  return { name, dims, dataType: 1, floatData: values };
}

/** An int64 TensorProto with typed int64_data. */
export function int64Tensor(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  return { name, dims, dataType: 7, int64Data: values };
}

export interface ModelIn {
  opset: number;
  nodes: NodeIn[];
  inputs: OnnxTypes.IValueInfoProto[];
  outputs: OnnxTypes.IValueInfoProto[];
  initializers?: OnnxTypes.ITensorProto[];
  valueInfo?: OnnxTypes.IValueInfoProto[];
  irVersion?: number;
  extraOpsets?: { domain: string; version: number }[];
  metadata?: Record<string, string>;
}

/** Serialized ModelProto. */
export function makeModel(m: ModelIn): Uint8Array {
  const proto: OnnxTypes.IModelProto = {
    irVersion: m.irVersion ?? 7,
    opsetImport: [{ domain: '', version: m.opset }, ...(m.extraOpsets ?? [])],
    producerName: 'test',
    graph: {
      name: 'g',
      node: m.nodes.map((n, i) => ({
        name: n.name ?? `n${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
      })),
      input: m.inputs,
      output: m.outputs,
      initializer: m.initializers ?? [],
      valueInfo: m.valueInfo ?? [],
    },
    metadataProps: Object.entries(m.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(proto).finish();
}

/** Max |a - b| / max(|b|, floor) over two tensors, after checking dtype and shape. */
export function maxRelDiff(a: Tensor, b: Tensor, floor = 1e-3): number {
  if (a.dtype !== b.dtype) throw new Error(`dtype ${a.dtype} vs ${b.dtype}`);
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape [${a.shape}] vs [${b.shape}]`);
  let worst = 0;
  for (let i = 0; i < a.size; i++) {
    const x = a.get(i);
    const y = b.get(i);
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(y), floor));
  }
  return worst;
}
