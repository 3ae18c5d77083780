/**
 * A decoder for the ONNX messages and fields the importer reads (onnx.proto, IR version 10 field
 * numbers), written against the protobuf wire format directly. It produces the same plain objects
 * as onnx-proto's decoder for those fields (camelCase names; repeated fields as arrays; scalars
 * and sub-messages undefined unless the file has them; int64 as a number when exact)
 * at a fraction of the cost: raw_data and other bytes fields are views into the input, and what
 * the importer never reads (functions, training_info, quantization annotations, denotations, the
 * contents of non-tensor types and of type_protos) is skipped after its bounds are checked. A
 * known field with the wrong wire type is a FormatError, as is anything that runs past the end of
 * its message.
 */
import type { ErrorContext } from '@mo/ir';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, TypeProto, ValueInfoProto } from './proto.js';
import { WIRE, WireReader, type Int64Value } from './wire-reader.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Entry = { key?: string; value?: string };

const reader = new WireReader();

/** Decodes a ModelProto from `bytes` (the whole input). */
export function readModel(bytes: Uint8Array, ctx: ErrorContext): ModelProto {
  try {
    return model(reader.start(bytes, 'ONNX ModelProto', ctx), bytes.length);
  } finally {
    reader.finish();
  }
}

/** Decodes a TensorProto from `bytes` (the whole input). */
export function readTensor(bytes: Uint8Array, ctx: ErrorContext): TensorProto {
  try {
    return tensor(reader.start(bytes, 'ONNX TensorProto', ctx), bytes.length);
  } finally {
    reader.finish();
  }
}

// Each message is read by a loop over its fields with a switch on the field number, into an object
// literal that lists every field (undefined when absent): objects of one message type then share one
// shape that lives as long as the code, and V8's optimized code for the decoder, which depends on
// those shapes, survives garbage collections between loads instead of being recompiled each time.

/** A sub-message: enters it, decodes with `read`, leaves. */
function sub<T>(r: WireReader, wt: number, no: number, at: number, end: number, read: (r: WireReader, end: number) => T): T {
  r.expect(wt, WIRE.LEN, no, at);
  const e = r.enter(end);
  const v = read(r, e);
  r.leave();
  return v;
}

function str(r: WireReader, wt: number, no: number, at: number, end: number): string {
  r.expect(wt, WIRE.LEN, no, at);
  return r.string(end);
}

function bytesField(r: WireReader, wt: number, no: number, at: number, end: number): Uint8Array {
  r.expect(wt, WIRE.LEN, no, at);
  return r.bytes(end);
}

function i64(r: WireReader, wt: number, no: number, at: number, end: number): Int64Value {
  r.expect(wt, WIRE.VARINT, no, at);
  return r.int64(end);
}

function i32(r: WireReader, wt: number, no: number, at: number, end: number): number {
  r.expect(wt, WIRE.VARINT, no, at);
  return r.int32(end);
}

/** A message whose contents the importer never reads: its presence only (bounds still checked). */
function present(r: WireReader, wt: number, no: number, at: number, end: number): Record<string, never> {
  r.expect(wt, WIRE.LEN, no, at);
  r.pos = r.lengthEnd(end);
  return {};
}

function model(r: WireReader, end: number): ModelProto {
  const m: Mutable<ModelProto> = { irVersion: undefined, producerName: undefined, producerVersion: undefined, domain: undefined, modelVersion: undefined, docString: undefined, graph: undefined, opsetImport: [], metadataProps: [] };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    switch (no) {
      case 1: m.irVersion = i64(r, wt, no, at, end) as never; break;
      case 2: m.producerName = str(r, wt, no, at, end); break;
      case 3: m.producerVersion = str(r, wt, no, at, end); break;
      case 4: m.domain = str(r, wt, no, at, end); break;
      case 5: m.modelVersion = i64(r, wt, no, at, end) as never; break;
      case 6: m.docString = str(r, wt, no, at, end); break;
      case 7: m.graph = sub(r, wt, no, at, end, graph); break;
      case 8: m.opsetImport!.push(sub(r, wt, no, at, end, opsetId)); break;
      case 14: m.metadataProps!.push(sub(r, wt, no, at, end, entry)); break;
      default: r.skip(wt, end, no);
    }
  }
  return m;
}

function opsetId(r: WireReader, end: number): { domain?: string; version?: never } {
  const o: { domain?: string; version?: never } = { domain: undefined, version: undefined };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    if (no === 1) o.domain = str(r, wt, no, at, end);
    else if (no === 2) o.version = i64(r, wt, no, at, end) as never;
    else r.skip(wt, end, no);
  }
  return o;
}

function entry(r: WireReader, end: number): Entry {
  const e: Entry = { key: undefined, value: undefined };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    if (no === 1) e.key = str(r, wt, no, at, end);
    else if (no === 2) e.value = str(r, wt, no, at, end);
    else r.skip(wt, end, no);
  }
  return e;
}

function graph(r: WireReader, end: number): GraphProto {
  const g: Mutable<GraphProto> = { name: undefined, docString: undefined, node: [], initializer: [], sparseInitializer: [], input: [], output: [], valueInfo: [] };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    switch (no) {
      case 1: g.node!.push(sub(r, wt, no, at, end, node)); break;
      case 2: g.name = str(r, wt, no, at, end); break;
      case 5: g.initializer!.push(sub(r, wt, no, at, end, tensor)); break;
      case 15: g.sparseInitializer!.push(sub(r, wt, no, at, end, sparseTensor)); break;
      case 10: g.docString = str(r, wt, no, at, end); break;
      case 11: g.input!.push(sub(r, wt, no, at, end, valueInfo)); break;
      case 12: g.output!.push(sub(r, wt, no, at, end, valueInfo)); break;
      case 13: g.valueInfo!.push(sub(r, wt, no, at, end, valueInfo)); break;
      default: r.skip(wt, end, no);
    }
  }
  return g;
}

function node(r: WireReader, end: number): NodeProto {
  const n: Mutable<NodeProto> = { name: undefined, opType: undefined, domain: undefined, docString: undefined, input: [], output: [], attribute: [] };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    switch (no) {
      case 1: n.input!.push(str(r, wt, no, at, end)); break;
      case 2: n.output!.push(str(r, wt, no, at, end)); break;
      case 3: n.name = str(r, wt, no, at, end); break;
      case 4: n.opType = str(r, wt, no, at, end); break;
      case 7: n.domain = str(r, wt, no, at, end); break;
      case 5: n.attribute!.push(sub(r, wt, no, at, end, attribute)); break;
      case 6: n.docString = str(r, wt, no, at, end); break;
      default: r.skip(wt, end, no);
    }
  }
  return n;
}

function attribute(r: WireReader, end: number): AttributeProto {
  const a: Mutable<AttributeProto> = {
    name: undefined,
    refAttrName: undefined,
    docString: undefined,
    type: undefined,
    f: undefined,
    i: undefined,
    s: undefined,
    t: undefined,
    g: undefined,
    sparseTensor: undefined,
    tp: undefined,
    floats: [],
    ints: [],
    strings: [],
    tensors: [],
    graphs: [],
    sparseTensors: [],
    typeProtos: [],
  };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    switch (no) {
      case 1: a.name = str(r, wt, no, at, end); break;
      case 21: a.refAttrName = str(r, wt, no, at, end); break;
      case 13: a.docString = str(r, wt, no, at, end); break;
      case 20: a.type = i32(r, wt, no, at, end); break;
      case 2: r.expect(wt, WIRE.I32, no, at); a.f = r.float(end); break;
      case 3: a.i = i64(r, wt, no, at, end) as never; break;
      case 4: a.s = bytesField(r, wt, no, at, end); break;
      case 5: a.t = sub(r, wt, no, at, end, tensor); break;
      case 6: a.g = sub(r, wt, no, at, end, graph); break;
      case 22: a.sparseTensor = sub(r, wt, no, at, end, sparseTensor); break;
      case 14: a.tp = present(r, wt, no, at, end); break;
      case 7: r.repeatedFixed(wt, end, no, at, a.floats as number[], 4); break;
      case 8: r.repeatedVarint(wt, end, no, at, a.ints as Int64Value[], r.int64); break;
      case 9: a.strings!.push(bytesField(r, wt, no, at, end)); break;
      case 10: a.tensors!.push(sub(r, wt, no, at, end, tensor)); break;
      case 11: a.graphs!.push(sub(r, wt, no, at, end, graph)); break;
      case 23: a.sparseTensors!.push(sub(r, wt, no, at, end, sparseTensor)); break;
      case 15: a.typeProtos!.push(present(r, wt, no, at, end)); break;
      default: r.skip(wt, end, no);
    }
  }
  return a;
}

function tensor(r: WireReader, end: number): TensorProto {
  const t: Mutable<TensorProto> = {
    name: undefined,
    docString: undefined,
    dataType: undefined,
    segment: undefined,
    rawData: undefined,
    dataLocation: undefined,
    dims: [],
    floatData: [],
    int32Data: [],
    stringData: [],
    int64Data: [],
    externalData: [],
    doubleData: [],
    uint64Data: [],
  };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    switch (no) {
      case 1: r.repeatedVarint(wt, end, no, at, t.dims as Int64Value[], r.int64); break;
      case 2: t.dataType = i32(r, wt, no, at, end); break;
      case 3: t.segment = sub(r, wt, no, at, end, segment); break;
      case 4: r.repeatedFixed(wt, end, no, at, t.floatData as number[], 4); break;
      case 5: r.repeatedVarint(wt, end, no, at, t.int32Data as number[], r.int32); break;
      case 6: t.stringData!.push(bytesField(r, wt, no, at, end)); break;
      case 7: r.repeatedVarint(wt, end, no, at, t.int64Data as Int64Value[], r.int64); break;
      case 8: t.name = str(r, wt, no, at, end); break;
      case 12: t.docString = str(r, wt, no, at, end); break;
      case 9: t.rawData = bytesField(r, wt, no, at, end); break;
      case 13: t.externalData!.push(sub(r, wt, no, at, end, entry)); break;
      case 14: t.dataLocation = i32(r, wt, no, at, end); break;
      case 10: r.repeatedFixed(wt, end, no, at, t.doubleData as number[], 8); break;
      case 11: r.repeatedVarint(wt, end, no, at, t.uint64Data as Int64Value[], r.int64); break;
      default: r.skip(wt, end, no);
    }
  }
  return t;
}

function segment(r: WireReader, end: number): { begin?: never; end?: never } {
  const s: { begin?: never; end?: never } = { begin: undefined, end: undefined };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    if (no === 1) s.begin = i64(r, wt, no, at, end) as never;
    else if (no === 2) s.end = i64(r, wt, no, at, end) as never;
    else r.skip(wt, end, no);
  }
  return s;
}

function sparseTensor(r: WireReader, end: number): { values?: TensorProto; indices?: TensorProto; dims: Int64Value[] } {
  const s: { values?: TensorProto; indices?: TensorProto; dims: Int64Value[] } = { values: undefined, indices: undefined, dims: [] };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    switch (no) {
      case 1: s.values = sub(r, wt, no, at, end, tensor); break;
      case 2: s.indices = sub(r, wt, no, at, end, tensor); break;
      case 3: r.repeatedVarint(wt, end, no, at, s.dims, r.int64); break;
      default: r.skip(wt, end, no);
    }
  }
  return s;
}

function valueInfo(r: WireReader, end: number): ValueInfoProto {
  const v: Mutable<ValueInfoProto> = { name: undefined, type: undefined, docString: undefined };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    switch (no) {
      case 1: v.name = str(r, wt, no, at, end); break;
      case 2: v.type = sub(r, wt, no, at, end, typeProto); break;
      case 3: v.docString = str(r, wt, no, at, end); break;
      default: r.skip(wt, end, no);
    }
  }
  return v;
}

/** TypeProto: the tensor type in full; the other kinds only as present (the importer rejects them). */
function typeProto(r: WireReader, end: number): TypeProto {
  const t: Mutable<TypeProto> = { tensorType: undefined, sequenceType: undefined, mapType: undefined, optionalType: undefined, sparseTensorType: undefined };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    switch (no) {
      case 1: t.tensorType = sub(r, wt, no, at, end, tensorType); break;
      case 4: t.sequenceType = present(r, wt, no, at, end); break;
      case 5: t.mapType = present(r, wt, no, at, end); break;
      case 9: t.optionalType = present(r, wt, no, at, end); break;
      case 8: t.sparseTensorType = present(r, wt, no, at, end); break;
      default: r.skip(wt, end, no);
    }
  }
  return t;
}

function tensorType(r: WireReader, end: number): NonNullable<TypeProto['tensorType']> {
  const t: Mutable<NonNullable<TypeProto['tensorType']>> = { elemType: undefined, shape: undefined };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    if (no === 1) t.elemType = i32(r, wt, no, at, end);
    else if (no === 2) t.shape = sub(r, wt, no, at, end, shape);
    else r.skip(wt, end, no);
  }
  return t;
}

function shape(r: WireReader, end: number): { dim: { dimValue?: never; dimParam?: string }[] } {
  const s: { dim: { dimValue?: never; dimParam?: string }[] } = { dim: [] };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    if (no === 1) s.dim.push(sub(r, wt, no, at, end, dimension));
    else r.skip(wt, end, no);
  }
  return s;
}

function dimension(r: WireReader, end: number): { dimValue?: never; dimParam?: string } {
  const d: { dimValue?: never; dimParam?: string } = { dimValue: undefined, dimParam: undefined };
  while (r.pos < end) {
    const tag = r.tag(end);
    const no = tag >>> 3;
    const wt = tag & 7;
    const at = r.at;
    if (no === 1) d.dimValue = i64(r, wt, no, at, end) as never;
    else if (no === 2) d.dimParam = str(r, wt, no, at, end);
    else r.skip(wt, end, no);
  }
  return d;
}
