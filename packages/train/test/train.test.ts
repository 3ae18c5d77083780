/**
 * The trainer on the committed Fashion-MNIST subset (fixtures/fashion-mnist: 2,000 training and
 * 500 test images): loss falls and accuracy ends far above chance; runs are deterministic for a
 * seed; the input graph is never mutated; bad input gives typed errors; hooks work.
 */
import { describe, expect, it } from 'vitest';
import { AbortError, ArgumentError, GraphBuilder, ShapeError, Tensor, run, tensor, type Graph } from '@mo/ir';
import { mlp, smallCnn } from '@mo/models';
import {
  ArrayDataset,
  NonFiniteLossError,
  adam,
  adamW,
  countCorrect,
  evaluate,
  fakeQuantize,
  fit,
  forwardHook,
  frozenMasks,
  klDivergence,
  linearWarmup,
  cosineLr,
  randomCrop,
  sgd,
  softmaxCrossEntropy,
  type EpochMetrics,
} from '../src/index.js';
import { loadFashionMnist } from '../src/node.js';

const FIXTURE = new URL('../../../fixtures/fashion-mnist', import.meta.url).pathname;
const { train, test } = loadFashionMnist({ dir: FIXTURE });

/** A snapshot of every initializer's bytes. */
function snapshot(g: Graph): Map<string, number[]> {
  return new Map([...g.initializers].map(([k, t]) => [k, Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))]));
}

function sameValues(a: Tensor, b: Tensor): boolean {
  return a.size === b.size && a.toNumbers().every((v, i) => Object.is(v, b.get(i)));
}

describe('training on the Fashion-MNIST subset', () => {
  it('an MLP: loss falls and test accuracy ends far above chance (315 steps)', async () => {
    const g = mlp({ hiddenSizes: [64], seed: 1 });
    const before = snapshot(g);
    const steps: number[] = [];
    const started = performance.now();
    const { graph, history } = await fit(g, {
      data: train,
      evalData: test,
      optimizer: adam({ lr: 2e-3 }),
      epochs: 5,
      batchSize: 32,
      seed: 1,
      onProgress: (e) => {
        if (e.kind === 'step') steps.push(e.loss);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const last = history[history.length - 1];
    console.log(`MLP on the subset: ${steps.length} steps in ${seconds.toFixed(1)} s; ${history.map((h) => `epoch ${h.epoch}: loss ${h.loss.toFixed(3)}, test acc ${h.evalAccuracy!.toFixed(3)}`).join('; ')}`);
    expect(steps.length).toBe(5 * Math.ceil(2000 / 32));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(steps.slice(0, 10))).toBeGreaterThan(1.5);
    expect(mean(steps.slice(-20))).toBeLessThan(0.7);
    expect(history[0].loss).toBeGreaterThan(last.loss);
    expect(last.evalAccuracy!).toBeGreaterThan(0.7);
    expect(last.accuracy!).toBeGreaterThan(0.75);
    // The input graph is never mutated; the result is a new graph with new weights.
    expect(snapshot(g)).toEqual(before);
    expect(graph).not.toBe(g);
    expect(sameValues(graph.initializers.get('fc.0.weight')!, g.initializers.get('fc.0.weight')!)).toBe(false);
    // evaluate() agrees with fit's last evaluation.
    const e = await evaluate(graph, test);
    expect(e.examples).toBe(500);
    expect(e.accuracy).toBeCloseTo(last.evalAccuracy!, 12);
  });

  it('a small CNN (Conv, BatchNorm in training mode, MaxPool): loss falls, running statistics move', async () => {
    const g = smallCnn({ channels: [4, 8], seed: 2 });
    const losses: number[] = [];
    const { graph } = await fit(g, {
      data: train,
      optimizer: adam({ lr: 3e-2 }),
      batchSize: 16,
      maxSteps: 40,
      seed: 2,
      onProgress: (e) => {
        if (e.kind === 'step') losses.push(e.loss);
      },
    });
    expect(losses.length).toBe(40);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-8))).toBeLessThan(mean(losses.slice(0, 8)) - 0.2);
    const rm = graph.initializers.get('features.0.1.running_mean')!;
    expect(rm.toNumbers().some((v) => v !== 0)).toBe(true);
    expect(g.initializers.get('features.0.1.running_mean')!.toNumbers().every((v) => v === 0)).toBe(true);
  });
});

/** x -> Flatten -> Gemm -> Relu -> Dropout (training) -> Gemm, on 8x8 inputs. */
function dropoutNet(): Graph {
  const b = new GraphBuilder('dropout-net');
  const x = b.input('input', 'float32', ['batch', 1, 8, 8]);
  const w = (name: string, shape: number[]) => b.initializer(name, new Tensor('float32', shape, Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => Math.sin(i * 1.7 + shape[0]) * 0.2)));
  const h = b.relu(b.gemm(b.flatten(x, 1), w('fc.weight', [16, 64]), undefined, { transB: 1 }));
  const d = b.op1('Dropout', [h, b.scalar(0.25), b.constant(tensor('bool', true, []))], {}, { name: 'drop' });
  b.output(b.gemm(d, w('classifier.weight', [10, 16]), undefined, { transB: 1 }), 'logits');
  return b.build();
}

function synthetic(n: number, seed: number): ArrayDataset {
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 10;
    for (let j = 0; j < 64; j++) x[i * 64 + j] = Math.sin((j + 1) * (y[i] + 1) * 0.37 + seed) + 0.3 * Math.cos(i * 13.1 + j);
  }
  return new ArrayDataset(new Tensor('float32', [n, 1, 8, 8], x), new Tensor('int32', [n], y));
}

describe('determinism', () => {
  const data = synthetic(64, 0);
  const opts = (seed: number) => ({ data, optimizer: adamW({ lr: 1e-2 }), epochs: 2, batchSize: 16, seed, transforms: [randomCrop({ padding: 1 })] });

  it('the same seed gives bit-identical weights (shuffle, augmentation and dropout are seeded)', async () => {
    const a = await fit(dropoutNet(), opts(3));
    const b = await fit(dropoutNet(), opts(3));
    for (const [k, t] of a.graph.initializers) expect(Array.from(t.data as Float32Array), k).toEqual(Array.from(b.graph.initializers.get(k)!.data as Float32Array));
    expect(a.history.map((h) => h.loss)).toEqual(b.history.map((h) => h.loss));
  });

  it('another seed gives other weights', async () => {
    const a = await fit(dropoutNet(), opts(3));
    const c = await fit(dropoutNet(), opts(4));
    expect(sameValues(a.graph.initializers.get('fc.weight')!, c.graph.initializers.get('fc.weight')!)).toBe(false);
  });
});

describe('typed errors', () => {
  const g = mlp({ hiddenSizes: [8] });
  const small = train.slice(0, 40);

  it('labels out of range: ArgumentError naming the label and the valid range', async () => {
    const bad = new ArrayDataset(small.inputs, tensor('uint8', Array.from({ length: 40 }, (_, i) => (i === 7 ? 12 : i % 10)), [40]));
    const err = await fit(g, { data: bad, optimizer: sgd({ lr: 0.1 }), shuffle: false, batchSize: 8 }).catch((e) => e);
    expect(err).toBeInstanceOf(ArgumentError);
    expect(err.message).toMatch(/label 12 .*0\.\.9/);
  });

  it('a NaN loss names the step', async () => {
    const x = (small.inputs.data as Float32Array).slice();
    x[35 * 784 + 100] = NaN; // example 35 -> batch 3 with batchSize 10, no shuffle
    const data = new ArrayDataset(new Tensor('float32', small.inputs.shape, x), small.targets);
    const err = await fit(g, { data, optimizer: sgd({ lr: 0.1 }), shuffle: false, batchSize: 10 }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(err.step).toBe(3);
    expect(err.message).toMatch(/NaN at step 3 \(epoch 1, batch 3\)/);
  });

  it('an exploding learning rate is caught at the step it happens', async () => {
    const err = await fit(g, { data: small, optimizer: sgd({ lr: 1e30 }), batchSize: 8 }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(err.step).toBeGreaterThanOrEqual(0);
  });

  it('inputs of the wrong shape: ShapeError naming the input', async () => {
    const data = synthetic(16, 1); // 8x8 images for a 28x28 graph
    const err = await fit(g, { data, optimizer: sgd({ lr: 0.1 }) }).catch((e) => e);
    expect(err).toBeInstanceOf(ShapeError);
    expect(err.message).toMatch(/feed 'input' has shape \[16,1,8,8\], expected \[batch,1,28,28\]/);
  });

  it('targets that do not fit the loss: ShapeError', async () => {
    const data = new ArrayDataset(small.inputs, new Tensor('float32', [40, 5], new Float32Array(200).fill(0.2)));
    await expect(fit(g, { data, optimizer: sgd({ lr: 0.1 }) })).rejects.toBeInstanceOf(ShapeError);
  });

  it('inputs and targets of different lengths: ShapeError', () => {
    expect(() => new ArrayDataset(small.inputs, tensor('uint8', [1, 2, 3]))).toThrow(ShapeError);
  });

  it('a trainable name that does not exist: ArgumentError naming it', async () => {
    const err = await fit(g, { data: small, optimizer: sgd({ lr: 0.1 }), trainable: ['fc.0.weight', 'fc.9.weight'] }).catch((e) => e);
    expect(err).toBeInstanceOf(ArgumentError);
    expect(err.message).toMatch(/'fc\.9\.weight' does not exist/);
    await expect(fit(g, { data: small, optimizer: sgd({ lr: 0.1 }), frozen: ['nope'] })).rejects.toBeInstanceOf(ArgumentError);
  });

  it('bad options: ArgumentError', async () => {
    await expect(fit(g, { data: small, optimizer: sgd({ lr: 0.1 }), epochs: 0 })).rejects.toBeInstanceOf(ArgumentError);
    await expect(fit(g, { data: small, optimizer: sgd({ lr: 0.1 }), loss: 'hinge' as never })).rejects.toBeInstanceOf(ArgumentError);
    await expect(fit(g, { data: small, optimizer: sgd({ lr: 0.1 }), output: 'nope' })).rejects.toBeInstanceOf(ArgumentError);
    expect(() => sgd({ lr: -1 })).toThrow(ArgumentError);
  });

  it('an AbortSignal stops training with AbortError', async () => {
    const ctrl = new AbortController();
    const err = await fit(g, {
      data: small,
      optimizer: sgd({ lr: 0.1 }),
      batchSize: 4,
      signal: ctrl.signal,
      onProgress: (e) => {
        if (e.kind === 'step' && e.step === 2) ctrl.abort();
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
  });
});

describe('schedules, frozen layers and hooks', () => {
  const data = train.slice(0, 256);
  const base = () => mlp({ hiddenSizes: [16], seed: 4 });

  it('passes the schedule to the optimizer every step', async () => {
    const schedule = linearWarmup(cosineLr({ lr: 0.01, totalSteps: 12 }), { warmupSteps: 4 });
    const lrs: number[] = [];
    await fit(base(), { data, optimizer: sgd({ lr: 1 }), schedule, maxSteps: 16, batchSize: 16, onProgress: (e) => e.kind === 'step' && lrs.push(e.lr) });
    expect(lrs).toEqual(Array.from({ length: 16 }, (_, s) => schedule(s)));
  });

  it('frozen layers keep their weights', async () => {
    const g = base();
    const { graph } = await fit(g, { data, optimizer: adam({ lr: 1e-2 }), frozen: ['fc.0'], maxSteps: 5 });
    expect(sameValues(graph.initializers.get('fc.0.weight')!, g.initializers.get('fc.0.weight')!)).toBe(true);
    expect(sameValues(graph.initializers.get('fc.0.bias')!, g.initializers.get('fc.0.bias')!)).toBe(true);
    expect(sameValues(graph.initializers.get('classifier.weight')!, g.initializers.get('classifier.weight')!)).toBe(false);
  });

  it('frozen masks: pruned weights stay exactly zero, the others train', async () => {
    const g = base();
    const w = g.initializers.get('fc.0.weight')!;
    const mask = new Tensor('uint8', w.shape, Uint8Array.from({ length: w.size }, (_, i) => (i % 3 === 0 ? 0 : 1)));
    const { graph } = await fit(g, { data, optimizer: adamW({ lr: 1e-2, weightDecay: 0.1 }), hooks: [frozenMasks({ 'fc.0.weight': mask })], maxSteps: 8 });
    const trained = graph.initializers.get('fc.0.weight')!.toNumbers();
    expect(trained.filter((_, i) => i % 3 === 0).every((v) => v === 0)).toBe(true);
    const orig = w.toNumbers();
    expect(trained.filter((v, i) => i % 3 !== 0 && v !== orig[i]).length).toBeGreaterThan(w.size / 2);
    expect(() => frozenMasks({ 'fc.0.weight': tensor('uint8', [1, 0]) }).setup!({ graph: g, trainable: [], params: new Map() })).toThrow(ShapeError);
  });

  it('forward hooks see every intermediate activation; fake quantization feeds grid weights (STE)', async () => {
    const seen = new Map<string, number>();
    let distinct = Infinity;
    const hooks = [
      forwardHook((node, _inputs, outputs) => seen.set(node.name, outputs[0].size)),
      fakeQuantize({ bits: 3 }),
      forwardHook((_node, inputs) => {
        const row = inputs[1]!.toNumbers().slice(0, 784);
        distinct = Math.min(distinct, new Set(row).size);
      }, { nodes: ['fc.0'] }),
    ];
    const losses: number[] = [];
    await fit(base(), { data, optimizer: adam({ lr: 5e-3 }), hooks, maxSteps: 24, batchSize: 16, onProgress: (e) => e.kind === 'step' && losses.push(e.loss) });
    expect([...seen.keys()].sort()).toEqual(['classifier', 'fc.0', 'fc.0.relu', 'flatten']);
    expect(seen.get('fc.0')).toBe(16 * 16);
    expect(distinct).toBeLessThanOrEqual(7); // 3 bits: levels -3..3
    expect(losses.slice(-6).reduce((a, b) => a + b) / 6).toBeLessThan(losses.slice(0, 6).reduce((a, b) => a + b) / 6);
  });

  it('an objective trains a student from a teacher (knowledge distillation)', async () => {
    const teacher = (await fit(mlp({ hiddenSizes: [32], seed: 7 }), { data, optimizer: adam({ lr: 3e-3 }), epochs: 2, batchSize: 32 })).graph;
    const losses: number[] = [];
    const history: readonly EpochMetrics[] = (await fit(mlp({ hiddenSizes: [8], seed: 8 }), {
      data,
      optimizer: adam({ lr: 3e-3 }),
      epochs: 3,
      batchSize: 32,
      objective: ({ values, batch }) => {
        const t = run(teacher, { input: batch.input }).logits;
        const kd = klDivergence(values.logits, t, { temperature: 2 });
        const ce = softmaxCrossEntropy(values.logits, batch.target);
        const grad = kd.grad.toNumbers().map((v, i) => 0.7 * v + 0.3 * ce.grad.get(i));
        return { value: 0.7 * kd.value + 0.3 * ce.value, grads: { logits: new Tensor('float32', values.logits.shape, Float32Array.from(grad)) }, correct: countCorrect(values.logits, batch.target) };
      },
      onProgress: (e) => e.kind === 'step' && losses.push(e.loss),
    })).history;
    expect(history[2].loss).toBeLessThan(history[0].loss);
    expect(history[2].accuracy!).toBeGreaterThan(0.4);
  });
});
