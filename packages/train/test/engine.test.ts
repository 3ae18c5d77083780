/**
 * The wasm engine's gradient rules against the built-in TypeScript rules (the golden, themselves
 * checked against float64 finite differences in test/gradients): forward values, gradients of
 * every input and BatchNormalization's running statistics, in float32, on single nodes at several
 * shapes (sizes below, at and above the microkernels' tiles; strides, pads, dilations, depthwise)
 * and on whole networks; plus determinism of engine training for a seed and thread count.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError, Graph, Tensor, run, verify, type Attrs, type ValueInfo } from '@mo/ir';
import { mobilenetV2Mini, smallCnn } from '@mo/models';
import { threadsAvailable } from '@mo/kernels-neon-wasm';
import { ArrayDataset, Rng, adam, createTrainingEngine, evaluate, fit, recordForward, trainableParameters } from '../src/index.js';

const engine = createTrainingEngine();
afterAll(() => engine.dispose());

function random32(rng: Rng, shape: readonly number[], low = -1, high = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor('float32', shape, Float32Array.from({ length: n }, () => low + (high - low) * rng.next()));
}

const maxAbs = (t: Tensor) => (t.data as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Largest |a - b| over max(|b|, floor): float32 results of different summation orders. `floor`
 * keeps gradients that are zero in exact arithmetic (a bias before a training-mode BatchNorm) from
 * comparing rounding noise with rounding noise.
 */
function relDiff(a: Tensor, b: Tensor, floor = 1e-6): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let scale = floor;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]));
  let d = 0;
  for (let i = 0; i < y.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d / scale;
}

interface Case {
  readonly name: string;
  readonly op: string;
  readonly attrs?: Attrs;
  readonly inputs: readonly (readonly number[] | Tensor | null)[];
  readonly training?: boolean;
}

const CASES: Case[] = [
  { name: '3x3 pads 1, bias, M=4', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [[2, 3, 5, 5], [4, 3, 3, 3], [4]] },
  { name: '3x3 pads 1, C=1, M=32 (first layer)', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [[3, 1, 9, 9], [32, 1, 3, 3], [32]] },
  { name: '3x3 C=9, M=17, no bias', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [[2, 9, 6, 7], [17, 9, 3, 3]] },
  { name: 'stride 2, no pads', op: 'Conv', attrs: { strides: [2, 2] }, inputs: [[1, 2, 7, 7], [3, 2, 3, 3]] },
  { name: 'stride 2, pads 1, even input', op: 'Conv', attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [[2, 5, 8, 8], [8, 5, 3, 3], [8]] },
  { name: 'dilation 2, asymmetric pads', op: 'Conv', attrs: { dilations: [2, 2], pads: [2, 1, 1, 2] }, inputs: [[1, 3, 7, 6], [5, 3, 3, 3], [5]] },
  { name: '5x5 SAME_UPPER', op: 'Conv', attrs: { auto_pad: 'SAME_UPPER' }, inputs: [[2, 4, 6, 6], [6, 4, 5, 5], [6]] },
  { name: '1x1 pointwise, M=24, C=13', op: 'Conv', inputs: [[2, 13, 4, 5], [24, 13, 1, 1], [24]] },
  { name: 'depthwise 3x3 stride 1', op: 'Conv', attrs: { group: 12, pads: [1, 1, 1, 1] }, inputs: [[2, 12, 6, 6], [12, 1, 3, 3], [12]] },
  { name: 'depthwise 3x3 stride 2, C=7', op: 'Conv', attrs: { group: 7, pads: [1, 1, 1, 1], strides: [2, 2] }, inputs: [[2, 7, 7, 7], [7, 1, 3, 3], [7]] },
  { name: 'depthwise 5x5 stride 2, pads 2', op: 'Conv', attrs: { group: 9, pads: [2, 2, 2, 2], strides: [2, 2] }, inputs: [[1, 9, 8, 8], [9, 1, 5, 5]] },
  { name: 'groups 2 (built-in rule)', op: 'Conv', attrs: { group: 2, pads: [1, 1, 1, 1] }, inputs: [[1, 4, 5, 5], [6, 2, 3, 3], [6]] },
  { name: 'plain', op: 'Gemm', inputs: [[3, 4], [4, 5]] },
  { name: 'transB with C [N] (Linear)', op: 'Gemm', attrs: { transB: 1 }, inputs: [[7, 19], [10, 19], [10]] },
  { name: 'transA', op: 'Gemm', attrs: { transA: 1 }, inputs: [[9, 6], [9, 11], [1, 11]] },
  { name: 'transA transB', op: 'Gemm', attrs: { transA: 1, transB: 1 }, inputs: [[5, 33], [17, 5], [17]] },
  { name: 'alpha beta (built-in rule)', op: 'Gemm', attrs: { alpha: 0.5, beta: 2 }, inputs: [[3, 4], [4, 5], [3, 5]] },
  { name: '2-d', op: 'MatMul', inputs: [[6, 9], [9, 13]] },
  { name: 'training, NCHW', op: 'BatchNormalization', training: true, inputs: [[4, 5, 3, 3], [5], [5], [5], [5]] },
  { name: 'training, C=33, rank 2', op: 'BatchNormalization', training: true, inputs: [[16, 33], [33], [33], [33], [33]] },
  { name: 'relu', op: 'Relu', inputs: [[3, 4, 5]] },
  { name: 'relu6', op: 'Clip', inputs: [[2, 3, 7], new Tensor('float32', [], Float32Array.of(0)), new Tensor('float32', [], Float32Array.of(0.5))] },
  { name: 'NCHW', op: 'GlobalAveragePool', inputs: [[3, 5, 4, 6]] },
  { name: '2x2 stride 2', op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2] }, inputs: [[2, 3, 6, 6]] },
  { name: '3x3 stride 2 pads 1', op: 'MaxPool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [[1, 4, 7, 7]] },
];

function buildCase(c: Case, rng: Rng): { graph: Graph; feeds: Record<string, Tensor> } {
  const feeds: Record<string, Tensor> = {};
  const inits = new Map<string, Tensor>();
  const inputs: ValueInfo[] = [];
  const names = c.inputs.map((spec, i) => {
    if (spec === null) return '';
    const name = `x${i}`;
    if (spec instanceof Tensor) inits.set(name, spec);
    else {
      // BatchNormalization: positive scale and variance
      const t = c.op === 'BatchNormalization' && i > 0 ? random32(rng, spec, 0.5, 1.5) : random32(rng, spec);
      feeds[name] = t;
      inputs.push({ name, type: { dtype: 'float32', shape: t.shape } });
    }
    return name;
  });
  const node = { name: 'node', op: c.op, inputs: names, outputs: ['y'], attrs: c.attrs ?? {} };
  const probe = Graph.create({ name: c.name, inputs, nodes: [node], initializers: inits });
  const y = run(probe, feeds, { outputs: ['y'] }).y;
  return { graph: verify(probe.with({ outputs: [{ name: 'y', type: { dtype: 'float32', shape: y.shape } }] })), feeds };
}

describe('wasm engine rules against the built-in rules (float32)', () => {
  for (const c of CASES) {
    it(`${c.op}: ${c.name}`, () => {
      const rng = new Rng(7);
      const { graph, feeds } = buildCase(c, rng);
      const training = c.training ?? true;
      const ref = recordForward(graph, feeds, { training });
      const eng = recordForward(graph, feeds, { training, rules: engine.rules });
      expect(relDiff(eng.value('y'), ref.value('y'))).toBeLessThan(2e-5);
      for (const [k, t] of ref.stateUpdates) expect(relDiff(eng.stateUpdates.get(k)!, t)).toBeLessThan(2e-5);
      const seed = { y: random32(rng, ref.value('y').shape) };
      const wrt = Object.keys(feeds).filter((k) => !(c.op === 'BatchNormalization' && (k === 'x3' || k === 'x4')));
      const gr = ref.backward(seed, wrt);
      const ge = eng.backward(seed, wrt);
      for (const k of wrt) expect(relDiff(ge.get(k)!, gr.get(k)!), k).toBeLessThan(5e-5);
    });
  }

  for (const [name, graph] of [
    ['smallCnn [8, 16]', smallCnn({ channels: [8, 16], batchNormInit: 'random', seed: 3 })],
    ['mobilenetV2Mini 0.25', mobilenetV2Mini({ widthMultiplier: 0.25, batchNormInit: 'random', seed: 3 })],
  ] as const) {
    it(`whole network: ${name} (forward, every parameter gradient, running statistics)`, () => {
      const rng = new Rng(11);
      const x = random32(rng, [3, 1, 28, 28], 0, 1);
      const ref = recordForward(graph, { input: x }, { training: true });
      const eng = recordForward(graph, { input: x }, { training: true, rules: engine.rules });
      expect(relDiff(eng.value('logits'), ref.value('logits'))).toBeLessThan(1e-4);
      const seed = { logits: random32(rng, ref.value('logits').shape) };
      const wrt = trainableParameters(graph);
      const gr = ref.backward(seed, wrt);
      const ge = eng.backward(seed, wrt);
      const floor = 1e-3 * Math.max(...wrt.map((k) => maxAbs(gr.get(k)!)));
      for (const k of wrt) expect(relDiff(ge.get(k)!, gr.get(k)!, floor), `${k}: max |grad| ${maxAbs(gr.get(k)!)}`).toBeLessThan(1e-3);
      for (const [k, t] of ref.stateUpdates) expect(relDiff(eng.stateUpdates.get(k)!, t), k).toBeLessThan(1e-4);
    });
  }
});

describe('training on the engine', () => {
  const rng = new Rng(5);
  const images = random32(rng, [48, 1, 28, 28], 0, 1);
  const labels = new Tensor('int64', [48], BigInt64Array.from({ length: 48 }, (_, i) => BigInt(i % 10)));
  const data = new ArrayDataset(images, labels);
  const train = (threads: number) =>
    fit(smallCnn({ channels: [8, 16], seed: 1 }), { data, optimizer: adam({ lr: 1e-2 }), batchSize: 16, epochs: 2, seed: 4, engine: 'wasm', threads });

  it('is deterministic for a seed and gives the same weights on one and two threads', async () => {
    const a = await train(1);
    const b = await train(1);
    for (const [k, t] of a.graph.initializers) expect(b.graph.initializers.get(k)!.data, k).toEqual(t.data);
    expect(a.history[1].loss).toBeLessThan(a.history[0].loss);
    if (!threadsAvailable()) return;
    const c = await train(2);
    for (const [k, t] of a.graph.initializers) expect(c.graph.initializers.get(k)!.data, k).toEqual(t.data);
  });

  it('evaluates in an engine session like the reference interpreter, and rejects unknown engines', async () => {
    const graph = smallCnn({ channels: [8, 16], seed: 1, batchNormInit: 'random' });
    const ref = await evaluate(graph, data, { batchSize: 20 });
    const eng = await evaluate(graph, data, { batchSize: 20, engine: 'wasm' });
    expect(eng.accuracy).toBe(ref.accuracy);
    expect(Math.abs(eng.loss - ref.loss)).toBeLessThan(1e-4);
    await expect(fit(graph, { data, optimizer: adam({ lr: 1e-3 }), engine: 'gpu' as never })).rejects.toThrow(ArgumentError);
    await expect(evaluate(graph, data, { engine: 'gpu' as never })).rejects.toThrow(/option 'engine'/);
  });
});
