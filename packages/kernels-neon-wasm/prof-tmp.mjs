import * as mo from './dist/index.js';
import * as ir from '@mo/ir';
import { mobilenetV2 } from '@mo/models';
import { quantize } from '@mo/quantize';
const R = Number(process.argv[2] ?? 224);
const fmt = process.argv[3] ?? 'qdq';
const graph = mobilenetV2({ seed: 1, resolution: R });
let seed = 1;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296) * 2 - 1;
const X = new ir.Tensor('float32', [1, 3, R, R], Float32Array.from({ length: 3 * R * R }, rand));
const { graph: q } = await quantize(graph, { preset: 'int8-static', calibration: [{ input: X }], integer: true, format: fmt });
function prof(s, label) {
  s.runSync({ input: X });
  const plan = s['current'];
  const acc = new Map();
  for (let r = 0; r < 15; r++) {
    plan.steps.forEach((st, i) => {
      const t0 = performance.now(); st(); const dt = performance.now() - t0;
      const inf = plan.info[i];
      const key = `${inf.op ?? inf.kernel} ${inf.ukernel ?? ''}`;
      const a = acc.get(key) ?? []; a[r] = (a[r] ?? 0) + dt; acc.set(key, a);
    });
  }
  let tot = 0;
  const rows = [...acc].map(([k, a]) => { const m = [...a].sort((x, y) => x - y)[7]; tot += m; return [k, m]; }).sort((a, b) => b[1] - a[1]);
  console.log(`--- ${label}: total ${tot.toFixed(2)} ms`);
  for (const [k, m] of rows.slice(0, 12)) console.log(`  ${k.padEnd(60)} ${m.toFixed(2)}`);
}
const sf = mo.createSessionSync(graph);
const sq = mo.createSessionSync(q);
prof(sf, 'f32'); prof(sq, 'int8'); prof(sf, 'f32'); prof(sq, 'int8');
