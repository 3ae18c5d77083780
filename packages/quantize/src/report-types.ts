/**
 * The report `quantize` returns: per-layer scheme, bits, scale ranges, weight error and output
 * SQNR, model size before and after, and which layers stay float and why.
 */
import type { DType } from '@mo/ir';
import type { CalibrationMethod, Format, Preset } from './options.js';

/** Error of an approximation against the float reference. */
export interface ErrorSummary {
  readonly mse: number;
  readonly maxAbs: number;
  /** Signal-to-quantization-noise ratio, dB (Infinity when exact). */
  readonly sqnrDb: number;
}

/** Quantization params chosen for an activation (static quantization). */
export interface ActivationParams {
  readonly value: string;
  readonly scale: number;
  readonly zeroPoint: number;
  readonly dtype: DType;
  /** Real range the params cover. */
  readonly range: readonly [number, number];
  /** Observed min/max on the calibration set. */
  readonly observed: readonly [number, number];
  /** How the params were chosen: the calibration method, 'fixed' (Softmax/Sigmoid) or 'shared'. */
  readonly source: string;
}

/** One layer (a node with weights, or an activation op of static quantization). */
export interface LayerReport {
  readonly node: string;
  readonly op: string;
  /** Weight initializer, when the layer has one. */
  readonly weight?: string;
  /** Readable scheme: 'int8 per-channel symmetric', 'int4 per-block(64) symmetric', 'lut4 per-tensor', 'float16', 'float'. */
  readonly scheme: string;
  /** Storage dtype of the weight ('float32' when kept float). */
  readonly dtype: DType;
  /** Bits per weight element (the scheme's, not the storage's). */
  readonly bits: number;
  readonly granularity?: 'per-tensor' | 'per-channel' | 'per-block' | 'lut';
  readonly groupSize?: number;
  readonly symmetric?: boolean;
  /** Smallest and largest weight scale (or lookup-table value range). */
  readonly scaleRange?: readonly [number, number];
  /** Weight error after dequantization. */
  readonly weightError?: ErrorSummary;
  /** Initializer bytes of the weight (and bias) before and after. */
  readonly bytes: { readonly before: number; readonly after: number };
  /** SQNR of this node's output against the float graph on the calibration set, dB. */
  outputSqnrDb?: number;
  /** Static quantization: params of the node's quantized inputs and output. */
  readonly inputs?: readonly ActivationParams[];
  readonly output?: ActivationParams;
  /** The bias was corrected for the weight error's mean output shift. */
  readonly biasCorrected?: boolean;
  /** Why the layer stays float (excluded, below minSize, error budget, unsupported) or got more bits than the preset's. */
  reason?: string;
}

/** Model size as initializer bytes. */
export interface SizeReport {
  /** Bytes of the input graph's initializers. */
  readonly before: number;
  /** Bytes of the result's initializers, quantization params counted (float32 scales, zero points when not all 0). */
  readonly after: number;
  /** after / before. */
  readonly ratio: number;
  /** `after` with every quantized weight packed at its scheme's bits (2/3-bit and LUT indices below their storage width). */
  readonly packedAfter: number;
  readonly packedRatio: number;
}

/** Per graph output: the result against the float graph on the calibration set. */
export interface OutputReport extends ErrorSummary {
  readonly name: string;
  /** For [N, C] outputs: share of rows whose argmax agrees with float. */
  readonly top1Agreement?: number;
}

/** One layer's sensitivity: output SQNR when only this layer is quantized. */
export interface SensitivityEntry {
  readonly node: string;
  readonly op: string;
  readonly sqnrDb: number;
}

export interface QuantizeReport {
  readonly preset: Preset;
  readonly settings: {
    readonly method?: CalibrationMethod;
    readonly format?: Format;
    readonly activationType?: DType;
    readonly perChannel: boolean;
    readonly symmetric: boolean;
    readonly bits: number;
    readonly groupSize: number;
  };
  readonly layers: readonly LayerReport[];
  readonly size: SizeReport;
  /** Calibration samples read. */
  readonly samples: number;
  /** Output error on the calibration set (absent without calibration data). */
  readonly outputs?: readonly OutputReport[];
  /** Layers that stay float, with the reason. */
  readonly float: readonly { readonly node: string; readonly reason: string }[];
  /** Per-layer sensitivity, most sensitive first (when an error budget was given). */
  readonly sensitivity?: readonly SensitivityEntry[];
  /** Integer lowering: nodes lowered per op, and what stayed in QDQ form. */
  readonly lowered?: { readonly ops: Readonly<Record<string, number>>; readonly kept: readonly string[] };
  /** Steps taken and things worth knowing (folded BN, equalized pairs, ...). */
  readonly notes: readonly string[];
}
