/**
 * Every model runs through the reference interpreter; structure checks per architecture.
 */
import { describe, expect, it } from 'vitest';
import { fromFunction, graphStats, run, type Graph, type Tensor } from '@mo/ir';
import { MODEL_NAMES, modelZoo, mobilenetV3Small, seededRandom, shuffleNetV2 } from '../src/index.js';

function forward(g: Graph, shape: readonly number[]): Tensor {
  const next = seededRandom(123, 'input');
  const x = fromFunction('float32', shape, () => 2 * next() - 1);
  return run(g, { input: x }).logits;
}

function expectSaneLogits(y: Tensor, batch: number, classes: number): void {
  expect([...y.shape]).toEqual([batch, classes]);
  const v = y.toNumbers();
  expect(v.every(Number.isFinite)).toBe(true);
  // The two images give different logits: the input reaches the output.
  let diff = 0;
  for (let k = 0; k < classes; k++) diff = Math.max(diff, Math.abs(v[k] - v[classes + k]));
  expect(diff).toBeGreaterThan(0);
}

describe('a batch of 2 through the reference interpreter', () => {
  for (const name of MODEL_NAMES) {
    const info = modelZoo[name];
    // ImageNet models at 32x32 (the smallest input their strides allow); the others at their own size.
    const res = Math.min(info.inputShape[1], 32);
    it(`${name} at ${res}x${res}`, () => {
      const g = info.build({ resolution: res, seed: 11 });
      expectSaneLogits(forward(g, [2, info.inputShape[0], res, res]), 2, info.numClasses);
    });
  }

  it('mobilenetV3Small at its published 224x224 (one image)', () => {
    const g = mobilenetV3Small({ batch: 1 });
    const y = forward(g, [1, 3, 224, 224]);
    expect([...y.shape]).toEqual([1, 1000]);
    expect(y.toNumbers().every(Number.isFinite)).toBe(true);
  });
});

describe('architecture structure', () => {
  const ops = (g: Graph) => Object.fromEntries(graphStats(g).opCounts);
  // [model, Conv, BatchNormalization, residual Add, other op counts]
  const table: [keyof typeof modelZoo, number, number, number, Record<string, number>][] = [
    ['mobilenetV1', 27, 27, 0, { Relu: 27, Gemm: 1 }],
    ['mobilenetV2', 52, 52, 10, { Clip: 35, Gemm: 1 }],
    ['mobilenetV3Large', 62, 46, 10, { HardSigmoid: 8, GlobalAveragePool: 9, Mul: 8, Gemm: 2 }],
    ['mobilenetV3Small', 52, 34, 6, { HardSigmoid: 9, GlobalAveragePool: 10, Mul: 9, Gemm: 2 }],
    ['shuffleNetV2', 56, 56, 0, { Split: 13, Concat: 16, Transpose: 16, Reshape: 32, MaxPool: 1 }],
    ['squeezeNet1_1', 26, 0, 0, { Relu: 26, Concat: 8, MaxPool: 3 }],
    ['efficientNetLite0', 49, 49, 9, { Clip: 33, Gemm: 1 }],
    ['resNet18', 20, 20, 8, { Relu: 17, MaxPool: 1, Gemm: 1 }],
  ];
  for (const [name, conv, bn, add, other] of table) {
    it(`${name}: ${conv} Conv, ${bn} BatchNormalization, ${add} residual adds`, () => {
      const c = ops(modelZoo[name].build({ resolution: 64 }));
      expect(c.Conv ?? 0).toBe(conv);
      expect(c.BatchNormalization ?? 0).toBe(bn);
      expect(c.Add ?? 0).toBe(add);
      expect(c).toMatchObject(other);
    });
  }

  it('MobileNetV3 SE gates are hard-sigmoid relu6(x + 3) / 6', () => {
    const g = mobilenetV3Small({ resolution: 64 });
    const gates = g.nodes.filter((n) => n.op === 'HardSigmoid');
    expect(gates.every((n) => Math.abs((n.attrs.alpha as number) - 1 / 6) < 1e-12 && n.attrs.beta === 0.5)).toBe(true);
    expect(g.initializers.get('features.1.block.1.fc1.weight')?.shape).toEqual([8, 16, 1, 1]); // makeDivisible(16 / 4, 8)
    expect(g.initializers.get('features.4.block.2.fc1.weight')?.shape).toEqual([24, 96, 1, 1]);
    expect(g.initializers.get('features.5.block.2.fc1.weight')?.shape).toEqual([64, 240, 1, 1]); // makeDivisible(60, 8)
  });

  it('the ShuffleNetV2 channel shuffle interleaves the two halves', () => {
    const g = shuffleNetV2({ widthMultiplier: 0.5, resolution: 32, batch: 1 });
    const x = fromFunction('float32', [1, 3, 32, 32], (i) => Math.sin(i));
    const out = run(g, { input: x }, { outputs: ['stage2.1.concat', 'stage2.1.shuffle.flatten'] });
    const before = out['stage2.1.concat'];
    const after = out['stage2.1.shuffle.flatten'];
    const [, c, h, w] = before.shape;
    const hw = h * w;
    for (let k = 0; k < c / 2; k++) {
      for (const [dst, src] of [[2 * k, k], [2 * k + 1, c / 2 + k]]) {
        for (const p of [0, hw - 1]) expect(after.get(dst * hw + p)).toBe(before.get(src * hw + p));
      }
    }
  });
});
