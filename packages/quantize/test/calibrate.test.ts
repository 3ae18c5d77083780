import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tensor } from '@mo/ir';
import { Histogram, RangeObserver, entropyRange, mseRange, percentileRange, quantile } from '../src/index.js';
import { MOVING_AVERAGE_CONSTANT } from '../src/calibrate/observers.js';
import { rng } from './helpers.js';

const gaussian = (seed: number, n: number, sigma = 1) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => sigma * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
};

describe('streaming histogram', () => {
  it('growing the range merges bins exactly: same counts as binning everything at the final width', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.float({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 6 }), (chunks) => {
        const h = new Histogram();
        for (const c of chunks) h.add(c.map(Math.fround));
        const all = chunks.flat().map(Math.fround);
        expect(h.total).toBe(all.length);
        const { counts, width } = h.bins();
        expect(counts.reduce((a, b) => a + b, 0)).toBe(all.length);
        if (width === 0) return;
        const direct = new Float64Array(counts.length);
        for (const v of all) direct[Math.floor(v / width) - h.first]++;
        expect(Array.from(counts)).toEqual(Array.from(direct));
        expect(counts.length).toBeLessThanOrEqual(4096 + 2);
      }),
      { numRuns: 100 },
    );
  });

  it('quantiles are within a bin of the exact order statistics', () => {
    const data = gaussian(1, 20000);
    const h = new Histogram();
    for (let i = 0; i < data.length; i += 1000) h.add(data.slice(i, i + 1000));
    const sorted = [...data].sort((a, b) => a - b);
    for (const q of [0.001, 0.1, 0.5, 0.9, 0.999]) expect(Math.abs(quantile(h, q) - sorted[Math.floor(q * (data.length - 1))])).toBeLessThan(2 * h.width + 1e-3);
  });
});

describe('range estimators', () => {
  const grid = { qmin: -128, qmax: 127, symmetric: false };

  it('percentile keeps the requested share, one-sided for non-negative data', () => {
    const r = rng(2);
    const h = new Histogram();
    h.add(Array.from({ length: 100000 }, () => r() * 10));
    const [lo, hi] = percentileRange(h, 99);
    expect(lo).toBeLessThan(0.01);
    expect(hi).toBeCloseTo(9.9, 1);
    const g = new Histogram();
    g.add(gaussian(3, 100000));
    const [glo, ghi] = percentileRange(g, 99);
    expect(glo).toBeCloseTo(-2.576, 1);
    expect(ghi).toBeCloseTo(2.576, 1);
  });

  it('MSE-optimal ranges clip a Gaussian near the known optimum: ~2.5 sigma at 4 bits, wider at 8', () => {
    const h = new Histogram();
    h.add(gaussian(4, 50000));
    const [lo4, hi4] = mseRange(h, { qmin: -7, qmax: 7, symmetric: true });
    expect(hi4).toBeGreaterThan(2.0);
    expect(hi4).toBeLessThan(3.2);
    expect(lo4).toBeCloseTo(-hi4, 6);
    const [lo8, hi8] = mseRange(h, grid);
    expect(hi8).toBeGreaterThan(hi4 + 0.5);
    expect(hi8).toBeLessThanOrEqual(h.max);
    expect(lo8).toBeGreaterThanOrEqual(h.min);
  });

  it('entropy (KL) thresholds a Gaussian at a few sigma and ignores the ReLU spike at zero', () => {
    const h = new Histogram();
    h.add([...gaussian(5, 50000), 40]);
    const [lo, hi] = entropyRange(h, grid);
    expect(hi).toBeGreaterThan(2);
    expect(hi).toBeLessThan(12);
    expect(lo).toBeGreaterThanOrEqual(-hi - 1e-9);
    expect(lo).toBeLessThan(-2);
    const relu = new Histogram();
    relu.add(gaussian(6, 50000).map((v) => Math.max(0, v)));
    const [rlo, rhi] = entropyRange(relu, grid);
    expect(rlo).toBe(0);
    expect(rhi).toBeGreaterThan(2);
    // A floor below zero (normalized image background): kept whole, only the top tail is clipped.
    const image = new Histogram();
    image.add(gaussian(7, 50000).map((v) => Math.max(-0.8, v)));
    const [ilo, ihi] = entropyRange(image, grid);
    expect(ilo).toBe(image.min);
    expect(ihi).toBeGreaterThan(2);
  });

  it('observers: min-max, moving average with constant 0.01, and NaN rejection', () => {
    const mm = new RangeObserver('minmax');
    const ma = new RangeObserver('moving-average');
    const batches = [[-1, 2], [-3, 1], [0, 5]];
    for (const b of batches) {
      mm.observe(tensor('float32', b), 'x');
      ma.observe(tensor('float32', b), 'x');
    }
    expect(mm.range(grid)).toEqual([-3, 5]);
    let lo = -1;
    let hi = 2;
    for (const [l, h] of batches.slice(1)) {
      lo += MOVING_AVERAGE_CONSTANT * (l - lo);
      hi += MOVING_AVERAGE_CONSTANT * (h - hi);
    }
    const [alo, ahi] = ma.range(grid);
    expect(alo).toBeCloseTo(lo, 12);
    expect(ahi).toBeCloseTo(hi, 12);
    expect(() => mm.observe(tensor('float32', [1, NaN]), "value 'v'")).toThrow(/value 'v' holds NaN at element 1/);
  });
});
