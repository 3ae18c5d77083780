// Run by tools/check-packages.mjs against the packed package, in a fresh process (ESM and CJS).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
for (const [ir, models, train, node] of [
  [await import('@mo/ir'), await import('@mo/models'), await import('@mo/train'), await import('@mo/train/node')],
  [require('@mo/ir'), require('@mo/models'), require('@mo/train'), require('@mo/train/node')],
]) {
  assert.ok(train.gradientOps().includes('Conv'));
  assert.equal(typeof node.loadFashionMnist, 'function');
  const n = 32;
  const x = ir.fromFunction('float32', [n, 1, 8, 8], (i) => Math.sin(i * 0.37 + Math.floor(i / 64) % 4));
  const y = ir.fromFunction('int32', [n], (i) => i % 4);
  const g = models.mlp({ hiddenSizes: [8], resolution: 8, numClasses: 4, seed: 1 });
  const before = g.initializers.get('fc.0.weight').toNumbers();
  const { graph, history } = await train.fit(g, { data: new train.ArrayDataset(x, y), optimizer: train.adam({ lr: 1e-2 }), epochs: 3, batchSize: 8, seed: 2 });
  assert.equal(history.length, 3);
  assert.ok(history[2].loss < history[0].loss);
  assert.deepEqual(g.initializers.get('fc.0.weight').toNumbers(), before);
  assert.notDeepEqual(graph.initializers.get('fc.0.weight').toNumbers(), before);
  // the wasm engine resolves @mo/kernels-neon-wasm from the packed packages
  const fast = await train.fit(g, { data: new train.ArrayDataset(x, y), optimizer: train.adam({ lr: 1e-2 }), epochs: 3, batchSize: 8, seed: 2, engine: 'wasm' });
  assert.ok(fast.history[2].loss < fast.history[0].loss);
  const bytes = train.encodeIdx(y);
  assert.deepEqual((await train.readIdx(bytes)).toNumbers(), y.toNumbers());
}
