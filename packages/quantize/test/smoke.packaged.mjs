// Run by tools/check-packages.mjs against the packed package, in a fresh process (ESM and CJS).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
for (const [ir, models, q] of [
  [await import('@mo/ir'), await import('@mo/models'), await import('@mo/quantize')],
  [require('@mo/ir'), require('@mo/models'), require('@mo/quantize')],
]) {
  const g = models.smallCnn({ channels: [8, 16], seed: 1 });
  const x = ir.fromFunction('float32', [1, 1, 28, 28], (i) => Math.sin(i));
  const w = await q.quantize(g, { preset: 'int8-weights' });
  assert.ok(w.report.size.ratio < 0.3);
  const ref = ir.run(g, { input: x }).logits.toNumbers();
  const got = ir.run(w.graph, { input: x }).logits.toNumbers();
  assert.ok(got.every((v, i) => Math.abs(v - ref[i]) < 0.05));
  const s = await q.quantize(g, { preset: 'int8-static', calibration: [{ input: x }], integer: true });
  assert.ok(s.graph.nodes.some((n) => n.op === 'QLinearConv'));
  assert.deepEqual(q.PRESETS.length, 8);
}
