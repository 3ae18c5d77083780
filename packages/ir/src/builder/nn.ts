/**
 * Builder methods for convolution, pooling, matrix products and normalization.
 */
import { GraphBuilder, type Value, type ValueLike } from './builder.js';
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

declare module './builder.js' {
  interface GraphBuilder {
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
}

const P = GraphBuilder.prototype;
P.conv = function (x, w, bias, attrs = {}) { return this.op1('Conv', [x, w, bias], { ...attrs }); };
P.convTranspose = function (x, w, bias, attrs = {}) { return this.op1('ConvTranspose', [x, w, bias], { ...attrs }); };
P.maxPool = function (x, attrs) { return this.op1('MaxPool', [x], { ...attrs }); };
P.averagePool = function (x, attrs) { return this.op1('AveragePool', [x], { ...attrs }); };
P.globalAveragePool = function (x, attrs = {}) { return this.op1('GlobalAveragePool', [x], { ...attrs }); };
P.globalMaxPool = function (x, attrs = {}) { return this.op1('GlobalMaxPool', [x], { ...attrs }); };
P.gemm = function (a, b, c, attrs = {}) { return this.op1('Gemm', [a, b, c], { ...attrs }); };
P.matmul = function (a, b, attrs = {}) { return this.op1('MatMul', [a, b], { ...attrs }); };
P.batchNorm = function (x, scale, bias, mean, variance, attrs = {}) { return this.op1('BatchNormalization', [x, scale, bias, mean, variance], { ...attrs }); };
P.layerNorm = function (x, scale, bias, attrs = {}) { return this.op1('LayerNormalization', [x, scale, bias], { ...attrs }); };
P.softmax = function (x, axis) { return this.op1('Softmax', [x], { axis }); };
P.logSoftmax = function (x, axis) { return this.op1('LogSoftmax', [x], { axis }); };
