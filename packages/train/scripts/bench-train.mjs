#!/usr/bin/env node
// Training throughput (images/s) of the MobileNetV2-style Fashion-MNIST model at batch 64: the wasm
// engine on one and two threads, the reference interpreter with the TypeScript rules, and PyTorch
// on the CPU (tools/torch-train-bench.py with Debian's python3-torch, when it imports) on the same
// network (exported to ONNX and rebuilt in torch) with torch.set_num_threads(1) and (2). A step is
// forward, softmax cross-entropy, backward and an Adam update. Engines are timed round-robin (each
// round gives every engine a window; the median over rounds is reported), so all get the same
// chances on a shared machine.
//
//   npm run build && npm run bench -w @mo/train -- [--model mobilenetv2|cnn] [--batch 64]
//     [--seconds 4] [--rounds 3] [--no-torch] [--no-reference]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '@mo/ir';
import { saveOnnx } from '@mo/convert-onnx';
import { threadsAvailable } from '@mo/kernels-neon-wasm';
import { ArrayDataset, Rng, adam, createTrainingEngine, fit } from '@mo/train';
import { FMNIST_MODELS } from './fmnist-models.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (k, d) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const modelName = opt('model', 'mobilenetv2');
const batch = Number(opt('batch', 64));
const seconds = Number(opt('seconds', 4));
const rounds = Number(opt('rounds', 3));
const graph = FMNIST_MODELS[modelName].build({ seed: 0 });

const rng = new Rng(1);
const images = new Tensor('float32', [batch * 4, 1, 28, 28], Float32Array.from({ length: batch * 4 * 784 }, () => rng.next() * 2 - 1));
const labels = new Tensor('int64', [batch * 4], BigInt64Array.from({ length: batch * 4 }, (_, i) => BigInt(i % 10)));
const data = new ArrayDataset(images, labels);

/** Images/s of training steps for about `sec` seconds (at least `minSteps` steps after one warm-up step). */
async function measure(engine, sec, minSteps = 2) {
  let t0 = 0;
  let steps = 0;
  const controller = new AbortController();
  try {
    await fit(graph, {
      data,
      optimizer: adam({ lr: 1e-3 }),
      batchSize: batch,
      epochs: 1000,
      seed: 0,
      engine,
      signal: controller.signal,
      onProgress(e) {
        if (e.kind !== 'step') return;
        if (e.step === 0) t0 = performance.now();
        else steps = e.step;
        if (steps >= minSteps && performance.now() - t0 > sec * 1000) controller.abort();
      },
    });
  } catch (e) {
    if (!controller.signal.aborted) throw e;
  }
  return (steps * batch) / ((performance.now() - t0) / 1000);
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const engines = [{ name: 'mo wasm engine, 1 thread', engine: createTrainingEngine({ threads: 1 }) }];
if (threadsAvailable()) engines.push({ name: 'mo wasm engine, 2 threads', engine: createTrainingEngine({ threads: 2 }) });
if (!argv.includes('--no-reference')) engines.push({ name: 'mo reference interpreter + TS rules', engine: 'reference', minSteps: 1 });
const loads = [loadavg()[0]];
const rates = engines.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < engines.length; i++) rates[i].push(await measure(engines[i].engine, seconds, engines[i].minSteps ?? 2));
  loads.push(loadavg()[0]);
}
for (const e of engines) if (typeof e.engine === 'object') e.engine.dispose();

let torch;
if (!argv.includes('--no-torch')) {
  const dir = mkdtempSync(join(tmpdir(), 'mo-train-bench-'));
  const file = join(dir, 'model.onnx');
  writeFileSync(file, saveOnnx(graph));
  const r = spawnSync('/usr/bin/python3', [join(here, '../../../tools/torch-train-bench.py'), file, '--batch', String(batch), '--threads', '1,2', '--seconds', String(seconds), '--rounds', String(rounds)], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  if (r.status === 0) torch = JSON.parse(r.stdout.trim().split('\n').pop());
  else console.log(`PyTorch peer skipped: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  loads.push(loadavg()[0]);
}

console.log(`${modelName} training throughput, batch ${batch}, median of ${rounds} rounds of ~${seconds} s (load average ${loads.map((v) => v.toFixed(1)).join(' -> ')})`);
const rows = engines.map((e, i) => ({ name: e.name, rate: median(rates[i]), all: rates[i] }));
if (torch) for (const t of torch.results) rows.push({ name: `PyTorch ${torch.torch} CPU, ${t.threads} thread(s)`, rate: median(t.images_per_s), all: t.images_per_s });
for (const r of rows) console.log(`${r.name.padEnd(42)} ${r.rate.toFixed(1).padStart(8)} images/s   (rounds: ${r.all.map((v) => v.toFixed(1)).join(', ')})`);
const find = (prefix) => rows.find((r) => r.name.startsWith(prefix));
const ratio = (a, b, label) => a && b && console.log(`${label.padEnd(52)} ${(a.rate / b.rate).toFixed(2)}x`);
console.log('');
ratio(find('mo wasm engine, 1'), find('mo reference'), 'engine 1 thread / reference interpreter:');
ratio(find('mo wasm engine, 2'), find('mo reference'), 'engine 2 threads / reference interpreter:');
ratio(find('mo wasm engine, 1'), find('PyTorch') && rows.find((r) => r.name.startsWith('PyTorch') && r.name.includes(' 1 thread')), 'engine 1 thread / PyTorch 1 thread:');
ratio(find('mo wasm engine, 2'), rows.find((r) => r.name.startsWith('PyTorch') && r.name.includes(' 2 thread')), 'engine 2 threads / PyTorch 2 threads:');
