/**
 * Builder methods for convolution, pooling, matrix products and normalization.
 */
import type { GraphBuilder, Value, ValueLike } from './builder.js';
import type { FusedActivation } from '../ops/fused-activation.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
export type Layout = 'NCHW' | 'NHWC';

export interface FusedActivationAttrs {
  activation?: FusedActivation;
  activation_params?: readonly number[];
}

export interface ConvAttrs extends FusedActivationAttrs {
  strides?: readonly number[];
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
  auto_pad?: AutoPad;
  kernel_shape?: readonly number[];
  layout?: Layout;
}

export interface ConvTransposeAttrs extends ConvAttrs {
  output_padding?: readonly number[];
  output_shape?: readonly number[];
}

export interface PoolAttrs {
  kernel_shape: readonly number[];
  strides?: readonly number[];
  pads?: readonly number[];
  dilations?: readonly number[];
  auto_pad?: AutoPad;
  ceil_mode?: number;
  count_include_pad?: number;
  layout?: Layout;
}

export interface GemmAttrs extends FusedActivationAttrs {
  alpha?: number;
  beta?: number;
  transA?: number;
  transB?: number;
}

/** Builder methods of this family (mixed into GraphBuilder). */
export interface NnMethods {
  /** Convolution (ONNX Conv) with optional fused activation. */
  conv(x: Value, w: ValueLike, bias?: ValueLike, attrs?: ConvAttrs): Value;
  convTranspose(x: Value, w: ValueLike, bias?: ValueLike, attrs?: ConvTransposeAttrs): Value;
  maxPool(x: Value, attrs: PoolAttrs): Value;
  averagePool(x: Value, attrs: PoolAttrs): Value;
  globalAveragePool(x: Value, attrs?: { layout?: Layout }): Value;
  globalMaxPool(x: Value, attrs?: { layout?: Layout }): Value;
  gemm(a: Value, b: ValueLike, c?: ValueLike, attrs?: GemmAttrs): Value;
  matmul(a: Value, b: ValueLike, attrs?: FusedActivationAttrs): Value;
  batchNorm(x: Value, scale: ValueLike, bias: ValueLike, mean: ValueLike, variance: ValueLike, attrs?: { epsilon?: number; momentum?: number }): Value;
  layerNorm(x: Value, scale: ValueLike, bias?: ValueLike, attrs?: { axis?: number; epsilon?: number }): Value;
  softmax(x: Value, axis?: number): Value;
  logSoftmax(x: Value, axis?: number): Value;
}

export const nnMethods: NnMethods & ThisType<GraphBuilder> = {
  conv: function (x, w, bias, attrs = {}) { return this.op1('Conv', [x, w, bias], { ...attrs }); },
  convTranspose: function (x, w, bias, attrs = {}) { return this.op1('ConvTranspose', [x, w, bias], { ...attrs }); },
  maxPool: function (x, attrs) { return this.op1('MaxPool', [x], { ...attrs }); },
  averagePool: function (x, attrs) { return this.op1('AveragePool', [x], { ...attrs }); },
  globalAveragePool: function (x, attrs = {}) { return this.op1('GlobalAveragePool', [x], { ...attrs }); },
  globalMaxPool: function (x, attrs = {}) { return this.op1('GlobalMaxPool', [x], { ...attrs }); },
  gemm: function (a, b, c, attrs = {}) { return this.op1('Gemm', [a, b, c], { ...attrs }); },
  matmul: function (a, b, attrs = {}) { return this.op1('MatMul', [a, b], { ...attrs }); },
  batchNorm: function (x, scale, bias, mean, variance, attrs = {}) { return this.op1('BatchNormalization', [x, scale, bias, mean, variance], { ...attrs }); },
  layerNorm: function (x, scale, bias, attrs = {}) { return this.op1('LayerNormalization', [x, scale, bias], { ...attrs }); },
  softmax: function (x, axis) { return this.op1('Softmax', [x], { axis }); },
  logSoftmax: function (x, axis) { return this.op1('LogSoftmax', [x], { axis }); },
};
