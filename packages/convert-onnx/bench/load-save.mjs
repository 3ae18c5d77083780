// `npm run bench`: time to load and save a ~14 MB MobileNetV2 (1.0, 224, seeded weights from
// @mo/models) with mo, next to onnxruntime-node's session creation on the same file, same process.
// Loading must not take longer than onnxruntime's session creation.
//
// Fairness: both engines get the same input form. "path": mo's loadOnnx(file) against
// InferenceSession.create(file) (each reads the file itself); "bytes": mo's loadOnnx(bytes) against
// InferenceSession.create(bytes), with the file already in memory. The engines run round-robin,
// one repetition of each per round, after warm-up rounds, so that both see the same machine load;
// a full GC runs (untimed) before every timed call, so that no call pays for another's garbage.
// Besides wall time, each call's CPU time (all threads of the process) and minor page faults.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { mobilenetV2 } from '@mo/models';
import ort from 'onnxruntime-node';
import { loadOnnx, saveOnnx } from '../dist/index.js';

process.env.ORT_DISABLE_TELEMETRY = '1';
const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const rounds = arg('--rounds', 15);
const warmup = arg('--warmup', 3);
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const ortOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: 1 };
const dir = mkdtempSync(join(tmpdir(), 'mo-onnx-bench-'));
try {
  const file = join(dir, 'mobilenetv2.onnx');
  writeFileSync(file, saveOnnx(mobilenetV2({ seed: 1, batch: 1 })));
  const bytes = new Uint8Array(readFileSync(file));
  const graph = await loadOnnx(file);
  // Each engine returns what it made; that stays alive until the engine's next turn, as when an
  // application reloads a model, and is then dropped (mo) or released (onnxruntime) untimed.
  const engines = {
    'mo loadOnnx(path)': () => loadOnnx(file),
    'ort create(path)': () => ort.InferenceSession.create(file, ortOptions),
    'mo loadOnnx(bytes)': () => loadOnnx(bytes),
    'ort create(bytes)': () => ort.InferenceSession.create(bytes, ortOptions),
    'mo saveOnnx': () => saveOnnx(graph),
  };
  const kept = {};
  const times = Object.fromEntries(Object.keys(engines).map((k) => [k, []]));
  const cpu = Object.fromEntries(Object.keys(engines).map((k) => [k, []]));
  const faults = Object.fromEntries(Object.keys(engines).map((k) => [k, []]));
  for (let r = 0; r < warmup + rounds; r++) {
    for (const [name, fn] of Object.entries(engines)) {
      await kept[name]?.release?.();
      kept[name] = undefined;
      gc();
      const f0 = process.resourceUsage().minorPageFault;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      kept[name] = await fn();
      const dt = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const f = process.resourceUsage().minorPageFault - f0;
      if (r >= warmup) {
        times[name].push(dt);
        cpu[name].push((c.user + c.system) / 1000);
        faults[name].push(f);
      }
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const min = (xs) => Math.min(...xs);
  const mb = (bytes.length / 2 ** 20).toFixed(1);
  console.log(`MobileNetV2 1.0 224, ${mb} MiB; ${rounds} interleaved rounds after ${warmup} warm-up rounds`);
  console.log(`${'engine'.padEnd(22)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)} ${'CPU median ms'.padStart(14)} ${'page faults'.padStart(12)}`);
  for (const [name, t] of Object.entries(times)) {
    console.log(`${name.padEnd(22)} ${median(t).toFixed(1).padStart(10)} ${min(t).toFixed(1).padStart(8)} ${median(cpu[name]).toFixed(1).padStart(14)} ${String(median(faults[name])).padStart(12)}`);
  }
  if (process.argv.includes('--each')) for (const [name, t] of Object.entries(times)) console.log(`${name}: ${t.map((x) => x.toFixed(0)).join(' ')}`);
  for (const form of ['path', 'bytes']) {
    const mo = times[`mo loadOnnx(${form})`];
    const rt = times[`ort create(${form})`];
    const wins = mo.filter((t, i) => t < rt[i]).length;
    console.log(
      `load / ort create (${form}): median ${(median(mo) / median(rt)).toFixed(2)}x, min ${(min(mo) / min(rt)).toFixed(2)}x, ` +
        `faster in ${wins} of ${mo.length} rounds (target <= 1.00x)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
