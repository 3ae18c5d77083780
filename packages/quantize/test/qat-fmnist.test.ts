/**
 * Quantization-aware training on real data: the PyTorch-trained CNN and the committed Fashion-MNIST
 * subset. QAT must not lose top-1 accuracy against static PTQ from the same calibration.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Tensor, foldConstantNodes, type Graph } from '@mo/ir';
import { loadOnnx } from '@mo/convert-onnx';
import { createSession } from '@mo/kernels-neon-wasm';
import { ArrayDataset, adam } from '@mo/train';
import { loadFashionMnist } from '@mo/train/node';
import { quantizeAwareTrain, type Engine } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/fashion-mnist/', import.meta.url));
const fastEngine: Engine = async (graph) => {
  const s = await createSession(foldConstantNodes(graph, { foldQuant: true }).graph);
  return { run: (feeds) => s.run(feeds), dispose: () => s.dispose() };
};
const rows = (t: Tensor, from: number, n: number) => new Tensor('float32', [n, ...t.shape.slice(1)], (t.data as Float32Array).slice(from * 784, (from + n) * 784));

async function accuracy(g: Graph, x: Tensor, y: Tensor): Promise<number> {
  const r = await fastEngine(g);
  const out = (await r.run({ input: x }))[g.outputs[0].name];
  r.dispose?.();
  let right = 0;
  for (let i = 0; i < y.size; i++) {
    let a = 0;
    for (let c = 1; c < 10; c++) if (out.get(i * 10 + c) > out.get(i * 10 + a)) a = c;
    if (a === Number(y.get(i))) right++;
  }
  return right / y.size;
}

describe('QAT on the Fashion-MNIST subset', () => {
  it('fine-tuning the PyTorch CNN does not lose top-1 accuracy against PTQ (500 test images)', { timeout: 600_000 }, async () => {
    const model = await loadOnnx(readFileSync(`${FIXTURES}torch-cnn.onnx`));
    const { train, test } = loadFashionMnist({ dir: FIXTURES });
    const calibration = [0, 1].map((k) => ({ input: rows(train.inputs, k * 50, 50) }));
    const data = new ArrayDataset(rows(train.inputs, 100, 128), new Tensor(train.targets.dtype, [128], (train.targets.data as Uint8Array).slice(100, 228)));
    const qat = await quantizeAwareTrain(model, { preset: 'int8-static', calibration, engine: fastEngine, data, batchSize: 32, optimizer: adam({ lr: 1e-4 }) });
    expect(qat.steps).toBe(4);
    const ptqAcc = await accuracy(qat.ptq.graph, test.inputs, test.targets);
    const qatAcc = await accuracy(qat.graph, test.inputs, test.targets);
    console.log(`torch-cnn, 500 subset test images: PTQ ${ptqAcc}, QAT (4 steps) ${qatAcc}`);
    expect(ptqAcc).toBeGreaterThan(0.85);
    expect(qatAcc).toBeGreaterThanOrEqual(ptqAcc);
  });
});
