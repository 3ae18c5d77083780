/**
 * Losses: values against formulas written here in float64, gradients against finite differences
 * of the loss value, and typed errors.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, ShapeError, Tensor, tensor } from '@mo/ir';
import {
  Rng,
  binaryCrossEntropy,
  countCorrect,
  featureMse,
  klDivergence,
  l1,
  lossFromPreset,
  mse,
  softmaxCrossEntropy,
  type LossResult,
} from '../src/index.js';
import { randomTensor } from './helpers.js';

/** Max relative error between the loss's gradient and central differences of its value. */
function lossGradErr(f: (p: Tensor) => LossResult, p: Tensor): number {
  const g = f(p).grad.data as Float64Array;
  let worst = 0;
  const scale = Math.max(...Array.from(g, Math.abs), 1e-12);
  for (let i = 0; i < p.size; i++) {
    const at = (d: number) => {
      const x = (p.data as Float64Array).slice();
      x[i] += d;
      return f(new Tensor('float64', p.shape, x)).value;
    };
    const fd = (at(1e-6) - at(-1e-6)) / 2e-6;
    worst = Math.max(worst, Math.abs(fd - g[i]) / Math.max(Math.abs(fd), Math.abs(g[i]), 1e-3 * scale));
  }
  return worst;
}

const rng = new Rng(3);
const logits = randomTensor(rng, [4, 5], -2, 2);
const labels = tensor('int64', [0n, 4n, 2n, 2n]);

describe('softmaxCrossEntropy', () => {
  it('matches -mean log softmax at the label', () => {
    const x = logits.toNumbers();
    let expected = 0;
    for (let n = 0; n < 4; n++) {
      const row = x.slice(n * 5, n * 5 + 5);
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      expected += lse - row[Number(labels.getBig(n))];
    }
    expect(softmaxCrossEntropy(logits, labels).value).toBeCloseTo(expected / 4, 12);
    expect(softmaxCrossEntropy(logits, labels, { reduction: 'sum' }).value).toBeCloseTo(expected, 12);
  });

  it('label smoothing equals cross-entropy against the smoothed distribution', () => {
    const q = new Float64Array(20);
    for (let n = 0; n < 4; n++) for (let c = 0; c < 5; c++) q[n * 5 + c] = (c === Number(labels.getBig(n)) ? 0.9 : 0) + 0.1 / 5;
    const a = softmaxCrossEntropy(logits, labels, { labelSmoothing: 0.1 });
    const b = softmaxCrossEntropy(logits, new Tensor('float64', [4, 5], q));
    expect(a.value).toBeCloseTo(b.value, 12);
    expect(a.grad.toNumbers().map((v, i) => v - b.grad.get(i)).every((d) => Math.abs(d) < 1e-12)).toBe(true);
  });

  it('gradients match finite differences (labels, smoothing, soft targets)', () => {
    expect(lossGradErr((p) => softmaxCrossEntropy(p, labels), logits)).toBeLessThan(1e-6);
    expect(lossGradErr((p) => softmaxCrossEntropy(p, labels, { labelSmoothing: 0.2 }), logits)).toBeLessThan(1e-6);
    const soft = new Tensor('float64', [4, 5], Float64Array.from({ length: 20 }, (_, i) => 0.2 + 0.1 * Math.sin(i) * (i % 5 === 4 ? -4 : 1)));
    expect(lossGradErr((p) => softmaxCrossEntropy(p, soft), logits)).toBeLessThan(1e-6);
  });

  it('is stable for large logits', () => {
    const big = tensor('float32', [[1000, -1000, 0]]);
    const r = softmaxCrossEntropy(big, tensor('int32', [1]));
    expect(r.value).toBeCloseTo(2000, 6);
    expect(r.grad.toNumbers().every(Number.isFinite)).toBe(true);
  });

  it('typed errors', () => {
    expect(() => softmaxCrossEntropy(logits, tensor('int32', [0, 5, 1, 1]))).toThrow(/label 5 at index 1 is out of range.*0\.\.4/);
    expect(() => softmaxCrossEntropy(logits, tensor('float32', [0, 1.5, 1, 1]))).toThrow(ArgumentError);
    expect(() => softmaxCrossEntropy(logits, tensor('int32', [0, 1, 2]))).toThrow(ShapeError);
    expect(() => softmaxCrossEntropy(tensor('float32', [1, 2, 3]), tensor('int32', [0]))).toThrow(ShapeError);
    expect(() => softmaxCrossEntropy(logits, labels, { labelSmoothing: 1 })).toThrow(ArgumentError);
    expect(() => softmaxCrossEntropy(tensor('int32', [[1, 2]]), tensor('int32', [0]))).toThrow(DTypeError);
  });
});

describe('other losses', () => {
  const p = randomTensor(rng, [3, 4], -2, 2);
  const t01 = randomTensor(rng, [3, 4], 0, 1);

  it('binaryCrossEntropy from logits and from probabilities', () => {
    const z = p.toNumbers();
    const t = t01.toNumbers();
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const expected = z.reduce((a, v, i) => a - (t[i] * Math.log(sig(v)) + (1 - t[i]) * Math.log(1 - sig(v))), 0) / 12;
    expect(binaryCrossEntropy(p, t01).value).toBeCloseTo(expected, 12);
    const probs = new Tensor('float64', [3, 4], Float64Array.from(z, sig));
    expect(binaryCrossEntropy(probs, t01, { fromLogits: false }).value).toBeCloseTo(expected, 10);
    expect(lossGradErr((x) => binaryCrossEntropy(x, t01), p)).toBeLessThan(1e-6);
    expect(lossGradErr((x) => binaryCrossEntropy(x, t01, { fromLogits: false }), probs)).toBeLessThan(1e-5);
    expect(() => binaryCrossEntropy(p, randomTensor(rng, [3, 4], 1.5, 2))).toThrow(ArgumentError);
  });

  it('mse, l1 and featureMse', () => {
    const a = p.toNumbers();
    const b = t01.toNumbers();
    expect(mse(p, t01).value).toBeCloseTo(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / 12, 12);
    expect(l1(p, t01, { reduction: 'sum' }).value).toBeCloseTo(a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0), 12);
    expect(lossGradErr((x) => mse(x, t01), p)).toBeLessThan(1e-6);
    expect(lossGradErr((x) => l1(x, t01), p)).toBeLessThan(1e-6);
    expect(featureMse(p, t01).value).toBe(mse(p, t01).value);
    expect(() => featureMse(p, randomTensor(rng, [3, 5]))).toThrow(/add a projection/);
    expect(() => mse(p, t01, { reduction: 'none' as never })).toThrow(ArgumentError);
  });

  it('klDivergence: T^2-scaled KL(teacher || student), zero when they agree', () => {
    const teacher = randomTensor(rng, [4, 5], -2, 2);
    const T = 3;
    const soft = (x: number[]) => {
      const e = x.map((v) => Math.exp(v / T));
      const s = e.reduce((a, v) => a + v, 0);
      return e.map((v) => v / s);
    };
    let expected = 0;
    for (let n = 0; n < 4; n++) {
      const ps = soft(logits.toNumbers().slice(n * 5, n * 5 + 5));
      const pt = soft(teacher.toNumbers().slice(n * 5, n * 5 + 5));
      expected += pt.reduce((a, v, c) => a + v * Math.log(v / ps[c]), 0);
    }
    expect(klDivergence(logits, teacher, { temperature: T }).value).toBeCloseTo((expected / 4) * T * T, 12);
    expect(klDivergence(teacher, teacher, { temperature: T }).value).toBeCloseTo(0, 12);
    expect(lossGradErr((x) => klDivergence(x, teacher, { temperature: T }), logits)).toBeLessThan(1e-6);
    expect(() => klDivergence(logits, teacher, { temperature: 0 })).toThrow(ArgumentError);
  });

  it('presets and accuracy counting', () => {
    expect(lossFromPreset('mse')(p, t01).value).toBe(mse(p, t01).value);
    expect(() => lossFromPreset('hinge' as never)).toThrow(ArgumentError);
    expect(countCorrect(tensor('float32', [[0, 1], [3, 2], [1, 5]]), tensor('int32', [1, 0, 0]))).toBe(2);
  });
});
