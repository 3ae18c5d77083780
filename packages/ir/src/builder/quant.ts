/**
 * Builder methods for quantization ops.
 */
import type { DType } from '../core/dtype.js';
import type { GraphBuilder, AttrsIn, Value, ValueLike } from './builder.js';

/** Builder methods of this family (mixed into GraphBuilder). */
export interface QuantMethods {
  /** ONNX QuantizeLinear; the output type carries the quant params when scale/zero point are constants. */
  quantizeLinear(x: Value, scale: ValueLike, zeroPoint?: ValueLike, attrs?: { axis?: number; block_size?: number; output_dtype?: DType; saturate?: number }): Value;
  dequantizeLinear(x: Value, scale: ValueLike, zeroPoint?: ValueLike, attrs?: { axis?: number; block_size?: number }): Value;
  /** Dequantizes a value whose type carries quant params (weight-only and palettized weights). */
  dequantize(x: Value, to?: 'float32' | 'float16'): Value;
  /** ONNX QLinearConv with mo's `requant` and fused clamp attributes. */
  qlinearConv(inputs: { x: Value; xScale: ValueLike; xZeroPoint: ValueLike; w: ValueLike; wScale: ValueLike; wZeroPoint: ValueLike; yScale: ValueLike; yZeroPoint: ValueLike; bias?: ValueLike }, attrs?: AttrsIn): Value;
  qlinearMatMul(inputs: { a: Value; aScale: ValueLike; aZeroPoint: ValueLike; b: ValueLike; bScale: ValueLike; bZeroPoint: ValueLike; yScale: ValueLike; yZeroPoint: ValueLike }, attrs?: AttrsIn): Value;
  matmulInteger(a: Value, b: ValueLike, aZeroPoint?: ValueLike, bZeroPoint?: ValueLike): Value;
}

export const quantMethods: QuantMethods & ThisType<GraphBuilder> = {
  quantizeLinear: function (x, scale, zeroPoint, attrs = {}) { return this.op1('QuantizeLinear', [x, scale, zeroPoint], attrs); },
  dequantizeLinear: function (x, scale, zeroPoint, attrs = {}) { return this.op1('DequantizeLinear', [x, scale, zeroPoint], attrs); },
  dequantize: function (x, to) { return this.op1('Dequantize', [x], { to }); },
  qlinearConv: function (i, attrs = {}) {
  return this.op1('QLinearConv', [i.x, i.xScale, i.xZeroPoint, i.w, i.wScale, i.wZeroPoint, i.yScale, i.yZeroPoint, i.bias], attrs);
},
  qlinearMatMul: function (i, attrs = {}) {
  return this.op1('QLinearMatMul', [i.a, i.aScale, i.aZeroPoint, i.b, i.bScale, i.bZeroPoint, i.yScale, i.yZeroPoint], attrs);
},
  matmulInteger: function (a, b, aZeroPoint, bZeroPoint) { return this.op1('MatMulInteger', [a, b, aZeroPoint, bZeroPoint]); },
};
