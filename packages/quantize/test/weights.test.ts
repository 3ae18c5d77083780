import { describe, expect, it } from 'vitest';
import { GraphBuilder, fromFunction, run, tensor, verify, type Graph } from '@mo/ir';
import { mlp, smallCnn } from '@mo/models';
import { quantize } from '../src/index.js';
import { graphSqnr, randomSamples, snapshot } from './helpers.js';

const cnn = smallCnn({ batch: 2, seed: 11 });
const samples = randomSamples([2, 1, 28, 28], 3, 4);

const countOps = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;

describe('weight-only quantization', () => {
  it('int8 of smallCnn: outputs within a small relative error of float (SQNR > 30 dB), size <= 0.26x', async () => {
    const before = snapshot(cnn);
    const { graph, report } = await quantize(cnn, { preset: 'int8-weights' });
    verify(graph);
    expect(snapshot(cnn)).toBe(before);
    const db = graphSqnr(cnn, graph, samples);
    expect(db).toBeGreaterThan(30);
    expect(report.size.ratio).toBeLessThanOrEqual(0.26);
    expect(countOps(graph, 'Dequantize')).toBe(4);
    // Weights are int8 initializers whose type carries per-channel params; activations stay float.
    const q = [...graph.initializers.values()].filter((t) => t.dtype === 'int8');
    expect(q.length).toBe(4);
    expect(q.every((t) => t.quant?.kind === 'per-axis')).toBe(true);
    expect(report.layers.map((l) => l.scheme)).toEqual(Array(4).fill('int8 per-channel symmetric'));
    console.log(`int8-weights smallCnn: SQNR ${db.toFixed(2)} dB, size ${report.size.ratio}`);
  });

  it('int4 per-block (64): size <= 0.15x; groups of 32 and 128 along the input axis', async () => {
    const sizes: Record<number, number> = {};
    for (const groupSize of [32, 64, 128]) {
      const { graph, report } = await quantize(cnn, { preset: 'int4-weights', groupSize });
      verify(graph);
      const blocked = [...graph.initializers.values()].filter((t) => t.dtype === 'int4');
      expect(blocked.length).toBe(4);
      for (const t of blocked) {
        expect(t.quant?.kind).toBe('per-block');
        if (t.quant?.kind === 'per-block') expect([t.quant.axis, t.quant.blockSize]).toEqual([1, groupSize]);
      }
      sizes[groupSize] = report.size.ratio;
    }
    expect(sizes[64]).toBeLessThanOrEqual(0.15);
    expect(sizes[128]).toBeLessThan(sizes[64]);
    expect(sizes[64]).toBeLessThan(sizes[32]);
    const { graph } = await quantize(cnn, { preset: 'int4-weights' });
    const db = graphSqnr(cnn, graph, samples.slice(0, 1));
    expect(db).toBeGreaterThan(15);
    console.log(`int4-weights smallCnn: size ${JSON.stringify(sizes)}, SQNR (g64) ${db.toFixed(2)} dB`);
  });

  it('conv weights are blocked over C*kh*kw and reshaped back after dequantization', async () => {
    const { graph } = await quantize(cnn, { preset: 'int4-weights', groupSize: 32 });
    const conv = graph.node('features.1.0')!;
    const reshape = graph.producerOf(conv.inputs[1])!;
    expect(reshape.op).toBe('Reshape');
    const dq = graph.producerOf(reshape.inputs[0])!;
    expect(dq.op).toBe('Dequantize');
    const q = graph.initializers.get(dq.inputs[0])!;
    expect([...q.shape]).toEqual([64, 32 * 9]);
  });

  it('more bits, less error: 2..8-bit weights, symmetric and asymmetric', async () => {
    const small = smallCnn({ channels: [8, 16], seed: 3 });
    const one = randomSamples([1, 1, 28, 28], 2, 8);
    let last = -Infinity;
    for (const bits of [2, 3, 4, 6, 8]) {
      const { graph, report } = await quantize(small, { preset: 'int8-weights', bits });
      const db = graphSqnr(small, graph, one);
      expect(db).toBeGreaterThan(last);
      last = db;
      expect(report.layers.every((l) => l.bits === bits)).toBe(true);
      // 2- and 3-bit weights are stored as int4; the packed size counts their real bits.
      if (bits < 4) expect(report.size.packedAfter).toBeLessThan(report.size.after);
    }
    const asym = await quantize(small, { preset: 'int4-weights', symmetric: false, groupSize: 0 });
    expect([...asym.graph.initializers.values()].some((t) => t.dtype === 'uint4')).toBe(true);
    expect(graphSqnr(small, asym.graph, one)).toBeGreaterThan(15);
  });

  it('DequantizeLinear form computes the same as the Dequantize form', async () => {
    for (const opts of [{ preset: 'int8-weights' }, { preset: 'int4-weights', groupSize: 32 }, { preset: 'int4-weights', symmetric: false, perChannel: false, groupSize: 0 }] as const) {
      const a = await quantize(cnn, opts);
      const b = await quantize(cnn, { ...opts, weightOp: 'DequantizeLinear' });
      expect(countOps(b.graph, 'DequantizeLinear')).toBe(4);
      expect(countOps(b.graph, 'Dequantize')).toBe(0);
      const ya = run(a.graph, samples[0]).logits.toNumbers();
      const yb = run(b.graph, samples[0]).logits.toNumbers();
      expect(yb).toEqual(ya);
    }
  });

  it('fp16 and bf16: half-precision initializers behind Cast', async () => {
    for (const [preset, dtype, minDb] of [['fp16', 'float16', 60], ['bf16', 'bfloat16', 40]] as const) {
      const { graph, report } = await quantize(cnn, { preset });
      verify(graph);
      const halves = [...graph.initializers.values()].filter((t) => t.dtype === dtype);
      expect(halves.length).toBe(8); // 4 weights + 4 biases (BN folded)
      expect(countOps(graph, 'Cast')).toBe(8);
      expect(report.size.ratio).toBeLessThan(0.51);
      expect(graphSqnr(cnn, graph, samples.slice(0, 1))).toBeGreaterThan(minDb);
    }
  });

  it('exclude and minSize keep layers float and say why', async () => {
    const { graph, report } = await quantize(cnn, { preset: 'int8-weights', exclude: ['classifier'], minSize: 1000 });
    const float = Object.fromEntries(report.float.map((f) => [f.node, f.reason]));
    expect(float.classifier).toMatch(/excluded/);
    expect(float['features.0.0']).toMatch(/below minSize 1000/);
    expect(countOps(graph, 'Dequantize')).toBe(2);
    expect(graph.initializers.get(graph.node('classifier')!.inputs[1])!.dtype).toBe('float32');
  });

  it('Gemm weights are quantized per output row (transB) and MatMul weights per output column', async () => {
    const g = mlp({ hiddenSizes: [32], seed: 1 });
    const { graph, report } = await quantize(g, { preset: 'int8-weights', optimize: false });
    expect(report.layers.length).toBe(2);
    const one = randomSamples([1, 1, 28, 28], 2, 3);
    expect(graphSqnr(g, graph, one)).toBeGreaterThan(35);
    const b = new GraphBuilder('mm');
    const x = b.input('x', 'float32', [3, 20]);
    b.output(b.matmul(x, b.constant(fromFunction('float32', [20, 6], (i) => Math.sin(i) * (1 + (i % 6))), 'w')), 'y');
    const mm = b.build();
    const q = await quantize(mm, { preset: 'int8-weights' });
    const w = [...q.graph.initializers.values()].find((t) => t.dtype === 'int8')!;
    expect(w.quant?.kind === 'per-axis' && [w.quant.axis, w.quant.scales.length]).toEqual([1, 6]);
  });

  it('Gather embeddings are quantized per row', async () => {
    const b = new GraphBuilder('embed');
    const ids = b.input('ids', 'int64', [4]);
    b.output(b.gather(b.constant(fromFunction('float32', [50, 16], (i) => Math.cos(i * 0.3)), 'table'), ids), 'y');
    const g = b.build();
    const { graph } = await quantize(g, { preset: 'int8-weights' });
    const t = [...graph.initializers.values()].find((x) => x.dtype === 'int8')!;
    expect(t.quant?.kind === 'per-axis' && t.quant.scales.length).toBe(50);
    const feeds = { ids: tensor('int64', [0n, 7n, 49n, 7n]) };
    const ref = run(g, feeds).y.toNumbers();
    run(graph, feeds).y.toNumbers().forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1 / 127));
  });

  it('optimize: false quantizes the graph as given (BatchNormalization stays)', async () => {
    const { graph } = await quantize(cnn, { preset: 'int8-weights', optimize: false });
    expect(countOps(graph, 'BatchNormalization')).toBe(3);
    expect(graphSqnr(cnn, graph, samples.slice(0, 1))).toBeGreaterThan(30);
  });
});
