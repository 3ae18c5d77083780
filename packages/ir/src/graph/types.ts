import type { DType } from '../core/dtype.js';
import type { QuantParams } from '../core/quant.js';
import type { Shape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';

/** The type of a value: element type, shape (static or symbolic) and optional quantization. */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly quant?: QuantParams;
}

/** A named, typed graph input or output. */
export interface ValueInfo {
  readonly name: string;
  readonly type: TensorType;
  readonly doc?: string;
}

/** Attribute values. Ints and floats are both JS numbers; the op schema says which is which. */
export type AttrValue = number | string | readonly number[] | readonly string[] | Tensor;

export type Attrs = Readonly<Record<string, AttrValue>>;

/** One operation. Absent optional inputs are written as the empty string. */
export interface Node {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attrs;
  readonly doc?: string;
}

/** Free-form facts about a graph, carried through converters. */
export interface GraphMetadata {
  readonly producer?: string;
  readonly producerVersion?: string;
  /** Opset (ONNX-compatible version number) the graph's op semantics follow. */
  readonly opset?: number;
  readonly doc?: string;
  /** Any other key/value metadata. */
  readonly props?: Readonly<Record<string, string>>;
}
