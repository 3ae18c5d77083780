/**
 * `quantizeAwareTrain`: quantization-aware training that ends in the very graph static PTQ builds.
 *   1. the static pipeline prepares the graph (BatchNorm folded, activations fused) and calibrates
 *      activation ranges (observers, the chosen method): these initialise the fake quantizers;
 *   2. the training graph rounds each activation the converter quantizes to its grid
 *      (fake-quant-graph.ts) and a hook rounds weights and biases as the converter does
 *      (weight-hook.ts); @mo/train's `fit` fine-tunes the float weights (straight-through);
 *   3. the trained weights go back into the prepared graph and the static converter builds the QDQ
 *      (or integer) graph with the same activation params: the same ops and quantization as PTQ.
 */
import { ArgumentError, Graph, inferTypes, oneOf, type Tensor } from '@mo/ir';
import { adam, fit, floats, mapFloat, type BatchSource, type TrainingHook, type EpochMetrics, type Optimizer, type ProgressEvent, type Transform } from '@mo/train';
import type { CalibrationData, QuantizeOptions } from '../options.js';
import { quantizeWith, type QuantizeResult, type StaticState } from '../quantize.js';
import type { ActivationParams } from '../report-types.js';
import { fakeQuantGraph } from './fake-quant-graph.js';
import { ensureRoundGradient } from './round-gradient.js';
import { staticWeightHook, weightRules } from './weight-hook.js';

/** Presets quantization-aware training supports. */
export const QAT_PRESETS = Object.freeze(['int8-static'] as const);
export type QatPreset = (typeof QAT_PRESETS)[number];

/** Options of {@link quantizeAwareTrain}: the static preset's options plus the training ones. */
export interface QatOptions extends Omit<QuantizeOptions, 'preset' | 'calibration' | 'biasCorrection' | 'minSqnrDb'> {
  preset: QatPreset;
  /** Samples whose activation ranges initialise the fake quantizers (as for static PTQ). */
  calibration: CalibrationData;
  /** Training batches for @mo/train's `fit` (a Dataset or a function of the epoch). */
  data: BatchSource;
  /** Epochs of fine-tuning (default 1). */
  epochs?: number;
  /** Stops after this many optimizer steps in total. */
  maxSteps?: number;
  /** Default: Adam with learning rate 1e-4 (fine-tuning a trained model). */
  optimizer?: Optimizer;
  /** Batch size when `data` is a Dataset (default 32). */
  batchSize?: number;
  /** Augmentation of the training batches. */
  transforms?: readonly Transform[];
  /**
   * Learn the activation scales with the weights (LSQ-style: the straight-through gradient of
   * round(x / s) * s), default false: the calibrated ranges stay fixed. Zero points stay fixed.
   */
  learnRanges?: boolean;
  /** Seed of shuffling (default 0). */
  seed?: number;
  /** Training progress (steps and epochs) from `fit`. */
  onTrainProgress?: (event: ProgressEvent) => void;
}

/** What {@link quantizeAwareTrain} returns. */
export interface QatResult extends QuantizeResult {
  /** What static PTQ with the same options and calibration gave before training. */
  readonly ptq: QuantizeResult;
  /** Per-epoch training metrics. */
  readonly history: readonly EpochMetrics[];
  /** Optimizer steps run. */
  readonly steps: number;
}

const TRAIN_KEYS = ['data', 'epochs', 'maxSteps', 'optimizer', 'batchSize', 'transforms', 'learnRanges', 'seed', 'onTrainProgress'] as const;

/**
 * Quantization-aware training: fine-tunes `graph` with fake-quantized weights and activations that
 * match the static converter exactly, then converts it as static PTQ would (same ops, same
 * activation params, weights requantized from the trained values). The input graph is never mutated.
 *
 * @example
 * ```ts
 * import { quantizeAwareTrain } from '@mo/quantize';
 * import { ArrayDataset } from '@mo/train';
 * const { graph, report, ptq } = await quantizeAwareTrain(model, {
 *   preset: 'int8-static',
 *   calibration: samples, // [{ input: Tensor }, ...]
 *   data: new ArrayDataset(images, labels),
 *   epochs: 1,
 * });
 * console.log(ptq.report.outputs?.[0].top1Agreement, report.outputs?.[0].top1Agreement);
 * ```
 */
export async function quantizeAwareTrain(graph: Graph, options: QatOptions): Promise<QatResult> {
  if (!(graph instanceof Graph)) throw new ArgumentError(`quantizeAwareTrain needs a Graph from @mo/ir, got ${graph === null ? 'null' : typeof graph}`);
  if (options === null || typeof options !== 'object') throw new ArgumentError(`quantizeAwareTrain needs an options object with 'preset', 'calibration' and 'data'`);
  const { data, epochs = 1, maxSteps, optimizer, batchSize, transforms, learnRanges = false, seed, onTrainProgress, ...rest } = options;
  if (!(QAT_PRESETS as readonly string[]).includes(rest.preset)) throw new ArgumentError(`option 'preset' of quantizeAwareTrain must be ${oneOf(QAT_PRESETS)}, got ${JSON.stringify(rest.preset)}`);
  for (const k of ['biasCorrection', 'minSqnrDb'] as const) {
    if ((options as unknown as Record<string, unknown>)[k] !== undefined) throw new ArgumentError(`option '${k}' does not apply to quantizeAwareTrain: training adjusts biases and every layer is quantized`);
  }
  if (data === undefined || data === null) throw new ArgumentError(`quantizeAwareTrain needs option 'data': training batches (a Dataset of @mo/train or a function (epoch) => iterable of batches)`);
  if (!Number.isInteger(epochs) || epochs < 1) throw new ArgumentError(`option 'epochs' of quantizeAwareTrain must be an integer >= 1, got ${String(epochs)}`);
  if (typeof learnRanges !== 'boolean') throw new ArgumentError(`option 'learnRanges' must be a boolean, got ${typeof learnRanges}`);
  const qopts = rest as QuantizeOptions;

  let state: StaticState | undefined;
  const ptq = await quantizeWith(graph, qopts, { capture: (s) => (state = s) });
  const s = state!;
  if (!ensureRoundGradient()) throw new ArgumentError(`a gradient rule for 'Round' other than the straight-through estimator is registered; quantization-aware training needs the straight-through one`, { op: 'Round' });

  const fq = fakeQuantGraph(s.g0, s.plan, s.params);
  const hooks = [staticWeightHook(weightRules(s.g0, s.plan, s.params, s.options.perChannel))];
  if (learnRanges) hooks.push(learnedRangeHook(s.g0, s.params, fq.scaleOf));
  qopts.onProgress?.({ stage: 'train', done: 0, total: epochs });
  const fitted = await fit(fq.graph, {
    data,
    optimizer: optimizer ?? adam({ lr: 1e-4 }),
    epochs,
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(transforms ? { transforms } : {}),
    ...(seed !== undefined ? { seed } : {}),
    frozen: learnRanges ? fq.bounds : [...fq.scales, ...fq.bounds],
    hooks,
    signal: qopts.signal,
    onProgress: (e) => {
      onTrainProgress?.(e);
      if (e.kind === 'epoch') qopts.onProgress?.({ stage: 'train', done: e.metrics.epoch, total: epochs });
    },
  });

  // The trained float weights back into the prepared graph (same initializer names), and with
  // learned ranges the new scales into the activation params.
  const inits = new Map<string, Tensor>();
  for (const [k, v] of s.g0.initializers) inits.set(k, fitted.graph.initializers.get(k) ?? v);
  const trained = s.g0.with({ initializers: inits });
  let params: ReadonlyMap<string, ActivationParams> = s.params;
  if (learnRanges) {
    const learned = new Map<string, ActivationParams>();
    for (const [v, p] of s.params) {
      const scale = fitted.graph.initializers.get(fq.scaleOf.get(v)!)!.get(0);
      if (!(scale > 0) || !Number.isFinite(scale)) throw new ArgumentError(`the learned scale of value '${v}' became ${scale}; lower the learning rate or train without learnRanges`, { value: v });
      const [qmin, qmax] = p.dtype === 'int8' ? [-128, 127] : [0, 255];
      learned.set(v, { ...p, scale, range: [(qmin - p.zeroPoint) * scale, (qmax - p.zeroPoint) * scale], source: `${p.source}, learned` });
    }
    params = learned;
  }
  const result = await quantizeWith(graph, qopts, { prepared: { g0: trained, params, method: s.method } });
  const last = fitted.history[fitted.history.length - 1];
  const note = `quantization-aware training: ${fitted.history.length} epoch${fitted.history.length === 1 ? '' : 's'}, ${fitted.steps} steps from ${s.method} ranges${learnRanges ? ' (learned)' : ''}; last training loss ${last ? last.loss.toFixed(4) : 'n/a'}`;
  return { graph: result.graph, report: { ...result.report, notes: [...result.report.notes, note] }, ptq, history: fitted.history, steps: fitted.steps };
}

/**
 * LSQ's step-size gradient scale (Esser et al. 2020): the scale's gradient sums over every element
 * of its values, so it is multiplied by 1 / sqrt(elements per example x qmax) to keep its step
 * comparable with the weights'; scales are kept positive after every step.
 */
function learnedRangeHook(g0: Graph, params: ReadonlyMap<string, ActivationParams>, scaleOf: ReadonlyMap<string, string>): TrainingHook {
  const types = inferTypes(g0).types;
  const elements = new Map<string, number>();
  for (const [v, scale] of scaleOf) {
    const shape = types.get(v)?.shape ?? [];
    const perExample = shape.slice(1).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
    elements.set(scale, (elements.get(scale) ?? 0) + perExample);
  }
  const qmax = params.values().next().value?.dtype === 'uint8' ? 255 : 127;
  const floor = new Map([...scaleOf].map(([v, s]) => [s, params.get(v)!.scale * 1e-3]));
  return {
    name: 'quantize.learnedRanges',
    transformGrad(name, grad) {
      const n = elements.get(name);
      return n ? mapFloat(grad, (g) => g / Math.sqrt(n * qmax)) : grad;
    },
    afterStep(ps) {
      for (const [name, min] of floor) {
        const d = floats(ps.get(name)!);
        if (!(d[0] > min)) d[0] = min;
      }
    },
  };
}
