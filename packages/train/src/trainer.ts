/**
 * The trainer: `fit` trains a graph's initializers on batches and returns a new graph (the input
 * graph is never mutated) with per-epoch metrics; `evaluate` measures loss and accuracy with the
 * reference interpreter. Every random choice (shuffle, augmentation, dropout) derives from `seed`,
 * so two runs with the same seed give bit-identical weights.
 */
import { createSessionSync } from '@mo/kernels-neon-wasm';
import {
  ArgumentError,
  DTypeError,
  MoError,
  ShapeError,
  formatShape,
  oneOf,
  run,
  throwIfAborted,
  type ErrorContext,
  type Graph,
  type Tensor,
} from '@mo/ir';
import { isTrainDType } from './autodiff/array.js';
import { matchesPrefix, stateParameters, trainableParameters, type GraphLoss } from './autodiff/grad.js';
import { recordForward } from './autodiff/tape.js';
import { ENGINE_NAMES, resolveEngine, type EngineName, type TrainingEngine } from './engine/engine.js';
import type { Batch, BatchOptions, Dataset } from './data/dataset.js';
import { Rng } from './data/random.js';
import { composeTransforms, type Transform } from './data/transforms.js';
import type { TrainingHook } from './hooks.js';
import { LOSS_PRESETS, countCorrect, lossFromPreset, type LossFn, type LossPreset } from './losses.js';
import type { Optimizer } from './optimizers.js';
import type { Schedule } from './schedules.js';

/**
 * The loss (or gradient) became NaN or infinite; `step` and `epoch` say when.
 *
 * @example
 * ```ts
 * try { await fit(graph, opts); } catch (e) { if (e instanceof NonFiniteLossError) console.log(e.step, e.epoch); }
 * ```
 */
export class NonFiniteLossError extends MoError {
  readonly step: number;
  readonly epoch: number;
  constructor(message: string, step: number, epoch: number, ctx: ErrorContext = {}) {
    super(message, ctx);
    this.step = step;
    this.epoch = epoch;
  }
}

/** Batches for an epoch: a dataset, or a function of the epoch number. */
export type BatchSource = Dataset | ((epoch: number) => Iterable<Batch> | AsyncIterable<Batch>);

/** What an objective sees. */
export interface ObjectiveContext {
  /** Graph outputs and watched values of the forward. */
  readonly values: Readonly<Record<string, Tensor>>;
  readonly batch: Batch;
  /** Global step (0-based); -1 during evaluation. */
  readonly step: number;
  readonly training: boolean;
}

/** An objective's result: the loss, its gradients, and optionally how many examples were right. */
export interface ObjectiveResult extends GraphLoss {
  readonly correct?: number;
}

/** A loss over any graph values (distillation, hint losses, several outputs). */
export type Objective = (ctx: ObjectiveContext) => ObjectiveResult;

/** Metrics of one epoch. */
export interface EpochMetrics {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Steps run in this epoch. */
  readonly steps: number;
  /** Mean training loss over the epoch's batches (weighted by batch size). */
  readonly loss: number;
  /** Training accuracy (classification with integer labels), when known. */
  readonly accuracy?: number;
  readonly evalLoss?: number;
  readonly evalAccuracy?: number;
  /** Learning rate of the epoch's last step. */
  readonly lr: number;
  /** Wall time of the epoch (training and evaluation) in seconds. */
  readonly seconds: number;
}

/** Progress events of {@link fit}. */
export type ProgressEvent =
  | { readonly kind: 'step'; readonly epoch: number; readonly step: number; readonly batch: number; readonly loss: number; readonly lr: number; readonly gradNorm: number }
  | { readonly kind: 'epoch'; readonly metrics: EpochMetrics };

/** Options of {@link fit}. */
export interface FitOptions {
  /** Training batches. */
  data: BatchSource;
  optimizer: Optimizer;
  /** Loss of the output against the batch targets (default 'softmax-cross-entropy'). */
  loss?: LossPreset | LossFn;
  /** Replaces `loss`: a loss over graph outputs and watched values. */
  objective?: Objective;
  /** Values besides the graph outputs that `objective` reads. */
  watch?: readonly string[];
  /** Epochs (default 1). */
  epochs?: number;
  /** Stops after this many steps in total (default: no limit). */
  maxSteps?: number;
  /** Batch size when `data` is a Dataset (default 32). */
  batchSize?: number;
  /** Shuffle a Dataset every epoch (default true). */
  shuffle?: boolean;
  /** Drop a last incomplete batch (default false). */
  dropLast?: boolean;
  /** Learning rate per global step (default: the optimizer's rate). */
  schedule?: Schedule;
  /** Evaluated after every epoch. */
  evalData?: BatchSource;
  /** Batch size of `evalData` when it is a Dataset (default 256). */
  evalBatchSize?: number;
  /** Augmentation applied to training batches. */
  transforms?: readonly Transform[];
  /** Parameters to train (default: `trainableParameters(graph, { frozen })`). */
  trainable?: readonly string[];
  /** Names or prefixes of parameters to keep fixed (frozen layers). */
  frozen?: readonly string[];
  /** Update BatchNormalization running statistics (default true). */
  updateBatchNormStats?: boolean;
  /** Training-time hooks (masks, fake quantization, forward hooks). */
  hooks?: readonly TrainingHook[];
  /** Graph input the batch inputs feed (default: the first input). */
  input?: string;
  /** Graph output the loss reads (default: the first output). */
  output?: string;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Seed of shuffling, augmentation and dropout (default 0). */
  seed?: number;
  /**
   * Where the forward and backward run: `'reference'` (default: the reference interpreter and
   * TypeScript rules), `'wasm'` (the @mo/kernels-neon-wasm engine, started and stopped by this
   * call; evaluation runs in an engine session) or a running {@link TrainingEngine}.
   */
  engine?: EngineName | TrainingEngine;
  /** Kernel threads when `engine` is `'wasm'` (default 1). Results do not depend on it. */
  threads?: number;
}

/** What {@link fit} returns. */
export interface FitResult {
  /** A new graph with the trained initializers (and updated running statistics). */
  readonly graph: Graph;
  readonly history: readonly EpochMetrics[];
  /** Steps run in total. */
  readonly steps: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  loss?: LossPreset | LossFn;
  objective?: Objective;
  watch?: readonly string[];
  /** Batch size when `data` is a Dataset (default 256). */
  batchSize?: number;
  input?: string;
  output?: string;
  /** Stops after this many batches. */
  maxBatches?: number;
  signal?: AbortSignal;
  /** `'wasm'` (or a running engine) runs the graph in a @mo/kernels-neon-wasm session; default `'reference'`. */
  engine?: EngineName | TrainingEngine;
  /** Kernel threads of the wasm session (default: the engine's, else 1). */
  threads?: number;
}

/** What {@link evaluate} returns. */
export interface EvaluateResult {
  readonly loss: number;
  readonly accuracy?: number;
  readonly examples: number;
}

function resolveLoss(loss: LossPreset | LossFn | undefined): LossFn {
  if (loss === undefined) return lossFromPreset('softmax-cross-entropy');
  if (typeof loss === 'function') return loss;
  if (!LOSS_PRESETS.includes(loss)) throw new ArgumentError(`option 'loss' must be a function or ${oneOf(LOSS_PRESETS)}, got ${JSON.stringify(loss)}`);
  return lossFromPreset(loss);
}

function resolveIO(graph: Graph, input: string | undefined, output: string | undefined): { input: string; output: string } {
  const ins = graph.inputs.filter((i) => !graph.initializers.has(i.name)).map((i) => i.name);
  const outs = graph.outputs.map((o) => o.name);
  const i = input ?? ins[0];
  const o = output ?? outs[0];
  if (i === undefined || !ins.includes(i)) throw new ArgumentError(`option 'input' is ${JSON.stringify(i)}; graph '${graph.name}' has inputs ${oneOf(ins)}`);
  if (o === undefined || !outs.includes(o)) throw new ArgumentError(`option 'output' is ${JSON.stringify(o)}; graph '${graph.name}' has outputs ${oneOf(outs)}`);
  return { input: i, output: o };
}

function batchesOf(src: BatchSource, epoch: number, opts: BatchOptions): Iterable<Batch> | AsyncIterable<Batch> {
  if (typeof src === 'function') return src(epoch);
  if (!src || typeof src.batches !== 'function') throw new ArgumentError('data must be a Dataset (with a batches() method) or a function (epoch) => iterable of batches');
  return src.batches({ ...opts, epoch });
}

function checkPositiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ArgumentError(`option '${name}' must be an integer >= 1, got ${String(v)}`);
  return v;
}

function listNames(names: readonly string[]): string {
  const head = names.slice(0, 8).map((n) => `'${n}'`).join(', ');
  return names.length > 8 ? `${head}, ... (${names.length} in all)` : head;
}

/** Checks a batch's target count against its inputs. */
function checkBatch(batch: Batch, where: string): void {
  if (!batch || !batch.input || !batch.target) throw new ArgumentError(`${where}: a batch must be an object { input, target } of tensors`);
  if (batch.input.rank < 1 || batch.target.rank < 1 || batch.input.shape[0] !== batch.target.shape[0]) {
    throw new ShapeError(`${where}: batch input ${formatShape(batch.input.shape)} and target ${formatShape(batch.target.shape)} hold different numbers of examples`);
  }
}

/** The loss (and accuracy count) of one batch's values. */
function batchLoss(values: Readonly<Record<string, Tensor>>, output: string, batch: Batch, lossFn: LossFn, objective: Objective | undefined, step: number, training: boolean): ObjectiveResult {
  if (objective) return objective({ values, batch, step, training });
  const pred = values[output];
  const l = lossFn(pred, batch.target);
  const correct = pred.rank === 2 && batch.target.rank === 1 ? countCorrect(pred, batch.target) : undefined;
  return { value: l.value, grads: { [output]: l.grad }, correct };
}

/**
 * Evaluates a graph on data with the reference interpreter: mean loss (weighted by batch size) and
 * accuracy for classification with integer labels.
 *
 * @example
 * ```ts
 * const { loss, accuracy } = await evaluate(graph, testSet);
 * ```
 */
export async function evaluate(graph: Graph, data: BatchSource, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  const lossFn = resolveLoss(options.loss);
  const { input, output } = resolveIO(graph, options.input, options.output);
  const outputs = [...new Set([...graph.outputs.map((o) => o.name), ...(options.watch ?? [])])];
  let total = 0;
  let correct = 0;
  let withAccuracy = true;
  let examples = 0;
  let k = 0;
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const wasm = options.engine !== undefined && options.engine !== 'reference' && outputs.every((o) => graphOutputs.has(o));
  if (options.engine !== undefined && typeof options.engine !== 'object' && !ENGINE_NAMES.includes(options.engine)) {
    throw new ArgumentError(`option 'engine' must be a TrainingEngine or ${oneOf(ENGINE_NAMES)}, got ${JSON.stringify(options.engine)}`);
  }
  const threads = options.threads ?? (typeof options.engine === 'object' ? options.engine.threads : 1);
  const session = wasm ? createSessionSync(graph, { backend: 'wasm', threads }) : undefined;
  try {
    for await (const batch of batchesOf(data, 0, { batchSize: options.batchSize ?? 256, shuffle: false })) {
      if (options.maxBatches !== undefined && k++ >= options.maxBatches) break;
      throwIfAborted(options.signal);
      checkBatch(batch, 'evaluate');
      const values = session ? session.runSync({ [input]: batch.input }, { signal: options.signal }) : run(graph, { [input]: batch.input }, { outputs, signal: options.signal });
      const r = batchLoss(values, output, batch, lossFn, options.objective, -1, false);
      const n = batch.input.shape[0];
      total += r.value * n;
      examples += n;
      if (r.correct === undefined) withAccuracy = false;
      else correct += r.correct;
    }
  } finally {
    session?.dispose();
  }
  return { loss: examples ? total / examples : NaN, ...(withAccuracy && examples ? { accuracy: correct / examples } : {}), examples };
}

/**
 * Trains the graph's initializers and returns a new graph with the trained values (the input
 * graph is not modified) and per-epoch metrics.
 *
 * @example
 * ```ts
 * import { mlp } from '@mo/models';
 * import { fit, adam, ArrayDataset } from '@mo/train';
 * const { graph, history } = await fit(mlp({ hiddenSizes: [64] }), {
 *   data: new ArrayDataset(images, labels),
 *   optimizer: adam({ lr: 1e-3 }),
 *   epochs: 2,
 * });
 * ```
 */
export async function fit(graph: Graph, options: FitOptions): Promise<FitResult> {
  if (!options || typeof options !== 'object') throw new ArgumentError('fit needs an options object with at least data and optimizer');
  const { optimizer } = options;
  if (!optimizer || typeof optimizer.step !== 'function') throw new ArgumentError("option 'optimizer' must be an optimizer (sgd, adam, adamW, ...)");
  const epochs = checkPositiveInt('epochs', options.epochs ?? 1);
  const maxSteps = options.maxSteps === undefined ? Infinity : checkPositiveInt('maxSteps', options.maxSteps);
  const batchSize = checkPositiveInt('batchSize', options.batchSize ?? 32);
  const evalBatchSize = checkPositiveInt('evalBatchSize', options.evalBatchSize ?? 256);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new ArgumentError(`option 'seed' must be a safe integer, got ${String(seed)}`);
  const lossFn = resolveLoss(options.loss);
  const { input, output } = resolveIO(graph, options.input, options.output);
  for (const w of options.watch ?? []) if (!graph.definedValues().has(w)) throw new ArgumentError(`watched value '${w}' does not exist in graph '${graph.name}'`, { value: w });

  // Parameters: the trainer's own copies; the graph's tensors are never written into.
  const frozen = options.frozen ?? [];
  const initNames = [...graph.initializers.keys()];
  for (const f of frozen) {
    if (!initNames.some((n) => matchesPrefix(n, f))) throw new ArgumentError(`frozen name '${f}' matches no initializer of graph '${graph.name}'`, { value: f });
  }
  const trainable = options.trainable ? [...options.trainable] : trainableParameters(graph, { frozen });
  for (const name of trainable) {
    const t = graph.initializers.get(name);
    if (!t) {
      const close = initNames.filter((n) => n.includes(name.split('.')[0] ?? name));
      throw new ArgumentError(`trainable parameter '${name}' does not exist in graph '${graph.name}'; initializers include ${listNames(close.length ? close : initNames)}`, { value: name });
    }
    if (!isTrainDType(t.dtype)) throw new DTypeError(`trainable parameter '${name}' has dtype '${t.dtype}'; training supports float32 and float64`, { value: name });
  }
  if (trainable.length === 0) throw new ArgumentError(`nothing to train: graph '${graph.name}' has no trainable parameters (after frozen ${JSON.stringify(frozen)})`);
  const params = new Map<string, Tensor>(trainable.map((n) => [n, graph.initializers.get(n)!.clone()]));
  const stateNames = new Set(stateParameters(graph).filter((n) => !params.has(n)));
  const state = new Map<string, Tensor>();
  const hooks = options.hooks ?? [];
  for (const h of hooks) h.setup?.({ graph, trainable, params });

  const transform = options.transforms?.length ? composeTransforms(options.transforms) : undefined;
  const updateStats = options.updateBatchNormStats ?? true;
  const dataRoot = new Rng(seed);
  const dropoutRoot = new Rng(seed).fork(0x6d6f);
  const history: EpochMetrics[] = [];
  const { engine, owned } = resolveEngine(options.engine, options.threads);
  try {
    let step = 0;
    let lr = options.schedule ? options.schedule(0) : optimizer.lr;
    const current = () => {
      const inits = new Map(graph.initializers);
      for (const [k, v] of state) inits.set(k, v);
      for (const [k, v] of params) inits.set(k, v.clone());
      return graph.with({ initializers: inits });
    };

    for (let epoch = 0; epoch < epochs && step < maxSteps; epoch++) {
      const started = performance.now();
      const augRng = dataRoot.fork(epoch);
      let lossSum = 0;
      let examples = 0;
      let correct = 0;
      let withAccuracy = true;
      let epochSteps = 0;
      let b = 0;
      for await (const raw of batchesOf(options.data, epoch, { batchSize, shuffle: options.shuffle ?? true, seed, dropLast: options.dropLast ?? false })) {
        if (step >= maxSteps) break;
        throwIfAborted(options.signal);
        checkBatch(raw, `fit (epoch ${epoch + 1}, batch ${b})`);
        const batch = transform ? transform(raw, augRng) : raw;
        lr = options.schedule ? options.schedule(step) : optimizer.lr;
        const fed = new Map<string, Tensor>([...state, ...params]);
        for (const h of hooks) {
          if (!h.transformParam) continue;
          for (const [name, v] of fed) {
            if (!params.has(name)) continue;
            const t = h.transformParam(name, v);
            if (t) fed.set(name, t);
          }
        }
        const onNode = hooks.some((h) => h.onNode) ? (node: Parameters<NonNullable<TrainingHook['onNode']>>[0], ins: readonly (Tensor | undefined)[], outs: readonly Tensor[]) => {
          for (const h of hooks) h.onNode?.(node, ins, outs, step);
        } : undefined;
        engine?.recycle();
        const tape = recordForward(graph, { [input]: batch.input }, { training: true, seed: dropoutRoot.fork(step).nextUint32(), params: fed, signal: options.signal, onNode, rules: engine?.rules });
        const values: Record<string, Tensor> = {};
        for (const o of graph.outputs) values[o.name] = tape.value(o.name);
        for (const w of options.watch ?? []) values[w] = tape.value(w);
        const r = batchLoss(values, output, batch, lossFn, options.objective, step, true);
        const where = `step ${step} (epoch ${epoch + 1}, batch ${b})`;
        if (!Number.isFinite(r.value)) throw new NonFiniteLossError(`loss is ${r.value} at ${where}; lower the learning rate, clip gradients (clipNorm) or check the data`, step, epoch + 1);
        let grads = tape.backward(r.grads, trainable);
        for (const h of hooks) {
          if (!h.transformGrad) continue;
          const next = new Map<string, Tensor>();
          for (const [k, g] of grads) next.set(k, h.transformGrad(k, g, params.get(k)!));
          grads = next;
        }
        const gradNorm = optimizer.step(params, grads, lr);
        if (!Number.isFinite(gradNorm)) throw new NonFiniteLossError(`gradient norm is ${gradNorm} at ${where} (loss ${r.value}); lower the learning rate, clip gradients (clipNorm) or check the data`, step, epoch + 1);
        if (updateStats) for (const [k, v] of tape.stateUpdates) if (stateNames.has(k)) state.set(k, v);
        for (const h of hooks) h.afterStep?.(params, step);
        const n = batch.input.shape[0];
        lossSum += r.value * n;
        examples += n;
        if (r.correct === undefined) withAccuracy = false;
        else correct += r.correct;
        options.onProgress?.({ kind: 'step', epoch: epoch + 1, step, batch: b, loss: r.value, lr, gradNorm });
        step++;
        epochSteps++;
        b++;
      }
      let evalLoss: number | undefined;
      let evalAccuracy: number | undefined;
      if (options.evalData) {
        const e = await evaluate(current(), options.evalData, { loss: options.loss, objective: options.objective, watch: options.watch, batchSize: evalBatchSize, input, output, signal: options.signal, engine });
        evalLoss = e.loss;
        evalAccuracy = e.accuracy;
      }
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        steps: epochSteps,
        loss: examples ? lossSum / examples : NaN,
        ...(withAccuracy && examples ? { accuracy: correct / examples } : {}),
        ...(evalLoss !== undefined ? { evalLoss } : {}),
        ...(evalAccuracy !== undefined ? { evalAccuracy } : {}),
        lr,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(metrics);
      options.onProgress?.({ kind: 'epoch', metrics });
    }
    return { graph: current(), history, steps: step };
  } finally {
    engine?.releaseArrays();
    if (owned) engine?.dispose();
  }
}
