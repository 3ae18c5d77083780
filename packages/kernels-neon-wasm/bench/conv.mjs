#!/usr/bin/env node
// Convolution layers of a MobileNet-style network, one thread (not a test): this package's session
// (NHWC graph; runSync with caller-owned output storage, so copies in and out are included but not
// output allocation), the same plan's steps alone, and XNNPACK in @tensorflow/tfjs-backend-wasm
// (tf.conv2d / tf.depthwiseConv2d, 'same' padding, input already in its memory), timed
// round-robin, best run each.
//   npm run build && npm run bench:conv [-- --seconds 1]
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('dist/index.js is missing: run `npm run build` in packages/kernels-neon-wasm first');
  process.exit(1);
}
const mo = await import(pathToFileURL(dist).href);
const ir = await import('@mo/ir');
const i = process.argv.indexOf('--seconds');
const SECONDS = i > 0 ? Number(process.argv[i + 1]) : 1;

const require = createRequire(import.meta.url);
const tf = await import('@tensorflow/tfjs-core');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const platformFetch = tf.env().platform.fetch.bind(tf.env().platform);
tf.env().platform.fetch = async (p, init) =>
  typeof p === 'string' && p.startsWith('/') ? new Response(readFileSync(p), { headers: { 'Content-Type': 'application/wasm' } }) : platformFetch(p, init);
wasm.setWasmPaths(join(wasmDir, 'dist') + '/');
wasm.setThreadsCount(1);
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
await tf.ready();

let seed = 7;
const rnd = (n) => Float32Array.from({ length: n }, () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296 - 0.5));

const layers = [
  ['3x3 conv 56x56x64 -> 64', 56, 64, 64, 3, 1, 1],
  ['1x1 conv 56x56x64 -> 128', 56, 64, 128, 1, 1, 1],
  ['3x3 conv s2 112x112x3 -> 32', 112, 3, 32, 3, 1, 2],
  ['dw 3x3 112x112x32', 112, 32, 32, 3, 32, 1],
  ['dw 3x3 s2 112x112x64', 112, 64, 64, 3, 64, 2],
  ['dw 5x5 28x28x96', 28, 96, 96, 5, 96, 1],
];

const rows = [];
for (const [name, H, C, M, k, group, stride] of layers) {
  const p = k >> 1;
  const W = rnd(M * (C / group) * k * k);
  const X = rnd(H * H * C);
  const b = new ir.GraphBuilder('layer');
  const x = b.input('x', 'float32', [1, H, H, C]);
  // 'same' padding as tfjs computes it for odd kernels
  b.output(b.conv(x, new ir.Tensor('float32', [M, C / group, k, k], W), undefined, { layout: 'NHWC', auto_pad: 'SAME_UPPER', group, strides: [stride, stride] }), 'y');
  const session = mo.createSessionSync(b.build());
  const OH = Math.ceil(H / stride);
  const into = { y: new Float32Array(OH * OH * M) };
  const feed = { x: new ir.Tensor('float32', [1, H, H, C], X) };
  const tx = tf.tensor4d(X, [1, H, H, C]);
  // tfjs filters: [k, k, in, out] and [k, k, C, 1]
  const wt = new Float32Array(W.length);
  for (let m = 0; m < M; m++) for (let c = 0; c < C / group; c++) for (let t = 0; t < k * k; t++) {
    wt[group === 1 ? (t * C + c) * M + m : t * C + m] = W[(m * (C / group) + c) * k * k + t];
  }
  const tw = tf.tensor4d(wt, group === 1 ? [k, k, C, M] : [k, k, C, 1]);
  const tfRun = group === 1 ? () => tf.conv2d(tx, tw, stride, 'same').dispose() : () => tf.depthwiseConv2d(tx, tw, stride, 'same').dispose();
  // same results?
  const ours = session.runSync(feed).y.toFloat32();
  const theirs = (group === 1 ? tf.conv2d(tx, tw, stride, 'same') : tf.depthwiseConv2d(tx, tw, stride, 'same')).dataSync();
  let err = 0;
  for (let j = 0; j < ours.length; j++) err = Math.max(err, Math.abs(ours[j] - theirs[j]));
  if (err > 1e-3) throw new Error(`${name}: results differ from tfjs by ${err}`);
  rows.push({
    name,
    flop: 2 * OH * OH * M * (C / group) * k * k,
    mo: () => session.runSync(feed, { into }),
    moKernel: () => session.experimental_runStepsOnly(),
    tf: tfRun,
    ukernel: session.kernels.map((s) => s.ukernel).join(','),
    best: { mo: Infinity, moKernel: Infinity, tf: Infinity },
  });
}

const rounds = Math.max(1, Math.round(SECONDS * 10));
for (let r = 0; r < rounds + 1; r++) {
  for (const row of rows) {
    for (const which of ['mo', 'moKernel', 'tf']) {
      const t0 = performance.now();
      row[which]();
      const t = performance.now() - t0;
      if (r > 0) row.best[which] = Math.min(row.best[which], t);
    }
  }
}
console.log('GFLOP/s, one thread. session: runSync (copies the input in and the output out); kernel: the plan steps alone');
console.log(`${'layer'.padEnd(30)} ${'session'.padStart(8)} ${'kernel'.padStart(8)} ${'XNNPACK'.padStart(8)}  kernel/XNNPACK  microkernel`);
for (const row of rows) {
  const g = (t) => row.flop / (t * 1e-3) / 1e9;
  console.log(`${row.name.padEnd(30)} ${g(row.best.mo).toFixed(1).padStart(8)} ${g(row.best.moKernel).toFixed(1).padStart(8)} ${g(row.best.tf).toFixed(1).padStart(8)}  ${(row.best.tf / row.best.moKernel).toFixed(2).padStart(13)}x  ${row.ukernel}`);
}
