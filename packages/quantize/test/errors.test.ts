import { describe, expect, it } from 'vitest';
import { AbortError, ArgumentError, DTypeError, MoError, ShapeError, Tensor, fromFunction, run, tensor } from '@mo/ir';
import { smallCnn } from '@mo/models';
import { quantize, type Engine } from '../src/index.js';
import { randomSamples, snapshot } from './helpers.js';

const g = smallCnn({ channels: [4, 8], seed: 1 });
const good = randomSamples([1, 1, 28, 28], 2, 1);

async function error(p: Promise<unknown>): Promise<MoError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MoError);
    return e as MoError;
  }
  throw new Error('expected quantize to throw');
}

describe('bad input gives typed errors naming the problem', () => {
  it('calibration data with NaN or Inf', async () => {
    const bad = fromFunction('float32', [1, 1, 28, 28], (i) => (i === 17 ? NaN : 0.5));
    const e = await error(quantize(g, { preset: 'int8-static', calibration: [good[0], { input: bad }] }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/calibration sample 1: input 'input' holds NaN at element 17/);
    const inf = fromFunction('float32', [1, 1, 28, 28], (i) => (i === 3 ? -Infinity : 0));
    expect((await error(quantize(g, { preset: 'int8-weights', calibration: [{ input: inf }] }))).message).toMatch(/-Infinity/);
  });

  it('calibration samples of the wrong shape, dtype or inputs', async () => {
    const e = await error(quantize(g, { preset: 'int8-static', calibration: [{ input: fromFunction('float32', [1, 1, 27, 28], () => 0) }] }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/calibration sample 0: input 'input' has shape \[1,1,27,28\], expected \[batch,1,28,28\]/);
    const d = await error(quantize(g, { preset: 'int8-static', calibration: [{ input: new Tensor('float64', [1, 1, 28, 28], new Float64Array(784)) }] }));
    expect(d).toBeInstanceOf(DTypeError);
    const extra = await error(quantize(g, { preset: 'int8-static', calibration: [{ ...good[0], image: good[0].input }] }));
    expect(extra.message).toMatch(/'image', which is not an input/);
    const missing = await error(quantize(g, { preset: 'int8-static', calibration: [{}] }));
    expect(missing.message).toMatch(/no value for input 'input'/);
    const notTensor = await error(quantize(g, { preset: 'int8-static', calibration: [{ input: [1, 2] as unknown as Tensor }] }));
    expect(notTensor.message).toMatch(/must be a Tensor/);
  });

  it('an empty or missing calibration set', async () => {
    const e = await error(quantize(g, { preset: 'int8-static', calibration: [] }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/calibration set is empty/);
    async function* none() {}
    expect((await error(quantize(g, { preset: 'int8-static', calibration: none() }))).message).toMatch(/empty/);
    expect((await error(quantize(g, { preset: 'int8-static' }))).message).toMatch(/needs option 'calibration'/);
    expect((await error(quantize(g, { preset: 'int8-static', calibration: good[0] as never }))).message).toMatch(/Iterable or AsyncIterable/);
    expect((await error(quantize(g, { preset: 'int8-weights', minSqnrDb: 30 }))).message).toMatch(/calibration/);
  });

  it('an engine that is not a function, or one whose activations overflow to Inf', async () => {
    expect((await error(quantize(g, { preset: 'int8-static', calibration: good, engine: 'wasm' as never }))).message).toMatch(/option 'engine' must be a function/);
    // An engine is trusted no more than calibration data: non-finite activations name the value and node.
    const broken: Engine = (graph) => ({
      run: (feeds) => Object.fromEntries(Object.entries(run(graph, feeds)).map(([k, t]) => [k, k === graph.outputs[0].name ? t : fromFunction('float32', t.shape, (i) => (i === 3 ? Infinity : t.get(i)))])),
    });
    const e = await error(quantize(g, { preset: 'int8-static', calibration: good, engine: broken }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/value '.+' \(output of node '.+'\) on calibration sample 0 holds Infinity at element 3/);
    expect(e.value).toBeDefined();
  });

  it('exclude names that do not exist', async () => {
    const e = await error(quantize(g, { preset: 'int8-weights', exclude: ['features.0.0', 'clasifier'] }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/node 'clasifier', which is not in graph/);
    expect(e.message).toMatch(/did you mean .*'classifier'/);
    expect(e.node).toBe('clasifier');
  });

  it('bits and other options out of range', async () => {
    const bits = await error(quantize(g, { preset: 'int4-weights', bits: 9 }));
    expect(bits).toBeInstanceOf(ArgumentError);
    expect(bits.message).toMatch(/option 'bits' of quantize is 9; preset 'int4-weights' takes an integer in 2\.\.8/);
    expect((await error(quantize(g, { preset: 'palettize-4', bits: 0 }))).message).toMatch(/1\.\.8/);
    expect((await error(quantize(g, { preset: 'int8-static', bits: 4, calibration: good }))).message).toMatch(/takes 8/);
    expect((await error(quantize(g, { preset: 'int8-weights', bits: 2.5 }))).message).toMatch(/bits/);
    expect((await error(quantize(g, { preset: 'int8-weights', groupSize: -1 }))).message).toMatch(/groupSize/);
    expect((await error(quantize(g, { preset: 'int8-static', method: 'kl' as never, calibration: good }))).message).toMatch(/'minmax', 'moving-average', 'percentile', 'mse', 'entropy' or 'auto'/);
    expect((await error(quantize(g, { preset: 'int9' as never }))).message).toMatch(/expected 'int8-static'/);
    expect((await error(quantize(g, { preset: 'int8-weights', perChanel: false } as never))).message).toMatch(/unknown option 'perChanel'/);
    expect((await error(quantize(g, { preset: 'palettize-4', weightOp: 'DequantizeLinear' }))).message).toMatch(/lookup tables/);
    expect((await error(quantize(g, { preset: 'int8-weights', integer: true }))).message).toMatch(/int8-static/);
    expect((await error(quantize(g, { preset: 'int8-static', percentile: 20, calibration: good }))).message).toMatch(/percentile/);
    expect((await error(quantize(g, undefined as never))).message).toMatch(/preset/);
    expect((await error(quantize({} as never, { preset: 'fp16' }))).message).toMatch(/needs a Graph/);
  });

  it('an aborted signal stops the work with AbortError', async () => {
    const c = new AbortController();
    c.abort();
    expect(await error(quantize(g, { preset: 'int8-weights', signal: c.signal }))).toBeInstanceOf(AbortError);
    const later = new AbortController();
    const p = quantize(g, { preset: 'int8-static', calibration: randomSamples([1, 1, 28, 28], 50, 2), signal: later.signal, onProgress: (s) => s.stage === 'calibrate' && s.done === 2 && later.abort() });
    expect(await error(p)).toBeInstanceOf(AbortError);
  });

  it('the input graph is never mutated, whatever the preset or failure', async () => {
    const before = snapshot(g);
    for (const preset of ['int8-static', 'int8-weights', 'int4-weights', 'palettize-4', 'palettize-8', 'fp16', 'bf16', 'dynamic-int8'] as const) {
      await quantize(g, { preset, calibration: good, biasCorrection: true, equalize: true });
    }
    await error(quantize(g, { preset: 'int8-static', calibration: [{ input: tensor('float32', [1]) }] }));
    expect(snapshot(g)).toBe(before);
  });
});
