/**
 * Enum values of the TFLite schema used across the converter: element types, builtin operator
 * names, and the dtype mapping between the IR and TFLite.
 */
import type { DType } from '@mo/ir';
import { BuiltinOperator } from './schema/generated/tflite/builtin-operator.js';
import { TensorType } from './schema/generated/tflite/tensor-type.js';

/** TFLite's builtin operator codes and element types (generated from src/schema/tflite.fbs), e.g. `BuiltinOperator.CONV_2D === 3`. */
export { BuiltinOperator, TensorType };

/** The names of the builtin operators the converter maps (keys of `BuiltinOperator`). */
export type BuiltinName = Exclude<keyof typeof BuiltinOperator, number>;

/** The code of a builtin operator by name. */
export function builtinCode(name: BuiltinName): BuiltinOperator {
  return BuiltinOperator[name];
}

/**
 * The name of a builtin code (or `BUILTIN_<code>` for codes the schema does not declare).
 *
 * @example
 * ```ts
 * builtinName(BuiltinOperator.HARD_SWISH); // 'HARD_SWISH'
 * ```
 */
export function builtinName(code: number): string {
  const name = (BuiltinOperator as unknown as Record<number, string>)[code];
  return name ?? `BUILTIN_${code}`;
}

/** Value of `OperatorCode.deprecated_builtin_code` for a code: codes above 127 are stored as 127. */
export const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

const TO_TFLITE: Partial<Record<DType, TensorType>> = {
  float32: TensorType.FLOAT32,
  float16: TensorType.FLOAT16,
  bfloat16: TensorType.BFLOAT16,
  float64: TensorType.FLOAT64,
  int8: TensorType.INT8,
  uint8: TensorType.UINT8,
  int16: TensorType.INT16,
  uint16: TensorType.UINT16,
  int32: TensorType.INT32,
  uint32: TensorType.UINT32,
  int64: TensorType.INT64,
  uint64: TensorType.UINT64,
  bool: TensorType.BOOL,
  int4: TensorType.INT4,
};

const FROM_TFLITE = new Map<number, DType>(Object.entries(TO_TFLITE).map(([d, t]) => [t as number, d as DType]));

/**
 * The TFLite element type of an IR dtype, or undefined when TFLite has none (uint4).
 *
 * @example
 * ```ts
 * tfliteType('int8') === TensorType.INT8; // true
 * ```
 */
export function tfliteType(dtype: DType): TensorType | undefined {
  return TO_TFLITE[dtype];
}

/**
 * The IR dtype of a TFLite element type, or undefined (STRING and the types mo does not map).
 *
 * @example
 * ```ts
 * irDType(TensorType.FLOAT16); // 'float16'
 * ```
 */
export function irDType(type: number): DType | undefined {
  return FROM_TFLITE.get(type);
}

/** Name of a TFLite element type for messages. */
export function tensorTypeName(type: number): string {
  return (TensorType as unknown as Record<number, string>)[type] ?? `type ${type}`;
}
