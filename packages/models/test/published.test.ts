/**
 * Parameter and MAC counts against published figures.
 *
 * MACs are graphStats' count: multiply-accumulates of Conv and Gemm only, for one image (batch 1).
 * BatchNormalization, activations, pooling, residual adds and SE products are not counted, which
 * is the convention of the MobileNet/ShuffleNet papers' mult-adds and of torchvision's GFLOPS
 * column. "learnable" is countParameters().learnable, torchvision's `sum(p.numel() for p in
 * model.parameters())`; graphStats' parameters also count BN running means and variances.
 */
import { describe, expect, it } from 'vitest';
import {
  countParameters, efficientNetLite, mobilenetV1, mobilenetV2, modelZoo, shuffleNetV2, type ModelName,
} from '../src/index.js';
import { expectWithin, measure } from './helpers.js';

interface Case {
  model: ModelName;
  /** torchvision / Keras / timm exact learnable parameter count. */
  learnable: number;
  /** Published MACs and the allowed relative difference, with the reason when above 1%. */
  macs: number;
  tol: number;
  why?: string;
}

const CASES: Case[] = [
  { model: 'mobilenetV1', learnable: 4_231_976, macs: 569e6, tol: 0.01 },
  { model: 'mobilenetV2', learnable: 3_504_872, macs: 300e6, tol: 0.01 },
  { model: 'mobilenetV3Large', learnable: 5_483_032, macs: 219e6, tol: 0.02, why: 'the paper rounds up (216.6 M conv+linear MACs; torchvision: 0.22 G)' },
  { model: 'mobilenetV3Small', learnable: 2_542_856, macs: 56e6, tol: 0.02, why: 'paper 56 M, torchvision 0.06 G; measured 56.5 M' },
  { model: 'shuffleNetV2', learnable: 2_278_604, macs: 146e6, tol: 0.02, why: 'paper 146 M; measured 144.9 M' },
  { model: 'shuffleNetV2x0_5', learnable: 1_366_792, macs: 41e6, tol: 0.02, why: 'paper 41 M; measured 40.5 M' },
  { model: 'squeezeNet1_1', learnable: 1_235_496, macs: 350e6, tol: 0.01 },
  { model: 'resNet18', learnable: 11_689_512, macs: 1.814e9, tol: 0.01 },
  { model: 'efficientNetLite0', learnable: 4_652_008, macs: 385e6, tol: 0.01, why: 'conv+linear MACs; the TF README says 407 M, which counts more than conv/linear (see the Lite1-4 test)' },
];

describe('published figures at the default options (224x224, 1000 classes)', () => {
  for (const c of CASES) {
    it(`${c.model}: ${c.learnable} learnable parameters, ~${(c.macs / 1e6).toFixed(0)} M MACs`, () => {
      const g = modelZoo[c.model].build({ batch: 1 });
      const m = measure(g);
      expect(m.learnable).toBe(c.learnable);
      // graphStats counts BN running stats too: still within 1% of the published count.
      expectWithin(m.parameters, c.learnable, 0.01, `${c.model} graphStats parameters`);
      expectWithin(m.macs, c.macs, c.tol, `${c.model} MACs`);
      expect(modelZoo[c.model].published?.parameters).toBe(c.learnable);
    });
  }

  it('every BN running statistic is counted apart (no other constants than ReLU6 bounds and shapes)', () => {
    const c = countParameters(mobilenetV2({ batch: 1 }));
    expect(c.batchNormStatistics).toBe(34_112);
    expect(c.constants).toBe(2); // the shared ReLU6 bounds
    expect(c.total).toBe(c.learnable + c.batchNormStatistics + c.constants);
  });
});

describe('MobileNetV1 width and resolution (Howard et al. 2017, Tables 6 and 7)', () => {
  // [alpha, resolution, params in M (1 decimal), mult-adds in M]
  const table: [number, number, number, number][] = [
    [0.75, 224, 2.6, 325], [0.5, 224, 1.3, 149], [0.25, 224, 0.5, 41],
    [1, 192, 4.2, 418], [1, 160, 4.2, 290], [1, 128, 4.2, 186],
  ];
  for (const [alpha, res, params, macs] of table) {
    it(`${alpha} MobileNet-${res}: ${params} M params, ${macs} M mult-adds`, () => {
      const m = measure(mobilenetV1({ widthMultiplier: alpha, resolution: res, batch: 1 }));
      expect(Math.abs(m.learnable / 1e6 - params)).toBeLessThan(0.05 + 1e-9);
      expectWithin(m.macs, macs * 1e6, 0.01, `MobileNetV1 ${alpha}-${res} MACs`);
    });
  }
});

describe('MobileNetV2 width and resolution (TF-slim MobileNetV2 release table)', () => {
  // [width, resolution, MACs in M, params in M without BN]
  const table: [number, number, number, number][] = [
    [1.4, 224, 582, 6.06], [1.3, 224, 509, 5.34], [0.75, 224, 209, 2.61], [0.5, 224, 97, 1.95], [0.35, 224, 59, 1.66],
    [1, 192, 221, 3.47], [1, 160, 154, 3.47], [1, 128, 99, 3.47], [1, 96, 56, 3.47], [0.35, 96, 12, 1.66],
  ];
  for (const [w, res, macs, params] of table) {
    it(`${w}-${res}: ${macs} M MACs, ${params} M params`, () => {
      const g = mobilenetV2({ widthMultiplier: w, resolution: res, batch: 1 });
      const m = measure(g);
      expectWithin(m.macs, macs * 1e6, 0.01, `MobileNetV2 ${w}-${res} MACs`);
      // TF-slim counts conv/linear weights and biases only: subtract BN gamma and beta (as many as the running stats).
      const c = countParameters(g);
      expect(Math.abs((c.learnable - c.batchNormStatistics) / 1e6 - params)).toBeLessThan(0.01);
    });
  }
});

describe('ShuffleNetV2 widths (torchvision; Ma et al. 2018, Table 5)', () => {
  const table: [0.5 | 1 | 1.5 | 2, number, number][] = [
    [0.5, 1_366_792, 41e6], [1, 2_278_604, 146e6], [1.5, 3_503_624, 299e6], [2, 7_393_996, 591e6],
  ];
  for (const [w, params, macs] of table) {
    it(`${w}x: ${params} parameters, ~${macs / 1e6} M MACs`, () => {
      const m = measure(shuffleNetV2({ widthMultiplier: w, batch: 1 }));
      expect(m.learnable).toBe(params);
      expectWithin(m.macs, macs, 0.02, `ShuffleNetV2 ${w}x MACs`);
    });
  }
});

describe('EfficientNet-Lite0..4 (TensorFlow efficientnet/lite README)', () => {
  // [variant, params in M, README MAdds in M]
  const table: [0 | 1 | 2 | 3 | 4, number, number][] = [[0, 4.7, 407], [1, 5.4, 631], [2, 6.1, 899], [3, 8.2, 1440], [4, 13.0, 2640]];
  for (const [v, params, madds] of table) {
    it(`Lite${v}: ${params} M params; conv+linear MACs 3-6% under the README's ${madds} M`, () => {
      const m = measure(efficientNetLite({ variant: v, batch: 1 }));
      expect(Math.abs(m.learnable / 1e6 - params)).toBeLessThan(0.05 + 1e-9);
      // The README's MAdds count more than conv/linear layers; the gap is the same for every variant,
      // which says the architecture (stages, widths, depths, fixed stem/head) matches.
      const ratio = m.macs / (madds * 1e6);
      expect(ratio).toBeGreaterThan(0.94);
      expect(ratio).toBeLessThan(0.97);
    });
  }
});
