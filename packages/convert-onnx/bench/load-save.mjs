// `npm run bench`: time to load and save a ~14 MB MobileNetV2 (1.0, 224, seeded weights from
// @mo/models) with mo, next to onnxruntime-node's session creation on the same file, same run.
// Loading must not take longer than onnxruntime's session creation.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mobilenetV2 } from '@mo/models';
import ort from 'onnxruntime-node';
import { loadOnnx, saveOnnx } from '../dist/index.js';

process.env.ORT_DISABLE_TELEMETRY = '1';
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

const dir = mkdtempSync(join(tmpdir(), 'mo-onnx-bench-'));
try {
  const file = join(dir, 'mobilenetv2.onnx');
  writeFileSync(file, saveOnnx(mobilenetV2({ seed: 1, batch: 1 })));
  const bytes = readFileSync(file);
  const graph = await loadOnnx(file);
  const load = await time(() => loadOnnx(file));
  const save = await time(() => saveOnnx(graph));
  const ortCreate = await time(async () => {
    const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    await s.release();
  });
  const mb = (bytes.length / 2 ** 20).toFixed(1);
  console.log(`MobileNetV2 1.0 224, ${mb} MiB, median of ${runs} runs`);
  console.log(`  mo loadOnnx (read + decode + import):   ${load.toFixed(1)} ms`);
  console.log(`  mo saveOnnx (export + encode):          ${save.toFixed(1)} ms`);
  console.log(`  onnxruntime-node session creation:      ${ortCreate.toFixed(1)} ms`);
  console.log(`  load / onnxruntime session creation:    ${(load / ortCreate).toFixed(2)}x (target <= 1.00x)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
