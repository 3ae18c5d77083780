#!/usr/bin/env node
// MobileNetV2 (@mo/models, seeded weights; accuracy is not the point here): how long toTflite
// takes for the float32 and int8 models, and batch-1 latency of mo's engine vs LiteRT.js (wasm,
// one thread) on the same exported models, timed in interleaved rounds in one process.
//
//   node examples/tflite-int8/bench.mjs [--resolution 224] [--rounds 5] [--runs 5]
import { parseArgs } from 'node:util';
import { exportTflite } from '@mo/convert-tflite';
import { mobilenetV2 } from '@mo/models';
import { quantize } from '@mo/quantize';
import { latency, latencyEngines, seededInput } from './lib/pipeline.mjs';

const { values: opt } = parseArgs({ options: { resolution: { type: 'string', default: '224' }, rounds: { type: 'string', default: '5' }, runs: { type: 'string', default: '5' }, exports: { type: 'string', default: '5' } } });
const res = Number(opt.resolution);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const graph = mobilenetV2({ resolution: res, batch: 1, batchNormInit: 'random', seed: 1 });
const shape = [1, 3, res, res];
console.log(`MobileNetV2 ${res}x${res}, batch 1 (seeded weights)`);
process.stdout.write('quantizing (int8-static, TFLite conventions, 2 seeded calibration inputs)... ');
const calibration = [1, 2].map((s) => ({ input: seededInput(shape, s) }));
const { graph: qgraph } = await quantize(graph, { preset: 'int8-static', format: 'tflite', calibration });
// the same quantization lowered to integer ops (QLinearConv, ...) for mo's int8 kernels
const { graph: qint } = await quantize(graph, { preset: 'int8-static', format: 'tflite', calibration, integer: true });
console.log('done');

// Export time: median of several exports each (the first also warms the JIT up).
const time = (g) => {
  const ms = [];
  const cpu = [];
  let ex;
  for (let i = 0; i < Number(opt.exports); i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    ex = exportTflite(g);
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ex, ms: median(ms), cpu: median(cpu), first: ms[0] };
};
const f = time(graph);
const q = time(qgraph);
console.log(`\ntoTflite, median of ${opt.exports} (wall clock; CPU time of the process; first run)`);
for (const [label, r] of [['float32', f], ['int8', q]]) console.log(`  ${label.padEnd(8)} ${r.ms.toFixed(0).padStart(5)} ms  (CPU ${r.cpu.toFixed(0)} ms; first ${r.first.toFixed(0)} ms)  ${(r.ex.bytes.length / 1e6).toFixed(2)} MB`);

const lat = await latencyEngines({ graph, qgraph: qint, float: f.ex.bytes, int8: q.ex.bytes, input: seededInput(shape, 7), int8Label: 'mo engine, int8' });
const ms = await latency(lat.engines, { rounds: Number(opt.rounds), runs: Number(opt.runs) });
lat.dispose();
console.log(`\nlatency, batch 1, median of ${Number(opt.rounds) * Number(opt.runs)} runs each (mo: @mo/kernels-neon-wasm, one thread; LiteRT.js: wasm CPU, one thread)`);
lat.engines.forEach((e, k) => console.log(`  ${e.label.padEnd(22)} ${ms[k].toFixed(2).padStart(9)} ms`));
console.log(`  LiteRT.js / mo: float32 ${(ms[1] / ms[0]).toFixed(2)}x, int8 ${(ms[3] / ms[2]).toFixed(2)}x (above 1: mo is faster)`);
const ran = (r) => `${r.wasm} of ${r.steps} steps on wasm kernels${r.fallback.length ? `, ${r.fallback.length} on the reference interpreter (${[...new Set(r.fallback.map((x) => x.op))].join(', ')})` : ''}`;
console.log(`  mo float32: ${ran(lat.ran.float)}`);
console.log(`  mo int8:    ${ran(lat.ran.int8)} (integer graph on the qs8 kernels, TFLite fixed-point requantization)`);
