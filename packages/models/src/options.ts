/**
 * Options every builder accepts, their defaults and their validation.
 */
import { ArgumentError, Tensor, oneOf } from '@mo/ir';

/**
 * Where weights come from: a map from parameter name to tensor (e.g. a converted PyTorch
 * `state_dict`), or a function asked for each parameter by name and shape. Names it does not give
 * fall back to the seeded initialization (unless `strictWeights`).
 */
export type WeightSource = ReadonlyMap<string, Tensor> | ((name: string, shape: readonly number[]) => Tensor | undefined);

/** How BatchNormalization parameters are initialized when no weights are given. */
export type BatchNormInit = 'identity' | 'random';

/**
 * Valid values of `batchNormInit`.
 *
 * @example
 * ```ts
 * const graphs = BATCH_NORM_INITS.map((batchNormInit) => smallCnn({ batchNormInit }));
 * ```
 */
export const BATCH_NORM_INITS: readonly BatchNormInit[] = Object.freeze(['identity', 'random'] as const);

/** Options every model builder accepts. */
export interface ModelOptions {
  /** Input height and width in pixels (square inputs). Default: the published one (224 for ImageNet models, 28 for the small ones). */
  resolution?: number;
  /** Classifier outputs. Default 1000 for ImageNet models, 10 for the small ones. */
  numClasses?: number;
  /** Input channels: 3 for RGB, 1 for grayscale. Default 3 for ImageNet models, 1 for the small ones. */
  inChannels?: number;
  /** Seed of the random initialization (any safe integer). Default 0. */
  seed?: number;
  /** Weights to load by name instead of initializing them; see {@link WeightSource}. */
  weights?: WeightSource;
  /** When true, every parameter must come from `weights` and every entry of a weight map must be used. Default false. */
  strictWeights?: boolean;
  /** Batch dimension: a number for a static batch, or a symbol name. Default `'batch'`. */
  batch?: number | string;
  /** Ends the graph with Softmax and names the output `probabilities` instead of `logits`. Default false. */
  includeSoftmax?: boolean;
  /**
   * BatchNormalization init: `'identity'` (gamma 1, beta 0, mean 0, var 1, as PyTorch) or
   * `'random'` (values near those, so that folding BN into convolutions changes the weights).
   * Default `'identity'`.
   */
  batchNormInit?: BatchNormInit;
}

/** Options of models with a width multiplier. */
export interface WidthOptions extends ModelOptions {
  /** Scales every layer's channel count (rounded as the reference implementation rounds). Default 1. */
  widthMultiplier?: number;
}

/** The common options with their defaults applied. */
export interface ResolvedOptions {
  readonly model: string;
  readonly resolution: number;
  readonly numClasses: number;
  readonly inChannels: number;
  readonly seed: number;
  readonly weights: WeightSource | undefined;
  readonly strictWeights: boolean;
  readonly batch: number | string;
  readonly includeSoftmax: boolean;
  readonly batchNormInit: BatchNormInit;
}

/** Defaults of one model, and the range it accepts. */
export interface ModelDefaults {
  readonly resolution: number;
  readonly numClasses: number;
  readonly inChannels: number;
  /** Smallest input side the architecture can take (every stride-2 stage must leave at least 1 pixel). */
  readonly minResolution: number;
}

const COMMON_KEYS = [
  'resolution', 'numClasses', 'inChannels', 'seed', 'weights', 'strictWeights', 'batch', 'includeSoftmax', 'batchNormInit',
] as const;

function positiveInt(model: string, key: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ArgumentError(`option '${key}' of ${model} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

/**
 * Checks `opts` for `model` (unknown keys, types, ranges) and applies the defaults.
 * `extraKeys` are the model's own options, validated by the model.
 */
export function resolveOptions(model: string, opts: object, defaults: ModelDefaults, extraKeys: readonly string[] = []): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw new ArgumentError(`options of ${model} must be an object, got ${String(opts)}`);
  const valid = [...COMMON_KEYS, ...extraKeys];
  for (const k of Object.keys(opts)) {
    if (!valid.includes(k)) throw new ArgumentError(`unknown option '${k}' for ${model}; valid options are ${oneOf([...valid])}`);
  }
  const o = opts as ModelOptions;
  const resolution = positiveInt(model, 'resolution', o.resolution ?? defaults.resolution, defaults.minResolution);
  const numClasses = positiveInt(model, 'numClasses', o.numClasses ?? defaults.numClasses);
  const inChannels = positiveInt(model, 'inChannels', o.inChannels ?? defaults.inChannels);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new ArgumentError(`option 'seed' of ${model} must be a safe integer, got ${String(seed)}`);
  const batch = o.batch ?? 'batch';
  if (typeof batch === 'number') positiveInt(model, 'batch', batch);
  else if (typeof batch !== 'string' || batch === '') throw new ArgumentError(`option 'batch' of ${model} must be a positive integer or a non-empty symbol name, got ${String(batch)}`);
  const weights = o.weights;
  if (weights !== undefined && !(weights instanceof Map) && typeof weights !== 'function') {
    throw new ArgumentError(`option 'weights' of ${model} must be a Map<string, Tensor> or a function (name, shape) => Tensor | undefined`);
  }
  const batchNormInit = o.batchNormInit ?? 'identity';
  if (!BATCH_NORM_INITS.includes(batchNormInit)) {
    throw new ArgumentError(`option 'batchNormInit' of ${model} must be ${oneOf([...BATCH_NORM_INITS])}, got ${String(batchNormInit)}`);
  }
  return {
    model,
    resolution,
    numClasses,
    inChannels,
    seed,
    weights,
    strictWeights: o.strictWeights ?? false,
    batch,
    includeSoftmax: o.includeSoftmax ?? false,
    batchNormInit,
  };
}

/** A width multiplier: a finite number > 0 (default 1). */
export function widthOf(model: string, opts: WidthOptions): number {
  const w = opts.widthMultiplier ?? 1;
  if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
    throw new ArgumentError(`option 'widthMultiplier' of ${model} must be a number > 0, got ${String(w)}`);
  }
  return w;
}

/**
 * Rounds `value` to a multiple of `divisor`, never below `minValue` and never more than 10% below
 * `value`: the channel rounding of MobileNetV2/V3 and EfficientNet.
 *
 * @example
 * ```ts
 * makeDivisible(32 * 0.35, 8); // 16
 * makeDivisible(1280 * 1.4, 8); // 1792
 * ```
 */
export function makeDivisible(value: number, divisor = 8, minValue = divisor): number {
  let v = Math.max(minValue, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (v < 0.9 * value) v += divisor;
  return v;
}
