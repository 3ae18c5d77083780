/**
 * Optimizers and schedules against updates computed by hand in the test, and their typed errors.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, Tensor, tensor } from '@mo/ir';
import { adam, adamW, clipGradNorm, constantLr, cosineLr, globalNorm, linearWarmup, oneCycleLr, sgd, stepLr } from '../src/index.js';

const f64 = (values: number[], shape = [values.length]) => new Tensor('float64', shape, Float64Array.from(values));

function run(opt: ReturnType<typeof sgd>, p0: number[], grads: number[][], shape = [p0.length]): number[] {
  const p = f64(p0, shape);
  const params = new Map([['w', p]]);
  for (const g of grads) opt.step(params, new Map([['w', f64(g, shape)]]));
  return p.toNumbers();
}

describe('optimizers', () => {
  it('SGD, with momentum and Nesterov', () => {
    expect(run(sgd({ lr: 0.1 }), [1, 2], [[1, -1], [1, -1]])).toEqual([0.8, 2.2].map((v) => expect.closeTo(v, 12) as unknown as number));
    // momentum 0.9: v1 = g, v2 = 0.9 g + g = 1.9 g; p = 1 - 0.1 (1 + 1.9) = 0.71
    expect(run(sgd({ lr: 0.1, momentum: 0.9 }), [1], [[1], [1]])[0]).toBeCloseTo(0.71, 12);
    // Nesterov: d1 = g + 0.9 v1 = 1.9; v2 = 1.9, d2 = 1 + 0.9 * 1.9 = 2.71; p = 1 - 0.1 (1.9 + 2.71)
    expect(run(sgd({ lr: 0.1, momentum: 0.9, nesterov: true }), [1], [[1], [1]])[0]).toBeCloseTo(1 - 0.461, 12);
  });

  it('weight decay applies to weights (rank >= 2) only by default', () => {
    const w = f64([1, 1], [1, 2]);
    const b = f64([1]);
    const opt = sgd({ lr: 0.1, weightDecay: 0.5 });
    opt.step(new Map([['w', w], ['b', b]]), new Map([['w', f64([0, 0], [1, 2])], ['b', f64([0])]]));
    expect(w.toNumbers()).toEqual([0.95, 0.95]);
    expect(b.toNumbers()).toEqual([1]);
  });

  it('Adam: the first step moves every weight by lr against the gradient sign', () => {
    const p = run(adam({ lr: 0.01 }), [1, -1, 0.5], [[3, -0.2, 1e-3]]);
    expect(p[0]).toBeCloseTo(0.99, 6);
    expect(p[1]).toBeCloseTo(-0.99, 6);
    expect(p[2]).toBeCloseTo(0.49, 4);
  });

  it('Adam matches a hand-written reference over several steps', () => {
    const grads = [[0.5], [-0.1], [0.3]];
    let m = 0;
    let v = 0;
    let x = 2;
    grads.forEach(([g], k) => {
      const t = k + 1;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      x -= (0.05 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
    });
    expect(run(adam({ lr: 0.05 }), [2], grads)[0]).toBeCloseTo(x, 12);
  });

  it('AdamW decays decoupled from the gradient', () => {
    const p = run(adamW({ lr: 0.1, weightDecay: 0.5 }), [2, 2], [[0, 0]], [1, 2]);
    expect(p).toEqual([1.9, 1.9].map((v) => expect.closeTo(v, 12) as unknown as number));
  });

  it('clips by global norm', () => {
    const grads = new Map([['a', f64([3])], ['b', f64([4])]]);
    expect(globalNorm(grads)).toBe(5);
    const { grads: c, norm } = clipGradNorm(grads, 1);
    expect(norm).toBe(5);
    expect(globalNorm(c)).toBeCloseTo(1, 9);
    expect(clipGradNorm(grads, 10).grads.get('a')!.toNumbers()).toEqual([3]);
    const p = run(sgd({ lr: 1, clipNorm: 1 }), [0, 0], [[30, 40]]);
    expect(p[0]).toBeCloseTo(-0.6, 9);
    expect(p[1]).toBeCloseTo(-0.8, 9);
  });

  it('typed errors', () => {
    expect(() => sgd({ lr: 0 })).toThrow(ArgumentError);
    expect(() => sgd({ lr: 0.1, momentum: 1 })).toThrow(ArgumentError);
    expect(() => sgd({ lr: 0.1, nesterov: true })).toThrow(ArgumentError);
    expect(() => adam({ lr: 0.1, beta2: -1 })).toThrow(ArgumentError);
    const opt = sgd({ lr: 0.1 });
    expect(() => opt.step(new Map([['w', f64([1])]]), new Map([['x', f64([1])]]))).toThrow(ArgumentError);
    expect(() => opt.step(new Map([['w', f64([1])]]), new Map([['w', f64([1, 2])]]))).toThrow(ShapeError);
    expect(() => opt.step(new Map([['w', tensor('int32', [1])]]), new Map([['w', tensor('int32', [1])]]))).toThrow(/float32/);
  });
});

describe('schedules', () => {
  it('constant, step, cosine', () => {
    expect(constantLr(0.1)(1000)).toBe(0.1);
    const s = stepLr({ lr: 1, stepSize: 10, gamma: 0.5 });
    expect([s(0), s(9), s(10), s(25)]).toEqual([1, 1, 0.5, 0.25]);
    const c = cosineLr({ lr: 1, totalSteps: 100, minLr: 0.1 });
    expect(c(0)).toBe(1);
    expect(c(50)).toBeCloseTo(0.55, 12);
    expect(c(100)).toBeCloseTo(0.1, 12);
    expect(c(500)).toBeCloseTo(0.1, 12);
  });

  it('one-cycle rises to maxLr, then anneals to maxLr / (div * finalDiv)', () => {
    const s = oneCycleLr({ maxLr: 1, totalSteps: 101, pctStart: 0.3 });
    expect(s(0)).toBeCloseTo(1 / 25, 12);
    expect(s(30)).toBeCloseTo(1, 12);
    expect(s(100)).toBeCloseTo(1 / 25 / 1e4, 12);
    for (let k = 1; k <= 30; k++) expect(s(k)).toBeGreaterThan(s(k - 1));
    for (let k = 31; k <= 100; k++) expect(s(k)).toBeLessThan(s(k - 1));
  });

  it('linear warm-up then the wrapped schedule', () => {
    const s = linearWarmup(cosineLr({ lr: 1, totalSteps: 10 }), { warmupSteps: 4 });
    expect([0, 1, 2, 3].map(s)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(s(4)).toBe(1);
    expect(s(9)).toBeCloseTo(cosineLr({ lr: 1, totalSteps: 10 })(5), 12);
    expect(linearWarmup(0.2, { warmupSteps: 2, startFactor: 0.5 })(0)).toBeCloseTo(0.15, 12);
  });

  it('typed errors', () => {
    expect(() => cosineLr({ lr: 1, totalSteps: 0 })).toThrow(ArgumentError);
    expect(() => stepLr({ lr: 1, stepSize: 1.5 })).toThrow(ArgumentError);
    expect(() => oneCycleLr({ maxLr: 1, totalSteps: 10, pctStart: 1 })).toThrow(ArgumentError);
    expect(() => linearWarmup(1, { warmupSteps: -1 })).toThrow(ArgumentError);
  });
});
