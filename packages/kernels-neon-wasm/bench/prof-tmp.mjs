const mo = await import('../dist/index.js');
const { mobilenetV2 } = await import('@mo/models');
const ir = await import('@mo/ir');
const graph = mobilenetV2({ seed: 1 });
const X = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i));
const feed = { input: new ir.Tensor('float32', [1, 3, 224, 224], X) };
const s1 = mo.createSessionSync(graph);
const s2 = mo.createSessionSync(graph, { threads: 2 });
s1.runSync(feed); s2.runSync(feed);
const prof = (s) => {
  const steps = s['current'].steps;
  const t = new Float64Array(steps.length);
  for (let r = 0; r < 30; r++) for (let i = 0; i < steps.length; i++) { const t0 = performance.now(); steps[i](); const d = performance.now() - t0; t[i] = r ? Math.min(t[i], d) : d; }
  return t;
};
const a = prof(s1), b = prof(s2);
const info = s1.kernels;
let sa = 0, sb = 0;
const rows = [];
for (let i = 0; i < a.length; i++) { sa += a[i]; sb += b[i]; rows.push([i, info[i].label.slice(0, 28), info[i].ukernel, a[i].toFixed(3), b[i].toFixed(3), (a[i] / b[i]).toFixed(2)]); }
rows.sort((x, y) => y[3] - x[3]);
for (const r of rows.slice(0, 70)) console.log(r.join('\t'));
console.log('sum of min', sa.toFixed(2), sb.toFixed(2), (sa / sb).toFixed(2));
s2.dispose();
