import { Tensor } from '@mo/ir';
import { Rng, createTrainingEngine, recordForward, trainableParameters, findGradient } from '@mo/train';
import { FMNIST_MODELS } from './fmnist-models.mjs';
const name = process.argv[2] ?? 'cnn';
const threads = Number(process.argv[3] ?? 1);
const graph = FMNIST_MODELS[name].build({ seed: 0, width: Number(process.argv[4] ?? 0.5), stemStride: Number(process.argv[5] ?? 1) });
const engine = createTrainingEngine({ threads });
const times = new Map();
const wrap = (op, kind, f) => (...a) => { const t = performance.now(); const r = f(...a); const k = `${op}.${kind}`; times.set(k, (times.get(k) ?? 0) + performance.now() - t); return r; };
const rules = new Map();
for (const n of graph.nodes) {
  const r = engine.rules.get(n.op) ?? findGradient(n.op);
  if (!r || rules.has(n.op)) continue;
  rules.set(n.op, { ...r, forward: wrap(n.op, 'fwd', r.forward ? r.forward.bind(r) : (ctx) => ({ outputs: ctx.run() })), grad: wrap(n.op, 'bwd', r.grad.bind(r)) });
}
const rng = new Rng(1);
const x = new Tensor('float32', [64, 1, 28, 28], Float32Array.from({ length: 64 * 784 }, () => rng.next()));
const wrt = trainableParameters(graph);
let tot = 0;
for (let i = 0; i < 6; i++) {
  if (i === 1) { times.clear(); tot = 0; }
  engine.recycle();
  const t = performance.now();
  const tape = recordForward(graph, { input: x }, { training: true, rules });
  const g = new Tensor('float32', [64, 10], new Float32Array(640).fill(0.01));
  const t1 = performance.now();
  tape.backward({ logits: g }, wrt);
  tot += performance.now() - t;
  times.set('tape.backward total', (times.get('tape.backward total') ?? 0) + performance.now() - t1);
}
console.log('ms/step', (tot / 5).toFixed(1));
for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) console.log(k.padEnd(34), (v / 5).toFixed(1));
engine.dispose();
