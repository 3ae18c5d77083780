import { describe, expect, it } from 'vitest';
import { GraphBuilder, fromFunction, run, verify, type Graph, type Tensor } from '@mo/ir';
import { mobilenetV2Mini, smallCnn } from '@mo/models';
import { lowerQdq, quantize } from '../src/index.js';
import { graphSqnr, randomSamples, snapshot, top1Agreement } from './helpers.js';

const cnn = smallCnn({ channels: [8, 16, 32], batch: 4, seed: 21 });
const calibration = randomSamples([4, 1, 28, 28], 8, 100);
const heldOut = randomSamples([4, 1, 28, 28], 8, 200);

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const constant = (g: Graph, name: string) => g.initializers.get(name)!;

/** Max |a - b| in units of `step`. */
function stepsApart(a: Tensor, b: Tensor, step: number): number {
  let worst = 0;
  for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(a.get(i) - b.get(i)) / step);
  return worst;
}

describe('static PTQ (QDQ)', () => {
  it('a small CNN calibrated on random data: verifies, runs, agrees with float on held-out inputs', async () => {
    const before = snapshot(cnn);
    const { graph, report } = await quantize(cnn, { preset: 'int8-static', calibration });
    expect(snapshot(cnn)).toBe(before);
    verify(graph);
    expect(ops(graph)).toContain('QuantizeLinear');
    expect(ops(graph)).toContain('DequantizeLinear');
    const agree = top1Agreement(cnn, graph, heldOut);
    const db = graphSqnr(cnn, graph, heldOut);
    expect(agree).toBeGreaterThanOrEqual(0.9);
    expect(db).toBeGreaterThan(25);
    // The report measures the calibration set the same way.
    expect(report.outputs![0].sqnrDb).toBeGreaterThan(25);
    expect(report.outputs![0].top1Agreement).toBeGreaterThanOrEqual(0.9);
    expect(report.samples).toBe(8);
    expect(report.layers.find((l) => l.node === 'features.1.0')!.outputSqnrDb).toBeGreaterThan(25);
    expect(report.size.ratio).toBeLessThan(0.3);
    console.log(`int8-static smallCnn[8,16,32]: held-out SQNR ${db.toFixed(2)} dB, top-1 agreement ${(agree * 100).toFixed(1)}%, size ${report.size.ratio}`);
  });

  it('BatchNorm is folded and ReLU fused before calibrating: one range per conv output', async () => {
    const stages: string[] = [];
    const { graph, report } = await quantize(cnn, { preset: 'int8-static', calibration: calibration.slice(0, 2), onProgress: (p) => stages.push(`${p.stage}:${p.done}`) });
    expect([...new Set(stages)]).toEqual(['prepare:0', 'calibrate:1', 'calibrate:2', 'quantize:0', 'evaluate:0', 'evaluate:1', 'evaluate:2']);
    expect(ops(graph)).not.toContain('BatchNormalization');
    expect(ops(graph)).not.toContain('Relu');
    expect(report.notes.join('\n')).toMatch(/folded 3 BatchNormalization/);
    // ReLU fused into the conv: its output range starts at 0, so the zero point sits at qmin.
    const conv = report.layers.find((l) => l.node === 'features.0.0')!;
    expect(conv.output!.observed[0]).toBe(0);
    expect(conv.output!.zeroPoint).toBe(-128);
  });

  it('weights are int8 in [-127, 127] per channel, biases int32 at input scale x weight scale', async () => {
    const { graph, report } = await quantize(cnn, { preset: 'int8-static', calibration: calibration.slice(0, 2), format: 'tflite' });
    const conv = graph.node('features.1.0')!;
    const wDq = graph.producerOf(conv.inputs[1])!;
    const bDq = graph.producerOf(conv.inputs[2])!;
    const xDq = graph.producerOf(conv.inputs[0])!;
    const w = constant(graph, wDq.inputs[0]);
    expect(w.dtype).toBe('int8');
    expect(w.toNumbers().every((v) => v >= -127 && v <= 127)).toBe(true);
    expect(wDq.inputs[2]).toBeUndefined(); // zero point 0
    const ws = constant(graph, wDq.inputs[1]);
    expect([...ws.shape]).toEqual([16]);
    const b = constant(graph, bDq.inputs[0]);
    expect(b.dtype).toBe('int32');
    const bs = constant(graph, bDq.inputs[1]);
    const xs = constant(graph, xDq.inputs[1]).get(0);
    for (let c = 0; c < 16; c++) expect(bs.get(c)).toBe(Math.fround(xs * ws.get(c)));
    // Activations: int8, asymmetric.
    const xz = constant(graph, xDq.inputs[2]);
    expect(xz.dtype).toBe('int8');
    expect(report.settings.activationType).toBe('int8');
  });

  it('TFLite preset: fixed Softmax output params, shared params through MaxPool and Flatten', async () => {
    const g = smallCnn({ channels: [8, 16], batch: 2, seed: 5, includeSoftmax: true });
    const cal = randomSamples([2, 1, 28, 28], 3, 9);
    const { graph, report } = await quantize(g, { preset: 'int8-static', calibration: cal, format: 'tflite' });
    verify(graph);
    const soft = report.layers.find((l) => l.op === 'Softmax')!;
    expect([soft.output!.scale, soft.output!.zeroPoint, soft.output!.source]).toEqual([1 / 256, -128, 'fixed']);
    const pool = report.layers.find((l) => l.op === 'MaxPool')!;
    expect([pool.output!.scale, pool.output!.zeroPoint]).toEqual([pool.inputs![0].scale, pool.inputs![0].zeroPoint]);
    const flat = report.layers.find((l) => l.op === 'Flatten')!;
    expect(flat.output!.scale).toBe(flat.inputs![0].scale);
    // uint8 activations: Softmax zero point 0.
    const u8 = await quantize(g, { preset: 'int8-static', calibration: cal, activationType: 'uint8' });
    const soft8 = u8.report.layers.find((l) => l.op === 'Softmax')!;
    expect([soft8.output!.zeroPoint, soft8.output!.dtype]).toEqual([0, 'uint8']);
    expect(top1Agreement(g, u8.graph, cal)).toBeGreaterThanOrEqual(0.8);
  });

  it('shared params through Pad, Reshape, Concat and (TFLite) AveragePool; fixed Sigmoid and Tanh outputs', async () => {
    const b = new GraphBuilder('shared');
    const x = b.input('x', 'float32', [2, 3, 6, 6]);
    const w = (seed: number, shape: number[]) => b.constant(fromFunction('float32', shape, (i) => Math.sin(i * 0.7 + seed) * 0.5));
    const a = b.relu(b.conv(x, w(1, [4, 3, 3, 3]), undefined, { pads: [1, 1, 1, 1] }));
    const c = b.conv(x, w(2, [4, 3, 1, 1]));
    const cat = b.concat([a, c], 1);
    const padded = b.pad(cat, [0, 0, 1, 1, 0, 0, 1, 1]);
    const pooled = b.averagePool(padded, { kernel_shape: [2, 2], strides: [2, 2] });
    const flat = b.reshape(pooled, [2, -1]);
    b.output(b.op1('Sigmoid', [flat]), 'gate');
    b.output(b.op1('Tanh', [flat]), 'level');
    const g = b.build();
    const cal = randomSamples([2, 3, 6, 6], 3, 12, 'x');
    const { graph, report } = await quantize(g, { preset: 'int8-static', calibration: cal, format: 'tflite' });
    verify(graph);
    const out = (op: string) => report.layers.find((l) => l.op === op)!;
    const concat = out('Concat');
    // Concat: both inputs and the output share one scale and zero point (the union of their ranges).
    expect(new Set([...concat.inputs!, concat.output!].map((p) => `${p.scale}/${p.zeroPoint}`)).size).toBe(1);
    for (const op of ['Pad', 'AveragePool', 'Reshape']) expect(out(op).output!.scale).toBe(concat.output!.scale);
    expect([out('Sigmoid').output!.scale, out('Sigmoid').output!.zeroPoint]).toEqual([1 / 256, -128]);
    expect([out('Tanh').output!.scale, out('Tanh').output!.zeroPoint]).toEqual([1 / 128, 0]);
    expect(graphSqnr(g, graph, cal, 'level')).toBeGreaterThan(25);
    // ONNX QDQ: AveragePool gets its own calibrated range.
    const qdq = await quantize(g, { preset: 'int8-static', calibration: cal });
    const avg = qdq.report.layers.find((l) => l.op === 'AveragePool')!;
    expect(avg.output!.scale).not.toBe(avg.inputs![0].scale);
    const low = await quantize(g, { preset: 'int8-static', calibration: cal, integer: true, format: 'tflite' });
    expect(low.report.lowered!.ops).toMatchObject({ QLinearConv: 2, Concat: 1, Pad: 1, QLinearAveragePool: 1, Reshape: 1, QLinearSigmoid: 1 });
    expect(low.report.lowered!.kept).toEqual(['tanh']);
  });

  it('every calibration method runs and gives a usable graph; auto keeps the best', { timeout: 300_000 }, async () => {
    const cal = calibration.slice(0, 3);
    const results: Record<string, number> = {};
    for (const method of ['minmax', 'moving-average', 'percentile', 'mse', 'entropy'] as const) {
      const { graph, report } = await quantize(cnn, { preset: 'int8-static', calibration: cal, method });
      verify(graph);
      expect(report.settings.method).toBe(method);
      results[method] = report.outputs![0].sqnrDb;
      expect(results[method]).toBeGreaterThan(20);
    }
    const auto = await quantize(cnn, { preset: 'int8-static', calibration: cal, method: 'auto' });
    expect(auto.report.outputs![0].sqnrDb).toBeCloseTo(Math.max(...Object.values(results)), 1);
    expect(auto.report.notes.join('\n')).toMatch(/calibration method auto/);
    console.log(`int8-static calibration methods (output SQNR, dB): ${JSON.stringify(results)}; auto chose ${auto.report.settings.method}`);
  });

  it('symmetric activations and per-tensor weights', async () => {
    const { graph, report } = await quantize(cnn, { preset: 'int8-static', calibration: calibration.slice(0, 2), symmetric: true, perChannel: false });
    verify(graph);
    for (const l of report.layers) if (l.output && l.output.source !== 'fixed') expect(l.output.zeroPoint).toBe(0);
    expect(report.layers.filter((l) => l.weight).every((l) => l.granularity === 'per-tensor')).toBe(true);
  });

  it('excluded nodes read the float activation and stay float', async () => {
    const { graph, report } = await quantize(cnn, { preset: 'int8-static', calibration: calibration.slice(0, 2), exclude: ['classifier'] });
    const gemm = graph.node('classifier')!;
    expect(graph.producerOf(gemm.inputs[1])).toBeUndefined();
    expect(constant(graph, gemm.inputs[1]).dtype).toBe('float32');
    expect(graph.producerOf(gemm.inputs[0])!.op).toBe('Flatten');
    expect(report.float.find((f) => f.node === 'classifier')!.reason).toMatch(/excluded/);
  });
});

describe('integer lowering', () => {
  it('one conv: QLinearConv equals the QDQ graph within one quantization step', async () => {
    const b = new GraphBuilder('one-conv');
    const x = b.input('x', 'float32', [2, 3, 9, 9]);
    const w = b.constant(fromFunction('float32', [5, 3, 3, 3], (i) => Math.sin(i * 1.3) * 0.4), 'w');
    const bias = b.constant(fromFunction('float32', [5], (i) => i * 0.1 - 0.2), 'b');
    b.output(b.relu(b.conv(x, w, bias, { pads: [1, 1, 1, 1] })), 'y');
    const g = b.build();
    const cal = randomSamples([2, 3, 9, 9], 4, 3, 'x');
    for (const format of ['qdq', 'tflite'] as const) {
      const qdq = await quantize(g, { preset: 'int8-static', calibration: cal, format });
      const low = await quantize(g, { preset: 'int8-static', calibration: cal, format, integer: true });
      expect(ops(low.graph)).toEqual(['QuantizeLinear', 'QLinearConv', 'DequantizeLinear']);
      expect(low.graph.node('conv')?.attrs.requant ?? low.graph.nodes[1].attrs.requant).toBe(format === 'tflite' ? 'fixed-point' : 'float');
      const step = low.report.layers[0].output!.scale;
      for (const s of randomSamples([2, 3, 9, 9], 3, 77, 'x')) {
        expect(stepsApart(run(qdq.graph, s).y, run(low.graph, s).y, step)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('a small CNN lowers completely; its logits stay within one quantization step of the QDQ graph', async () => {
    const qdq = await quantize(cnn, { preset: 'int8-static', calibration: calibration.slice(0, 4) });
    // The same lowering quantize({ integer: true }) runs, applied to the QDQ graph directly.
    const low = lowerQdq(qdq.graph);
    verify(low.graph);
    expect(low.kept).toEqual([]);
    expect(low.ops).toEqual({ QLinearConv: 3, MaxPool: 2, QLinearGlobalAveragePool: 1, Flatten: 1, QGemm: 1 });
    expect(ops(low.graph).filter((o) => o === 'QuantizeLinear' || o === 'DequantizeLinear')).toEqual(['QuantizeLinear', 'DequantizeLinear']);
    const step = qdq.report.layers.find((l) => l.node === 'classifier')!.output!.scale;
    let worst = 0;
    let exact = 0;
    let total = 0;
    for (const s of heldOut.slice(0, 4)) {
      const a = run(qdq.graph, s).logits;
      const c = run(low.graph, s).logits;
      worst = Math.max(worst, stepsApart(a, c, step));
      for (let i = 0; i < a.size; i++) if (Math.abs(a.get(i) - c.get(i)) <= step * 1.0001) exact++;
      total += a.size;
    }
    expect(exact / total).toBeGreaterThan(0.95);
    expect(worst).toBeLessThanOrEqual(1);
    expect(top1Agreement(qdq.graph, low.graph, heldOut.slice(0, 4))).toBeGreaterThanOrEqual(0.95);
    console.log(`lowered smallCnn vs QDQ: ${((exact / total) * 100).toFixed(1)}% of logits within one step, worst ${worst.toFixed(2)} steps`);
  });

  it('MobileNetV2-mini (residual adds, ReLU6) lowers to QLinearConv/QLinearAdd and keeps top-1', async () => {
    const g = mobilenetV2Mini({ batch: 1, seed: 4 });
    const cal = randomSamples([1, 1, 28, 28], 1, 5);
    const { graph, report } = await quantize(g, { preset: 'int8-static', calibration: cal, integer: true });
    verify(graph);
    expect(report.lowered!.ops.QLinearConv).toBe(28);
    expect(report.lowered!.ops.QLinearAdd).toBe(5);
    expect(report.lowered!.kept).toEqual([]);
    expect(report.outputs![0].sqnrDb).toBeGreaterThan(20);
  }, 120_000);
});
