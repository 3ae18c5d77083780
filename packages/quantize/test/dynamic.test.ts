import { describe, expect, it } from 'vitest';
import { verify } from '@mo/ir';
import { mlp, smallCnn } from '@mo/models';
import { quantize } from '../src/index.js';
import { graphSqnr, randomSamples, snapshot } from './helpers.js';

describe('dynamic-range quantization', () => {
  it('an MLP: MatMulInteger on on-the-fly uint8 activations, int8 weights', async () => {
    const g = mlp({ hiddenSizes: [64, 32], batch: 4, seed: 6 });
    const before = snapshot(g);
    const { graph, report } = await quantize(g, { preset: 'dynamic-int8' });
    expect(snapshot(g)).toBe(before);
    verify(graph);
    const ops = graph.nodes.map((n) => n.op);
    expect(ops.filter((o) => o === 'DynamicQuantizeLinear').length).toBe(3);
    expect(ops.filter((o) => o === 'MatMulInteger').length).toBe(3);
    expect(ops).not.toContain('Gemm');
    // The fused ReLU comes back as a node after rescaling.
    expect(ops.filter((o) => o === 'Relu').length).toBe(2);
    const db = graphSqnr(g, graph, randomSamples([4, 1, 28, 28], 3, 2));
    expect(db).toBeGreaterThan(30);
    expect(report.size.ratio).toBeLessThan(0.26);
    console.log(`dynamic-int8 mlp: SQNR ${db.toFixed(2)} dB, size ${report.size.ratio}`);
  });

  it('convolutions become ConvInteger with per-channel rescaling', async () => {
    const g = smallCnn({ channels: [8, 16], batch: 2, seed: 8 });
    const { graph } = await quantize(g, { preset: 'dynamic-int8' });
    verify(graph);
    expect(graph.nodes.filter((n) => n.op === 'ConvInteger').length).toBe(2);
    expect(graphSqnr(g, graph, randomSamples([2, 1, 28, 28], 2, 3))).toBeGreaterThan(30);
  });
});
