/**
 * Presets, options and their validation. Presets are frozen string unions; every preset fills in
 * its defaults from one table, so `quantize(g, { preset: 'int4-weights' })` reads like the anchors'
 * presets and every default is written down once.
 */
import { ArgumentError, oneOf, type Tensor } from '@mo/ir';
import type { Engine } from './engine.js';

/**
 * What `quantize` can produce.
 *
 * @example
 * ```ts
 * for (const preset of PRESETS) console.log(preset, PRESET_DEFAULTS[preset].bits);
 * ```
 */
export const PRESETS = Object.freeze([
  'int8-static',
  'int8-weights',
  'int4-weights',
  'palettize-4',
  'palettize-8',
  'fp16',
  'bf16',
  'dynamic-int8',
] as const);
export type Preset = (typeof PRESETS)[number];

/**
 * How activation ranges are chosen from the calibration set.
 *
 * @example
 * ```ts
 * await quantize(g, { preset: 'int8-static', calibration, method: CALIBRATION_METHODS[4] }); // 'entropy'
 * ```
 */
export const CALIBRATION_METHODS = Object.freeze(['minmax', 'moving-average', 'percentile', 'mse', 'entropy', 'auto'] as const);
/** 'auto' builds the graph with every other method and keeps the one with the best output SQNR on the calibration set. */
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

/**
 * Target conventions of static quantization: ONNX QDQ or the TFLite int8 spec.
 *
 * @example
 * ```ts
 * await quantize(g, { preset: 'int8-static', calibration, format: 'tflite' });
 * ```
 */
export const FORMATS = Object.freeze(['qdq', 'tflite'] as const);
export type Format = (typeof FORMATS)[number];

/**
 * How quantized weights are dequantized in the graph.
 *
 * @example
 * ```ts
 * await quantize(g, { preset: 'int4-weights', weightOp: 'DequantizeLinear' });
 * ```
 */
export const WEIGHT_OPS = Object.freeze(['Dequantize', 'DequantizeLinear'] as const);
export type WeightOp = (typeof WEIGHT_OPS)[number];

/**
 * Storage of static activations.
 *
 * @example
 * ```ts
 * await quantize(g, { preset: 'int8-static', calibration, activationType: 'uint8' });
 * ```
 */
export const ACTIVATION_TYPES = Object.freeze(['int8', 'uint8'] as const);
export type ActivationType = (typeof ACTIVATION_TYPES)[number];

/** One calibration sample: a feed for every graph input. */
export type CalibrationSample = Readonly<Record<string, Tensor>>;
/** A calibration set: any (async) iterable of samples, read once. */
export type CalibrationData = AsyncIterable<CalibrationSample> | Iterable<CalibrationSample>;

/**
 * Stages `onProgress` reports, in order.
 *
 * @example
 * ```ts
 * await quantize(g, { preset: 'int8-static', calibration, onProgress: (p) => console.log(p.stage, p.done, p.total) });
 * ```
 */
export const STAGES = Object.freeze(['prepare', 'calibrate', 'train', 'quantize', 'sensitivity', 'evaluate'] as const);
export type Stage = (typeof STAGES)[number];

/** Progress of a long `quantize` call. */
export interface QuantizeProgress {
  readonly stage: Stage;
  /** Units done in this stage (samples or layers). */
  readonly done: number;
  /** Units in this stage, when known. */
  readonly total?: number;
}

/** Options of `quantize`. Everything but `preset` has a default that depends on the preset. */
export interface QuantizeOptions {
  preset: Preset;
  /** Samples fed to the float graph: activation ranges (int8-static), bias correction, the report's SQNR. */
  calibration?: CalibrationData;
  /** Activation range estimator of int8-static (default 'minmax'; 'auto' tries them all and keeps the best by output SQNR). */
  method?: CalibrationMethod;
  /** Share of values kept inside the range by method 'percentile', in percent (default 99.99). */
  percentile?: number;
  /** One scale per output channel (default true); false: one scale per tensor. */
  perChannel?: boolean;
  /**
   * Weight-only presets: symmetric weights (zero point 0; default true) or asymmetric (unsigned
   * storage with a zero point). int8-static: symmetric activations (default false). Static and
   * dynamic weights are always symmetric int8 in [-127, 127].
   */
  symmetric?: boolean;
  /** Weight-only integer presets: 2..8 (default 8 or 4); palettization: 1..8 index bits. */
  bits?: number;
  /**
   * Integer weights: elements per scale along the input (reduction) axis, 0 = per channel
   * (default 0 for int8, 64 for int4). Palettization: output channels per lookup table, 0 = one
   * table per tensor (default 0).
   */
  groupSize?: number;
  /** Node names (of the input graph) that stay float. */
  exclude?: readonly string[];
  /** Weight tensors with fewer elements stay float (default 0). */
  minSize?: number;
  /** int8-static conventions (default 'qdq'): 'tflite' adds fixed Softmax/Logistic params and shared pooling params. */
  format?: Format;
  /** int8-static activation storage (default 'int8'; 'uint8' for ONNX U8S8). */
  activationType?: ActivationType;
  /** int8-static: also lower the QDQ graph to integer ops (QLinearConv, QGemm, ...), default false. */
  integer?: boolean;
  /** Weight-only presets: how weights are dequantized (default 'Dequantize'; palettization needs it). */
  weightOp?: WeightOp;
  /** Fold BatchNormalization and fuse activations with `optimize` of @mo/ir first (default true). */
  optimize?: boolean;
  /** Data-free cross-layer equalization before quantizing (default false); 'relu6-as-relu' also equalizes across ReLU6 by turning it into ReLU (changes the float model, as AIMET does). */
  equalize?: boolean | 'relu6-as-relu';
  /** Correct the output shift weight quantization causes (default false). */
  biasCorrection?: boolean;
  /** Error budget: keep the most sensitive layers float until the output SQNR on the calibration set is at least this (dB). */
  minSqnrDb?: number;
  /** Seed of k-means++ (palettization), default 0. */
  seed?: number;
  /**
   * What runs the graphs for calibration, the 'auto' method's choice and the report (default: the
   * reference interpreter of @mo/ir). Pass a fast engine, e.g. a @mo/kernels-neon-wasm session.
   */
  engine?: Engine;
  onProgress?: (p: QuantizeProgress) => void;
  signal?: AbortSignal;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly preset: Preset;
  readonly family: 'static' | 'weights' | 'palettize' | 'half' | 'dynamic';
  readonly method: CalibrationMethod;
  readonly percentile: number;
  readonly perChannel: boolean;
  readonly symmetric: boolean;
  readonly bits: number;
  readonly groupSize: number;
  readonly exclude: ReadonlySet<string>;
  readonly minSize: number;
  readonly format: Format;
  readonly activationType: ActivationType;
  readonly integer: boolean;
  readonly weightOp: WeightOp;
  readonly optimize: boolean;
  readonly equalize: false | 'relu' | 'relu6-as-relu';
  readonly biasCorrection: boolean;
  readonly minSqnrDb: number | undefined;
  readonly seed: number;
  readonly halfType: 'float16' | 'bfloat16';
}

interface PresetDefaults {
  family: ResolvedOptions['family'];
  bits: number;
  groupSize: number;
  symmetric: boolean;
  /** Valid `bits` (inclusive). */
  bitsRange: [number, number];
}

/**
 * The one table of preset defaults.
 *
 * @example
 * ```ts
 * PRESET_DEFAULTS['int4-weights'].groupSize; // 64
 * ```
 */
export const PRESET_DEFAULTS: Readonly<Record<Preset, Readonly<PresetDefaults>>> = Object.freeze({
  'int8-static': { family: 'static', bits: 8, groupSize: 0, symmetric: false, bitsRange: [8, 8] },
  'int8-weights': { family: 'weights', bits: 8, groupSize: 0, symmetric: true, bitsRange: [2, 8] },
  'int4-weights': { family: 'weights', bits: 4, groupSize: 64, symmetric: true, bitsRange: [2, 8] },
  'palettize-4': { family: 'palettize', bits: 4, groupSize: 0, symmetric: true, bitsRange: [1, 8] },
  'palettize-8': { family: 'palettize', bits: 8, groupSize: 0, symmetric: true, bitsRange: [1, 8] },
  fp16: { family: 'half', bits: 16, groupSize: 0, symmetric: true, bitsRange: [16, 16] },
  bf16: { family: 'half', bits: 16, groupSize: 0, symmetric: true, bitsRange: [16, 16] },
  'dynamic-int8': { family: 'dynamic', bits: 8, groupSize: 0, symmetric: true, bitsRange: [8, 8] },
});

const KNOWN_KEYS = [
  'preset', 'calibration', 'method', 'percentile', 'perChannel', 'symmetric', 'bits', 'groupSize', 'exclude', 'minSize',
  'format', 'activationType', 'integer', 'weightOp', 'optimize', 'equalize', 'biasCorrection', 'minSqnrDb', 'seed',
  'engine', 'onProgress', 'signal',
] as const;

function fail(message: string): never {
  throw new ArgumentError(message);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function bool(o: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(`option '${key}' of quantize must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function choice<T extends string>(o: Record<string, unknown>, key: string, values: readonly T[], dflt: T): T {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(`option '${key}' of quantize is ${JSON.stringify(v)}; expected ${oneOf(values)}`);
  return v as T;
}

/**
 * Checks `options` and fills in the preset's defaults. Throws `ArgumentError` naming the option
 * and listing valid values.
 *
 * @example
 * ```ts
 * resolveOptions({ preset: 'int4-weights' }).groupSize; // 64
 * resolveOptions({ preset: 'int4-weights', bits: 9 }); // ArgumentError: option 'bits' ...
 * ```
 */
export function resolveOptions(options: QuantizeOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') fail(`quantize needs an options object with a 'preset' (${oneOf(PRESETS)}), got ${String(options)}`);
  const o = options as unknown as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(k)) fail(`unknown option '${k}' of quantize; expected ${oneOf(KNOWN_KEYS)}`);
  }
  if (o.preset === undefined) fail(`option 'preset' of quantize is required; expected ${oneOf(PRESETS)}`);
  if (o.engine !== undefined && typeof o.engine !== 'function') fail(`option 'engine' must be a function (graph) => runner, got ${typeof o.engine}`);
  const preset = choice(o, 'preset', PRESETS, 'int8-static');
  const d = PRESET_DEFAULTS[preset];

  const bits = o.bits === undefined ? d.bits : (o.bits as number);
  if (!isInt(bits) || bits < d.bitsRange[0] || bits > d.bitsRange[1]) {
    const valid = d.bitsRange[0] === d.bitsRange[1] ? `${d.bitsRange[0]}` : `an integer in ${d.bitsRange[0]}..${d.bitsRange[1]}`;
    fail(`option 'bits' of quantize is ${JSON.stringify(o.bits)}; preset '${preset}' takes ${valid}`);
  }
  const groupSize = o.groupSize === undefined ? d.groupSize : (o.groupSize as number);
  if (!isInt(groupSize) || groupSize < 0) fail(`option 'groupSize' of quantize must be an integer >= 0 (0 = per channel or per tensor), got ${JSON.stringify(o.groupSize)}`);
  if (groupSize > 0 && d.family !== 'weights' && d.family !== 'palettize') fail(`option 'groupSize' applies to weight-only and palettization presets, not to '${preset}'`);

  const percentile = o.percentile === undefined ? 99.99 : (o.percentile as number);
  if (typeof percentile !== 'number' || !(percentile > 50 && percentile <= 100)) fail(`option 'percentile' of quantize must be a number in (50, 100], got ${JSON.stringify(o.percentile)}`);
  const minSize = o.minSize === undefined ? 0 : (o.minSize as number);
  if (!isInt(minSize) || minSize < 0) fail(`option 'minSize' of quantize must be an integer >= 0, got ${JSON.stringify(o.minSize)}`);
  const seed = o.seed === undefined ? 0 : (o.seed as number);
  if (!isInt(seed)) fail(`option 'seed' of quantize must be an integer, got ${JSON.stringify(o.seed)}`);
  const minSqnrDb = o.minSqnrDb as number | undefined;
  if (minSqnrDb !== undefined && !(typeof minSqnrDb === 'number' && Number.isFinite(minSqnrDb))) fail(`option 'minSqnrDb' of quantize must be a finite number of dB, got ${JSON.stringify(minSqnrDb)}`);

  const exclude = o.exclude ?? [];
  if (!Array.isArray(exclude) || !exclude.every((x) => typeof x === 'string')) fail(`option 'exclude' of quantize must be an array of node names, got ${JSON.stringify(exclude)}`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') fail(`option 'onProgress' of quantize must be a function`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) fail(`option 'signal' of quantize must be an AbortSignal`);

  const eq = o.equalize;
  if (eq !== undefined && typeof eq !== 'boolean' && eq !== 'relu6-as-relu') fail(`option 'equalize' of quantize is ${JSON.stringify(eq)}; expected true, false or 'relu6-as-relu'`);
  const weightOp = choice(o, 'weightOp', WEIGHT_OPS, 'Dequantize');
  if (weightOp === 'DequantizeLinear' && d.family === 'palettize') fail(`option 'weightOp' 'DequantizeLinear' cannot express lookup tables; preset '${preset}' needs 'Dequantize'`);
  const integer = bool(o, 'integer', false);
  if (integer && d.family !== 'static') fail(`option 'integer' (lowering to integer ops) applies to preset 'int8-static' only, not to '${preset}'`);
  const format = choice(o, 'format', FORMATS, 'qdq');

  return Object.freeze({
    preset,
    family: d.family,
    method: choice(o, 'method', CALIBRATION_METHODS, 'minmax'),
    percentile,
    perChannel: bool(o, 'perChannel', true),
    symmetric: bool(o, 'symmetric', d.symmetric),
    bits,
    groupSize,
    exclude: new Set(exclude as string[]),
    minSize,
    format,
    activationType: choice(o, 'activationType', ACTIVATION_TYPES, 'int8'),
    integer,
    weightOp,
    optimize: bool(o, 'optimize', true),
    equalize: eq === 'relu6-as-relu' ? 'relu6-as-relu' : eq === true ? 'relu' : false,
    biasCorrection: bool(o, 'biasCorrection', false),
    minSqnrDb,
    seed,
    halfType: preset === 'bf16' ? 'bfloat16' : 'float16',
  });
}
