/**
 * Exported models run in ONNX Runtime (an independent implementation) and must match the IR
 * reference interpreter within 1e-4 relative.
 */
import { describe, expect, it } from 'vitest';
import { run, type Graph, type Tensor } from '@mo/ir';
import { saveOnnx } from '../src/index.js';
import { maxRelDiff } from './helpers.js';
import { contribModel, mobileNetV2, qlinearModel, quantized, smallCnn, transformerBlock } from './models.js';
import { randomTensor, runOrt } from './ort.js';

async function crossCheck(graph: Graph, feeds: Record<string, Tensor>, opset?: number): Promise<number> {
  const bytes = saveOnnx(graph, opset === undefined ? {} : { opset });
  const expected = run(graph, feeds);
  const actual = await runOrt(bytes, feeds);
  let worst = 0;
  for (const o of graph.outputs) worst = Math.max(worst, maxRelDiff(actual[o.name], expected[o.name]));
  return worst;
}

describe('exported models match ONNX Runtime', () => {
  it('small CNN (Conv, BatchNormalization, Relu, MaxPool, fused activation, Gemm, Softmax)', async () => {
    const g = smallCnn();
    expect(await crossCheck(g, { image: randomTensor([2, 3, 16, 16], 5) })).toBeLessThan(1e-4);
  });

  it('small CNN with an NHWC convolution (exported as Transposes around Conv)', async () => {
    const g = smallCnn({ nhwc: true });
    expect(await crossCheck(g, { image: randomTensor([1, 3, 16, 16], 6) })).toBeLessThan(1e-4);
  });

  it.each([11, 13, 17, 18, 21])('transformer encoder block at opset %i (MatMul, LayerNormalization, Softmax, Gelu)', async (opset) => {
    const g = transformerBlock();
    expect(await crossCheck(g, { tokens: randomTensor([1, 8, 32], 7) }, opset)).toBeLessThan(1e-4);
  });

  it('weight-only quantized weights (DequantizeLinear per axis / per tensor / blocked, lookup table as Gather)', async () => {
    expect(await crossCheck(quantized(), { x: randomTensor([3, 8], 9) })).toBeLessThan(1e-4);
  });

  it.each([false, true])('QLinearConv with fused Relu (NHWC %s) and QLinearMatMul', async (nhwc) => {
    // Integer outputs: the dequantized values must agree exactly (one quantization step would be 0.5).
    expect(await crossCheck(qlinearModel({ nhwc }), { x: randomTensor([1, 4, 6, 6], 10, -2, 2) })).toBe(0);
  });

  it.each([false, true])('ONNX Runtime contrib integer ops (com.microsoft; channels-last %s)', async (nhwc) => {
    const g = contribModel({ nhwc });
    const feeds = { x: randomTensor([1, 4, 3, 3], 12, -2, 2) };
    const actual = await runOrt(saveOnnx(g), feeds);
    const expected = run(g, feeds);
    // ONNX Runtime evaluates these through float lookup tables: at most one output step (0.03) apart.
    const d = expected.y.toNumbers().map((v, i) => Math.abs(v - actual.y.get(i)));
    expect(Math.max(...d)).toBeLessThanOrEqual(0.0301);
  });

  it('MobileNetV2 (full width, 1000 classes) at 224x224', async () => {
    const g = mobileNetV2();
    expect(await crossCheck(g, { image: randomTensor([1, 3, 224, 224], 8) })).toBeLessThan(1e-4);
  }, 120_000);
});
