// Runs in a fresh Node process against the packed package (tools/check-packages.mjs).
import { GraphBuilder, run, tensor } from '@mo/ir';
import { createSession, hardwareConfig } from '@mo/kernels-neon-wasm';

const b = new GraphBuilder('smoke');
const x = b.input('x', 'float32', [1, 2, 4, 4]);
const c = b.conv(x, tensor('float32', Array.from({ length: 36 }, (_, i) => (i % 7) / 7 - 0.4), [2, 2, 3, 3]), undefined, { pads: [1, 1, 1, 1], activation: 'Relu' });
b.output(b.softmax(b.flatten(b.globalAveragePool(c), 1), -1), 'y');
const g = b.build();
const feed = { x: tensor('float32', Array.from({ length: 32 }, (_, i) => Math.sin(i)), [1, 2, 4, 4]) };
const session = await createSession(g);
const got = (await session.run(feed)).y.toFloat32();
const want = run(g, feed).y.toFloat32();
for (let i = 0; i < want.length; i++) {
  if (Math.abs(got[i] - want[i]) > 1e-5) throw new Error(`mismatch at ${i}: ${got[i]} vs ${want[i]}`);
}
if (session.fallbackOps.length) throw new Error(`unexpected fallbacks: ${JSON.stringify(session.fallbackOps)}`);
if (!hardwareConfig().simd) throw new Error('no SIMD detected');
console.log('ok', Array.from(got));
