/**
 * Losses: each returns the loss value (a number, averaged over the batch unless `reduction` says
 * otherwise) and its gradient with respect to the prediction, computed in float64 and returned in
 * the prediction's dtype. Bad input gives typed errors: ShapeError for shapes that do not fit,
 * ArgumentError for labels out of range and invalid options.
 */
import { ArgumentError, ShapeError, Tensor, formatShape, oneOf } from '@mo/ir';
import { floats, trainDType } from './autodiff/array.js';
import { fromF64 } from './autodiff/ops.js';

/** A loss value and its gradient with respect to the prediction. */
export interface LossResult {
  readonly value: number;
  readonly grad: Tensor;
}

/** A loss of a prediction and a target. */
export type LossFn = (prediction: Tensor, target: Tensor) => LossResult;

/** How per-element (or per-sample) losses combine. */
export type Reduction = 'mean' | 'sum';

/**
 * Valid values of `reduction`.
 *
 * @example
 * ```ts
 * REDUCTIONS.map((reduction) => mse(p, t, { reduction }).value);
 * ```
 */
export const REDUCTIONS: readonly Reduction[] = Object.freeze(['mean', 'sum'] as const);

/** Names of the built-in losses that `fit` accepts as `loss`. */
export type LossPreset = 'softmax-cross-entropy' | 'binary-cross-entropy' | 'mse' | 'l1';

/**
 * Valid loss presets.
 *
 * @example
 * ```ts
 * const fn = lossFromPreset(LOSS_PRESETS[0]);
 * ```
 */
export const LOSS_PRESETS: readonly LossPreset[] = Object.freeze(['softmax-cross-entropy', 'binary-cross-entropy', 'mse', 'l1'] as const);

function reductionOf(r: Reduction | undefined, loss: string): Reduction {
  const v = r ?? 'mean';
  if (!REDUCTIONS.includes(v)) throw new ArgumentError(`option 'reduction' of ${loss} must be ${oneOf(REDUCTIONS)}, got ${String(r)}`);
  return v;
}

function requireRank2(t: Tensor, what: string, loss: string): [number, number] {
  if (t.rank !== 2) throw new ShapeError(`${what} of ${loss} must have shape [batch, classes], got ${formatShape(t.shape)}`);
  return [t.shape[0], t.shape[1]];
}

function sameShape(a: Tensor, b: Tensor, names: [string, string], loss: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${names[0]} ${formatShape(a.shape)} and ${names[1]} ${formatShape(b.shape)} of ${loss} must have the same shape`);
  }
}

/** Row-wise log-softmax of a [N, C] float array (float64 result). */
function logSoftmaxRows(x: ArrayLike<number>, N: number, C: number, scale = 1): Float64Array {
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[n * C + c] * scale);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[n * C + c] * scale - m);
    const lse = m + Math.log(s);
    for (let c = 0; c < C; c++) out[n * C + c] = x[n * C + c] * scale - lse;
  }
  return out;
}

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /** Mixes the targets with the uniform distribution: q = (1 - s) * target + s / classes. Default 0. */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/**
 * Softmax cross-entropy of logits [N, C] against integer labels [N] (any integer dtype, or
 * integer-valued floats) or target distributions [N, C], with optional label smoothing.
 *
 * @example
 * ```ts
 * const { value, grad } = softmaxCrossEntropy(logits, tensor('int32', [3, 0]), { labelSmoothing: 0.1 });
 * ```
 */
export function softmaxCrossEntropy(logits: Tensor, target: Tensor, options: SoftmaxCrossEntropyOptions = {}): LossResult {
  const loss = 'softmaxCrossEntropy';
  const [N, C] = requireRank2(logits, 'logits', loss);
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) throw new ArgumentError(`option 'labelSmoothing' of ${loss} must be in [0, 1), got ${String(smoothing)}`);
  const reduction = reductionOf(options.reduction, loss);
  const q = new Float64Array(N * C);
  if (target.rank === 1) {
    if (target.shape[0] !== N) throw new ShapeError(`labels ${formatShape(target.shape)} of ${loss} must have one entry per row of logits ${formatShape(logits.shape)}`);
    for (let n = 0; n < N; n++) {
      const v = target.get(n);
      if (!Number.isInteger(v) || v < 0 || v >= C) throw new ArgumentError(`label ${v} at index ${n} is out of range; ${loss} with ${C} classes takes integer labels 0..${C - 1}`);
      q[n * C + v] = 1;
    }
  } else {
    sameShape(logits, target, ['logits', 'target distributions'], loss);
    for (let i = 0; i < N * C; i++) q[i] = target.get(i);
  }
  if (smoothing > 0) for (let i = 0; i < q.length; i++) q[i] = (1 - smoothing) * q[i] + smoothing / C;
  const logp = logSoftmaxRows(floats(logits, 'logits'), N, C);
  let total = 0;
  const grad = new Float64Array(N * C);
  const scale = reduction === 'mean' ? 1 / N : 1;
  for (let n = 0; n < N; n++) {
    let qs = 0;
    for (let c = 0; c < C; c++) qs += q[n * C + c];
    for (let c = 0; c < C; c++) {
      const i = n * C + c;
      if (q[i] !== 0) total -= q[i] * logp[i];
      grad[i] = (Math.exp(logp[i]) * qs - q[i]) * scale;
    }
  }
  return { value: total * scale, grad: fromF64(trainDType(logits, 'logits'), logits.shape, grad) };
}

/** Options of {@link binaryCrossEntropy}. */
export interface BinaryCrossEntropyOptions {
  /** The prediction holds logits (default true; numerically stable) or probabilities in (0, 1). */
  fromLogits?: boolean;
  reduction?: Reduction;
}

/**
 * Binary cross-entropy of predictions against targets in [0, 1] of the same shape.
 *
 * @example
 * ```ts
 * const { value } = binaryCrossEntropy(logits, targets);
 * ```
 */
export function binaryCrossEntropy(prediction: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): LossResult {
  const loss = 'binaryCrossEntropy';
  sameShape(prediction, target, ['prediction', 'target'], loss);
  const reduction = reductionOf(options.reduction, loss);
  const fromLogits = options.fromLogits ?? true;
  const p = floats(prediction, 'prediction');
  const scale = reduction === 'mean' ? 1 / Math.max(1, p.length) : 1;
  const grad = new Float64Array(p.length);
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const t = target.get(i);
    if (!(t >= 0 && t <= 1)) throw new ArgumentError(`target ${t} at index ${i} of ${loss} is outside [0, 1]`);
    if (fromLogits) {
      const z = p[i];
      total += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
      const s = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      grad[i] = (s - t) * scale;
    } else {
      const eps = 1e-12;
      const v = Math.min(Math.max(p[i], eps), 1 - eps);
      total -= t * Math.log(v) + (1 - t) * Math.log(1 - v);
      grad[i] = ((v - t) / (v * (1 - v))) * scale;
    }
  }
  return { value: total * scale, grad: fromF64(trainDType(prediction), prediction.shape, grad) };
}

/** Options of the regression losses. */
export interface RegressionOptions {
  reduction?: Reduction;
}

function regression(loss: string, prediction: Tensor, target: Tensor, options: RegressionOptions, f: (d: number) => [number, number]): LossResult {
  sameShape(prediction, target, ['prediction', 'target'], loss);
  const reduction = reductionOf(options.reduction, loss);
  const p = floats(prediction, 'prediction');
  const scale = reduction === 'mean' ? 1 / Math.max(1, p.length) : 1;
  const grad = new Float64Array(p.length);
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const [v, d] = f(p[i] - target.get(i));
    total += v;
    grad[i] = d * scale;
  }
  return { value: total * scale, grad: fromF64(trainDType(prediction), prediction.shape, grad) };
}

/**
 * Mean squared error.
 *
 * @example
 * ```ts
 * const { value, grad } = mse(prediction, target);
 * ```
 */
export function mse(prediction: Tensor, target: Tensor, options: RegressionOptions = {}): LossResult {
  return regression('mse', prediction, target, options, (d) => [d * d, 2 * d]);
}

/**
 * Mean absolute error (gradient sign(d), 0 at d = 0).
 *
 * @example
 * ```ts
 * const { value } = l1(prediction, target, { reduction: 'sum' });
 * ```
 */
export function l1(prediction: Tensor, target: Tensor, options: RegressionOptions = {}): LossResult {
  return regression('l1', prediction, target, options, (d) => [Math.abs(d), d > 0 ? 1 : d < 0 ? -1 : 0]);
}

/**
 * Feature (hint) loss for distillation: mean squared error between a student's intermediate
 * activation and the teacher's (FitNets). Shapes must match exactly: add a projection to the
 * student graph when the widths differ.
 *
 * @example
 * ```ts
 * const { value, grad } = featureMse(studentFeatures, teacherFeatures);
 * ```
 */
export function featureMse(student: Tensor, teacher: Tensor, options: RegressionOptions = {}): LossResult {
  if (student.rank !== teacher.rank || student.shape.some((d, i) => d !== teacher.shape[i])) {
    throw new ShapeError(`student features ${formatShape(student.shape)} and teacher features ${formatShape(teacher.shape)} of featureMse must have the same shape (add a projection to the student)`);
  }
  return regression('featureMse', student, teacher, options, (d) => [d * d, 2 * d]);
}

/** Options of {@link klDivergence}. */
export interface KlDivergenceOptions {
  /** Softening temperature T (> 0); the loss is scaled by T^2 as in Hinton et al. Default 1. */
  temperature?: number;
  reduction?: Reduction;
}

/**
 * Knowledge-distillation loss: KL(softmax(teacher / T) || softmax(student / T)) * T^2 for logits
 * [N, C], averaged over the batch; the gradient is with respect to the student logits.
 *
 * @example
 * ```ts
 * const { value, grad } = klDivergence(studentLogits, teacherLogits, { temperature: 4 });
 * ```
 */
export function klDivergence(studentLogits: Tensor, teacherLogits: Tensor, options: KlDivergenceOptions = {}): LossResult {
  const loss = 'klDivergence';
  const [N, C] = requireRank2(studentLogits, 'student logits', loss);
  sameShape(studentLogits, teacherLogits, ['student logits', 'teacher logits'], loss);
  const T = options.temperature ?? 1;
  if (typeof T !== 'number' || !(T > 0) || !Number.isFinite(T)) throw new ArgumentError(`option 'temperature' of ${loss} must be a finite number > 0, got ${String(T)}`);
  const reduction = reductionOf(options.reduction, loss);
  const ls = logSoftmaxRows(floats(studentLogits, 'student logits'), N, C, 1 / T);
  const lt = logSoftmaxRows(teacherLogits.toNumbers(), N, C, 1 / T);
  const scale = reduction === 'mean' ? 1 / N : 1;
  let total = 0;
  const grad = new Float64Array(N * C);
  for (let i = 0; i < N * C; i++) {
    const pt = Math.exp(lt[i]);
    if (pt > 0) total += pt * (lt[i] - ls[i]);
    grad[i] = T * (Math.exp(ls[i]) - pt) * scale;
  }
  return { value: total * T * T * scale, grad: fromF64(trainDType(studentLogits), studentLogits.shape, grad) };
}

/**
 * The loss function of a preset name.
 *
 * @example
 * ```ts
 * const ce = lossFromPreset('softmax-cross-entropy');
 * ```
 */
export function lossFromPreset(name: LossPreset): LossFn {
  switch (name) {
    case 'softmax-cross-entropy': return (p, t) => softmaxCrossEntropy(p, t);
    case 'binary-cross-entropy': return (p, t) => binaryCrossEntropy(p, t);
    case 'mse': return (p, t) => mse(p, t);
    case 'l1': return (p, t) => l1(p, t);
    default: throw new ArgumentError(`unknown loss '${String(name)}'; expected ${oneOf(LOSS_PRESETS)}`);
  }
}

/**
 * Number of rows of logits [N, C] whose largest entry is at the label (integer labels [N] or
 * target distributions [N, C], compared by argmax).
 *
 * @example
 * ```ts
 * const acc = countCorrect(logits, labels) / labels.size;
 * ```
 */
export function countCorrect(logits: Tensor, target: Tensor): number {
  const [N, C] = requireRank2(logits, 'logits', 'countCorrect');
  const x = logits.toNumbers();
  const argmax = (v: ArrayLike<number>, base: number) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (v[base + c] > v[base + best]) best = c;
    return best;
  };
  let correct = 0;
  const t = target.rank === 2 ? target.toNumbers() : undefined;
  for (let n = 0; n < N; n++) {
    const label = t ? argmax(t, n * C) : target.get(n);
    if (argmax(x, n * C) === label) correct++;
  }
  return correct;
}
