/**
 * Builders of the builtin option tables, one small function per table. Each returns the union
 * member and a writer, so rules in the op table stay declarative.
 */
import type * as flatbuffers from 'flatbuffers';
import { ActivationFunctionType } from '../schema/generated/tflite/activation-function-type.js';
import { AddOptions } from '../schema/generated/tflite/add-options.js';
import { BatchMatMulOptions } from '../schema/generated/tflite/batch-mat-mul-options.js';
import { BuiltinOptions } from '../schema/generated/tflite/builtin-options.js';
import { ConcatenationOptions } from '../schema/generated/tflite/concatenation-options.js';
import { Conv2DOptions } from '../schema/generated/tflite/conv2doptions.js';
import { DepthwiseConv2DOptions } from '../schema/generated/tflite/depthwise-conv2doptions.js';
import { DivOptions } from '../schema/generated/tflite/div-options.js';
import { FullyConnectedOptions } from '../schema/generated/tflite/fully-connected-options.js';
import { GatherOptions } from '../schema/generated/tflite/gather-options.js';
import { LeakyReluOptions } from '../schema/generated/tflite/leaky-relu-options.js';
import { MulOptions } from '../schema/generated/tflite/mul-options.js';
import { Padding } from '../schema/generated/tflite/padding.js';
import { Pool2DOptions } from '../schema/generated/tflite/pool2doptions.js';
import { ReducerOptions } from '../schema/generated/tflite/reducer-options.js';
import { ReshapeOptions } from '../schema/generated/tflite/reshape-options.js';
import { ResizeBilinearOptions } from '../schema/generated/tflite/resize-bilinear-options.js';
import { ResizeNearestNeighborOptions } from '../schema/generated/tflite/resize-nearest-neighbor-options.js';
import { SoftmaxOptions } from '../schema/generated/tflite/softmax-options.js';
import { SplitOptions } from '../schema/generated/tflite/split-options.js';
import { SplitVOptions } from '../schema/generated/tflite/split-voptions.js';
import { StridedSliceOptions } from '../schema/generated/tflite/strided-slice-options.js';
import { SubOptions } from '../schema/generated/tflite/sub-options.js';
import type { TflOptions } from './model.js';
import { PadOptions } from '../schema/generated/tflite/pad-options.js';
import { PadV2Options } from '../schema/generated/tflite/pad-v2options.js';
import { TransposeOptions } from '../schema/generated/tflite/transpose-options.js';
import { QuantizeOptions } from '../schema/generated/tflite/quantize-options.js';
import { DequantizeOptions } from '../schema/generated/tflite/dequantize-options.js';
import { HardSwishOptions } from '../schema/generated/tflite/hard-swish-options.js';
import { MaximumMinimumOptions } from '../schema/generated/tflite/maximum-minimum-options.js';

export { ActivationFunctionType, Padding };

type B = flatbuffers.Builder;

/** An option table without fields (PAD, TRANSPOSE, QUANTIZE, ...). */
function empty(type: BuiltinOptions, start: (b: B) => void, end: (b: B) => flatbuffers.Offset): TflOptions {
  return { type, write: (b) => (start(b), end(b)) };
}

export interface ConvOptionsIn {
  padding: Padding;
  strideW: number;
  strideH: number;
  dilationW: number;
  dilationH: number;
  activation: ActivationFunctionType;
}

export const conv2dOptions = (o: ConvOptionsIn): TflOptions => ({
  type: BuiltinOptions.Conv2DOptions,
  write: (b) => Conv2DOptions.createConv2DOptions(b, o.padding, o.strideW, o.strideH, o.activation, o.dilationW, o.dilationH),
});

export const depthwiseOptions = (o: ConvOptionsIn & { depthMultiplier: number }): TflOptions => ({
  type: BuiltinOptions.DepthwiseConv2DOptions,
  write: (b) => DepthwiseConv2DOptions.createDepthwiseConv2DOptions(b, o.padding, o.strideW, o.strideH, o.depthMultiplier, o.activation, o.dilationW, o.dilationH),
});

export const pool2dOptions = (o: { padding: Padding; strideW: number; strideH: number; filterW: number; filterH: number; activation: ActivationFunctionType }): TflOptions => ({
  type: BuiltinOptions.Pool2DOptions,
  write: (b) => Pool2DOptions.createPool2DOptions(b, o.padding, o.strideW, o.strideH, o.filterW, o.filterH, o.activation),
});

export const fullyConnectedOptions = (activation: ActivationFunctionType, keepNumDims: boolean): TflOptions => ({
  type: BuiltinOptions.FullyConnectedOptions,
  write: (b) => {
    FullyConnectedOptions.startFullyConnectedOptions(b);
    FullyConnectedOptions.addFusedActivationFunction(b, activation);
    if (keepNumDims) FullyConnectedOptions.addKeepNumDims(b, true);
    return FullyConnectedOptions.endFullyConnectedOptions(b);
  },
});

export const softmaxOptions = (beta: number): TflOptions => ({ type: BuiltinOptions.SoftmaxOptions, write: (b) => SoftmaxOptions.createSoftmaxOptions(b, beta) });

export const concatenationOptions = (axis: number, activation: ActivationFunctionType): TflOptions => ({
  type: BuiltinOptions.ConcatenationOptions,
  write: (b) => ConcatenationOptions.createConcatenationOptions(b, axis, activation),
});

/** ADD / SUB / MUL / DIV options (all: a fused activation). */
export function binaryOptions(op: 'ADD' | 'SUB' | 'MUL' | 'DIV', activation: ActivationFunctionType): TflOptions {
  switch (op) {
    case 'ADD': return { type: BuiltinOptions.AddOptions, write: (b) => AddOptions.createAddOptions(b, activation) };
    case 'SUB': return { type: BuiltinOptions.SubOptions, write: (b) => SubOptions.createSubOptions(b, activation) };
    case 'MUL': return { type: BuiltinOptions.MulOptions, write: (b) => MulOptions.createMulOptions(b, activation) };
    case 'DIV': return { type: BuiltinOptions.DivOptions, write: (b) => DivOptions.createDivOptions(b, activation) };
  }
}

export const reshapeOptions = (shape: readonly number[]): TflOptions => ({
  type: BuiltinOptions.ReshapeOptions,
  write: (b) => ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, [...shape])),
});

export const reducerOptions = (keepDims: boolean): TflOptions => ({ type: BuiltinOptions.ReducerOptions, write: (b) => ReducerOptions.createReducerOptions(b, keepDims) });

export const gatherOptions = (axis: number): TflOptions => ({
  type: BuiltinOptions.GatherOptions,
  write: (b) => {
    GatherOptions.startGatherOptions(b);
    GatherOptions.addAxis(b, axis);
    return GatherOptions.endGatherOptions(b);
  },
});

export const splitOptions = (n: number): TflOptions => ({ type: BuiltinOptions.SplitOptions, write: (b) => SplitOptions.createSplitOptions(b, n) });
export const splitVOptions = (n: number): TflOptions => ({ type: BuiltinOptions.SplitVOptions, write: (b) => SplitVOptions.createSplitVOptions(b, n) });

export const stridedSliceOptions = (o: { beginMask: number; endMask: number; shrinkAxisMask: number }): TflOptions => ({
  type: BuiltinOptions.StridedSliceOptions,
  write: (b) => {
    StridedSliceOptions.startStridedSliceOptions(b);
    StridedSliceOptions.addBeginMask(b, o.beginMask);
    StridedSliceOptions.addEndMask(b, o.endMask);
    StridedSliceOptions.addShrinkAxisMask(b, o.shrinkAxisMask);
    return StridedSliceOptions.endStridedSliceOptions(b);
  },
});

export const resizeBilinearOptions = (alignCorners: boolean, halfPixelCenters: boolean): TflOptions => ({
  type: BuiltinOptions.ResizeBilinearOptions,
  write: (b) => {
    ResizeBilinearOptions.startResizeBilinearOptions(b);
    ResizeBilinearOptions.addAlignCorners(b, alignCorners);
    ResizeBilinearOptions.addHalfPixelCenters(b, halfPixelCenters);
    return ResizeBilinearOptions.endResizeBilinearOptions(b);
  },
});

export const resizeNearestOptions = (alignCorners: boolean, halfPixelCenters: boolean): TflOptions => ({
  type: BuiltinOptions.ResizeNearestNeighborOptions,
  write: (b) => ResizeNearestNeighborOptions.createResizeNearestNeighborOptions(b, alignCorners, halfPixelCenters),
});

export const leakyReluOptions = (alpha: number): TflOptions => ({ type: BuiltinOptions.LeakyReluOptions, write: (b) => LeakyReluOptions.createLeakyReluOptions(b, alpha) });

export const batchMatMulOptions = (adjX: boolean, adjY: boolean): TflOptions => ({
  type: BuiltinOptions.BatchMatMulOptions,
  write: (b) => BatchMatMulOptions.createBatchMatMulOptions(b, adjX, adjY),
});


export const padOptions = (): TflOptions => empty(BuiltinOptions.PadOptions, PadOptions.startPadOptions, PadOptions.endPadOptions);
export const padV2Options = (): TflOptions => empty(BuiltinOptions.PadV2Options, PadV2Options.startPadV2Options, PadV2Options.endPadV2Options);
export const transposeOptions = (): TflOptions => empty(BuiltinOptions.TransposeOptions, TransposeOptions.startTransposeOptions, TransposeOptions.endTransposeOptions);
export const quantizeOptions = (): TflOptions => empty(BuiltinOptions.QuantizeOptions, QuantizeOptions.startQuantizeOptions, QuantizeOptions.endQuantizeOptions);
export const dequantizeOptions = (): TflOptions => empty(BuiltinOptions.DequantizeOptions, DequantizeOptions.startDequantizeOptions, DequantizeOptions.endDequantizeOptions);
export const hardSwishOptions = (): TflOptions => empty(BuiltinOptions.HardSwishOptions, HardSwishOptions.startHardSwishOptions, HardSwishOptions.endHardSwishOptions);
export const maxMinOptions = (): TflOptions => empty(BuiltinOptions.MaximumMinimumOptions, MaximumMinimumOptions.startMaximumMinimumOptions, MaximumMinimumOptions.endMaximumMinimumOptions);
