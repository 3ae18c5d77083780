// Run by tools/check-packages.mjs against the packed package, in a fresh process (ESM and CJS).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
for (const [ir, models] of [
  [await import('@mo/ir'), await import('@mo/models')],
  [require('@mo/ir'), require('@mo/models')],
]) {
  const g = models.buildModel('smallCnn', { channels: [4, 8], seed: 1 });
  const x = ir.fromFunction('float32', [2, 1, 28, 28], (i) => Math.sin(i));
  const y = ir.run(g, { input: x }).logits;
  assert.deepEqual([...y.shape], [2, 10]);
  assert.ok(y.toNumbers().every(Number.isFinite));
  assert.equal(models.countParameters(models.mobilenetV2({ batch: 1 })).learnable, 3504872);
  assert.ok(ir.structurallyEqual(models.mlp({ seed: 3 }), models.mlp({ seed: 3 })));
}
