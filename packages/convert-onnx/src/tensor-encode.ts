/**
 * Tensor -> TensorProto. Data is always written as little-endian raw_data: compact, exact for
 * every dtype (int64 included) and what ONNX Runtime reads fastest.
 */
import type { Tensor } from '@mo/ir';
import { dtypeToOnnx } from './dtypes.js';
import { toLittleEndian } from './tensor-decode.js';
import { encodeTensorProto, type TensorProto } from './proto.js';

/** A TensorProto holding `t` (quantization params are not part of a TensorProto). */
export function tensorToProto(t: Tensor, name = ''): TensorProto {
  return {
    name,
    dims: [...t.shape],
    dataType: dtypeToOnnx(t.dtype),
    rawData: toLittleEndian(t),
  };
}

/**
 * Serializes a tensor as a TensorProto (the format of ONNX test-suite .pb files).
 *
 * @example
 * ```ts
 * writeFileSync('input_0.pb', saveOnnxTensor(tensor('float32', [[1, 2]]), 'x'));
 * ```
 */
export function saveOnnxTensor(t: Tensor, name = ''): Uint8Array {
  return encodeTensorProto(tensorToProto(t, name));
}
