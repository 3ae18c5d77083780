/**
 * Optimizers: SGD (momentum, Nesterov), Adam and AdamW, with L2 or decoupled weight decay and
 * gradient clipping by global norm. An optimizer keeps its state (moments) per parameter name and
 * updates parameter tensors that the caller owns, in place; the trainer owns copies of the
 * graph's initializers, so graphs are never written into.
 */
import { ArgumentError, ShapeError, formatShape, type Tensor } from '@mo/ir';
import { floats, mapFloat, sumSquares } from './autodiff/array.js';

/** Decides which parameters weight decay applies to. */
export type DecayFilter = (name: string, param: Tensor) => boolean;

/**
 * Weight decay applies to tensors of rank >= 2 (weights), not to biases and normalization parameters.
 *
 * @example
 * ```ts
 * const opt = adamW({ lr: 1e-3, decayFilter: (name, p) => decayWeightsOnly(name, p) && !name.includes('emb') });
 * ```
 */
export const decayWeightsOnly: DecayFilter = (_name, p) => p.rank >= 2;

/** Options every optimizer takes. */
export interface OptimizerOptions {
  /** Learning rate (a schedule given to `fit` overrides it per step). */
  lr: number;
  /** Weight decay factor (default 0). SGD and Adam add it to the gradient (L2); AdamW decays the weights directly. */
  weightDecay?: number;
  /** Which parameters weight decay applies to (default {@link decayWeightsOnly}). */
  decayFilter?: DecayFilter;
  /** Clips the gradients so that their global L2 norm is at most this (default: no clipping). */
  clipNorm?: number;
}

/** A stateful optimizer. */
export interface Optimizer {
  readonly name: string;
  /** The base learning rate. */
  readonly lr: number;
  /**
   * One update of `params` (updated in place) from `grads` (same names and shapes). `lr`
   * overrides the base learning rate for this step. Returns the gradients' global norm before clipping.
   */
  step(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>, lr?: number): number;
  /** Forgets the moments and the step count. */
  reset(): void;
}

function positive(name: string, opt: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ArgumentError(`option '${opt}' of ${name} must be a finite number > 0, got ${String(v)}`);
  return v;
}

function inRange(name: string, opt: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !(v >= lo && v < hi)) throw new ArgumentError(`option '${opt}' of ${name} must be in [${lo}, ${hi}), got ${String(v)}`);
  return v;
}

function nonNegative(name: string, opt: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ArgumentError(`option '${opt}' of ${name} must be a finite number >= 0, got ${String(v)}`);
  return v;
}

/**
 * Scales `grads` so that their global L2 norm is at most `maxNorm` (new tensors; unchanged when
 * already below). Returns the norm before clipping too.
 *
 * @example
 * ```ts
 * const { grads: clipped, norm } = clipGradNorm(grads, 1.0);
 * ```
 */
export function clipGradNorm(grads: ReadonlyMap<string, Tensor>, maxNorm: number): { grads: Map<string, Tensor>; norm: number } {
  positive('clipGradNorm', 'maxNorm', maxNorm);
  const norm = globalNorm(grads);
  if (!(norm > maxNorm)) return { grads: new Map(grads), norm };
  const s = maxNorm / (norm + 1e-12);
  const out = new Map<string, Tensor>();
  for (const [k, g] of grads) out.set(k, mapFloat(g, (v) => v * s));
  return { grads: out, norm };
}

/**
 * Global L2 norm of a set of gradients.
 *
 * @example
 * ```ts
 * console.log(globalNorm(grads));
 * ```
 */
export function globalNorm(grads: ReadonlyMap<string, Tensor>): number {
  let s = 0;
  for (const g of grads.values()) s += sumSquares(floats(g, 'gradient'));
  return Math.sqrt(s);
}

/** The shared part of every optimizer: option checks, clipping, per-parameter iteration. */
function makeOptimizer(
  name: string,
  opts: OptimizerOptions,
  update: (key: string, p: Float32Array | Float64Array, g: Float32Array | Float64Array, lr: number, decay: number, t: number) => void,
  resetState: () => void,
): Optimizer {
  const lr0 = positive(name, 'lr', opts.lr);
  const wd = nonNegative(name, 'weightDecay', opts.weightDecay ?? 0);
  const filter = opts.decayFilter ?? decayWeightsOnly;
  if (opts.clipNorm !== undefined) positive(name, 'clipNorm', opts.clipNorm);
  let t = 0;
  return {
    name,
    lr: lr0,
    step(params, grads, lr) {
      const rate = lr ?? lr0;
      if (!Number.isFinite(rate) || rate < 0) throw new ArgumentError(`learning rate of ${name} must be a finite number >= 0, got ${rate}`);
      let gs: ReadonlyMap<string, Tensor> = grads;
      let norm: number;
      if (opts.clipNorm !== undefined) ({ grads: gs, norm } = clipGradNorm(grads, opts.clipNorm));
      else norm = globalNorm(grads);
      t++;
      for (const [key, g] of gs) {
        const p = params.get(key);
        if (!p) throw new ArgumentError(`${name}: gradient for '${key}', which is not a parameter`, { value: key });
        if (p.size !== g.size) throw new ShapeError(`${name}: gradient for '${key}' has shape ${formatShape(g.shape)} but the parameter has ${formatShape(p.shape)}`, { value: key });
        update(key, floats(p, `parameter '${key}'`), floats(g, `gradient of '${key}'`), rate, filter(key, p) ? wd : 0, t);
      }
      return norm;
    },
    reset() {
      t = 0;
      resetState();
    },
  };
}

/** Options of {@link sgd}. */
export interface SgdOptions extends OptimizerOptions {
  /** Momentum factor in [0, 1) (default 0). */
  momentum?: number;
  /** Nesterov momentum (default false; needs momentum > 0). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent (PyTorch semantics, no dampening): g += wd * p; v = momentum * v + g;
 * p -= lr * (nesterov ? g + momentum * v : v).
 *
 * @example
 * ```ts
 * const opt = sgd({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
 * ```
 */
export function sgd(opts: SgdOptions): Optimizer {
  const momentum = inRange('sgd', 'momentum', opts.momentum ?? 0, 0, 1);
  const nesterov = opts.nesterov ?? false;
  if (nesterov && momentum === 0) throw new ArgumentError("option 'nesterov' of sgd needs momentum > 0");
  const velocity = new Map<string, Float64Array>();
  return makeOptimizer('sgd', opts, (key, p, g, lr, wd) => {
    let v = velocity.get(key);
    if (momentum > 0 && !v) velocity.set(key, (v = new Float64Array(p.length)));
    for (let i = 0; i < p.length; i++) {
      let d = g[i] + wd * p[i];
      if (v) {
        v[i] = momentum * v[i] + d;
        d = nesterov ? d + momentum * v[i] : v[i];
      }
      p[i] -= lr * d;
    }
  }, () => velocity.clear());
}

/** Options of {@link adam} and {@link adamW}. */
export interface AdamOptions extends OptimizerOptions {
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to the denominator (default 1e-8). */
  epsilon?: number;
}

function adamLike(name: string, opts: AdamOptions, decoupled: boolean): Optimizer {
  const b1 = inRange(name, 'beta1', opts.beta1 ?? 0.9, 0, 1);
  const b2 = inRange(name, 'beta2', opts.beta2 ?? 0.999, 0, 1);
  const eps = positive(name, 'epsilon', opts.epsilon ?? 1e-8);
  const moments = new Map<string, { m: Float64Array; v: Float64Array }>();
  return makeOptimizer(name, opts, (key, p, g, lr, wd, t) => {
    let s = moments.get(key);
    if (!s) moments.set(key, (s = { m: new Float64Array(p.length), v: new Float64Array(p.length) }));
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      const gi = decoupled ? g[i] : g[i] + wd * p[i];
      s.m[i] = b1 * s.m[i] + (1 - b1) * gi;
      s.v[i] = b2 * s.v[i] + (1 - b2) * gi * gi;
      const upd = s.m[i] / c1 / (Math.sqrt(s.v[i] / c2) + eps);
      p[i] = (decoupled ? p[i] * (1 - lr * wd) : p[i]) - lr * upd;
    }
  }, () => moments.clear());
}

/**
 * Adam (Kingma & Ba) with bias correction; `weightDecay` is an L2 term added to the gradient.
 *
 * @example
 * ```ts
 * const opt = adam({ lr: 1e-3 });
 * ```
 */
export function adam(opts: AdamOptions): Optimizer {
  return adamLike('adam', opts, false);
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay p -= lr * weightDecay * p.
 *
 * @example
 * ```ts
 * const opt = adamW({ lr: 1e-3, weightDecay: 0.01, clipNorm: 1 });
 * ```
 */
export function adamW(opts: AdamOptions): Optimizer {
  return adamLike('adamW', { ...opts, weightDecay: opts.weightDecay ?? 0.01 }, true);
}
