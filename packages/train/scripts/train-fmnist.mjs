#!/usr/bin/env node
// Trains the Fashion-MNIST fixture models with @mo/train on the wasm engine, prints a per-epoch
// table, saves each trained graph as ONNX, loads it back and checks that it gives identical
// outputs on the test set, and writes the files and a JSON note to fixtures/fashion-mnist/.
// Needs the built packages (the root `npm run train:fmnist` builds them) and the dataset
// (Debian's dataset-fashion-mnist, or --dir with the four IDX files).
//
//   npm run train:fmnist -- [--model cnn|mobilenetv2|all] [--epochs N] [--batch 64] [--lr X]
//     [--engine wasm|reference] [--threads 2] [--train N] [--test N] [--dir DIR] [--seed 0]
//     [--out DIR (default <repo>/fixtures/fashion-mnist; 'none' writes nothing)] [--width 1] [--stem-stride 2]
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { loadOnnx, saveOnnx } from '@mo/convert-onnx';
import { createSessionSync } from '@mo/kernels-neon-wasm';
import { buildModel } from '@mo/models';
import { adamW, cosineLr, createTrainingEngine, evaluate, fit, linearWarmup, randomCrop } from '@mo/train';
import { DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_STATS, loadFashionMnist } from '@mo/train/node';
import { FMNIST_MODELS } from './fmnist-models.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
/** Per-model defaults, chosen to reach the issue's accuracy within 15 minutes on 2 cores. */
const DEFAULTS = {
  cnn: { epochs: 5, lr: 2e-3, weightDecay: 5e-4, augment: false },
  mobilenetv2: { epochs: 2, lr: 3e-3, weightDecay: 5e-4, augment: false },
};
const which = args.model ?? 'all';
const models = which === 'all' ? Object.keys(FMNIST_MODELS) : [which];
const batchSize = Number(args.batch ?? 64);
const seed = Number(args.seed ?? 0);
const engineName = args.engine ?? 'wasm';
const threads = Number(args.threads ?? 2);
const limit = { train: args.train ? Number(args.train) : undefined, test: args.test ? Number(args.test) : undefined };
const dataDir = args.dir ?? DEBIAN_FASHION_MNIST_DIR;
const outDir = args.out === 'none' ? undefined : resolve(args.out ?? join(here, '../../../fixtures/fashion-mnist'));
// fixtures are written only when measured on the full test set (a training subset is recorded in the note)
const fullTest = limit.test === undefined;

const loadStart = performance.now();
const { train, test } = loadFashionMnist({ dir: dataDir, limit });
console.log(`Fashion-MNIST from ${dataDir}: ${train.length} training / ${test.length} test images (x/255, then (x - ${FASHION_MNIST_STATS.mean}) / ${FASHION_MNIST_STATS.std}), loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
console.log(`engine ${engineName}, ${threads} thread(s); ${cpus().length} CPUs, load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);

const f = (v, d = 4) => (v === undefined ? '-' : v.toFixed(d));

/** Logits of every test image through a wasm session (the engine's inference path). */
function testLogits(graph) {
  const session = createSessionSync(graph, { backend: 'wasm', threads });
  const parts = [];
  try {
    for (const batch of test.batches({ batchSize: 500, shuffle: false })) parts.push(session.runSync({ input: batch.input }).logits.data);
  } finally {
    session.dispose();
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

for (const name of models) {
  const spec = FMNIST_MODELS[name];
  const d = DEFAULTS[name] ?? { epochs: 2, lr: 2e-3, weightDecay: 5e-4, augment: false };
  const epochs = Number(args.epochs ?? d.epochs);
  const lr = Number(args.lr ?? d.lr);
  const augment = args.augment === undefined ? d.augment : args.augment === 'crop';
  const opts = { seed, ...(name === 'mobilenetv2' && args.width ? { width: Number(args.width) } : {}), ...(name === 'mobilenetv2' && args['stem-stride'] ? { stemStride: Number(args['stem-stride']) } : {}) };
  const graph = spec ? spec.build(opts) : buildModel(name, { seed });
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const totalSteps = epochs * stepsPerEpoch;
  const warmup = Math.min(200, Math.floor(totalSteps / 10));
  console.log('');
  console.log(`## ${name}: ${spec ? spec.description : name}`);
  console.log(`batch ${batchSize}, ${epochs} epoch(s) = ${totalSteps} steps; AdamW lr ${lr} (weight decay ${d.weightDecay}), ${warmup} warm-up steps then cosine to 0; ${augment ? 'random crop (padding 2)' : 'no augmentation'}; seed ${seed}`);
  console.log('');
  const header = '| epoch | steps | train loss | train acc | test loss | test acc | lr | time (s) | ms/step |';
  console.log(header);
  console.log(header.replace(/[^|]/g, '-'));
  const engine = engineName === 'wasm' ? createTrainingEngine({ threads }) : 'reference';
  let stepStart = performance.now();
  let lastReport = performance.now();
  const started = performance.now();
  const loads = [];
  const { graph: trained, history } = await fit(graph, {
    data: train,
    evalData: test,
    optimizer: adamW({ lr, weightDecay: d.weightDecay }),
    schedule: linearWarmup(cosineLr({ lr, totalSteps: Math.max(1, totalSteps - warmup) }), { warmupSteps: warmup }),
    transforms: augment ? [randomCrop({ padding: 2 })] : [],
    epochs,
    batchSize,
    seed,
    engine,
    onProgress(e) {
      if (e.kind === 'step') {
        const now = performance.now();
        const done = e.step + 1;
        const rate = (now - started) / done;
        const line = `step ${done}/${totalSteps}  loss ${e.loss.toFixed(3)}  ${rate.toFixed(0)} ms/step  ETA ${((rate * (totalSteps - done)) / 60000).toFixed(1)} min`;
        if (process.stderr.isTTY && now - lastReport > 2000) {
          process.stderr.write(`\r  ${line}   `);
          lastReport = now;
        } else if (!process.stderr.isTTY && done % 200 === 0) process.stderr.write(`  ${line}  (load ${loadavg()[0].toFixed(1)})\n`);
        return;
      }
      if (process.stderr.isTTY) process.stderr.write('\r'.padEnd(100) + '\r');
      const m = e.metrics;
      const ms = (performance.now() - stepStart) / Math.max(1, m.steps);
      stepStart = performance.now();
      loads.push(loadavg()[0]);
      console.log(`| ${m.epoch} | ${m.steps} | ${f(m.loss)} | ${f(m.accuracy)} | ${f(m.evalLoss)} | ${f(m.evalAccuracy)} | ${m.lr.toExponential(2)} | ${m.seconds.toFixed(0)} | ${ms.toFixed(0)} |`);
    },
  });
  if (typeof engine === 'object') engine.dispose();
  const seconds = (performance.now() - started) / 1000;
  const accuracy = history[history.length - 1].evalAccuracy;
  console.log('');
  console.log(`${name}: ${(seconds / 60).toFixed(1)} min wall (training and per-epoch evaluation); test accuracy ${(accuracy * 100).toFixed(2)}%; load average during the epochs ${loads.map((v) => v.toFixed(1)).join(', ')}`);

  // ONNX round trip: the saved file must give the trained graph's outputs exactly.
  const bytes = saveOnnx(trained);
  const reloaded = await loadOnnx(bytes);
  const a = testLogits(trained);
  const b = testLogits(reloaded);
  const identical = a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  const check = await evaluate(reloaded, test, { engine: 'wasm', threads });
  console.log(`ONNX: ${(bytes.length / 1024).toFixed(0)} KB; reloaded graph: ${identical ? 'identical' : 'DIFFERENT'} logits on the ${test.length} test images, accuracy ${(check.accuracy * 100).toFixed(2)}%`);
  if (!identical) process.exitCode = 1;

  if (outDir && fullTest) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${name}.onnx`), bytes);
    const notePath = join(outDir, 'models.json');
    const note = existsSync(notePath) ? JSON.parse(readFileSync(notePath, 'utf8')) : {};
    note[name] = {
      file: `${name}.onnx`,
      architecture: spec ? spec.description : name,
      input: { name: 'input', dtype: 'float32', shape: ['batch', 1, 28, 28], layout: 'NCHW' },
      output: { name: 'logits', dtype: 'float32', shape: ['batch', 10], meaning: 'unnormalized class scores (no softmax), Fashion-MNIST label order 0..9' },
      preprocessing: `pixel bytes x in [0, 255] -> (x / 255 - ${FASHION_MNIST_STATS.mean}) / ${FASHION_MNIST_STATS.std} (@mo/train/node loadFashionMnist, normalize: true)`,
      testAccuracy: Number(check.accuracy.toFixed(4)),
      testImages: test.length,
      dataset: "Debian dataset-fashion-mnist (60,000 training / 10,000 test images)",
      training: { trainingImages: train.length, epochs, batchSize, optimizer: `AdamW lr ${lr}, weight decay ${d.weightDecay}`, schedule: `${warmup} linear warm-up steps, then cosine to 0`, augmentation: augment ? 'random crop, padding 2' : 'none', seed, engine: engineName, threads },
      history,
      wallMinutes: Number((seconds / 60).toFixed(2)),
      loadAverage: loads.map((v) => Number(v.toFixed(1))),
      command: `npm run train:fmnist -- --model ${name}${args.train ? ` --train ${args.train}` : ''}${args.epochs ? ` --epochs ${epochs}` : ''}${args.lr ? ` --lr ${lr}` : ''}${args.threads ? ` --threads ${threads}` : ''}${args.width ? ` --width ${args.width}` : ''}`,
      onnx: { opset: 'default of @mo/convert-onnx saveOnnx', roundTrip: identical ? 'reloaded file gives bit-identical logits on the test set' : 'MISMATCH' },
    };
    writeFileSync(notePath, `${JSON.stringify(note, null, 2)}\n`);
    console.log(`wrote ${join(outDir, `${name}.onnx`)} and ${notePath}`);
  }
}
