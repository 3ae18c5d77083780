/**
 * The model zoo and buildModel.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, structurallyEqual } from '@mo/ir';
import { MODEL_NAMES, buildModel, mobilenetV2, modelZoo, shuffleNetV2 } from '../src/index.js';

describe('modelZoo', () => {
  it('lists every model with its input and classes, frozen', () => {
    expect(MODEL_NAMES).toEqual([
      'mobilenetV1', 'mobilenetV2', 'mobilenetV2Mini', 'mobilenetV3Large', 'mobilenetV3Small', 'shuffleNetV2',
      'shuffleNetV2x0_5', 'squeezeNet1_1', 'efficientNetLite0', 'resNet18', 'smallCnn', 'mlp',
    ]);
    expect(Object.isFrozen(modelZoo)).toBe(true);
    expect(Object.isFrozen(modelZoo.mobilenetV2)).toBe(true);
  });

  for (const name of MODEL_NAMES) {
    it(`${name} builds at its defaults with the input and output the zoo announces`, () => {
      const info = modelZoo[name];
      const g = buildModel(name, { batch: 1 });
      expect(g.inputs[0].type.shape).toEqual([1, ...info.inputShape]);
      expect(g.outputs[0].type.shape).toEqual([1, info.numClasses]);
      expect(g.metadata.props?.['mo.model']).toBeDefined();
    });
  }

  it('buildModel gives the same graph as the builder', () => {
    expect(structurallyEqual(buildModel('mobilenetV2', { resolution: 96, seed: 4 }), mobilenetV2({ resolution: 96, seed: 4 }))).toBe(true);
    expect(structurallyEqual(buildModel('shuffleNetV2x0_5', { resolution: 64 }), shuffleNetV2({ widthMultiplier: 0.5, resolution: 64 }))).toBe(true);
  });

  it('unknown names list the valid ones', () => {
    expect(() => buildModel('mobilenetV4' as never)).toThrow(ArgumentError);
    expect(() => buildModel('toString' as never)).toThrow(/unknown model 'toString'; expected 'mobilenetV1', 'mobilenetV2'/);
  });
});
