/**
 * Exported QDQ ONNX runs in ONNX Runtime (onnxruntime-node, an independent runtime) and agrees with
 * the reference interpreter, and with the fast engine, within one quantization step of the output
 * per element, on a model trained by PyTorch and real Fashion-MNIST images.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Tensor, foldConstantNodes, run, type Graph } from '@mo/ir';
import { loadOnnx, saveOnnx } from '@mo/convert-onnx';
import { createSession } from '@mo/kernels-neon-wasm';
import { loadFashionMnist } from '@mo/train/node';
import { quantize, type Engine, type QuantizeOptions } from '../src/index.js';

process.env.ORT_DISABLE_TELEMETRY = '1';
const FIXTURES = fileURLToPath(new URL('../../../fixtures/fashion-mnist/', import.meta.url));

const fastEngine: Engine = async (graph) => {
  const s = await createSession(foldConstantNodes(graph, { foldQuant: true }).graph);
  return { run: (feeds) => s.run(feeds), dispose: () => s.dispose() };
};

async function runOrt(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = await session.run({ input: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]) });
  await session.release();
  return Object.values(out)[0].data as Float32Array;
}

/** The output's quantization step: the scale of the DequantizeLinear that writes it. */
function outputStep(g: Graph): number {
  const dq = g.producerOf(g.outputs[0].name)!;
  expect(dq.op).toBe('DequantizeLinear');
  return g.initializers.get(dq.inputs[1])!.get(0);
}

function stepsApart(a: ArrayLike<number>, b: ArrayLike<number>, step: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / step);
  return worst;
}

describe('QDQ ONNX export in onnxruntime-node', async () => {
  const model = await loadOnnx(readFileSync(`${FIXTURES}torch-cnn.onnx`));
  const { train, test } = loadFashionMnist({ dir: FIXTURES, limit: { train: 64, test: 32 } });
  const rows = (t: Tensor, from: number, n: number) => new Tensor('float32', [n, 1, 28, 28], (t.data as Float32Array).slice(from * 784, (from + n) * 784));
  const calibration = [0, 1].map((k) => ({ input: rows(train.inputs, k * 32, 32) }));
  const x = rows(test.inputs, 0, 32);

  for (const [what, opts] of [
    ['int8 activations, per-channel weights', {}],
    ['uint8 activations (U8S8)', { activationType: 'uint8' }],
  ] as const) {
    it(`${what}: ORT agrees with the reference interpreter and the engine within one output step`, { timeout: 600_000 }, async () => {
      const { graph } = await quantize(model, { preset: 'int8-static', calibration, engine: fastEngine, ...(opts as Partial<QuantizeOptions>) });
      const step = outputStep(graph);
      const ortOut = await runOrt(saveOnnx(graph), x);
      const ref = run(graph, { input: x })[graph.outputs[0].name].data as Float32Array;
      const runner = await fastEngine(graph);
      const eng = (await runner.run({ input: x }))[graph.outputs[0].name].data as Float32Array;
      runner.dispose?.();
      expect(ortOut.length).toBe(32 * 10);
      expect(stepsApart(ortOut, ref, step)).toBeLessThanOrEqual(1);
      expect(stepsApart(ortOut, eng, step)).toBeLessThanOrEqual(1);
      // Not vacuous: the logits span many steps.
      expect(Math.max(...ref) - Math.min(...ref)).toBeGreaterThan(50 * step);
    });
  }
});
