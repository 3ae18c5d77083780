/**
 * load -> save -> load must give a structurally equal graph. Builder models are saved first (the
 * first load is where IR-only constructs become plain ONNX ops), then the loop must be stable.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, explainDifference, run, tensor, type Graph } from '@mo/ir';
import { parseOnnx, saveOnnx } from '../src/index.js';
import { maxRelDiff } from './helpers.js';
import { mobileNetV2, quantized, smallCnn, transformerBlock } from './models.js';
import { randomTensor } from './ort.js';

const cases: [string, () => Graph, Record<string, number[]>][] = [
  ['small CNN', () => smallCnn(), { image: [1, 3, 16, 16] }],
  ['small CNN with NHWC conv', () => smallCnn({ nhwc: true }), { image: [1, 3, 16, 16] }],
  ['encoder block', () => transformerBlock(), { tokens: [1, 8, 32] }],
  ['MobileNetV2-shaped (tiny)', () => mobileNetV2({ width: 0.35, size: 32, classes: 10 }), { image: [1, 3, 32, 32] }],
  ['weight-only quantized (per-axis, per-tensor, per-block, LUT)', quantized, { x: [2, 8] }],
];

describe('round trip', () => {
  it.each(cases)('%s: save -> load -> save -> load is stable and computes the same', (_name, build, shapes) => {
    const g0 = build();
    const g1 = parseOnnx(saveOnnx(g0));
    const g2 = parseOnnx(saveOnnx(g1));
    expect(explainDifference(g1, g2)).toBeUndefined();
    const feeds = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, randomTensor(s, 100 + i)]));
    const a = run(g0, feeds);
    const b = run(g1, feeds);
    for (const o of g0.outputs) expect(maxRelDiff(b[o.name], a[o.name])).toBeLessThan(1e-5);
  });

  it('a builder graph without IR-only constructs comes back structurally equal', () => {
    const b = new GraphBuilder('plain');
    const x = b.input('x', 'float32', ['batch', 4]);
    const y = b.reduceMean(b.softmax(b.add(x, tensor('float32', [0.5, 0.25, 0.125, 1], [4])), -1), [1], false);
    b.output(y, 'y');
    const g = b.build();
    expect(explainDifference(g, parseOnnx(saveOnnx(g)))).toBeUndefined();
  });

  it('quantized initializers keep their params exactly (Dequantize <-> DequantizeLinear)', () => {
    const g = quantized();
    const back = parseOnnx(saveOnnx(g));
    const qs = [...back.initializers.values()].filter((t) => t.quant).map((t) => t.quant!.kind).sort();
    expect(qs).toEqual(['lut', 'per-axis', 'per-block', 'per-tensor']);
    expect(back.nodes.filter((n) => n.op === 'Dequantize')).toHaveLength(4);
  });
});
