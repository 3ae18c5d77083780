/**
 * Learning-rate schedules: functions from the global step (0-based) to a learning rate. `fit`
 * calls the schedule before every step and passes the result to the optimizer.
 */
import { ArgumentError } from '@mo/ir';

/** Learning rate as a function of the 0-based global step. */
export type Schedule = (step: number) => number;

function check(name: string, opt: string, v: unknown, min: number, strict: boolean, integer = false): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (strict ? v > min : v >= min) && (!integer || Number.isInteger(v));
  if (!ok) throw new ArgumentError(`option '${opt}' of ${name} must be ${integer ? 'an integer' : 'a finite number'} ${strict ? '>' : '>='} ${min}, got ${String(v)}`);
  return v as number;
}

/**
 * The same learning rate at every step.
 *
 * @example
 * ```ts
 * const s = constantLr(0.01);
 * ```
 */
export function constantLr(lr: number): Schedule {
  check('constantLr', 'lr', lr, 0, false);
  return () => lr;
}

/**
 * Multiplies the learning rate by `gamma` every `stepSize` steps.
 *
 * @example
 * ```ts
 * const s = stepLr({ lr: 0.1, stepSize: 1000, gamma: 0.1 });
 * ```
 */
export function stepLr(opts: { lr: number; stepSize: number; gamma?: number }): Schedule {
  const lr = check('stepLr', 'lr', opts.lr, 0, false);
  const size = check('stepLr', 'stepSize', opts.stepSize, 0, true, true);
  const gamma = check('stepLr', 'gamma', opts.gamma ?? 0.1, 0, false);
  return (step) => lr * gamma ** Math.floor(step / size);
}

/**
 * Cosine annealing from `lr` to `minLr` over `totalSteps` (then stays at `minLr`).
 *
 * @example
 * ```ts
 * const s = cosineLr({ lr: 1e-3, totalSteps: 5000 });
 * ```
 */
export function cosineLr(opts: { lr: number; totalSteps: number; minLr?: number }): Schedule {
  const lr = check('cosineLr', 'lr', opts.lr, 0, false);
  const total = check('cosineLr', 'totalSteps', opts.totalSteps, 0, true, true);
  const min = check('cosineLr', 'minLr', opts.minLr ?? 0, 0, false);
  return (step) => {
    const t = Math.min(Math.max(step, 0), total) / total;
    return min + 0.5 * (lr - min) * (1 + Math.cos(Math.PI * t));
  };
}

/**
 * One-cycle policy (Smith): cosine rise from maxLr / divFactor to maxLr over the first
 * `pctStart` of the steps, then cosine decay to maxLr / (divFactor * finalDivFactor).
 *
 * @example
 * ```ts
 * const s = oneCycleLr({ maxLr: 0.05, totalSteps: 2000 });
 * ```
 */
export function oneCycleLr(opts: { maxLr: number; totalSteps: number; pctStart?: number; divFactor?: number; finalDivFactor?: number }): Schedule {
  const max = check('oneCycleLr', 'maxLr', opts.maxLr, 0, true);
  const total = check('oneCycleLr', 'totalSteps', opts.totalSteps, 1, true, true);
  const pct = opts.pctStart ?? 0.3;
  if (typeof pct !== 'number' || !(pct > 0 && pct < 1)) throw new ArgumentError(`option 'pctStart' of oneCycleLr must be in (0, 1), got ${String(pct)}`);
  const div = check('oneCycleLr', 'divFactor', opts.divFactor ?? 25, 0, true);
  const finalDiv = check('oneCycleLr', 'finalDivFactor', opts.finalDivFactor ?? 1e4, 0, true);
  const start = max / div;
  const end = start / finalDiv;
  const up = Math.max(1, Math.round(pct * (total - 1)));
  const cos = (from: number, to: number, t: number) => to + 0.5 * (from - to) * (1 + Math.cos(Math.PI * t));
  return (step) => {
    const s = Math.min(Math.max(step, 0), total - 1);
    if (s <= up) return cos(start, max, s / up);
    return cos(max, end, (s - up) / Math.max(1, total - 1 - up));
  };
}

/**
 * Linear warm-up: for the first `warmupSteps` the rate rises linearly, reaching `after(0)` at step
 * `warmupSteps - 1` (step k gets `after(0) * (startFactor + (1 - startFactor) * (k + 1) / warmupSteps)`);
 * then `after(step - warmupSteps)`. `after` is a schedule or a constant rate.
 *
 * @example
 * ```ts
 * const s = linearWarmup(cosineLr({ lr: 1e-3, totalSteps: 4500 }), { warmupSteps: 500 });
 * ```
 */
export function linearWarmup(after: Schedule | number, opts: { warmupSteps: number; startFactor?: number }): Schedule {
  const next = typeof after === 'number' ? constantLr(after) : after;
  const warm = check('linearWarmup', 'warmupSteps', opts.warmupSteps, 0, false, true);
  const f0 = opts.startFactor ?? 0;
  if (typeof f0 !== 'number' || !(f0 >= 0 && f0 <= 1)) throw new ArgumentError(`option 'startFactor' of linearWarmup must be in [0, 1], got ${String(f0)}`);
  return (step) => (step < warm ? next(0) * (f0 + ((1 - f0) * (step + 1)) / warm) : next(step - warm));
}
