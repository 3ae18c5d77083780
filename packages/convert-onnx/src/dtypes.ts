/**
 * ONNX element types (TensorProto.DataType) <-> IR dtype names.
 */
import { FormatError, UnsupportedOpError, type DType, type ErrorContext } from '@mo/ir';

/**
 * TensorProto.DataType codes, including the ones newer than onnx-proto's enum (float8, int4).
 *
 * @example
 * ```ts
 * ONNX_DTYPE.FLOAT16; // 10
 * ```
 */
export const ONNX_DTYPE = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;

const TO_IR: Readonly<Record<number, DType>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
  21: 'uint4',
  22: 'int4',
};

const NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k]));

const FROM_IR: Readonly<Record<DType, number>> = Object.fromEntries(Object.entries(TO_IR).map(([k, v]) => [v, Number(k)])) as Record<DType, number>;

/** Name of an ONNX data type code ('FLOAT', 'STRING', ...) for messages. */
export function onnxDTypeName(code: number): string {
  return NAMES[code] ?? `unknown data type ${code}`;
}

/** True when the IR can hold tensors of this ONNX type. */
export function isSupportedOnnxDType(code: number): boolean {
  return TO_IR[code] !== undefined;
}

/**
 * The IR dtype of an ONNX data type code. Strings, complex numbers and float8/float4 have no IR
 * dtype: a FormatError for unknown codes, an UnsupportedOpError for known but unrepresentable ones.
 *
 * @example
 * ```ts
 * dtypeFromOnnx(7); // 'int64'
 * ```
 */
export function dtypeFromOnnx(code: number, ctx: ErrorContext = {}): DType {
  const d = TO_IR[code];
  if (d) return d;
  if (NAMES[code] !== undefined && code !== 0) throw new UnsupportedOpError(`ONNX element type ${NAMES[code]} has no equivalent in mo's IR (strings, complex and float8/float4 tensors are not supported)`, ctx);
  throw new FormatError(`invalid ONNX element type ${code}`, ctx);
}

/**
 * The ONNX data type code of an IR dtype.
 *
 * @example
 * ```ts
 * dtypeToOnnx('bfloat16'); // 16
 * ```
 */
export function dtypeToOnnx(d: DType): number {
  return FROM_IR[d];
}

/** Legacy Cast-1 wrote `to` as a type name string ('FLOAT', 'INT64', ...). */
export function dtypeFromOnnxName(name: string, ctx: ErrorContext = {}): DType {
  const code = (ONNX_DTYPE as Record<string, number>)[name.toUpperCase()];
  if (code === undefined) throw new FormatError(`unknown ONNX data type name '${name}'`, ctx);
  return dtypeFromOnnx(code, ctx);
}
