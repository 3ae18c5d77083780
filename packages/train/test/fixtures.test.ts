/**
 * The trained Fashion-MNIST fixtures (fixtures/fashion-mnist/*.onnx, written by
 * `npm run train:fmnist`): every model the note lists loads with @mo/convert-onnx, has the input
 * and output the note states, gives the same logits on the reference interpreter and the wasm
 * engine, and classifies the committed 500-image test subset about as well as the note's accuracy
 * on the full 10,000-image test set says (the subset is small: 4 points of slack).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '@mo/ir';
import { loadOnnx } from '@mo/convert-onnx';
import { createSessionSync } from '@mo/kernels-neon-wasm';
import { evaluate } from '../src/index.js';
import { loadFashionMnist } from '../src/node.js';

const FIXTURE = new URL('../../../fixtures/fashion-mnist', import.meta.url).pathname;
const note = JSON.parse(readFileSync(join(FIXTURE, 'models.json'), 'utf8')) as Record<string, { file: string; testAccuracy: number; input: { name: string; shape: unknown[] } }>;
const { test } = loadFashionMnist({ dir: FIXTURE });

describe('trained Fashion-MNIST fixtures', () => {
  it('lists the plain CNN', () => {
    expect(Object.keys(note)).toContain('cnn');
  });

  for (const [name, entry] of Object.entries(note)) {
    it(`${name}: loads, matches its note, and classifies the test subset`, async () => {
      const graph = await loadOnnx(readFileSync(join(FIXTURE, entry.file)));
      expect(graph.inputs.map((i) => i.name)).toEqual([entry.input.name]);
      expect(graph.inputs[0].type.shape.slice(1)).toEqual([1, 28, 28]);
      expect(graph.outputs.map((o) => o.name)).toEqual(['logits']);
      const batch = [...test.batches({ batchSize: 4, shuffle: false })][0];
      const ref = run(graph, { input: batch.input }).logits.data as Float32Array;
      const { accuracy } = await evaluate(graph, test, { engine: 'wasm' });
      const eng = createSessionSync(graph).runSync({ input: batch.input }).logits.data as Float32Array;
      for (let i = 0; i < ref.length; i++) expect(Math.abs(eng[i] - ref[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(ref[i])));
      expect(accuracy).toBeGreaterThan(entry.testAccuracy - 0.04);
    });
  }
});
