/**
 * @mo/quantize: quantization for mo. IR in, IR out; the input graph is never mutated.
 *
 * @example
 * ```ts
 * import { quantize } from '@mo/quantize';
 * import { smallCnn } from '@mo/models';
 * const { graph, report } = await quantize(smallCnn(), { preset: 'int8-weights' });
 * console.log(report.size.ratio); // ~0.25
 * ```
 */
export { quantize, type QuantizeResult } from './quantize.js';
export { quantizeAwareTrain, QAT_PRESETS } from './qat/qat.js';
export type { QatOptions, QatPreset, QatResult } from './qat/qat.js';
export {
  PRESETS,
  PRESET_DEFAULTS,
  CALIBRATION_METHODS,
  FORMATS,
  WEIGHT_OPS,
  ACTIVATION_TYPES,
  STAGES,
  resolveOptions,
} from './options.js';
export type {
  Preset,
  CalibrationMethod,
  Format,
  WeightOp,
  ActivationType,
  CalibrationSample,
  CalibrationData,
  Stage,
  QuantizeProgress,
  QuantizeOptions,
  ResolvedOptions,
} from './options.js';
export type {
  QuantizeReport,
  LayerReport,
  ActivationParams,
  SizeReport,
  OutputReport,
  ErrorSummary,
  SensitivityEntry,
} from './report-types.js';
export { formatReport } from './format-report.js';
export { referenceEngine, valuesRunner } from './engine.js';
export type { Engine, GraphRunner } from './engine.js';
export { quantizeAffine, quantizeBias, rangeToParams, gridOf, storageOf } from './weights/affine.js';
export type { AffineScheme, AffineResult, Granularity } from './weights/affine.js';
export { palettize } from './weights/palettize.js';
export type { PalettizeOptions, PalettizeResult } from './weights/palettize.js';
export { kmeans1d, nearest } from './weights/kmeans.js';
export type { KMeansOptions, KMeansResult } from './weights/kmeans.js';
export { equalize } from './correct/equalize.js';
export type { EqualizeOptions, EqualizeResult } from './correct/equalize.js';
export { lowerQdq } from './graph/lower.js';
export type { LowerOptions, LowerResult } from './graph/lower.js';
export { Histogram } from './calibrate/histogram.js';
export { percentileRange, mseRange, entropyRange, quantile } from './calibrate/ranges.js';
export type { Grid } from './calibrate/ranges.js';
export { RangeObserver } from './calibrate/observers.js';
export { initializerBytes, tensorBytes } from './size.js';
export { ErrorStats, sqnrDb } from './math.js';
