/**
 * Seeded initialization and loading weights by name.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, ShapeError, Tensor, explainDifference, fromFunction, run, structurallyEqual, tensor, zeros } from '@mo/ir';
import { initTensor, mobilenetV2Mini, mobilenetV3Small, resNet18, seededRandom, smallCnn, mlp, shuffleNetV2 } from '../src/index.js';
import { init } from './helpers.js';

describe('seeded initialization', () => {
  it('the same seed gives structurally equal graphs, another seed does not', () => {
    const a = mobilenetV3Small({ seed: 7, resolution: 64 });
    const b = mobilenetV3Small({ seed: 7, resolution: 64 });
    expect(explainDifference(a, b)).toBeUndefined();
    const c = mobilenetV3Small({ seed: 8, resolution: 64 });
    expect(structurallyEqual(a, c)).toBe(false);
    expect(explainDifference(a, c)).toMatch(/constant #\d+ differs/);
    expect(structurallyEqual(mobilenetV3Small({ resolution: 64 }), mobilenetV3Small({ seed: 0, resolution: 64 }))).toBe(true);
  });

  it('every parameter has its own stream: other options do not move a weight', () => {
    const a = smallCnn({ seed: 5 });
    const b = smallCnn({ seed: 5, numClasses: 3, channels: [32, 64, 128, 16] });
    for (const name of ['features.0.0.weight', 'features.1.0.weight', 'features.2.0.weight']) {
      expect(init(b, name).data).toEqual(init(a, name).data);
    }
  });

  it('the streams are stable across versions (golden values)', () => {
    const u = initTensor(0, 'features.0.0.weight', [4], { kind: 'uniform', low: 0, high: 1 });
    expect(Array.from(u.data)).toEqual([0.9999630451202393, 0.03791293501853943, 0.988834023475647, 0.7629269957542419]);
    const next = seededRandom(2 ** 40 + 3, 'x');
    const v = [next(), next()];
    expect(v[0]).not.toBe(v[1]);
    expect(seededRandom(3, 'x')()).not.toBe(v[0]); // the seed's high bits count
  });

  it('convolutions are Kaiming-uniform in +-sqrt(6 / fan_in)', () => {
    const g = resNet18({ resolution: 32 });
    const w = init(g, 'layer3.0.conv2.weight'); // 256 x 256 x 3 x 3
    const bound = Math.sqrt(6 / (256 * 9));
    const xs = w.toNumbers();
    expect(xs.every((v) => Math.abs(v) <= bound)).toBe(true);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(bound / 100);
    expect(variance).toBeCloseTo(2 / (256 * 9), 4); // He: Var = 2 / fan_in
  });

  it("BatchNormalization is identity by default and near identity with batchNormInit 'random'", () => {
    const g = smallCnn();
    expect(init(g, 'features.0.1.weight').toNumbers().every((v) => v === 1)).toBe(true);
    expect(init(g, 'features.0.1.bias').toNumbers().every((v) => v === 0)).toBe(true);
    expect(init(g, 'features.0.1.running_mean').toNumbers().every((v) => v === 0)).toBe(true);
    expect(init(g, 'features.0.1.running_var').toNumbers().every((v) => v === 1)).toBe(true);
    const r = smallCnn({ batchNormInit: 'random' });
    const gamma = init(r, 'features.0.1.weight').toNumbers();
    const variance = init(r, 'features.0.1.running_var').toNumbers();
    expect(gamma.every((v) => v >= 0.5 && v <= 1.5)).toBe(true);
    expect(new Set(gamma).size).toBeGreaterThan(1);
    expect(variance.every((v) => v > 0)).toBe(true);
  });
});

describe('weights by name', () => {
  it('a full map replaces every seeded parameter', () => {
    const source = mobilenetV2Mini({ seed: 1 });
    const loaded = mobilenetV2Mini({ seed: 2, weights: source.initializers, strictWeights: true });
    expect(explainDifference(loaded, source)).toBeUndefined();
  });

  it('a partial map replaces only the named parameters', () => {
    const w = fromFunction('float32', [32, 1, 3, 3], (i) => i / 100);
    const g = smallCnn({ weights: new Map([['features.0.0.weight', w]]) });
    expect(init(g, 'features.0.0.weight')).toBe(w);
    expect(init(g, 'features.1.0.weight').data).toEqual(init(smallCnn(), 'features.1.0.weight').data);
  });

  it('a function is asked for each parameter by name and shape', () => {
    const asked = new Map<string, readonly number[]>();
    const g = mlp({ hiddenSizes: [8], weights: (name, shape) => {
      asked.set(name, shape);
      return name === 'classifier.bias' ? tensor('float32', new Array(10).fill(0.5), [10]) : undefined;
    } });
    expect([...asked]).toEqual([['fc.0.weight', [8, 784]], ['fc.0.bias', [8]], ['classifier.weight', [10, 8]], ['classifier.bias', [10]]]);
    expect(init(g, 'classifier.bias').toNumbers()).toEqual(new Array(10).fill(0.5));
  });

  it('loaded weights change the outputs accordingly', () => {
    const zeroed = (name: string, shape: readonly number[]) => (name.startsWith('classifier') ? zeros('float32', shape) : undefined);
    const g = mlp({ weights: zeroed });
    const y = run(g, { input: fromFunction('float32', [2, 1, 28, 28], (i) => Math.sin(i)) }).logits;
    expect(y.toNumbers().every((v) => v === 0)).toBe(true);
  });

  it('a wrong shape or dtype is an error naming the parameter', () => {
    const bad = new Map([['conv1.weight', zeros('float32', [64, 3, 3, 3])]]);
    expect(() => resNet18({ weights: bad })).toThrow(ShapeError);
    expect(() => resNet18({ weights: bad })).toThrow(/weights for 'conv1.weight' of resNet18 must have shape \[64, ?3, ?7, ?7\]/);
    const int = new Map([['conv1.weight', zeros('int8', [64, 3, 7, 7])]]);
    expect(() => resNet18({ weights: int })).toThrow(DTypeError);
    expect(() => mlp({ weights: () => 3 as unknown as Tensor })).toThrow(ArgumentError);
  });

  it('strictWeights names missing parameters and unused entries, and ignores num_batches_tracked', () => {
    const full = new Map(smallCnn().initializers);
    full.set('features.0.1.num_batches_tracked', tensor('int64', [0n], [1]));
    expect(() => smallCnn({ weights: full, strictWeights: true })).not.toThrow();
    const missing = new Map(full);
    missing.delete('classifier.bias');
    expect(() => smallCnn({ weights: missing, strictWeights: true })).toThrow(/missing 1 parameter\(s\): 'classifier.bias'/);
    const extra = new Map(full);
    extra.set('head.weight', zeros('float32', [1]));
    expect(() => smallCnn({ weights: extra, strictWeights: true })).toThrow(/1 weight\(s\) match no parameter: 'head.weight'/);
    expect(() => smallCnn({ weights: extra })).not.toThrow();
  });

  it('names follow torchvision, so a state_dict maps one to one', () => {
    const g = shuffleNetV2({ widthMultiplier: 0.5 });
    for (const name of ['conv1.0.weight', 'conv1.1.running_var', 'stage2.0.branch1.0.weight', 'stage2.0.branch1.2.weight', 'stage2.1.branch2.3.weight', 'stage4.3.branch2.6.bias', 'conv5.0.weight', 'fc.weight', 'fc.bias']) {
      expect(g.initializers.has(name), name).toBe(true);
    }
  });
});
