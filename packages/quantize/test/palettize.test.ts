import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError, GraphBuilder, run, tensor, fromFunction } from '@mo/ir';
import { smallCnn } from '@mo/models';
import { kmeans1d, nearest, palettize, quantize } from '../src/index.js';
import { distinct, randomSamples, rng } from './helpers.js';

describe('k-means', () => {
  it('recovers well-separated clusters', () => {
    const r = rng(5);
    const centres = [-3, 0.5, 7];
    const values = Array.from({ length: 3000 }, (_, i) => centres[i % 3] + (r() - 0.5) * 0.1);
    const { centroids } = kmeans1d(values, 3);
    expect(centroids.length).toBe(3);
    centroids.forEach((c, i) => expect(Math.abs(c - centres[i])).toBeLessThan(0.01));
  });

  it('is deterministic: same values and seed, same centroids; k >= distinct values is exact', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 16 }), fc.integer(), (values, k, seed) => {
        const a = kmeans1d(values, k, { seed });
        const b = kmeans1d(values, k, { seed });
        expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
        expect(a.centroids.length).toBeLessThanOrEqual(k);
        for (let i = 1; i < a.centroids.length; i++) expect(a.centroids[i]).toBeGreaterThan(a.centroids[i - 1]);
        if (distinct(values) <= k) expect(a.centroids.length).toBe(distinct(values));
      }),
      { numRuns: 100 },
    );
  });

  it('Lloyd never ends worse than its k-means++ start, and each centroid is its cluster mean', () => {
    const r = rng(9);
    const values = Array.from({ length: 5000 }, () => (r() + r() + r() - 1.5) * 2);
    const { centroids } = kmeans1d(values, 8);
    const sums = new Float64Array(8);
    const counts = new Float64Array(8);
    for (const v of values) {
      const j = nearest(centroids, v);
      sums[j] += v;
      counts[j]++;
    }
    centroids.forEach((c, j) => expect(Math.abs(c - sums[j] / counts[j])).toBeLessThan(1e-9));
  });

  it('rejects bad k and empty input', () => {
    expect(() => kmeans1d([1, 2], 0)).toThrow(ArgumentError);
    expect(() => kmeans1d([], 2)).toThrow(ArgumentError);
  });
});

describe('palettize', () => {
  const w = fromFunction('float32', [16, 8, 3, 3], (i) => Math.sin(i * 0.37) * Math.cos(i * 0.011) * 0.3);

  it('palettized weights take at most 2^bits values (per tensor)', () => {
    for (const bits of [1, 2, 3, 4, 6, 8]) {
      const r = palettize(w, { bits });
      expect(r.q.dtype).toBe(bits <= 4 ? 'uint4' : 'uint8');
      expect(r.q.quant?.kind).toBe('lut');
      expect(r.params.tables.length).toBe(1 << bits);
      expect(distinct(r.dequantized)).toBeLessThanOrEqual(2 ** bits);
      // Every dequantized value is a table entry, and the nearest one to the original weight.
      const table = Array.from(r.params.tables);
      for (let i = 0; i < w.size; i++) {
        expect(table).toContain(r.dequantized[i]);
        const best = Math.min(...table.map((t) => Math.abs(t - w.get(i))));
        expect(Math.abs(r.dequantized[i] - w.get(i))).toBeCloseTo(best, 6);
      }
    }
  });

  it('grouped channels: one table per group of output channels', () => {
    const r = palettize(w, { bits: 2, groupSize: 4, axis: 0 });
    expect(r.params.tables.length).toBe(4 * 4);
    const per = w.size / 16;
    for (let g = 0; g < 4; g++) {
      const vals = Array.from(r.dequantized.slice(g * 4 * per, (g + 1) * 4 * per));
      expect(distinct(vals)).toBeLessThanOrEqual(4);
      const table = Array.from(r.params.tables.slice(g * 4, g * 4 + 4));
      for (const v of vals) expect(table).toContain(v);
    }
    // Channels of very different scales: a table per group fits them far better than one table.
    const skewed = fromFunction('float32', [16, 8, 3, 3], (i) => Math.sin(i * 0.37) * 2 ** Math.floor(i / 72 / 4));
    const firstGroupError = (d: Float32Array) => d.slice(0, 4 * per).reduce((a, v, i) => a + (v - skewed.get(i)) ** 2, 0);
    const grouped = palettize(skewed, { bits: 2, groupSize: 4 });
    const single = palettize(skewed, { bits: 2 });
    expect(firstGroupError(grouped.dequantized)).toBeLessThan(firstGroupError(single.dequantized) / 10);
  });

  it('is deterministic and the same seed gives bitwise-equal tensors', () => {
    const a = palettize(w, { bits: 4, seed: 7 });
    const b = palettize(w, { bits: 4, seed: 7 });
    expect(a.q.toNumbers()).toEqual(b.q.toNumbers());
    expect(Array.from(a.params.tables)).toEqual(Array.from(b.params.tables));
  });

  it('the IR Dequantize reads the lookup table back', () => {
    const r = palettize(w, { bits: 3, groupSize: 8 });
    const b = new GraphBuilder('lut');
    const x = b.input('x', 'float32', [1]);
    b.output(b.add(b.dequantize(b.constant(r.q)), b.op1('ReduceSum', [x], { keepdims: 1 })), 'y');
    expect(Array.from(run(b.build(), { x: tensor('float32', [0]) }).y.toFloat32())).toEqual(Array.from(r.dequantized));
  });

  it('palettize-4 of a small CNN: every weight has at most 16 values, deterministic across runs', async () => {
    const g = smallCnn({ channels: [8, 16], seed: 2 });
    const a = await quantize(g, { preset: 'palettize-4' });
    const b = await quantize(g, { preset: 'palettize-4' });
    const luts = [...a.graph.initializers.values()].filter((t) => t.quant?.kind === 'lut');
    expect(luts.length).toBe(3);
    for (const t of luts) expect(t.quant?.kind === 'lut' && t.quant.bits).toBe(4);
    expect(a.graph.equals(b.graph)).toBe(true);
    for (const [k, t] of a.graph.initializers) expect(b.graph.initializers.get(k)!.toNumbers()).toEqual(t.toNumbers());
    // Values the dequantized weights take, read from the running graph's Dequantize outputs.
    const seen = new Map<string, Set<number>>();
    run(a.graph, randomSamples([1, 1, 28, 28], 1)[0], {
      onNode: (n, _i, outs) => {
        if (n.op === 'Dequantize') seen.set(n.name, new Set(outs[0].toNumbers()));
      },
    });
    expect(seen.size).toBe(3);
    for (const s of seen.values()) expect(s.size).toBeLessThanOrEqual(16);
    expect(a.report.layers.every((l) => l.granularity === 'lut' && l.bits === 4)).toBe(true);
  });
});
