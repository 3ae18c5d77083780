/**
 * Options: width multiplier, resolution, classes, batch, input channels, softmax, validation.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, graphStats, run, fromFunction } from '@mo/ir';
import {
  buildModel, makeDivisible, mobilenetV2, mobilenetV3Large, mobilenetV3Small, resNet18, shuffleNetV2, smallCnn, mlp,
  efficientNetLite0, squeezeNet1_1, mobilenetV1,
} from '../src/index.js';
import { init, measure } from './helpers.js';

describe('makeDivisible', () => {
  it('rounds to the nearest multiple, never below the divisor or 10% under the value', () => {
    expect(makeDivisible(32 * 0.35)).toBe(16); // 11.2 -> 8 is 29% under, so 16
    expect(makeDivisible(24 * 0.5)).toBe(16); // 12 rounds half up
    expect(makeDivisible(96 * 0.75)).toBe(72);
    expect(makeDivisible(1280 * 1.4)).toBe(1792);
    expect(makeDivisible(3)).toBe(8);
    expect(makeDivisible(100, 8)).toBe(104);
    expect(makeDivisible(92, 8)).toBe(96); // halfway rounds up
    expect(makeDivisible(60, 16)).toBe(64);
  });
});

describe('width multiplier', () => {
  it('MobileNetV2 rounds channels with makeDivisible(8) and scales the last conv only above 1', () => {
    const g = mobilenetV2({ widthMultiplier: 0.35, batch: 1 });
    expect(init(g, 'features.0.0.weight').shape).toEqual([16, 3, 3, 3]);
    expect(init(g, 'features.1.conv.1.weight').shape).toEqual([8, 16, 1, 1]); // 16 * 0.35 = 5.6 -> 8
    expect(init(g, 'features.18.0.weight').shape).toEqual([1280, 112, 1, 1]);
    const wide = mobilenetV2({ widthMultiplier: 1.4, batch: 1 });
    expect(init(wide, 'features.18.0.weight').shape).toEqual([1792, 448, 1, 1]);
    expect(init(wide, 'classifier.1.weight').shape).toEqual([1000, 1792]);
  });

  it('MobileNetV3 scales every bneck with makeDivisible(c * width, 8), as torchvision', () => {
    const g = mobilenetV3Large({ widthMultiplier: 0.5, batch: 1 });
    expect(init(g, 'features.0.0.weight').shape).toEqual([8, 3, 3, 3]);
    expect(init(g, 'features.2.block.0.0.weight').shape).toEqual([32, 8, 1, 1]);
    expect(init(g, 'classifier.0.weight').shape).toEqual([640, 480]);
    const full = measure(mobilenetV3Large({ batch: 1 }));
    const half = measure(g);
    expect(half.learnable).toBeLessThan(full.learnable / 2.5);
    expect(half.macs).toBeLessThan(full.macs / 3);
  });

  it('parameters and MACs grow monotonically with width', () => {
    for (const build of [mobilenetV1, mobilenetV2, mobilenetV3Small]) {
      const counts = [0.25, 0.5, 0.75, 1, 1.25].map((w) => measure(build({ widthMultiplier: w, batch: 1, resolution: 64 })));
      for (let i = 1; i < counts.length; i++) {
        expect(counts[i].learnable).toBeGreaterThan(counts[i - 1].learnable);
        expect(counts[i].macs).toBeGreaterThan(counts[i - 1].macs);
      }
    }
  });

  it('ShuffleNetV2 takes only the published widths', () => {
    expect(() => shuffleNetV2({ widthMultiplier: 0.75 as never })).toThrow(ArgumentError);
    expect(() => shuffleNetV2({ widthMultiplier: 0.75 as never })).toThrow(/'widthMultiplier' of shuffleNetV2 must be 0.5, 1, 1.5 or 2/);
  });

  it('models without a width multiplier reject the option', () => {
    expect(() => resNet18({ widthMultiplier: 0.5 } as never)).toThrow(/unknown option 'widthMultiplier' for resNet18/);
    expect(() => squeezeNet1_1({ widthMultiplier: 0.5 } as never)).toThrow(ArgumentError);
  });
});

describe('resolution', () => {
  it('leaves parameters alone and scales MACs with the pixel count', () => {
    for (const build of [mobilenetV2, resNet18, squeezeNet1_1, efficientNetLite0]) {
      const a = measure(build({ batch: 1 }));
      const b = measure(build({ batch: 1, resolution: 112 }));
      expect(b.learnable).toBe(a.learnable);
      // A quarter of the pixels: about a quarter of the MACs (pads and odd sizes make it inexact).
      expect(b.macs / a.macs).toBeGreaterThan(0.2);
      expect(b.macs / a.macs).toBeLessThan(0.3);
    }
  });

  it('sets the input shape and rejects inputs too small for the strides', () => {
    const g = mobilenetV3Small({ resolution: 96, batch: 1 });
    expect(g.inputs[0].type.shape).toEqual([1, 3, 96, 96]);
    expect(() => mobilenetV2({ resolution: 16 })).toThrow(/'resolution' of mobilenetV2 must be an integer >= 32/);
    expect(() => resNet18({ resolution: 100.5 })).toThrow(ArgumentError);
  });
});

describe('numClasses, inChannels, batch, includeSoftmax', () => {
  it('numClasses changes only the classifier', () => {
    const a = measure(mobilenetV2({ batch: 1 }));
    const g = mobilenetV2({ batch: 1, numClasses: 10 });
    expect(init(g, 'classifier.1.weight').shape).toEqual([10, 1280]);
    expect(init(g, 'classifier.1.bias').shape).toEqual([10]);
    expect(g.outputs[0].type.shape).toEqual([1, 10]);
    expect(measure(g).learnable).toBe(a.learnable - 990 * 1281);
    const sq = squeezeNet1_1({ numClasses: 7, batch: 1 });
    expect(init(sq, 'classifier.1.weight').shape).toEqual([7, 512, 1, 1]);
    expect(sq.outputs[0].type.shape).toEqual([1, 7]);
  });

  it('inChannels sets the stem input', () => {
    const g = resNet18({ inChannels: 1, batch: 1 });
    expect(init(g, 'conv1.weight').shape).toEqual([64, 1, 7, 7]);
    expect(g.inputs[0].type.shape).toEqual([1, 1, 224, 224]);
  });

  it("batch defaults to the symbol 'batch'; graphStats counts it as 1 unless bound, and MACs scale with it", () => {
    const g = shuffleNetV2();
    expect(g.inputs[0]).toMatchObject({ name: 'input', type: { dtype: 'float32', shape: ['batch', 3, 224, 224] } });
    expect(g.outputs[0]).toMatchObject({ name: 'logits', type: { shape: ['batch', 1000] } });
    const perImage = measure(shuffleNetV2({ batch: 1 })).macs;
    expect(graphStats(g).macs).toBe(perImage);
    expect(graphStats(g).assumedDims).toEqual({ batch: 1 });
    expect(graphStats(g, { batch: 3 }).macs).toBe(3 * perImage);
    expect(shuffleNetV2({ batch: 'N' }).inputs[0].type.shape[0]).toBe('N');
    expect(measure(smallCnn({ batch: 4 })).macs).toBe(4 * measure(smallCnn({ batch: 1 })).macs);
  });

  it('includeSoftmax ends with Softmax over classes and names the output probabilities', () => {
    const g = mlp({ includeSoftmax: true, hiddenSizes: [16] });
    expect(g.outputs.map((o) => o.name)).toEqual(['probabilities']);
    expect(g.producerOf('probabilities')?.op).toBe('Softmax');
    const out = run(g, { input: fromFunction('float32', [2, 1, 28, 28], (i) => Math.cos(i)) }).probabilities;
    const p = out.toNumbers();
    expect(p.slice(0, 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(p.slice(10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('records the model and its options in metadata props', () => {
    const g = mobilenetV2({ widthMultiplier: 0.5, resolution: 160, seed: 3 });
    expect(g.metadata.producer).toBe('@mo/models');
    expect(g.metadata.props).toMatchObject({ 'mo.model': 'mobilenetV2', 'mo.widthMultiplier': '0.5', 'mo.resolution': '160', 'mo.seed': '3', 'mo.numClasses': '1000' });
  });
});

describe('validation', () => {
  it('names unknown options and lists the valid ones', () => {
    expect(() => mobilenetV2({ width: 0.5 } as never)).toThrow(/unknown option 'width' for mobilenetV2; valid options are .*'widthMultiplier'/);
    expect(() => buildModel('mlp', { hidden: [3] } as never)).toThrow(/unknown option 'hidden' for mlp/);
  });

  it('rejects bad values with typed errors', () => {
    expect(() => mobilenetV2({ widthMultiplier: 0 })).toThrow(/'widthMultiplier' of mobilenetV2 must be a number > 0/);
    expect(() => mobilenetV1({ numClasses: 0 })).toThrow(ArgumentError);
    expect(() => mobilenetV1({ seed: 1.5 })).toThrow(/'seed' of mobilenetV1 must be a safe integer/);
    expect(() => mobilenetV1({ batch: 0 })).toThrow(ArgumentError);
    expect(() => mobilenetV1({ batch: '' })).toThrow(ArgumentError);
    expect(() => mobilenetV1({ batchNormInit: 'ones' as never })).toThrow(/must be 'identity' or 'random'/);
    expect(() => mobilenetV1({ weights: {} as never })).toThrow(/'weights' of mobilenetV1 must be a Map/);
    expect(() => smallCnn({ channels: [] })).toThrow(/'channels' of smallCnn/);
    expect(() => mlp({ hiddenSizes: [0] })).toThrow(/'hiddenSizes' of mlp/);
    expect(() => mobilenetV2({ stages: [{ t: 6, c: 24, n: 0, s: 2 }] })).toThrow(/'stages' of mobilenetV2/);
    expect(() => efficientNetLite0({ variant: 2 } as never)).toThrow(/efficientNetLite\(\{ variant \}\)/);
  });
});
