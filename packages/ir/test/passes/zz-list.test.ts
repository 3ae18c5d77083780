import { test } from 'vitest';
import { findSchema } from '../../src/index.js';
test('list', () => {
  for (const op of ['BatchNormalization', 'Dropout', 'Conv', 'ConvTranspose', 'GlobalAveragePool', 'MaxPool', 'Gemm', 'MatMul', 'Clip', 'LeakyRelu', 'HardSigmoid', 'Transpose', 'Cast', 'Add', 'QLinearConv', 'Flatten', 'Reshape', 'Expand', 'Tile']) {
    const s = findSchema(op)!;
    console.log(op, s.inputs.map((i) => i.name + (i.optional ? '?' : '')).join(','), '->', s.outputs.map((i) => i.name + (i.optional ? '?' : '')).join(','), JSON.stringify(Object.fromEntries(Object.entries(s.attrs ?? {}).map(([k, v]) => [k, v.default]))));
  }
});
