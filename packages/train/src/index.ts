/**
 * @mo/train: training for mo graphs, without Python. Reverse-mode autodiff over @mo/ir graphs
 * (one gradient rule per op, forward by the reference interpreter), losses, optimizers and
 * schedules, datasets, a seeded trainer, and training-time hooks for the compress stages.
 * Browser-safe; file loading lives in `@mo/train/node`.
 *
 * @example
 * ```ts
 * import { mlp } from '@mo/models';
 * import { ArrayDataset, adam, fit } from '@mo/train';
 * const { graph, history } = await fit(mlp({ hiddenSizes: [64] }), {
 *   data: new ArrayDataset(images, labels), // float32 [N, 1, 28, 28], labels [N]
 *   optimizer: adam({ lr: 1e-3 }),
 *   epochs: 3,
 * });
 * ```
 */
import './gradients/index.js';

// autodiff
export { recordForward, checkFeeds, Tape } from './autodiff/tape.js';
export { valueAndGrad, trainableParameters, stateParameters } from './autodiff/grad.js';
export { defineGradient, registerGradients, findGradient, gradientOps } from './autodiff/registry.js';
export { fusedActivationDerivative } from './autodiff/activation.js';
export { callOp, indexMaps, scatterGrad, reshapeGrad } from './autodiff/ops.js';
export { mapFloat, zipFloat, unbroadcast, permute, floats, zerosLike } from './autodiff/array.js';
export { BUILTIN_GRADIENTS } from './gradients/index.js';

// losses, optimizers, schedules
export {
  softmaxCrossEntropy,
  binaryCrossEntropy,
  mse,
  l1,
  featureMse,
  klDivergence,
  lossFromPreset,
  countCorrect,
  LOSS_PRESETS,
  REDUCTIONS,
} from './losses.js';
export { sgd, adam, adamW, clipGradNorm, globalNorm, decayWeightsOnly } from './optimizers.js';
export { constantLr, stepLr, cosineLr, oneCycleLr, linearWarmup } from './schedules.js';

// data
export { ArrayDataset, normalizeImages, asFeeds, gatherRows } from './data/dataset.js';
export { parseIdx, readIdx, encodeIdx, isGzip, gunzip } from './data/idx.js';
export { Rng } from './data/random.js';
export { randomCrop, randomHorizontalFlip, composeTransforms } from './data/transforms.js';

// the wasm training engine
export { createTrainingEngine, ENGINE_NAMES } from './engine/engine.js';
export { engineGradients } from './engine/rules.js';

// trainer and hooks
export { fit, evaluate, NonFiniteLossError } from './trainer.js';
export { frozenMasks, fakeQuantize, fakeQuantizeTensor, forwardHook } from './hooks.js';

export type { RecordOptions } from './autodiff/tape.js';
export type { TrainableOptions, GraphLoss, ValueAndGradOptions, ValueAndGrad } from './autodiff/grad.js';
export type { GradientRule, GradContext, ForwardContext, ForwardResult } from './autodiff/registry.js';
export type { ActivationDerivative } from './autodiff/activation.js';
export type { FloatArray, TrainDType } from './autodiff/array.js';
export type {
  LossResult,
  LossFn,
  LossPreset,
  Reduction,
  SoftmaxCrossEntropyOptions,
  BinaryCrossEntropyOptions,
  RegressionOptions,
  KlDivergenceOptions,
} from './losses.js';
export type { Optimizer, OptimizerOptions, SgdOptions, AdamOptions, DecayFilter } from './optimizers.js';
export type { Schedule } from './schedules.js';
export type { Batch, BatchOptions, Dataset, BatchIterable } from './data/dataset.js';
export type { Transform } from './data/transforms.js';
export type {
  FitOptions,
  FitResult,
  EpochMetrics,
  ProgressEvent,
  BatchSource,
  Objective,
  ObjectiveContext,
  ObjectiveResult,
  EvaluateOptions,
  EvaluateResult,
} from './trainer.js';
export type { TrainingHook, HookSetup, FakeQuantizeOptions } from './hooks.js';
export type { EngineName, TrainingEngine } from './engine/engine.js';
