/**
 * Reads an exported .tflite with the generated flatbuffers code (no mo reader involved) into a
 * plain object, for structural checks: alignment, operator codes and versions, options, buffers,
 * quantization, signatures, metadata.
 */
import * as flatbuffers from 'flatbuffers';
import { Model } from '../../src/schema/generated/tflite/model.js';

export interface InspectedTensor {
  name: string;
  type: number;
  shape: number[];
  buffer: number;
  scale?: number[];
  zeroPoint?: number[];
  quantizedDimension?: number;
}

export interface InspectedOp {
  builtin: number;
  deprecatedBuiltin: number;
  version: number;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  customOptionsLength: number;
}

export interface Inspected {
  identifier: string;
  version: number;
  buffers: { length: number; fileOffset: number }[];
  tensors: InspectedTensor[];
  ops: InspectedOp[];
  inputs: number[];
  outputs: number[];
  signature: { key: string; inputs: [string, number][]; outputs: [string, number][] } | undefined;
  metadata: Map<string, Uint8Array>;
}

export function inspect(bytes: Uint8Array): Inspected {
  const bb = new flatbuffers.ByteBuffer(bytes);
  const m = Model.getRootAsModel(bb);
  const sg = m.subgraphs(0)!;
  const buffers = Array.from({ length: m.buffersLength() }, (_, i) => {
    const d = m.buffers(i)!.dataArray();
    return { length: d?.length ?? 0, fileOffset: d ? d.byteOffset - bytes.byteOffset : -1 };
  });
  const tensors = Array.from({ length: sg.tensorsLength() }, (_, i): InspectedTensor => {
    const t = sg.tensors(i)!;
    const q = t.quantization();
    return {
      name: t.name() ?? '',
      type: t.type(),
      shape: Array.from(t.shapeArray() ?? []),
      buffer: t.buffer(),
      ...(q && q.scaleLength()
        ? { scale: Array.from(q.scaleArray()!), zeroPoint: Array.from({ length: q.zeroPointLength() }, (_, k) => Number(q.zeroPoint(k))), quantizedDimension: q.quantizedDimension() }
        : {}),
    };
  });
  const ops = Array.from({ length: sg.operatorsLength() }, (_, i): InspectedOp => {
    const o = sg.operators(i)!;
    const c = m.operatorCodes(o.opcodeIndex())!;
    return {
      builtin: c.builtinCode(),
      deprecatedBuiltin: c.deprecatedBuiltinCode(),
      version: c.version(),
      inputs: Array.from(o.inputsArray() ?? []),
      outputs: Array.from(o.outputsArray() ?? []),
      optionsType: o.builtinOptionsType(),
      customOptionsLength: o.customOptionsLength(),
    };
  });
  const s = m.signatureDefsLength() ? m.signatureDefs(0)! : undefined;
  const maps = (n: number, get: (k: number) => { name(): string | null; tensorIndex(): number }) => Array.from({ length: n }, (_, k): [string, number] => [get(k).name() ?? '', get(k).tensorIndex()]);
  const metadata = new Map<string, Uint8Array>();
  for (let i = 0; i < m.metadataLength(); i++) {
    const md = m.metadata(i)!;
    metadata.set(md.name() ?? '', m.buffers(md.buffer())!.dataArray() ?? new Uint8Array());
  }
  return {
    identifier: String.fromCharCode(...bytes.subarray(4, 8)),
    version: m.version(),
    buffers,
    tensors,
    ops,
    inputs: Array.from(sg.inputsArray() ?? []),
    outputs: Array.from(sg.outputsArray() ?? []),
    signature: s ? { key: s.signatureKey() ?? '', inputs: maps(s.inputsLength(), (k) => s.inputs(k)!), outputs: maps(s.outputsLength(), (k) => s.outputs(k)!) } : undefined,
    metadata,
  };
}
