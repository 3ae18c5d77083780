#!/usr/bin/env node
// MobileNetV2 1.0 224 f32, batch 1 (not a test): the same @mo/models mobilenetV2({ seed }) graph and
// the same input on three engines, in one process:
//   - this package: createSession(graph) + runSync (copies the input in and the logits out), 1 and 2 threads
//   - onnxruntime-web 1.30 (wasm, SIMD, 1 thread, graphOptimizationLevel 'all'), fed the ONNX file
//     written by @mo/convert-onnx saveOnnx from the same graph
//   - tfjs-backend-wasm 4.22 (XNNPACK, SIMD, 1 thread): the same network built with tfjs ops in NHWC
//     (tf.fused.conv2d / tf.fused.depthwiseConv2d with bias + relu6, tf.add, tf.avgPool, tf.matMul),
//     weights transposed from the graph's initializers; BatchNormalization folded into the conv
//     weights and bias (what tfjs converters and onnxruntime's optimizer do too)
// Outputs are checked first (max rel err vs mo printed), then every engine is timed round-robin
// (warm-up, then median of N runs each). A child process measures the peak resident memory of a
// session against its packed weights + planned arena.
//   npm run build && npm run bench:mobilenetv2 [-- --runs 30 --seed 1 --threads 2]
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('dist/index.js is missing: run `npm run build` in packages/kernels-neon-wasm first');
  process.exit(1);
}
const mo = await import(pathToFileURL(dist).href);
const ir = await import('@mo/ir');
const { mobilenetV2 } = await import('@mo/models');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 40);
const SEED = arg('seed', 1);
const THREADS = arg('threads', 2);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MB`;
function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// ------------------------------------------------------------------ memory mode (child process)
// How "resident memory of a session" is measured (fresh process, Linux):
//   R0   = RSS after building the graph (the caller's weights, not the session's) and a full GC;
//   then the kernel's peak-RSS mark is reset (`5` into /proc/self/clear_refs);
//   createSessionSync(graph) + 2 x runSync, one turn of the event loop (as in any application:
//   the session holds its prepared graph weakly, and WeakRef targets live until the job ends), GC;
//   R1   = RSS then, HWM = VmHWM (the peak since the reset);
//   peak resident = HWM - R0, resident after = R1 - R0; both are divided by the planned bytes
//   (packed weights + planned arena + plan buffers: the session's bytes in use in the wasm heap).
const procStatus = (key) => {
  try {
    const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
};
//   --warm: first create, run 3 times and dispose a session of a small network (mobilenetV2Mini),
//   so that the one-time costs of the engine (compiling the wasm module and tiering it up, node's
//   own code pages, V8's heap growth, the C allocator's arenas of compiler threads) are paid before
//   R0: what is left is what one more session costs.
if (process.argv.includes('--memory-child')) {
  if (process.argv.includes('--warm')) {
    const { mobilenetV2Mini } = await import('@mo/models');
    const mini = mobilenetV2Mini({ seed: 2 });
    const w = mo.createSessionSync(mini);
    const x = { [mini.inputs[0].name]: new ir.Tensor('float32', [1, 1, 28, 28], new Float32Array(784).fill(0.5)) };
    for (let i = 0; i < 3; i++) w.runSync(x);
    w.dispose();
    await new Promise((r) => setTimeout(r, 10));
  }
  const graph = mobilenetV2({ seed: SEED });
  const feed = { input: new ir.Tensor('float32', [1, 3, 224, 224], new Float32Array(3 * 224 * 224).fill(0.5)) };
  globalThis.gc?.();
  const m0 = process.memoryUsage();
  const before = m0.rss;
  let hwmReset = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    hwmReset = false; // then the peak is the process's maxRSS, which includes building the graph
  }
  const session = mo.createSessionSync(graph);
  session.runSync(feed);
  session.runSync(feed);
  await new Promise((r) => setTimeout(r, 10));
  globalThis.gc?.();
  const m1 = process.memoryUsage();
  const after = m1.rss;
  const peak = (hwmReset && procStatus('VmHWM')) || process.resourceUsage().maxRSS * 1024;
  const wasmBytes = session['runtime'].memory.buffer.byteLength; // private field, benchmark only
  const jsHeap = m1.heapUsed - m0.heapUsed;
  const jsBuffers = m1.arrayBuffers - m0.arrayBuffers; // the wasm memory is not counted here
  const s = session.stats;
  console.log(JSON.stringify({ before, after, peak, hwmReset, arenaBytes: s.arenaBytes, heapBytes: s.heapBytes, wasmBytes, jsHeap, jsBuffers }));
  process.exit(0);
}

const graph = mobilenetV2({ seed: SEED });
const inits = graph.initializers instanceof Map ? graph.initializers : new Map(Object.entries(graph.initializers));
const f32 = (name) => {
  const t = inits.get(name);
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
};
let seed = 12345;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296) * 2 - 1;
const X = Float32Array.from({ length: 3 * 224 * 224 }, rand); // NCHW
const XNHWC = new Float32Array(X.length);
for (let c = 0; c < 3; c++) for (let p = 0; p < 224 * 224; p++) XNHWC[p * 3 + c] = X[c * 224 * 224 + p];

console.log(`MobileNetV2 1.0 224 f32, batch 1, mobilenetV2({ seed: ${SEED} }); node ${process.version}, ${JSON.stringify(mo.hardwareConfig())}`);
console.log(`load average before: ${load()}\n`);

// ------------------------------------------------------------------ engines
const engines = [];
const feed = { input: new ir.Tensor('float32', [1, 3, 224, 224], X) };
const into = { logits: new Float32Array(1000) };
const s1 = mo.createSessionSync(graph);
const outMo = Float32Array.from(s1.runSync(feed).logits.data);
engines.push({ name: 'mo session.runSync, 1 thread', tag: 'mo', fn: () => s1.runSync(feed, { into }), out: outMo });
engines.push({ name: 'mo plan steps only, 1 thread', tag: 'moSteps', fn: () => s1.experimental_runStepsOnly(), out: null });
const s0 = mo.createSessionSync(graph, { fuse: false });
const into0 = { logits: new Float32Array(1000) };
engines.push({ name: 'mo runSync, 1 thread, fuse: false (BN, Clip apart)', tag: 'mo0', fn: () => s0.runSync(feed, { into: into0 }), out: Float32Array.from(s0.runSync(feed).logits.data) });
let s2;
if (THREADS > 1) {
  s2 = mo.createSessionSync(graph, { threads: THREADS });
  if (s2.threads > 1) {
    const into2 = { logits: new Float32Array(1000) };
    engines.push({ name: `mo session.runSync, ${s2.threads} threads`, tag: 'mo2', fn: () => s2.runSync(feed, { into: into2 }), out: Float32Array.from(s2.runSync(feed).logits.data) });
  }
}

// ------------------------------------------------------------------ --threads-only: 1 vs T threads, interleaved
// Pairs of runs (1 thread, T threads; the order alternates every pair) so that both see the same
// moments of a shared machine; prints the median and best-of latency ratios and the per-pair
// ratios' median, with the load average. Also the cost of one parallel step with nothing to do
// (writing the tasks, waking the spinning worker, waiting for it): the per-step synchronisation.
if (process.argv.includes('--threads-only')) {
  if (!s2 || s2.threads < 2) throw new Error('threads are not available here');
  const out2 = Float32Array.from(s2.runSync(feed).logits.data);
  const same = out2.every((v, i) => Object.is(v, outMo[i]));
  console.log(`${s2.threads} threads vs 1: logits bitwise identical: ${same}`);
  if (!same) process.exit(1);
  const into2 = { logits: new Float32Array(1000) };
  const one = () => s1.runSync(feed, { into });
  const two = () => s2.runSync(feed, { into: into2 });
  for (let i = 0; i < 5; i++) (one(), two());
  const t1 = [];
  const t2 = [];
  const pair = [];
  const time = (f) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  const pairs = arg('runs', 200);
  for (let r = 0; r < pairs; r++) {
    let a;
    let b;
    if (r % 2) {
      b = time(two);
      a = time(one);
    } else {
      a = time(one);
      b = time(two);
    }
    t1.push(a);
    t2.push(b);
    pair.push(a / b);
  }
  const rt = s2['runtime']; // private field, benchmark only
  const nop = rt.parallel(Array.from({ length: s2.threads }, () => ['x32_fill', [0, 0, 0]]));
  const sync = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) nop();
    sync.push(((performance.now() - t0) / 2000) * 1000);
  }
  const m1 = median(t1);
  const m2 = median(t2);
  console.log(`latency over ${pairs} interleaved pairs, ms: 1 thread median ${m1.toFixed(2)} [min ${Math.min(...t1).toFixed(2)}], ${s2.threads} threads median ${m2.toFixed(2)} [min ${Math.min(...t2).toFixed(2)}]`);
  console.log(`speed-up ${s2.threads} threads / 1: ${(m1 / m2).toFixed(2)}x median, ${(Math.min(...t1) / Math.min(...t2)).toFixed(2)}x best-of, ${median(pair).toFixed(2)}x median of per-pair ratios (best pair ${Math.max(...pair).toFixed(2)}x)  (target >= 1.7x on an idle machine)`);
  console.log(`one empty parallel step (synchronisation only): ${Math.min(...sync).toFixed(2)} µs best, ${median(sync).toFixed(2)} µs median; ${s2.kernels.length} steps per run`);
  console.log(`load average after: ${load()}`);
  s2.dispose();
  process.exit(0);
}

// onnxruntime-web
try {
  const ort = await import('onnxruntime-web');
  const { saveOnnx } = await import('@mo/convert-onnx');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  const bytes = saveOnnx(graph);
  const sess = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { [sess.inputNames[0]]: new ort.Tensor('float32', X, [1, 3, 224, 224]) };
  const out = Float32Array.from((await sess.run(feeds))[sess.outputNames[0]].data);
  engines.push({ name: `onnxruntime-web ${ort.env.versions?.web ?? ''} (wasm, SIMD, 1 thread)`, tag: 'ort', fn: () => sess.run(feeds), async: true, out });
} catch (e) {
  console.log(`onnxruntime-web: skipped (${e.message})`);
}

// tfjs-backend-wasm (XNNPACK)
try {
  const require = createRequire(import.meta.url);
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const platformFetch = tf.env().platform.fetch.bind(tf.env().platform);
  tf.env().platform.fetch = async (p, init) =>
    typeof p === 'string' && p.startsWith('/') ? new Response(readFileSync(p), { headers: { 'Content-Type': 'application/wasm' } }) : platformFetch(p, init);
  wasm.setWasmPaths(join(wasmDir, 'dist') + '/');
  wasm.setThreadsCount(1);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  const model = buildTfjs(tf);
  const tx = tf.tensor4d(XNHWC, [1, 224, 224, 3]);
  const probe = model(tx);
  const out = Float32Array.from(probe.dataSync());
  probe.dispose();
  engines.push({ name: 'tfjs-backend-wasm 4.22 (XNNPACK, SIMD, 1 thread)', tag: 'tf', fn: () => { const y = model(tx); y.dataSync(); y.dispose(); }, out });
} catch (e) {
  console.log(`tfjs-backend-wasm: skipped (${e.stack})`);
}

// ------------------------------------------------------------------ agreement
const relErr = (a, e) => {
  let scale = 0;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < e.length; i++) err = Math.max(err, Math.abs(a[i] - e[i]) / Math.max(Math.abs(e[i]), 0.01 * scale));
  return err;
};
const argmax = (a) => a.reduce((b, v, i) => (v > a[b] ? i : b), 0);
console.log(`outputs (logits[1000]); max rel err = max |a - b| / max(|b|, 0.01 max|b|), b = mo 1 thread; argmax mo = ${argmax(outMo)}`);
for (const e of engines) {
  if (!e.out || e.tag === 'mo') continue;
  const err = relErr(e.out, outMo);
  console.log(`  ${e.name.padEnd(48)} max rel err ${err.toExponential(2)}  argmax ${argmax(e.out)}`);
  if (err > 1e-3) throw new Error(`${e.name}: outputs differ from mo (max rel err ${err})`);
}

// ------------------------------------------------------------------ timing: warm-up, then round-robin, median of RUNS
for (const e of engines) {
  e.times = [];
  for (let i = 0; i < 5; i++) e.async ? await e.fn() : e.fn();
}
for (let r = 0; r < RUNS; r++) {
  for (const e of engines) {
    const t0 = performance.now();
    e.async ? await e.fn() : e.fn();
    e.times.push(performance.now() - t0);
  }
}
const loadAfter = load();
console.log(`\nlatency, ms (median of ${RUNS} round-robin runs after 5 warm-up runs; min in brackets)`);
const med = {};
const min = {};
for (const e of engines) {
  med[e.tag] = median(e.times);
  min[e.tag] = Math.min(...e.times);
  console.log(`  ${e.name.padEnd(48)} ${med[e.tag].toFixed(2).padStart(8)}  [${Math.min(...e.times).toFixed(2)}]`);
}
console.log('');
const ratio = (a, b, target) => (med[a] && med[b] ? `${(med[a] / med[b]).toFixed(2)}x median, ${(min[a] / min[b]).toFixed(2)}x min${target ? `  (target ${target})` : ''}` : 'n/a');
console.log(`ratio mo latency / onnxruntime-web:     ${ratio('mo', 'ort', '<= 0.80x')}`);
console.log(`ratio mo latency / tfjs-backend-wasm:   ${ratio('mo', 'tf', '<= 1.00x')}`);
console.log(`ratio mo fuse: true / fuse: false:      ${ratio('mo', 'mo0')}`);
if (med.mo2) console.log(`speed-up ${s2.threads} threads / 1 thread:        ${(med.mo / med.mo2).toFixed(2)}x median, ${(min.mo / min.mo2).toFixed(2)}x min  (target >= 1.7x on an idle machine; load average ${loadAfter})`);
console.log(`load average after: ${loadAfter}`);
s2?.dispose();

// ------------------------------------------------------------------ memory (fresh process)
const child = (...extra) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--memory-child', '--seed', String(SEED), ...extra], { encoding: 'utf8' }).trim().split('\n').pop());
const m = child();
const mw = child('--warm');
const planned = m.heapBytes;
console.log(`\nmemory of a 1-thread session (fresh process: RSS after building the graph -> peak and final RSS over createSessionSync + 2 runs):`);
console.log(`  packed weights + planned arena (wasm heap in use):  ${mb(planned)}  (arena ${mb(m.arenaBytes)})`);
console.log(`  peak resident memory added by the session:          ${mb(m.peak - m.before)}  -> ${((m.peak - m.before) / planned).toFixed(2)}x  (target <= 1.3x)${m.hwmReset ? '' : '  [no /proc/self/clear_refs: peak of the whole process]'}`);
console.log(`  resident memory added, after the runs:              ${mb(m.after - m.before)}  -> ${((m.after - m.before) / planned).toFixed(2)}x`);
console.log(`  of which: wasm memory ${mb(m.wasmBytes)} (reserved; only touched pages are resident), other ArrayBuffers ${mb(m.jsBuffers)}, JS heap ${mb(m.jsHeap)}`);
console.log(`  RSS before the session ${mb(m.before)} (node itself + the caller's graph)`);
console.log(`the same after a warm-up session of another network (the engine's one-time costs paid; --warm):`);
console.log(`  peak resident memory added by the session:          ${mb(mw.peak - mw.before)}  -> ${((mw.peak - mw.before) / mw.heapBytes).toFixed(2)}x  (target <= 1.3x)`);
console.log(`  resident memory added, after the runs:              ${mb(mw.after - mw.before)}  -> ${((mw.after - mw.before) / mw.heapBytes).toFixed(2)}x`);

// ------------------------------------------------------------------ the same network in tfjs ops (NHWC)
function buildTfjs(tf) {
  const ops = [];
  const keep = (t) => tf.keep(t);
  const producers = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n])));
  const consumers = new Map();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const only = (v) => (consumers.get(v)?.length === 1 ? consumers.get(v)[0] : undefined);
  const done = new Set();
  for (const n of graph.nodes) {
    if (done.has(n)) continue;
    const a = n.attrs ?? {};
    if (n.op === 'Conv') {
      const [wName, bName] = [n.inputs[1], n.inputs[2]];
      const wt = inits.get(wName);
      const [M, Cg, kh, kw] = wt.shape;
      const group = a.group ?? 1;
      const W = f32(wName);
      const bias = new Float32Array(M);
      if (bName) bias.set(f32(bName));
      const scale = new Float32Array(M).fill(1);
      let out = n.outputs[0];
      const bn = only(out);
      if (bn?.op === 'BatchNormalization') {
        const [g, be, mu, va] = bn.inputs.slice(1).map(f32);
        const eps = bn.attrs?.epsilon ?? 1e-5;
        for (let m = 0; m < M; m++) {
          scale[m] = g[m] / Math.sqrt(va[m] + eps);
          bias[m] = (bias[m] - mu[m]) * scale[m] + be[m];
        }
        done.add(bn);
        out = bn.outputs[0];
      }
      let act = 'linear';
      const clip = only(out);
      if (clip?.op === 'Clip') {
        const lo = f32(clip.inputs[1])[0], hi = f32(clip.inputs[2])[0];
        if (lo !== 0 || hi !== 6) throw new Error('tfjs model: only Clip(0, 6) is fused');
        act = 'relu6';
        done.add(clip);
        out = clip.outputs[0];
      }
      const C = Cg * group;
      const depthwise = group > 1;
      if (depthwise && (group !== C || Cg !== 1 || M !== C)) throw new Error('tfjs model: grouped conv');
      const wt2 = new Float32Array(W.length);
      for (let m = 0; m < M; m++) for (let c = 0; c < Cg; c++) for (let t = 0; t < kh * kw; t++) {
        const v = W[(m * Cg + c) * kh * kw + t] * scale[m];
        wt2[depthwise ? t * C + m : (t * C + c) * M + m] = v;
      }
      const filter = keep(tf.tensor4d(wt2, depthwise ? [kh, kw, C, 1] : [kh, kw, C, M]));
      const tb = keep(tf.tensor1d(bias));
      const strides = a.strides ?? [1, 1];
      const pads = a.pads ?? [0, 0, 0, 0];
      if (pads[0] !== pads[2] || pads[1] !== pads[3] || pads[0] !== pads[1]) throw new Error('tfjs model: asymmetric pads');
      const pad = pads[0];
      ops.push([n.inputs[0], out, (x) => depthwise
        ? tf.fused.depthwiseConv2d({ x, filter, strides, pad, bias: tb, activation: act })
        : tf.fused.conv2d({ x, filter, strides, pad, bias: tb, activation: act })]);
    } else if (n.op === 'Add') {
      ops.push([n.inputs, n.outputs[0], (x, y) => tf.add(x, y)]);
    } else if (n.op === 'GlobalAveragePool') {
      ops.push([n.inputs[0], n.outputs[0], (x) => tf.avgPool(x, [x.shape[1], x.shape[2]], 1, 'valid')]);
    } else if (n.op === 'Flatten') {
      ops.push([n.inputs[0], n.outputs[0], (x) => tf.reshape(x, [x.shape[0], -1])]);
    } else if (n.op === 'Gemm') {
      if (!a.transB || a.transA) throw new Error('tfjs model: Gemm layout');
      const w = inits.get(n.inputs[1]);
      const tw = keep(tf.tensor2d(f32(n.inputs[1]), w.shape));
      const tb = keep(tf.tensor1d(f32(n.inputs[2])));
      ops.push([n.inputs[0], n.outputs[0], (x) => tf.add(tf.matMul(x, tw, false, true), tb)]);
    } else throw new Error(`tfjs model: op ${n.op} not translated`);
  }
  const input = graph.inputs[0].name;
  const output = graph.outputs[0].name;
  return (x) => tf.tidy(() => {
    const vals = new Map([[input, x]]);
    for (const [ins, out, f] of ops) vals.set(out, Array.isArray(ins) ? f(...ins.map((i) => vals.get(i))) : f(vals.get(ins)));
    return vals.get(output);
  });
}
