import { describe, expect, it } from 'vitest';
import { ArgumentError, fromFunction, run, type Graph, type Tensor } from '@mo/ir';
import { smallCnn } from '@mo/models';
import { ArrayDataset, sgd, type Optimizer, type TrainingHook } from '@mo/train';
import { quantize, quantizeAwareTrain } from '../src/index.js';
import { fakeQuantGraph } from '../src/qat/fake-quant-graph.js';
import { staticWeightHook, weightRules } from '../src/qat/weight-hook.js';
import { quantizeWith, type StaticState } from '../src/quantize.js';
import { randomSamples, rng, snapshot } from './helpers.js';

const cnn = smallCnn({ channels: [4, 8, 8], seed: 5 });
const calibration = randomSamples([4, 1, 28, 28], 4, 300);
const r = rng(9);
const images = fromFunction('float32', [24, 1, 28, 28], () => r() * 2 - 1);
const labels = fromFunction('int64', [24], () => Math.floor(r() * 10));
const data = new ArrayDataset(images, labels);

/** An optimizer that never moves a parameter (the learning rate of sgd must be > 0). */
const still: Optimizer = { name: 'still', lr: 0, step: () => 0, reset: () => undefined };

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const sameTensor = (a: Tensor, b: Tensor) => a.dtype === b.dtype && a.shape.join() === b.shape.join() && Array.from({ length: a.size }, (_, i) => a.get(i) === b.get(i)).every(Boolean);

/** Initializer names whose values differ between two graphs with the same names. */
function differing(a: Graph, b: Graph): string[] {
  expect([...a.initializers.keys()].sort()).toEqual([...b.initializers.keys()].sort());
  return [...a.initializers].filter(([k, t]) => !sameTensor(t, b.initializers.get(k)!)).map(([k]) => k);
}

describe('quantization-aware training', () => {
  it('the training forward (fake-quantized activations, weights and biases) equals the PTQ QDQ graph exactly', async () => {
    let state: StaticState | undefined;
    const ptq = await quantizeWith(cnn, { preset: 'int8-static', calibration }, { capture: (s) => (state = s) });
    const s = state!;
    const fq = fakeQuantGraph(s.g0, s.plan, s.params);
    expect(ops(fq.graph).filter((o) => o === 'Round').length).toBe(s.plan.values.size);
    // The params the trainer would feed: every initializer through the hook.
    const hook: TrainingHook = staticWeightHook(weightRules(s.g0, s.plan, s.params, true));
    const params = new Map(fq.graph.initializers);
    hook.setup?.({ graph: fq.graph, trainable: [...params.keys()], params });
    const inits = new Map([...params].map(([k, v]) => [k, hook.transformParam?.(k, v) ?? v]));
    const training = fq.graph.with({ initializers: inits });
    for (const sample of randomSamples([4, 1, 28, 28], 3, 301)) {
      const a = run(training, sample)[cnn.outputs[0].name];
      const b = run(ptq.graph, sample)[cnn.outputs[0].name];
      expect(sameTensor(a, b)).toBe(true);
    }
  });

  it('with a zero learning rate it converts to exactly the graph PTQ builds', async () => {
    const before = snapshot(cnn);
    const ptq = await quantize(cnn, { preset: 'int8-static', calibration, integer: true });
    const qat = await quantizeAwareTrain(cnn, { preset: 'int8-static', calibration, integer: true, data, optimizer: still, batchSize: 8 });
    expect(snapshot(cnn)).toBe(before);
    expect(qat.steps).toBe(3);
    expect(ops(qat.graph)).toEqual(ops(ptq.graph));
    expect(differing(qat.graph, ptq.graph)).toEqual([]);
  });

  it('after training: the same ops and activation params as PTQ, weights requantized from the trained values', async () => {
    const qat = await quantizeAwareTrain(cnn, { preset: 'int8-static', calibration, data, optimizer: sgd({ lr: 0.05 }), batchSize: 8, maxSteps: 2 });
    expect(qat.steps).toBe(2);
    expect(ops(qat.graph)).toEqual(ops(qat.ptq.graph));
    const changed = differing(qat.graph, qat.ptq.graph);
    expect(changed.length).toBeGreaterThan(0);
    // Activation scales and zero points are the calibrated ones; only weights, their scales and biases move.
    const activations = qat.graph.nodes.filter((n) => n.op === 'QuantizeLinear').flatMap((n) => n.inputs.slice(1));
    expect(activations.length).toBeGreaterThan(0);
    for (const name of changed) expect(activations).not.toContain(name);
    for (const n of qat.graph.nodes.filter((n) => n.op === 'DequantizeLinear' && qat.graph.initializers.get(n.inputs[0])?.dtype === 'int8')) {
      expect(qat.graph.initializers.get(n.inputs[0])!.dtype).toBe('int8');
    }
    expect(qat.report.notes.at(-1)).toMatch(/quantization-aware training: 1 epoch, 2 steps from minmax ranges/);
  });

  it('learned ranges (LSQ-style) move the activation scales and keep the structure', async () => {
    const qat = await quantizeAwareTrain(cnn, { preset: 'int8-static', calibration, data, optimizer: sgd({ lr: 0.01 }), batchSize: 8, maxSteps: 2, learnRanges: true });
    expect(ops(qat.graph)).toEqual(ops(qat.ptq.graph));
    const scales = qat.graph.nodes.filter((n) => n.op === 'QuantizeLinear').map((n) => n.inputs[1]);
    expect(scales.some((s) => !sameTensor(qat.graph.initializers.get(s)!, qat.ptq.graph.initializers.get(s)!))).toBe(true);
  });

  it('bad options give typed errors naming the option', async () => {
    const base = { preset: 'int8-static' as const, calibration, data };
    await expect(quantizeAwareTrain(cnn, { ...base, preset: 'int4-weights' as never })).rejects.toThrow(/option 'preset' of quantizeAwareTrain must be/);
    await expect(quantizeAwareTrain(cnn, { ...base, data: undefined as never })).rejects.toThrow(ArgumentError);
    await expect(quantizeAwareTrain(cnn, { ...base, epochs: 0 })).rejects.toThrow(/option 'epochs'/);
    await expect(quantizeAwareTrain(cnn, { ...base, calibration: [] })).rejects.toThrow(/calibration set is empty/);
    await expect(quantizeAwareTrain(cnn, { ...base, exclude: ['nope'] })).rejects.toThrow(/option 'exclude' names node 'nope'/);
    await expect(quantizeAwareTrain(cnn, { ...base, biasCorrection: true } as never)).rejects.toThrow(/biasCorrection/);
  });
});
