#!/usr/bin/env node
/**
 * Accuracy of every quantization scheme on the full Fashion-MNIST test set, for ONNX classifiers
 * from any trainer. Each model needs a JSON note next to it (same base name) with its input name
 * and preprocessing ({ input: { name }, preprocessing: { scale, mean, std } }).
 *
 *   npm run bench:accuracy -w @mo/quantize -- [model.onnx ...] [--test 10000] [--calibration 1000]
 *     [--qat-images 2000] [--qat-lr 1e-5] [--data /usr/share/datasets/fashion-mnist] [--json out.json]
 *     [--methods minmax,mse] [--only static,qat,weights]
 *
 * Default models: every *.onnx in fixtures/fashion-mnist with a JSON note. Float graphs and the
 * quantized graphs (weight dequantization folded into constants) run on the @mo/kernels-neon-wasm
 * engine; ops it has no kernel for (QuantizeLinear / DequantizeLinear of activations) run on the
 * reference interpreter inside the session. Calibration also runs on the engine.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor, foldConstantNodes, run } from '@mo/ir';
import { loadOnnx } from '@mo/convert-onnx';
import { createSession } from '@mo/kernels-neon-wasm';
import { ArrayDataset, adam, normalizeImages } from '@mo/train';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from '@mo/train/node';
import { quantize, quantizeAwareTrain } from '@mo/quantize';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '../../../fixtures/fashion-mnist');
const METHODS = ['minmax', 'moving-average', 'percentile', 'mse', 'entropy'];
const BATCH = 100;

function parseArgs(argv) {
  const o = { models: [], methods: METHODS, only: undefined, test: 10000, calibration: 1000, qatImages: 2000, qatLr: 1e-5, data: DEBIAN_FASHION_MNIST_DIR, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--test') o.test = Number(next());
    else if (a === '--calibration') o.calibration = Number(next());
    else if (a === '--qat-images') o.qatImages = Number(next());
    else if (a === '--qat-lr') o.qatLr = Number(next());
    else if (a === '--data') o.data = next();
    else if (a === '--json') o.json = next();
    else if (a === '--methods') o.methods = next().split(',');
    else if (a === '--only') o.only = next().split(',');
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.models.push(resolve(a));
  }
  if (!o.models.length) o.models = readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx') && existsSync(join(FIXTURES, f.replace(/\.onnx$/, '.json')))).map((f) => join(FIXTURES, f));
  return o;
}

/** The fast engine for quantize: a session on the graph with constant weight dequantization folded. */
async function engine(graph) {
  const s = await createSession(foldConstantNodes(graph, { foldQuant: true }).graph);
  return { run: (feeds) => s.run(feeds), dispose: () => s.dispose() };
}

function batches(images, n, batch = BATCH) {
  const per = images.size / images.shape[0];
  return Array.from({ length: Math.ceil(n / batch) }, (_, i) => {
    const rows = Math.min(batch, n - i * batch);
    return new Tensor('float32', [rows, ...images.shape.slice(1)], images.data.subarray(i * batch * per, (i * batch + rows) * per));
  });
}

function argmaxRows(t) {
  const [rows, cols] = t.shape;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let a = 0;
    for (let c = 1; c < cols; c++) if (t.data[r * cols + c] > t.data[r * cols + a]) a = c;
    out[r] = a;
  }
  return out;
}

/** Top-1 accuracy on the test set, on the engine. */
async function accuracy(graph, input, test, n) {
  const r = await engine(graph);
  let correct = 0;
  let k = 0;
  try {
    for (const x of batches(test.inputs, n)) {
      const out = await r.run({ [input]: x });
      for (const p of argmaxRows(Object.values(out)[0])) correct += p === Number(test.targets.get(k++)) ? 1 : 0;
    }
  } finally {
    r.dispose();
  }
  return correct / n;
}

/** Share of the first `n` test images where the engine and the reference interpreter agree on top-1. */
async function engineAgreement(graph, input, test, n) {
  const r = await engine(graph);
  let same = 0;
  try {
    for (const x of batches(test.inputs, n)) {
      const a = argmaxRows(Object.values(await r.run({ [input]: x }))[0]);
      const b = argmaxRows(run(graph, { [input]: x })[graph.outputs[0].name]);
      for (let i = 0; i < a.length; i++) same += a[i] === b[i] ? 1 : 0;
    }
  } finally {
    r.dispose();
  }
  return same / n;
}

const pct = (v) => (100 * v).toFixed(2);
const kb = (b) => (b / 1024).toFixed(1);

async function benchModel(path, o, data) {
  const note = JSON.parse(readFileSync(path.replace(/\.onnx$/, '.json'), 'utf8'));
  const pre = note.preprocessing;
  const input = note.input?.name ?? 'input';
  const graph = await loadOnnx(readFileSync(path));
  const norm = (ds) => new ArrayDataset(normalizeImages(ds.inputs, { scale: pre.scale, mean: pre.mean, std: pre.std }), ds.targets);
  const test = norm(data.test.slice(0, o.test));
  const calibTrain = norm(data.train.slice(0, o.calibration));
  const calibration = batches(calibTrain.inputs, o.calibration, 50).map((x) => ({ [input]: x }));
  const qatData = norm(data.train.slice(o.calibration, o.calibration + o.qatImages));
  console.log(`\n## ${basename(path)} (${note.trainer ?? 'unknown trainer'}; note says ${note.test_accuracy !== undefined ? pct(note.test_accuracy) + '%' : 'no accuracy'})`);
  const rows = [];
  const add = async (scheme, g, report, seconds, extra = '') => {
    const t = Date.now();
    const acc = await accuracy(g, input, test, o.test);
    const row = { scheme, accuracy: acc, bytes: report?.size.after, ratio: report?.size.ratio, packedRatio: report?.size.packedRatio, quantizeSeconds: seconds, evalSeconds: (Date.now() - t) / 1000, extra };
    rows.push(row);
    console.log(`  ${scheme}: ${pct(acc)}% (quantize ${seconds.toFixed(1)} s, test ${row.evalSeconds.toFixed(1)} s)${extra ? ' ' + extra : ''}`);
    return row;
  };
  const float = await add('float', graph, { size: { after: [...graph.initializers.values()].reduce((s, t) => s + t.size * 4, 0), ratio: 1, packedRatio: 1 } }, 0);
  const timed = async (opts) => {
    const t = Date.now();
    const r = await quantize(graph, { ...opts, engine });
    return { ...r, seconds: (Date.now() - t) / 1000 };
  };
  let best;
  for (const method of o.methods) {
    const r = await timed({ preset: 'int8-static', calibration, method });
    const row = await add(`int8-static ${method}`, r.graph, r.report, r.seconds, `(calibration SQNR ${r.report.outputs[0].sqnrDb} dB)`);
    if (!best || row.accuracy > best.row.accuracy) best = { row, method, graph: r.graph };
  }
  if (o.only && !o.only.includes('qat') && !o.only.includes('weights')) return { model: basename(path), trainer: note.trainer, noteAccuracy: note.test_accuracy, float: float.accuracy, rows };
  const agree = await engineAgreement(best.graph, input, test, Math.min(500, o.test));
  console.log(`  engine vs reference interpreter, int8-static ${best.method}, first ${Math.min(500, o.test)} test images: top-1 agreement ${pct(agree)}%`);
  {
    const t = Date.now();
    const r = await quantizeAwareTrain(graph, { preset: 'int8-static', calibration, method: best.method, engine, data: qatData, epochs: 1, batchSize: 32, optimizer: adam({ lr: o.qatLr }) });
    await add(`int8 QAT (${best.method}, 1 epoch of ${o.qatImages} images)`, r.graph, r.report, (Date.now() - t) / 1000);
  }
  for (const [scheme, opts] of [
    ['int8-weights', { preset: 'int8-weights' }],
    ['int4-weights g32', { preset: 'int4-weights', groupSize: 32 }],
    ['palettize-8', { preset: 'palettize-8' }],
    ['palettize-6', { preset: 'palettize-8', bits: 6 }],
    ['palettize-4', { preset: 'palettize-4' }],
    ['fp16', { preset: 'fp16' }],
  ]) {
    const r = await timed(opts);
    await add(scheme, r.graph, r.report, r.seconds);
  }
  return { model: basename(path), trainer: note.trainer, noteAccuracy: note.test_accuracy, float: float.accuracy, engineAgreement: agree, rows };
}

function table(result) {
  const lines = [`| ${result.model} | top-1 % | drop (pt) | size KB | size ratio | quantize s | test s |`, '|---|---|---|---|---|---|---|'];
  for (const r of result.rows) {
    const drop = (100 * (result.float - r.accuracy)).toFixed(2);
    lines.push(`| ${r.scheme} | ${pct(r.accuracy)} | ${r.scheme === 'float' ? '-' : drop} | ${r.bytes !== undefined ? kb(r.bytes) : '-'} | ${r.ratio !== undefined ? r.ratio.toFixed(3) : '-'} | ${r.quantizeSeconds.toFixed(1)} | ${r.evalSeconds.toFixed(1)} |`);
  }
  return lines.join('\n');
}

/** The targets, in points of top-1 drop. */
function targets(result) {
  const drop = (pred) => {
    const rs = result.rows.filter((r) => pred(r.scheme));
    return Math.min(...rs.map((r) => 100 * (result.float - r.accuracy)));
  };
  return [
    ['int8-static, best method', drop((s) => s.startsWith('int8-static')), 0.3],
    ['int8 after QAT', drop((s) => s.startsWith('int8 QAT')), 0.1],
    ['int4 per-block g32', drop((s) => s === 'int4-weights g32'), 1.0],
    ['palettize-4', drop((s) => s === 'palettize-4'), 1.0],
    ['fp16', drop((s) => s === 'fp16'), 0.1],
    ['int8 weight-only', drop((s) => s === 'int8-weights'), 0.1],
  ].map(([what, d, limit]) => `${d <= limit ? 'met    ' : 'NOT MET'} ${what}: drop ${d.toFixed(2)} pt (target <= ${limit})`);
}

const o = parseArgs(process.argv.slice(2));
const started = Date.now();
const data = loadFashionMnist({ dir: o.data, normalize: false });
console.log(`Fashion-MNIST from ${o.data}: ${o.test} test images, ${o.calibration} calibration images (first training images), QAT on the next ${o.qatImages}; models: ${o.models.map((m) => basename(m)).join(', ')}`);
const results = [];
for (const m of o.models) results.push(await benchModel(m, o, data));
console.log('');
for (const r of results) {
  console.log(table(r));
  console.log('');
  for (const line of targets(r)) console.log(line);
  console.log('');
}
console.log(`total time ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (o.json) writeFileSync(o.json, JSON.stringify(results, null, 2));
