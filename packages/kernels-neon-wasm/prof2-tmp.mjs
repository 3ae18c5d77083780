import * as mo from './dist/index.js';
import * as ir from '@mo/ir';
import { mobilenetV2 } from '@mo/models';
import { quantize } from '@mo/quantize';
const R = Number(process.argv[2] ?? 224);
const graph = mobilenetV2({ seed: 1, resolution: R });
let seed = 1;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296) * 2 - 1;
const X = new ir.Tensor('float32', [1, 3, R, R], Float32Array.from({ length: 3 * R * R }, rand));
const { graph: q } = await quantize(graph, { preset: 'int8-static', calibration: [{ input: X }], integer: true, format: 'qdq' });
function prof(s) {
  s.runSync({ input: X });
  const plan = s['current'];
  const acc = new Map();
  for (let r = 0; r < 21; r++) plan.steps.forEach((st, i) => { const t0 = performance.now(); st(); const dt = performance.now() - t0; const k = plan.info[i].node ?? plan.info[i].label; const a = acc.get(k) ?? []; a.push(dt); acc.set(k, a); });
  return new Map([...acc].map(([k, a]) => [k, a.sort((x, y) => x - y)[10]]));
}
const sf = mo.createSessionSync(graph);
const sq = mo.createSessionSync(q);
const shapes = new Map(); for (const n of q.nodes) if (n.op === 'QLinearConv') { const w = q.initializers.get(n.inputs[3]); shapes.set(n.name, `${w.shape.join('x')} g${n.attrs.group ?? 1} s${(n.attrs.strides ?? [1])[0]}`); }
const pf = prof(sf), pq = prof(sq);
const pf2 = prof(sf), pq2 = prof(sq);
for (const [k, v] of pq) { const f = Math.min(pf.get(k) ?? NaN, pf2.get(k) ?? NaN); const qq = Math.min(v, pq2.get(k)); if (qq > 0.2 || f > 0.2) console.log(k.padEnd(28), (shapes.get(k) ?? '').padEnd(22), f.toFixed(3), qq.toFixed(3), (f / qq).toFixed(2)); }
const cat = (k) => { const s = shapes.get(k) ?? ''; if (!s) return 'other'; if (/ g1 /.test(s) && /x1x1 /.test(s)) { const K = Number(s.split('x')[1]); return K <= 32 ? 'pw K<=32' : 'pw K>32'; } if (/x1x3x3/.test(s)) return 'dw'; return 'first'; };
const tot = {};
for (const [k, v] of pq) { const c = cat(k); const f = Math.min(pf.get(k) ?? 0, pf2.get(k) ?? 0); const qq = Math.min(v, pq2.get(k)); tot[c] ??= [0, 0]; tot[c][0] += f; tot[c][1] += qq; }
for (const [c, [f, qq]] of Object.entries(tot)) console.log(c.padEnd(12), f.toFixed(2), qq.toFixed(2), (f / qq).toFixed(2));
