#!/usr/bin/env node
// int8 vs float32 MobileNetV2 1.0 224, batch 1, one thread (not a test). In one process:
//   - float32: createSession(mobilenetV2({ seed })) (BatchNorm folded, ReLU6 fused)
//   - int8: the same graph through @mo/quantize (int8-static, per-channel weights, integer: true:
//     QLinearConv / QLinearAdd / QGemm ...), format 'qdq' (float requantization) and 'tflite'
//     (TFLite fixed-point multipliers), each in a createSession on the qs8 kernels
//   - onnxruntime-web (wasm, SIMD, 1 thread) on the QDQ ONNX file of the same quantized model
//     (saveOnnx of the integer: false graph; onnxruntime fuses QDQ into its int8 kernels)
// Calibration on the reference interpreter (exact; ~20 s idle): --calib random images (uniform
// [-1, 1], seeded). The int8 sessions must have no fallback op. Engines are timed round-robin (warm-up, then median of --runs runs each) and the
// ratio float32 latency / int8 latency is printed (target >= 1.6x).
//   npm run bench:int8 -w @mo/quantize [-- --runs 30 --seed 1 --calib 2 --formats qdq,tflite]
import { loadavg } from 'node:os';

const mo = await import('@mo/kernels-neon-wasm');
const ir = await import('@mo/ir');
const { mobilenetV2 } = await import('@mo/models');
const { quantize } = await import('@mo/quantize');

const argv = process.argv;
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : dflt;
};
const RUNS = Number(arg('runs', 30));
const SEED = Number(arg('seed', 1));
const CALIB = Number(arg('calib', 2));
const FORMATS = String(arg('formats', 'qdq,tflite')).split(',');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

let seed = 12345;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296) * 2 - 1;
const image = () => new ir.Tensor('float32', [1, 3, 224, 224], Float32Array.from({ length: 3 * 224 * 224 }, rand));

console.log(`MobileNetV2 1.0 224, batch 1, one thread: float32 vs int8 sessions; node ${process.version}, ${JSON.stringify(mo.hardwareConfig())}`);
console.log(`load average before: ${load()}\n`);

const graph = mobilenetV2({ seed: SEED });
const calibration = Array.from({ length: CALIB }, () => ({ input: image() }));
const X = image();
const feed = { input: X };

const engines = [];
const sf = mo.createSessionSync(graph);
const outF = Float32Array.from(sf.runSync(feed).logits.data);
const intoF = { logits: new Float32Array(1000) };
engines.push({ name: 'mo float32 session', tag: 'f32', fn: () => sf.runSync(feed, { into: intoF }), out: outF });

const quantized = {};
for (const format of FORMATS) {
  const t0 = performance.now();
  const { graph: q } = await quantize(graph, { preset: 'int8-static', calibration, integer: true, format });
  quantized[format] = q;
  const s = mo.createSessionSync(q);
  if (s.fallbackOps.length) throw new Error(`int8 (${format}) session falls back: ${JSON.stringify(s.fallbackOps)}`);
  const out = Float32Array.from(s.runSync(feed).logits.data);
  const into = { logits: new Float32Array(1000) };
  const ops = [...new Set(q.nodes.map((n) => n.op))].join(', ');
  console.log(`int8 '${format}': quantized in ${((performance.now() - t0) / 1000).toFixed(1)} s; ops ${ops}; no fallback`);
  engines.push({ name: `mo int8 session (format '${format}')`, tag: format, fn: () => s.runSync(feed, { into }), out });
}

// onnxruntime-web on the QDQ ONNX of the same quantization (format 'qdq', integer: false)
try {
  const ort = await import('onnxruntime-web');
  const { saveOnnx } = await import('@mo/convert-onnx');
  const { graph: qdq } = await quantize(graph, { preset: 'int8-static', calibration, format: 'qdq', weightOp: 'DequantizeLinear' });
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  const sess = await ort.InferenceSession.create(saveOnnx(qdq), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { [sess.inputNames[0]]: new ort.Tensor('float32', X.data, [1, 3, 224, 224]) };
  const out = Float32Array.from((await sess.run(feeds))[sess.outputNames[0]].data);
  engines.push({ name: `onnxruntime-web ${ort.env.versions?.web ?? ''} QDQ int8 (wasm, SIMD, 1 thread)`, tag: 'ort', fn: () => sess.run(feeds), async: true, out });
} catch (e) {
  console.log(`onnxruntime-web: skipped (${e.message})`);
}

// ------------------------------------------------------------------ agreement with float32
const argmax = (a) => a.reduce((b, v, i) => (v > a[b] ? i : b), 0);
const sqnr = (a, ref) => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i] * ref[i];
    n += (a[i] - ref[i]) ** 2;
  }
  return 10 * Math.log10(s / n);
};
console.log(`\nlogits vs the float32 session (argmax ${argmax(outF)}):`);
for (const e of engines) if (e.tag !== 'f32') console.log(`  ${e.name.padEnd(56)} SQNR ${sqnr(e.out, outF).toFixed(1)} dB, argmax ${argmax(e.out)}`);

// ------------------------------------------------------------------ timing: warm-up, then round-robin
for (const e of engines) {
  e.times = [];
  for (let i = 0; i < 3; i++) e.async ? await e.fn() : e.fn();
}
for (let r = 0; r < RUNS; r++) {
  for (const e of engines) {
    const t0 = performance.now();
    e.async ? await e.fn() : e.fn();
    e.times.push(performance.now() - t0);
  }
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`\nlatency, ms (median of ${RUNS} round-robin runs after 3 warm-up runs; min in brackets)`);
const med = {};
const min = {};
for (const e of engines) {
  med[e.tag] = median(e.times);
  min[e.tag] = Math.min(...e.times);
  console.log(`  ${e.name.padEnd(56)} ${med[e.tag].toFixed(2).padStart(8)}  [${min[e.tag].toFixed(2)}]`);
}
console.log('');
for (const f of FORMATS) console.log(`speed-up int8 '${f}' / float32:  ${(med.f32 / med[f]).toFixed(2)}x median, ${(min.f32 / min[f]).toFixed(2)}x min  (target >= 1.6x)`);
if (med.ort) for (const f of FORMATS) console.log(`ratio mo int8 '${f}' latency / onnxruntime-web int8: ${(med[f] / med.ort).toFixed(2)}x median`);
console.log(`load average after: ${load()}`);
