import * as mo from './dist/index.js';
import { GraphBuilder, Tensor } from '@mo/ir';
const r = (() => { let s = 1; return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296); })();
const f32t = (shape) => new Tensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() - 0.5));
const i8t = (shape) => new Tensor('int8', shape, Int8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(r() * 255) - 127));
const sc = (v) => new Tensor('float32', [], Float32Array.of(v));
const zp = (v) => new Tensor('int8', [], Int8Array.of(v));
function cpu(fn, n) { fn(); const c0 = process.cpuUsage(); for (let i = 0; i < n; i++) fn(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1000 / n; }
const mode = process.argv[2] ?? 'float';
for (const [h, cin, cout, k, group] of [[56, 24, 144, 1, 1], [56, 144, 24, 1, 1], [14, 64, 384, 1, 1], [14, 384, 64, 1, 1], [56, 144, 144, 3, 144], [28, 192, 192, 3, 192]]) {
  const b1 = new GraphBuilder('f');
  const x1 = b1.input('x', 'float32', [1, h, h, cin]);
  b1.output(b1.conv(x1, f32t([cout, cin / group, k, k]), f32t([cout]), { pads: [k >> 1, k >> 1, k >> 1, k >> 1], group, layout: 'NHWC', activation: 'Clip', activation_params: [0, 6] }), 'y');
  const b2 = new GraphBuilder('q');
  const x2 = b2.input('x', 'int8', [1, h, h, cin]);
  b2.output(b2.qlinearConv({ x: x2, xScale: sc(0.02), xZeroPoint: zp(-3), w: i8t([cout, cin / group, k, k]), wScale: new Tensor('float32', [cout], new Float32Array(cout).fill(0.003)), wZeroPoint: new Tensor('int8', [cout], new Int8Array(cout)), yScale: sc(2), yZeroPoint: zp(-128), bias: new Tensor('int32', [cout], new Int32Array(cout)) }, { pads: [k >> 1, k >> 1, k >> 1, k >> 1], group, layout: 'NHWC', requant: mode, activation: 'Clip', activation_params: [0, 6] }), 'y');
  const s1 = mo.createSessionSync(b1.build());
  const s2 = mo.createSessionSync(b2.build());
  s1.runSync({ x: f32t([1, h, h, cin]) });
  s2.runSync({ x: i8t([1, h, h, cin]) });
  const n = Math.max(5, Math.round(2e8 / (h * h * cout * cin / group * k * k)));
  const t1 = cpu(() => s1.experimental_runStepsOnly(), n);
  const t2 = cpu(() => s2.experimental_runStepsOnly(), n);
  const macs = h * h * cout * (cin / group) * k * k;
  console.log(`${h}x${h} ${cin}->${cout} k${k} g${group}: f32 ${t1.toFixed(3)} ms (${(macs / t1 / 1e6).toFixed(1)} GMAC/s)  int8 ${t2.toFixed(3)} ms (${(macs / t2 / 1e6).toFixed(1)} GMAC/s)  ratio ${(t1 / t2).toFixed(2)}  ${s2.kernels.map((k) => k.ukernel).join(',')}`);
}
