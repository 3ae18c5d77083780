#!/usr/bin/env node
// Trains a @mo/models network on Fashion-MNIST with @mo/train and prints a per-epoch table.
// Needs the built packages (npm run build at the root) and the dataset (Debian's
// dataset-fashion-mnist, or --dir with the four IDX files).
//
//   npm run train:fmnist -w @mo/train -- [--model smallCnn|mlp|mobilenetV2Mini] [--epochs 2]
//     [--batch 64] [--lr 0.002] [--train 60000] [--test 10000] [--dir /usr/share/datasets/fashion-mnist]
//     [--seed 0] [--out trained.json]
import { writeFileSync } from 'node:fs';
import { buildModel } from '@mo/models';
import { adamW, cosineLr, fit, linearWarmup, randomCrop } from '@mo/train';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from '@mo/train/node';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const model = args.model ?? 'smallCnn';
const epochs = Number(args.epochs ?? 2);
const batchSize = Number(args.batch ?? 64);
const lr = Number(args.lr ?? 2e-3);
const seed = Number(args.seed ?? 0);
const limit = { train: args.train ? Number(args.train) : undefined, test: args.test ? Number(args.test) : undefined };

const loadStart = performance.now();
const { train, test } = loadFashionMnist({ dir: args.dir ?? DEBIAN_FASHION_MNIST_DIR, limit });
const graph = buildModel(model, { seed });
const stepsPerEpoch = Math.ceil(train.length / batchSize);
const totalSteps = epochs * stepsPerEpoch;
const warmup = Math.min(200, Math.floor(totalSteps / 10));
console.log(`${model} on Fashion-MNIST: ${train.length} training / ${test.length} test images, batch ${batchSize}, ${epochs} epoch(s) = ${totalSteps} steps`);
console.log(`AdamW lr ${lr} (weight decay 0.01), ${warmup} warm-up steps then cosine; random crop (padding 2); seed ${seed}; data loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
console.log('');
const header = '| epoch | steps | train loss | train acc | test loss | test acc | lr | time (s) | ms/step |';
console.log(header);
console.log(header.replace(/[^|]/g, '-'));

let stepStart = performance.now();
let lastReport = performance.now();
const started = performance.now();
const { history } = await fit(graph, {
  data: train,
  evalData: test,
  optimizer: adamW({ lr, weightDecay: 0.01 }),
  schedule: linearWarmup(cosineLr({ lr, totalSteps: Math.max(1, totalSteps - warmup) }), { warmupSteps: warmup }),
  transforms: [randomCrop({ padding: 2 })],
  epochs,
  batchSize,
  seed,
  onProgress(e) {
    if (e.kind === 'step') {
      const now = performance.now();
      const done = e.step + 1;
      const rate = (now - started) / done;
      const line = `step ${done}/${totalSteps}  loss ${e.loss.toFixed(3)}  ${rate.toFixed(0)} ms/step  ETA ${((rate * (totalSteps - done)) / 60000).toFixed(1)} min`;
      // Live progress on a terminal; one line every 100 steps in a log.
      if (process.stderr.isTTY && now - lastReport > 2000) {
        process.stderr.write(`\r  ${line}   `);
        lastReport = now;
      } else if (!process.stderr.isTTY && done % 100 === 0) process.stderr.write(`  ${line}\n`);
      return;
    }
    if (process.stderr.isTTY) process.stderr.write('\r'.padEnd(100) + '\r');
    const m = e.metrics;
    const ms = (performance.now() - stepStart) / Math.max(1, m.steps);
    stepStart = performance.now();
    const f = (v, d = 4) => (v === undefined ? '-' : v.toFixed(d));
    console.log(`| ${m.epoch} | ${m.steps} | ${f(m.loss)} | ${f(m.accuracy)} | ${f(m.evalLoss)} | ${f(m.evalAccuracy)} | ${m.lr.toExponential(2)} | ${m.seconds.toFixed(0)} | ${ms.toFixed(0)} |`);
  },
});
const seconds = (performance.now() - started) / 1000;
console.log('');
console.log(`total ${(seconds / 60).toFixed(1)} min; final test accuracy ${(history[history.length - 1].evalAccuracy * 100).toFixed(2)}%`);
if (args.out) {
  writeFileSync(args.out, `${JSON.stringify({ model, epochs, batchSize, lr, seed, train: train.length, test: test.length, seconds, history }, null, 2)}\n`);
  console.log(`history written to ${args.out}`);
}
