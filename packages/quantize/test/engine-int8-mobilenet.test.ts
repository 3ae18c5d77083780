/**
 * A whole quantized MobileNetV2 (@mo/models, reduced width and resolution for speed) through
 * @mo/quantize (int8-static, integer: true) in both formats: the session runs every node on a
 * wasm kernel and its logits equal the reference interpreter's bit for bit, batch 2.
 */
import { fromFunction, run, type Graph } from '@mo/ir';
import { mobilenetV2 } from '@mo/models';
import { quantize } from '@mo/quantize';
import { describe, expect, it } from 'vitest';
import { createSessionSync } from '@mo/kernels-neon-wasm';

const image = (k: number) => fromFunction('float32', [2, 3, 32, 32], (i) => Math.sin(i * 0.013 + k) * 1.5);

describe('quantized MobileNetV2 (int8 session vs reference interpreter)', () => {
  it.each(['qdq', 'tflite'] as const)("format '%s': no fallback, identical logits", async (format) => {
    const model: Graph = mobilenetV2({ seed: 3, widthMultiplier: 0.35, resolution: 32, batch: 2 });
    const { graph } = await quantize(model, { preset: 'int8-static', calibration: [{ input: image(0) }], integer: true, format });
    const ops = new Set(graph.nodes.map((n) => n.op));
    expect(ops).toContain('QLinearConv');
    expect(ops).toContain('QLinearAdd');
    const session = createSessionSync(graph);
    expect(session.fallbackOps).toEqual([]);
    const feeds = { input: image(1) };
    const expected = run(graph, feeds);
    const actual = session.runSync(feeds);
    for (const name of Object.keys(expected)) expect(Array.from(actual[name].toFloat32())).toEqual(Array.from(expected[name].toFloat32()));
    // the steps run the qs8 microkernels and requantize in the graph's mode
    const uk = session.kernels.map((k) => k.ukernel ?? '');
    for (const u of ['qs8-gemm-', 'qs8-dwconv-', 'qs8-vadd-', 'qs8-gavgpool-', 'f32-qs8-vcvt-', 'qs8-f32-vcvt-']) expect(uk.some((k) => k.startsWith(u)), u).toBe(true);
    expect(graph.nodes.find((n) => n.op === 'QLinearConv')!.attrs.requant).toBe(format === 'tflite' ? 'fixed-point' : 'float');
    session.dispose();
  }, 60_000);
});
