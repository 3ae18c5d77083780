// Run by tools/check-packages.mjs against the packed package, in a fresh process (ESM and CJS).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
for (const [ir, conv] of [
  [await import('@mo/ir'), await import('@mo/convert-onnx')],
  [require('@mo/ir'), require('@mo/convert-onnx')],
]) {
  const b = new ir.GraphBuilder('smoke');
  const x = b.input('x', 'float32', [1, 3]);
  b.output(b.relu(x), 'y');
  const bytes = conv.saveOnnx(b.build());
  assert.ok(bytes instanceof Uint8Array && bytes.length > 0);
  const g = await conv.loadOnnx(bytes);
  assert.deepEqual(ir.run(g, { x: ir.tensor('float32', [[-1, 0, 2]]) }).y.toNumbers(), [0, 0, 2]);
  assert.throws(() => conv.parseOnnx(new Uint8Array([0x0a, 0xff, 0xff])), (e) => e instanceof ir.FormatError);
}
