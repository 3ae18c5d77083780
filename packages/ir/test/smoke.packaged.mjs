// Run by tools/check-packages.mjs against the packed package, in a fresh process (ESM and CJS).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
for (const ir of [await import('@mo/ir'), require('@mo/ir')]) {
  const b = new ir.GraphBuilder('smoke');
  const x = b.input('x', 'float32', [1, 3]);
  b.output(b.relu(x), 'y');
  const out = ir.run(b.build(), { x: ir.tensor('float32', [[-1, 0, 2]]) });
  assert.deepEqual(out.y.toNumbers(), [0, 0, 2]);
}
const { toNdarray } = await import('@mo/ir/ndarray');
assert.equal(toNdarray((await import('@mo/ir')).tensor('float32', [[1, 2], [3, 4]])).get(1, 0), 3);
