// The main job, for now: build a small CNN with the builder, run it through the reference
// interpreter, optimize it with the default pass pipeline and check that nothing changed.
import { GraphBuilder, fromFunction, optimize, run, verify } from '@mo/ir';

/** Seeded uniform values in [-scale, scale) (mulberry32), so every run prints the same numbers. */
function seeded(seed, scale) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1) * scale;
  };
}
const weights = (shape, seed, fanIn) => {
  const r = seeded(seed, Math.sqrt(6 / fanIn));
  return fromFunction('float32', shape, () => r());
};

// A small CNN for 28x28 gray images (Fashion-MNIST sized).
const b = new GraphBuilder('small-cnn');
const image = b.input('image', 'float32', ['batch', 1, 28, 28]);
let h = b.conv(image, weights([8, 1, 3, 3], 1, 9), weights([8], 2, 9), { pads: [1, 1, 1, 1] });
h = b.relu(h);
h = b.maxPool(h, { kernel_shape: [2, 2], strides: [2, 2] });
h = b.conv(h, weights([16, 8, 3, 3], 3, 72), undefined, { pads: [1, 1, 1, 1], strides: [2, 2] });
h = b.batchNorm(h, weights([16], 4, 1), weights([16], 5, 1), weights([16], 6, 1), fromFunction('float32', [16], (i) => 0.5 + i / 16));
h = b.clip(h, 0, 6); // ReLU6
h = b.flatten(b.globalAveragePool(h), 1);
const logits = b.gemm(h, weights([10, 16], 7, 16), weights([10], 8, 16), { transB: 1 });
b.output(b.softmax(logits, -1), 'probabilities');
const graph = b.build();

console.log(graph.summary());

// Two synthetic "images": a vertical bar and a ring.
const batch = fromFunction('float32', [2, 1, 28, 28], (i) => {
  const n = Math.floor(i / 784);
  const y = Math.floor((i % 784) / 28);
  const x = i % 28;
  return n === 0 ? (x >= 12 && x < 16 ? 1 : 0) : Math.abs(Math.hypot(x - 13.5, y - 13.5) - 8) < 2 ? 1 : 0;
});
const { probabilities } = run(graph, { image: batch });
const rows = [0, 1].map((n) => probabilities.toNumbers().slice(n * 10, n * 10 + 10));
console.log('\nreference interpreter output (softmax over 10 classes):');
rows.forEach((p, n) => {
  const top = p.indexOf(Math.max(...p));
  console.log(`  image ${n}: [${p.map((v) => v.toFixed(4)).join(', ')}]  top class ${top}`);
});

const optimized = verify(optimize(graph));
console.log(`\nafter optimize() (BatchNorm folded, activations fused):\n${optimized.summary()}`);
const again = run(optimized, { image: batch }).probabilities.toNumbers();
const maxDiff = Math.max(...again.map((v, i) => Math.abs(v - probabilities.get(i))));
console.log(`\nmax |difference| between original and optimized outputs: ${maxDiff.toExponential(2)}`);
if (!(maxDiff < 1e-5)) {
  console.error('optimized graph disagrees with the original');
  process.exit(1);
}
