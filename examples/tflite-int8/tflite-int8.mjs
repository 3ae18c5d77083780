#!/usr/bin/env node
// The main job: an ONNX model -> int8 static quantization (TFLite conventions, calibrated on
// Fashion-MNIST images shipped in the repository) -> model.tflite, then the file verified in
// LiteRT.js: accuracy of the .tflite and of the quantized IR on mo's engine, size before and
// after, mo engine vs LiteRT.js latency, and where the files went.
//
//   node examples/tflite-int8/tflite-int8.mjs [model.onnx] [--out DIR] [--test-set fixture|full]
//        [--limit N] [--calibration N] [--scale S --mean M --std S] [--rounds N] [--require-equal]
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadOnnx } from '@mo/convert-onnx';
import { DEBIAN_FASHION_MNIST_DIR } from '@mo/train/node';
import { readSplit, imageBatch } from './lib/data.mjs';
import { boundShape, calibrationFeeds, convert, countCorrect, evaluate, latency, latencyEngines, seededInput, takesFashionMnist } from './lib/pipeline.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
/** The model the script converts when none is given (a @mo/train model may replace it: change only this line). */
export const DEFAULT_MODEL = join(root, 'fixtures/fashion-mnist/torch-cnn.onnx');
const FIXTURE_DIR = join(root, 'fixtures/fashion-mnist');

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: join(here, 'out') },
    'test-set': { type: 'string', default: 'fixture' },
    limit: { type: 'string' },
    calibration: { type: 'string', default: '100' },
    scale: { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    'require-equal': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 8).join('\n').replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}

const modelPath = resolve(positionals[0] ?? DEFAULT_MODEL);
if (!existsSync(modelPath)) {
  console.error(`model not found: ${modelPath}`);
  process.exit(2);
}
const show = (p) => relative(process.cwd(), p) || p;

/**
 * Input normalization: flags, else the model's JSON note (`<model>.json`, key `preprocessing`:
 * `{ scale, mean, std }`), else pixels / 255.
 */
function normalization() {
  let note = {};
  const notePath = modelPath.replace(/\.onnx$/, '.json');
  if (existsSync(notePath)) note = JSON.parse(readFileSync(notePath, 'utf8')).preprocessing ?? {};
  const num = (flag, fromNote, dflt) => (opt[flag] !== undefined ? Number(opt[flag]) : typeof fromNote === 'number' ? fromNote : dflt);
  return { scale: num('scale', note.scale, 1 / 255), mean: num('mean', note.mean, 0), std: num('std', note.std, 1) };
}

const t0 = performance.now();
let last = t0;
const secs = () => {
  const now = performance.now();
  const s = ((now - last) / 1000).toFixed(1);
  last = now;
  return s;
};
const stage = (s) => process.stdout.write(`${s === 'load' ? '' : `(${secs()} s) `}${s}... `);
console.log(`model: ${show(modelPath)}`);

// 1. Load, quantize (calibrated on shipped training images), export.
stage('load');
const onnxBytes = statSync(modelPath).size;
const graph = await loadOnnx(modelPath);
const fashion = takesFashionMnist(graph);
const norm = normalization();
const train = fashion ? readSplit(FIXTURE_DIR, 'train') : undefined;
const calibration = calibrationFeeds(graph, train, Math.min(Number(opt.calibration), train?.count ?? Infinity), norm);
const res = await convert({ graph, calibration, onStage: stage });
console.log(`(${secs()} s)`);
console.log(`calibration: ${fashion ? `${calibration.reduce((a, f) => a + Object.values(f)[0].shape[0], 0)} shipped Fashion-MNIST training images, pixels * ${norm.scale.toPrecision(4)} - ${norm.mean} / ${norm.std}` : `${calibration.length} seeded random inputs (not a Fashion-MNIST model: no labels)`}`);
console.log(`quantized: ${res.report.layers.length} layers int8${res.report.float?.length ? `, ${res.report.float.length} float (${res.report.float.map((f) => f.node ?? f.name ?? f).slice(0, 4).join(', ')})` : ''}; output SQNR vs float on the calibration set ${res.report.outputs?.[0]?.sqnrDb?.toFixed(1) ?? '-'} dB`);
console.log(`exported: ${[...res.int8.operators].map(([k, n]) => `${k} x${n}`).join(', ')} (toTflite ${res.exportMs.toFixed(0)} ms)`);

// 2. Files.
mkdirSync(opt.out, { recursive: true });
const stem = basename(modelPath, '.onnx');
const files = { int8: join(opt.out, 'model.tflite'), float: join(opt.out, `${stem}.float32.tflite`) };
writeFileSync(files.int8, res.int8.bytes);
writeFileSync(files.float, res.float.bytes);

// 3. Accuracy: the int8 .tflite in LiteRT.js and the quantized IR on mo's engine, same images.
let accuracy;
if (fashion) {
  const full = opt['test-set'] === 'full';
  const test = readSplit(full ? DEBIAN_FASHION_MNIST_DIR : FIXTURE_DIR, 'test');
  const count = Math.min(opt.limit ? Number(opt.limit) : test.count, test.count);
  const tick = process.stdout.isTTY ? (d, n) => process.stdout.write(`\revaluating ${d}/${n}`) : () => {};
  const ev = await evaluate({ qgraph: res.qgraph, tflite: res.int8.bytes, test, count, norm, onProgress: tick });
  if (process.stdout.isTTY) process.stdout.write('\r');
  const labels = test.labels.subarray(0, count);
  const mo = countCorrect(ev.mo, labels);
  const lrt = countCorrect(ev.litert, labels);
  let differ = 0;
  for (let i = 0; i < count; i++) if (ev.mo[i] !== ev.litert[i]) differ++;
  accuracy = { count, mo, lrt, differ, source: full ? `${DEBIAN_FASHION_MNIST_DIR} (full test set)` : 'fixtures/fashion-mnist (shipped test subset)' };
}

// 4. Latency, batch 1: mo engine vs LiteRT.js (wasm, one thread), float32 and int8.
const input = fashion ? imageBatch(readSplit(FIXTURE_DIR, 'test'), 0, 1, norm) : seededInput(boundShape(graph, 1), 7);
const lat = await latencyEngines({ graph, qgraph: res.qgraph, float: res.float.bytes, int8: res.int8.bytes, input });
const ms = await latency(lat.engines, { rounds: Number(opt.rounds), runs: 10 });
lat.dispose();

// 5. Report.
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log('\nsize');
console.log(`  ONNX (float32)           ${kb(onnxBytes).padStart(10)}`);
console.log(`  .tflite float32          ${kb(res.float.bytes.length).padStart(10)}`);
console.log(`  .tflite int8             ${kb(res.int8.bytes.length).padStart(10)}   ${(onnxBytes / res.int8.bytes.length).toFixed(2)}x smaller than the ONNX file`);
if (accuracy) {
  const pct = (c) => `${((100 * c) / accuracy.count).toFixed(2)}%`;
  console.log(`\naccuracy on ${accuracy.count} test images, ${accuracy.source}`);
  console.log(`  mo engine, quantized IR  ${pct(accuracy.mo).padStart(7)}  (${accuracy.mo} correct)`);
  console.log(`  LiteRT.js, int8 .tflite  ${pct(accuracy.lrt).padStart(7)}  (${accuracy.lrt} correct)`);
  console.log(`  predictions that differ  ${accuracy.differ}; difference ${((100 * Math.abs(accuracy.mo - accuracy.lrt)) / accuracy.count).toFixed(2)} points`);
}
const ran = (r) => `${r.wasm} of ${r.steps} steps on wasm kernels${r.fallback.length ? `, ${r.fallback.length} on the reference interpreter (${[...new Set(r.fallback.map((f) => f.op))].join(', ')})` : ''}`;
console.log(`\nlatency, batch 1, median of ${Number(opt.rounds) * 10} runs (mo: @mo/kernels-neon-wasm, one thread; LiteRT.js: wasm CPU, one thread)`);
lat.engines.forEach((e, k) => console.log(`  ${e.label.padEnd(22)} ${ms[k].toFixed(3).padStart(8)} ms`));
console.log(`  LiteRT.js / mo: float32 ${(ms[1] / ms[0]).toFixed(2)}x, int8 ${(ms[3] / ms[2]).toFixed(2)}x (above 1: mo is faster)`);
console.log(`  mo float32: ${ran(lat.ran.float)}`);
console.log(`  mo int8:    ${ran(lat.ran.int8)}`);
console.log(`\nfiles\n  ${show(files.int8)}  (int8, the result)\n  ${show(files.float)}  (float32, for comparison)`);
console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s`);

if (opt['require-equal'] && accuracy && accuracy.mo !== accuracy.lrt) {
  const diff = (100 * Math.abs(accuracy.mo - accuracy.lrt)) / accuracy.count;
  if (diff > 0.05) {
    console.error(`accuracy differs by ${diff.toFixed(2)} points (more than 0.05)`);
    process.exit(1);
  }
}
