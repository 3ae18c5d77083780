/**
 * The model being written: tensors, operators and buffers in memory, and their serialization as
 * a TFLite flatbuffer (schema version 3, file identifier TFL3).
 *
 * Writer rules the runtimes rely on: buffer 0 is the empty sentinel; every constant's bytes start
 * at a multiple of 16 in the file; both builtin code fields are written
 * (`deprecated_builtin_code = min(code, 127)`); builtin operators carry no `custom_options`; the
 * `min_runtime_version` metadata names the oldest runtime that has every (op, version) used.
 */
import * as flatbuffers from 'flatbuffers';
import { Buffer as FbBuffer } from '../schema/generated/tflite/buffer.js';
import { BuiltinOptions } from '../schema/generated/tflite/builtin-options.js';
import { Metadata } from '../schema/generated/tflite/metadata.js';
import { Model } from '../schema/generated/tflite/model.js';
import { Operator } from '../schema/generated/tflite/operator.js';
import { OperatorCode } from '../schema/generated/tflite/operator-code.js';
import { QuantizationParameters } from '../schema/generated/tflite/quantization-parameters.js';
import { SignatureDef } from '../schema/generated/tflite/signature-def.js';
import { SubGraph } from '../schema/generated/tflite/sub-graph.js';
import { Tensor as FbTensor } from '../schema/generated/tflite/tensor.js';
import { TensorMap } from '../schema/generated/tflite/tensor-map.js';
import { BuiltinOperator, PLACEHOLDER_FOR_GREATER_OP_CODES, TensorType } from '../codes.js';

/** Quantization params of a tensor as TFLite stores them. */
export interface TflQuant {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  /** Axis of per-axis params (0 for per-tensor). */
  readonly dim: number;
}

export interface TflTensor {
  readonly name: string;
  readonly type: TensorType;
  readonly shape: readonly number[];
  /** Constant data (little-endian bytes), or undefined for activations. */
  readonly data?: Uint8Array;
  readonly quant?: TflQuant;
}

/** Builtin options: the union member and a function writing the table. */
export interface TflOptions {
  readonly type: BuiltinOptions;
  write(b: flatbuffers.Builder): flatbuffers.Offset;
}

export interface TflOperator {
  readonly op: BuiltinOperator;
  readonly version: number;
  /** Tensor indices; -1 marks an absent optional input. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly options?: TflOptions;
}

/** Model-level facts written besides the graph. */
export interface TflModelInfo {
  readonly description: string;
  readonly subgraphName: string;
  readonly signatureKey: string;
  /** Signature names of the subgraph inputs / outputs (same order as `inputs` / `outputs`). */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** `min_runtime_version` metadata, e.g. "1.14.0" (omitted when undefined). */
  readonly minRuntimeVersion?: string;
  /** Extra metadata entries (name -> bytes). */
  readonly metadata?: ReadonlyMap<string, Uint8Array>;
}

/** Alignment of constant data in the file. */
export const BUFFER_ALIGNMENT = 16;

export class TflModelBuilder {
  readonly tensors: TflTensor[] = [];
  readonly operators: TflOperator[] = [];
  inputs: number[] = [];
  outputs: number[] = [];

  addTensor(t: TflTensor): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }

  addOperator(op: TflOperator): void {
    this.operators.push(op);
  }

  /** The model as .tflite bytes. */
  serialize(info: TflModelInfo): Uint8Array {
    return serializeModel(this, info);
  }
}

function int32Vector(b: flatbuffers.Builder, values: readonly number[]): flatbuffers.Offset {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function offsetVector(b: flatbuffers.Builder, offsets: readonly flatbuffers.Offset[]): flatbuffers.Offset {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** A byte vector whose first byte lands on a multiple of BUFFER_ALIGNMENT from the file start. */
function alignedBytes(b: flatbuffers.Builder, data: Uint8Array): flatbuffers.Offset {
  b.prep(BUFFER_ALIGNMENT, data.length);
  return b.createByteVector(data);
}

function writeQuant(b: flatbuffers.Builder, q: TflQuant): flatbuffers.Offset {
  const scale = QuantizationParameters.createScaleVector(b, q.scale.map((s) => Math.fround(s)));
  const zp = QuantizationParameters.createZeroPointVector(b, q.zeroPoint.map((z) => BigInt(z)));
  QuantizationParameters.startQuantizationParameters(b);
  QuantizationParameters.addScale(b, scale);
  QuantizationParameters.addZeroPoint(b, zp);
  QuantizationParameters.addQuantizedDimension(b, q.dim);
  return QuantizationParameters.endQuantizationParameters(b);
}

function serializeModel(m: TflModelBuilder, info: TflModelInfo): Uint8Array {
  // Sized for everything up front: growing copies the whole buffer (megabytes of weights) each time.
  const tensorBytes = (t: TflModelBuilder['tensors'][number]) => (t.data?.length ?? 0) + 16 + 160 + 2 * t.name.length + 4 * t.shape.length + (t.quant ? 96 + 12 * t.quant.scale.length : 0);
  const opBytes = (op: TflModelBuilder['operators'][number]) => 160 + 4 * (op.inputs.length + op.outputs.length);
  const b = new flatbuffers.Builder(4096 + m.tensors.reduce((s, t) => s + tensorBytes(t), 0) + m.operators.reduce((s, op) => s + opBytes(op), 0));

  // Buffers: 0 is the empty sentinel, then one per constant, then metadata buffers. Large data is
  // written first so that the tables after it stay near the root.
  const bufferOffsets: flatbuffers.Offset[] = [];
  const emptyBuffer = () => {
    FbBuffer.startBuffer(b);
    return FbBuffer.endBuffer(b);
  };
  const dataBuffer = (data: Uint8Array) => {
    const vec = alignedBytes(b, data);
    FbBuffer.startBuffer(b);
    FbBuffer.addData(b, vec);
    return FbBuffer.endBuffer(b);
  };
  bufferOffsets.push(emptyBuffer());
  const tensorBuffer = m.tensors.map((t) => {
    if (!t.data) return 0;
    bufferOffsets.push(t.data.length ? dataBuffer(t.data) : emptyBuffer());
    return bufferOffsets.length - 1;
  });
  const metadataEntries: [string, number][] = [];
  const meta = new Map(info.metadata ?? []);
  if (info.minRuntimeVersion !== undefined) {
    const bytes = new Uint8Array(16);
    bytes.set(new TextEncoder().encode(info.minRuntimeVersion).subarray(0, 15));
    meta.set('min_runtime_version', bytes);
  }
  for (const [name, bytes] of meta) {
    bufferOffsets.push(dataBuffer(bytes));
    metadataEntries.push([name, bufferOffsets.length - 1]);
  }

  // Tensors.
  const tensorOffsets = m.tensors.map((t, i) => {
    const name = b.createString(t.name);
    const shape = int32Vector(b, t.shape);
    const quant = t.quant ? writeQuant(b, t.quant) : 0;
    FbTensor.startTensor(b);
    FbTensor.addShape(b, shape);
    FbTensor.addType(b, t.type);
    if (tensorBuffer[i]) FbTensor.addBuffer(b, tensorBuffer[i]);
    FbTensor.addName(b, name);
    if (quant) FbTensor.addQuantization(b, quant);
    FbTensor.addHasRank(b, true);
    return FbTensor.endTensor(b);
  });

  // Operator codes: one per (builtin, version) in order of first use.
  const codeIndex = new Map<string, number>();
  const codes: { op: BuiltinOperator; version: number }[] = [];
  for (const op of m.operators) {
    const key = `${op.op}:${op.version}`;
    if (!codeIndex.has(key)) {
      codeIndex.set(key, codes.length);
      codes.push({ op: op.op, version: op.version });
    }
  }
  const codeOffsets = codes.map(({ op, version }) => {
    OperatorCode.startOperatorCode(b);
    OperatorCode.addDeprecatedBuiltinCode(b, Math.min(op, PLACEHOLDER_FOR_GREATER_OP_CODES));
    OperatorCode.addVersion(b, version);
    OperatorCode.addBuiltinCode(b, op);
    return OperatorCode.endOperatorCode(b);
  });

  const operatorOffsets = m.operators.map((op) => {
    const inputs = int32Vector(b, op.inputs);
    const outputs = int32Vector(b, op.outputs);
    const options = op.options ? op.options.write(b) : 0;
    Operator.startOperator(b);
    Operator.addOpcodeIndex(b, codeIndex.get(`${op.op}:${op.version}`)!);
    Operator.addInputs(b, inputs);
    Operator.addOutputs(b, outputs);
    if (op.options) {
      Operator.addBuiltinOptionsType(b, op.options.type);
      Operator.addBuiltinOptions(b, options);
    }
    return Operator.endOperator(b);
  });

  const sgName = b.createString(info.subgraphName);
  const sgTensors = offsetVector(b, tensorOffsets);
  const sgInputs = int32Vector(b, m.inputs);
  const sgOutputs = int32Vector(b, m.outputs);
  const sgOps = offsetVector(b, operatorOffsets);
  SubGraph.startSubGraph(b);
  SubGraph.addTensors(b, sgTensors);
  SubGraph.addInputs(b, sgInputs);
  SubGraph.addOutputs(b, sgOutputs);
  SubGraph.addOperators(b, sgOps);
  SubGraph.addName(b, sgName);
  const subgraph = SubGraph.endSubGraph(b);

  const tensorMaps = (names: readonly string[], indices: readonly number[]) =>
    offsetVector(
      b,
      names.map((n, i) => {
        const s = b.createString(n);
        TensorMap.startTensorMap(b);
        TensorMap.addName(b, s);
        TensorMap.addTensorIndex(b, indices[i]);
        return TensorMap.endTensorMap(b);
      }),
    );
  const sigInputs = tensorMaps(info.inputNames, m.inputs);
  const sigOutputs = tensorMaps(info.outputNames, m.outputs);
  const sigKey = b.createString(info.signatureKey);
  SignatureDef.startSignatureDef(b);
  SignatureDef.addInputs(b, sigInputs);
  SignatureDef.addOutputs(b, sigOutputs);
  SignatureDef.addSignatureKey(b, sigKey);
  SignatureDef.addSubgraphIndex(b, 0);
  const signature = SignatureDef.endSignatureDef(b);

  const metadataOffsets = metadataEntries.map(([name, buffer]) => {
    const s = b.createString(name);
    Metadata.startMetadata(b);
    Metadata.addName(b, s);
    Metadata.addBuffer(b, buffer);
    return Metadata.endMetadata(b);
  });

  const description = b.createString(info.description);
  const opCodesVec = offsetVector(b, codeOffsets);
  const subgraphsVec = offsetVector(b, [subgraph]);
  const buffersVec = offsetVector(b, bufferOffsets);
  const metadataVec = offsetVector(b, metadataOffsets);
  const signaturesVec = offsetVector(b, [signature]);
  Model.startModel(b);
  Model.addVersion(b, 3);
  Model.addOperatorCodes(b, opCodesVec);
  Model.addSubgraphs(b, subgraphsVec);
  Model.addDescription(b, description);
  Model.addBuffers(b, buffersVec);
  Model.addMetadata(b, metadataVec);
  Model.addSignatureDefs(b, signaturesVec);
  const model = Model.endModel(b);
  b.finish(model, 'TFL3');
  // A copy starting at offset 0 of its own ArrayBuffer, so alignment holds for typed-array views.
  return b.asUint8Array().slice();
}
