import { describe, expect, it } from 'vitest';
import { GraphBuilder, fromFunction, optimize, run, verify, type Graph } from '@mo/ir';
import { smallCnn } from '@mo/models';
import { equalize, quantize } from '../src/index.js';
import { meansFromBatchNorm } from '../src/correct/bn-means.js';
import { clippedNormalMean } from '../src/math.js';
import { graphSqnr, randomSamples, rng, snapshot } from './helpers.js';

/** conv 4->8, ReLU, depthwise 3x3, ReLU, pointwise 8->6: channel ranges spread over 2^7. */
function depthwiseSeparable(): Graph {
  const b = new GraphBuilder('dw-separable');
  const x = b.input('x', 'float32', [2, 4, 10, 10]);
  const w1 = fromFunction('float32', [8, 4, 3, 3], (i) => Math.sin(i * 0.7) * 2 ** (Math.floor(i / 36) - 4));
  const b1 = fromFunction('float32', [8], (i) => 0.05 * 2 ** (i - 4));
  let y = b.relu(b.conv(x, b.constant(w1, 'w1'), b.constant(b1, 'b1'), { pads: [1, 1, 1, 1] }));
  const w2 = fromFunction('float32', [8, 1, 3, 3], (i) => Math.cos(i * 0.9) * 2 ** (3 - Math.floor(i / 9)));
  y = b.relu(b.conv(y, b.constant(w2, 'w2'), undefined, { pads: [1, 1, 1, 1], group: 8 }));
  const w3 = fromFunction('float32', [6, 8, 1, 1], (i) => Math.sin(i * 1.1 + 0.5));
  b.output(b.conv(y, b.constant(w3, 'w3')), 'y');
  return b.build();
}

describe('cross-layer equalization', () => {
  const g = depthwiseSeparable();
  const samples = randomSamples([2, 4, 10, 10], 3, 5, 'x');

  it('keeps the float function and equalizes the channel ranges of each pair', () => {
    const folded = optimize(g);
    const before = snapshot(folded);
    const { graph, pairs, scales } = equalize(folded);
    expect(snapshot(folded)).toBe(before);
    verify(graph);
    expect(pairs.map((p) => p.join('->'))).toEqual(['conv->conv_1', 'conv_1->conv_2']);
    expect(scales.size).toBe(2);
    expect(graphSqnr(folded, graph, samples)).toBeGreaterThan(100);
    // Output channel c of the first conv and input channel c of the second now share one range.
    const w = (n: string) => graph.initializers.get(graph.node(n)!.inputs[1])!;
    const w1 = w('conv');
    const w2 = w('conv_1');
    for (let c = 0; c < 8; c++) {
      const r1 = Math.max(...w1.toNumbers().slice(c * 36, (c + 1) * 36).map(Math.abs));
      const r2 = Math.max(...w2.toNumbers().slice(c * 9, (c + 1) * 9).map(Math.abs));
      expect(r1 / r2).toBeGreaterThan(0.5);
      expect(r1 / r2).toBeLessThan(2);
    }
  });

  it('rescues per-tensor weight quantization of a depthwise-separable net', async () => {
    const plain = await quantize(g, { preset: 'int8-weights', perChannel: false });
    const eq = await quantize(g, { preset: 'int8-weights', perChannel: false, equalize: true });
    const a = graphSqnr(g, plain.graph, samples);
    const c = graphSqnr(g, eq.graph, samples);
    expect(c).toBeGreaterThan(a + 10);
    expect(eq.report.notes.join('\n')).toMatch(/cross-layer equalization: 2 pairs/);
    const st = await quantize(g, { preset: 'int8-static', perChannel: false, equalize: true, calibration: samples });
    const st0 = await quantize(g, { preset: 'int8-static', perChannel: false, calibration: samples });
    expect(st.report.outputs![0].sqnrDb).toBeGreaterThan(st0.report.outputs![0].sqnrDb + 3);
    console.log(`CLE, per-tensor int8 weights: ${a.toFixed(2)} -> ${c.toFixed(2)} dB; static ${st0.report.outputs![0].sqnrDb} -> ${st.report.outputs![0].sqnrDb} dB`);
  });

  it('leaves ReLU6 pairs alone unless told to replace ReLU6 by ReLU', () => {
    const b = new GraphBuilder('relu6');
    const x = b.input('x', 'float32', [1, 2, 6, 6]);
    const y = b.clip(b.conv(x, b.constant(fromFunction('float32', [4, 2, 1, 1], (i) => i - 3), 'w1')), 0, 6);
    b.output(b.conv(y, b.constant(fromFunction('float32', [3, 4, 1, 1], (i) => i * 0.1), 'w2')), 'y');
    const folded = optimize(b.build());
    expect(equalize(folded).pairs).toEqual([]);
    const r = equalize(folded, { relu6AsRelu: true });
    expect(r.pairs.length).toBe(1);
    expect(r.relu6Replaced).toEqual([r.pairs[0][0]]);
  });
});

describe('bias correction', () => {
  const g = smallCnn({ channels: [8, 16, 32], batch: 2, seed: 3, batchNormInit: 'random' });
  const cal = randomSamples([2, 1, 28, 28], 4, 1);
  const test = randomSamples([2, 1, 28, 28], 4, 2);

  it('empirical: removes the mean output shift of coarse weights', async () => {
    const opts = { preset: 'int4-weights', groupSize: 0, perChannel: false } as const;
    const plain = await quantize(g, opts);
    const corrected = await quantize(g, { ...opts, biasCorrection: true, calibration: cal });
    expect(corrected.report.layers.filter((l) => l.biasCorrected).length).toBe(4);
    const a = graphSqnr(g, plain.graph, test);
    const c = graphSqnr(g, corrected.graph, test);
    expect(c).toBeGreaterThan(a + 5);
    // Static quantization corrects before quantizing the bias to int32.
    const st0 = await quantize(g, { preset: 'int8-static', perChannel: false, calibration: cal });
    const st = await quantize(g, { preset: 'int8-static', perChannel: false, calibration: cal, biasCorrection: true });
    expect(st.report.layers.filter((l) => l.biasCorrected).length).toBe(4);
    expect(graphSqnr(g, st.graph, test)).toBeGreaterThan(graphSqnr(g, st0.graph, test) - 0.5);
    console.log(`bias correction, int4 per-tensor weights: ${a.toFixed(2)} -> ${c.toFixed(2)} dB on held-out data`);
  });

  it('data-free: input means from BatchNorm statistics through ReLU (and global pooling)', () => {
    const folded = optimize(g);
    const means = meansFromBatchNorm(g, folded);
    // The classifier reads flatten(avgpool(relu(bn(conv)))): its means come from features.2.1.
    const m = means.get('classifier')!;
    expect(m.length).toBe(32);
    const bn = g.node('features.2.1')!;
    const gamma = g.initializers.get(bn.inputs[1])!;
    const beta = g.initializers.get(bn.inputs[2])!;
    for (let c = 0; c < 32; c++) expect(m[c]).toBeCloseTo(clippedNormalMean(beta.get(c), Math.abs(gamma.get(c)), 0, Infinity), 10);
  });

  it('E[clip(N(mu, s^2), lo, hi)] agrees with Monte Carlo', () => {
    const r = rng(3);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    for (const [mu, s, lo, hi] of [[0, 1, 0, Infinity], [0.5, 2, 0, 6], [-1, 0.5, -Infinity, Infinity], [3, 1, 0, 6]]) {
      let sum = 0;
      const n = 200_000;
      for (let i = 0; i < n; i++) sum += Math.min(hi, Math.max(lo, mu + s * gauss()));
      expect(Math.abs(clippedNormalMean(mu, s, lo, hi) - sum / n)).toBeLessThan(0.02);
    }
  });
});

describe('mixed precision under an error budget', () => {
  const g = smallCnn({ channels: [8, 16, 32], batch: 2, seed: 3, batchNormInit: 'random' });
  const cal = randomSamples([2, 1, 28, 28], 2, 1);

  it('int4 weights: the most sensitive layers get 8 bits until the budget is met', async () => {
    const all4 = await quantize(g, { preset: 'int4-weights', calibration: cal });
    const { graph, report } = await quantize(g, { preset: 'int4-weights', calibration: cal, minSqnrDb: 25 });
    expect(all4.report.outputs![0].sqnrDb).toBeLessThan(25);
    expect(report.outputs![0].sqnrDb).toBeGreaterThanOrEqual(25);
    expect(graphSqnr(g, graph, cal)).toBeGreaterThanOrEqual(25);
    const s = report.sensitivity!;
    expect(s.length).toBe(4);
    for (let i = 1; i < s.length; i++) expect(s[i].sqnrDb).toBeGreaterThanOrEqual(s[i - 1].sqnrDb);
    const promoted = report.layers.filter((l) => l.bits === 8);
    expect(promoted.length).toBeGreaterThan(0);
    expect(promoted[0].node).toBe(s[0].node);
    expect(promoted[0].reason).toMatch(/given 8 bits by the error budget \(minSqnrDb 25 dB\).*rank 1 of 4/);
    expect(report.float).toEqual([]);
  });

  it('static int8: layers kept float are listed with the reason', async () => {
    const { report } = await quantize(g, { preset: 'int8-static', calibration: cal, perChannel: false, minSqnrDb: 60 });
    expect(report.float.length).toBeGreaterThan(0);
    expect(report.float[0].reason).toMatch(/kept float by the error budget/);
    expect(report.sensitivity!.some((e) => e.op === 'MaxPool')).toBe(false);
  });
});
