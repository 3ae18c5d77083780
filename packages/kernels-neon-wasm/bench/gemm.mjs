#!/usr/bin/env node
// f32 GEMM benchmark (not a test): M = N = K = 256 by default, one thread, same inputs for every
// engine, in one process:
//   - every f32-gemm microkernel of this package (kernel only: A and packed B already in wasm memory)
//   - this package end to end: a MatMul graph with a constant B through session.runSync (copies in/out)
//   - XNNPACK via @tensorflow/tfjs-backend-wasm (1 thread, SIMD), tf.matMul
//   - onnxruntime-web (wasm, 1 thread, SIMD), a MatMul model with B as an initializer
// Prints GFLOP/s (best of many timing windows), % of the 128-bit f32 peak, and ratios.
//   npm run build && npm run bench [-- --size 256 --ghz 3.2 --flops-per-cycle 16 --seconds 1 --threads 2]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('dist/index.js is missing: run `npm run build` in packages/kernels-neon-wasm first');
  process.exit(1);
}
const mo = await import(pathToFileURL(dist).href);
const ir = await import('@mo/ir');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const S = arg('size', 256);
const GHZ = arg('ghz', 3.2);
const FLOPS_PER_CYCLE = arg('flops-per-cycle', 16);
const SECONDS = arg('seconds', 1);
const M = S, N = S, K = S;
const FLOP = 2 * M * N * K;
const PEAK = GHZ * FLOPS_PER_CYCLE;

// deterministic inputs
let seed = 42;
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 4294967296 - 0.5;
};
const A = Float32Array.from({ length: M * K }, rand);
const B = Float32Array.from({ length: K * N }, rand);

/**
 * Engines are registered first, then timed round-robin: every round gives each engine a few
 * timing windows of ~20 ms, and each keeps its best window. Interleaving gives every engine the
 * same chances at quiet moments on a shared machine.
 */
const engines = [];
function engine(name, fn, { asyncFn = false, note = '' } = {}) {
  engines.push({ name, fn, asyncFn, note, reps: 1, best: Infinity });
}

async function calibrate(e) {
  for (let i = 0; i < 5; i++) e.asyncFn ? await e.fn() : e.fn();
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < e.reps; i++) e.asyncFn ? await e.fn() : e.fn();
    if (performance.now() - t0 > 20 || e.reps > 1e6) break;
    e.reps *= 2;
  }
}

async function timeAll() {
  for (const e of engines) await calibrate(e);
  const rounds = Math.max(1, Math.round(SECONDS * 10));
  for (let r = 0; r < rounds; r++) {
    for (const e of engines) {
      for (let w = 0; w < 4; w++) {
        const t0 = performance.now();
        for (let i = 0; i < e.reps; i++) e.asyncFn ? await e.fn() : e.fn();
        e.best = Math.min(e.best, (performance.now() - t0) / e.reps);
      }
    }
  }
  for (const e of engines) e.gflops = FLOP / (e.best * 1e-3) / 1e9;
}

function maxErr(c) {
  let err = 0;
  for (const [i, j] of [[0, 0], [M - 1, N - 1], [17 % M, 33 % N], [M >> 1, 7 % N]]) {
    let s = 0;
    for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
    err = Math.max(err, Math.abs(s - c[i * N + j]));
  }
  return err;
}

const report = (name, gflops, note = '') => {
  console.log(`${name.padEnd(44)} ${gflops.toFixed(1).padStart(6)} GFLOP/s  ${((100 * gflops) / PEAK).toFixed(0).padStart(3)}% of peak${note ? `  ${note}` : ''}`);
};
const { loadavg } = await import('node:os');

console.log(`f32 GEMM ${M}x${N}x${K}, one thread; peak = ${GHZ} GHz x ${FLOPS_PER_CYCLE} FLOP/cycle = ${PEAK.toFixed(1)} GFLOP/s (128-bit)`);
console.log(`node ${process.version}, ${JSON.stringify(mo.hardwareConfig())}, load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);

// ------------------------------------------------------------------ this package: microkernels
const rt = mo.createRuntimeSync();
const heap = rt.heap;
const a = heap.alloc(M * K * 4);
heap.writeF32(a, A);
const w = mo.packGemmWeights(rt, B, K, N, N, 1);
const c = heap.alloc(M * N * 4);
for (const v of mo.F32_GEMM_VARIANTS) {
  const run = mo.bindGemm(rt, { m: M, n: N, k: K, a, lda: K, w, c, ldc: N, min: -Infinity, max: Infinity }, v);
  run();
  const err = maxErr(heap.readF32(c, M * N));
  if (err > 1e-3) throw new Error(`${v.name}: wrong result (max abs err ${err})`);
  engine(`mo ${v.name}${v.mr === mo.DEFAULT_GEMM_MR ? ' (default)' : ''}`, run, { note: v.mr === mo.DEFAULT_GEMM_MR ? 'default' : '' });
}

// ------------------------------------------------------------------ this package: session
const gb = new ir.GraphBuilder('matmul');
const x = gb.input('A', 'float32', [M, K]);
gb.output(gb.matmul(x, new ir.Tensor('float32', [K, N], B)), 'C');
const session = mo.createSessionSync(gb.build());
const feedA = new ir.Tensor('float32', [M, K], A);
const outS = session.runSync({ A: feedA }).C;
if (maxErr(outS.data) > 1e-3) throw new Error('session: wrong result');
engine('mo session.runSync (MatMul, copies in/out)', () => session.runSync({ A: feedA }), { note: 'session' });
const THREADS = arg('threads', 2);
let mt;
if (THREADS > 1) {
  mt = mo.createSessionSync(gb.build(), { threads: THREADS });
  if (mt.threads > 1) {
    if (maxErr(mt.runSync({ A: feedA }).C.data) > 1e-3) throw new Error('session (threads): wrong result');
    engine(`mo session.runSync, ${mt.threads} threads`, () => mt.runSync({ A: feedA }), { note: 'threads' });
  }
}

// ------------------------------------------------------------------ XNNPACK (tfjs-backend-wasm)
let xnn = NaN;
try {
  const require = createRequire(import.meta.url);
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  // Node's fetch does not read local files: serve the backend's .wasm files from disk
  const { readFileSync } = await import('node:fs');
  const platformFetch = tf.env().platform.fetch.bind(tf.env().platform);
  tf.env().platform.fetch = async (path, init) =>
    typeof path === 'string' && path.startsWith('/') ? new Response(readFileSync(path), { headers: { 'Content-Type': 'application/wasm' } }) : platformFetch(path, init);
  wasm.setWasmPaths(join(wasmDir, 'dist') + '/');
  wasm.setThreadsCount(1);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  const ta = tf.tensor2d(A, [M, K]);
  const tb = tf.tensor2d(B, [K, N]);
  const probe = tf.matMul(ta, tb);
  if (maxErr(probe.dataSync()) > 1e-3) throw new Error('tfjs: wrong result');
  probe.dispose();
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  engine('XNNPACK (tfjs-backend-wasm 4.22, tf.matMul)', () => tf.matMul(ta, tb).dispose(), { note: `xnn|simd=${simd}, threads=${wasm.getThreadsCount()}` });
} catch (e) {
  console.log(`XNNPACK (tfjs-backend-wasm): skipped (${e.message})`);
}

// ------------------------------------------------------------------ onnxruntime-web
let ortG = NaN;
try {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  const sess = await ort.InferenceSession.create(matmulModel(M, K, N, B), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { A: new ort.Tensor('float32', A, [M, K]) };
  const probe = await sess.run(feeds);
  if (maxErr(probe.C.data) > 1e-3) throw new Error('onnxruntime-web: wrong result');
  engine('onnxruntime-web 1.30 (wasm, session.run)', () => sess.run(feeds), { asyncFn: true, note: 'ort|threads=1' });
} catch (e) {
  console.log(`onnxruntime-web: skipped (${e.message})`);
}

await timeAll();
let ours = NaN;
let oursSession = NaN;
for (const e of engines) {
  const [tag, extra = ''] = e.note.split('|');
  if (tag === 'default') ours = e.gflops;
  if (tag === 'session') oursSession = e.gflops;
  if (tag === 'xnn') xnn = e.gflops;
  if (tag === 'ort') ortG = e.gflops;
  const note = tag === 'threads' ? `(${(e.gflops / oursSession).toFixed(2)}x one thread; not in the ratios below)` : tag === 'session' ? `[${session.kernels.map((k) => k.ukernel).join(', ')}]` : extra;
  report(e.name, e.gflops, note);
}
mt?.dispose();
console.log('');
console.log(`ratio mo ${mo.DEFAULT_GEMM_MR}x8 kernel / XNNPACK:          ${(ours / xnn).toFixed(2)}x`);
console.log(`ratio mo ${mo.DEFAULT_GEMM_MR}x8 kernel / onnxruntime-web:  ${(ours / ortG).toFixed(2)}x`);
console.log(`ratio mo session / onnxruntime-web session: ${(oursSession / ortG).toFixed(2)}x`);
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

// ------------------------------------------------------------------ a minimal ONNX MatMul model (protobuf by hand)
function matmulModel(m, k, n, b) {
  const bytes = [];
  const varint = (out, v) => {
    while (v > 127) {
      out.push((v & 127) | 128);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  const field = (out, num, wire, payload) => {
    varint(out, (num << 3) | wire);
    if (wire === 0) varint(out, payload);
    else {
      varint(out, payload.length);
      for (const x of payload) out.push(x);
    }
  };
  const str = (s) => [...new TextEncoder().encode(s)];
  const msg = (build) => {
    const out = [];
    build(out);
    return out;
  };
  const dim = (v) => msg((o) => field(o, 1, 0, v)); // TensorShapeProto.Dimension.dim_value
  const valueInfo = (name, dims) => msg((o) => {
    field(o, 1, 2, str(name));
    const tensorType = msg((t) => {
      field(t, 1, 0, 1); // elem_type FLOAT
      field(t, 2, 2, msg((s) => dims.forEach((d) => field(s, 1, 2, dim(d)))));
    });
    field(o, 2, 2, msg((t) => field(t, 1, 2, tensorType))); // TypeProto.tensor_type
  });
  const node = msg((o) => {
    field(o, 1, 2, str('A'));
    field(o, 1, 2, str('B'));
    field(o, 2, 2, str('C'));
    field(o, 4, 2, str('MatMul'));
  });
  const init = msg((o) => {
    field(o, 1, 0, k);
    field(o, 1, 0, n);
    field(o, 2, 0, 1); // data_type FLOAT
    field(o, 8, 2, str('B'));
    field(o, 9, 2, [...new Uint8Array(b.buffer, b.byteOffset, b.byteLength)]); // raw_data
  });
  const graph = msg((o) => {
    field(o, 1, 2, node);
    field(o, 2, 2, str('matmul'));
    field(o, 5, 2, init);
    field(o, 11, 2, valueInfo('A', [m, k]));
    field(o, 12, 2, valueInfo('C', [m, n]));
  });
  field(bytes, 1, 0, 8); // ir_version
  field(bytes, 7, 2, graph);
  field(bytes, 8, 2, msg((o) => field(o, 2, 0, 13))); // opset_import { version: 13 }
  return new Uint8Array(bytes);
}
