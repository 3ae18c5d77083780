// The main job as functions: ONNX -> int8 static quantization (TFLite conventions) calibrated on
// Fashion-MNIST images -> .tflite, then the file checked in LiteRT.js against mo's own engine.
import { Tensor, foldConstantNodes } from '@mo/ir';
import { exportTflite } from '@mo/convert-tflite';
import { compileTflite } from '@mo/convert-tflite/litert';
import { createSession } from '@mo/kernels-neon-wasm';
import { quantize } from '@mo/quantize';
import { argmaxRows, imageBatch } from './data.mjs';

/** True when the graph takes one Fashion-MNIST-sized image input [N, 1, 28, 28]. */
export function takesFashionMnist(graph) {
  const s = graph.inputs[0]?.type.shape ?? [];
  return graph.inputs.length === 1 && s.length === 4 && s[1] === 1 && s[2] === 28 && s[3] === 28;
}

/** Seeded inputs in [-1, 1) for models that are not Fashion-MNIST classifiers (no labels, no accuracy). */
export function seededInput(shape, seed) {
  let s = seed % 2147483647 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    data[i] = (s / 2147483647) * 2 - 1;
  }
  return new Tensor('float32', shape, data);
}

/** The static shape of the graph's input with symbolic dimensions (the batch) set to `batch`. */
export function boundShape(graph, batch = 1) {
  return graph.inputs[0].type.shape.map((d) => (typeof d === 'number' ? d : batch));
}

/** NCHW float data -> NHWC (the layout of the exported file's input). */
export function toNhwc(t) {
  if (t.rank !== 4) return t.data;
  const [n, c, h, w] = t.shape;
  const x = t.data;
  if (c === 1) return x;
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) y[((b * h + i) * w + j) * c + k] = x[((b * c + k) * h + i) * w + j];
  return y;
}

/**
 * Loads, quantizes and exports. Returns the float and quantized IR graphs and both .tflite files
 * (float32 for the size and latency comparison, int8 as the result).
 */
export async function convert({ graph, calibration, onStage = () => {} }) {
  onStage('quantize');
  const { graph: qgraph, report } = await quantize(graph, { preset: 'int8-static', calibration, format: 'tflite' });
  onStage('export');
  const t0 = performance.now();
  const int8 = exportTflite(qgraph);
  const exportMs = performance.now() - t0;
  const float = exportTflite(graph);
  return { graph, qgraph, report, int8, float, exportMs };
}

/** Calibration feeds: `n` training images in batches (or seeded inputs for other models). */
export function calibrationFeeds(graph, train, n, norm) {
  const name = graph.inputs[0].name;
  if (!train) return Array.from({ length: Math.max(1, Math.min(n, 16)) }, (_, k) => ({ [name]: seededInput(boundShape(graph, 1), 100 + k) }));
  const fixedBatch = typeof graph.inputs[0].type.shape[0] === 'number' ? graph.inputs[0].type.shape[0] : 0;
  const step = fixedBatch || 50;
  const feeds = [];
  for (let from = 0; from + step <= n; from += step) feeds.push({ [name]: imageBatch(train, from, step, norm) });
  return feeds;
}

/**
 * Top-1 predictions of the test images by mo's engine (a session over the quantized IR; ops
 * without a fast kernel run on the reference interpreter) and by LiteRT.js on the .tflite file.
 */
export async function evaluate({ qgraph, tflite, test, count, norm, onProgress = () => {} }) {
  const name = qgraph.inputs[0].name;
  const out = qgraph.outputs[0].name;
  const fixedBatch = typeof qgraph.inputs[0].type.shape[0] === 'number' ? qgraph.inputs[0].type.shape[0] : 0;
  const batch = fixedBatch || 100;
  const session = await createSession(engineGraph(qgraph));
  const model = await compileTflite(tflite);
  const mo = new Int32Array(count);
  const lrt = new Int32Array(count);
  try {
    for (let from = 0; from < count; from += batch) {
      const n = Math.min(batch, count - from);
      const x = imageBatch(test, from, fixedBatch || n, norm);
      const y = (await session.run({ [name]: x }))[out];
      mo.set(argmaxRows(y.toFloat32(), fixedBatch || n).subarray(0, n), from);
      for (let i = 0; i < n; i++) {
        const one = x.data.subarray(i * 784, (i + 1) * 784);
        const r = await model.run([{ data: one, shape: [1, 28, 28, 1] }]);
        lrt[from + i] = argmaxRows(r.outputs[0].data, 1)[0];
      }
      onProgress(Math.min(from + n, count), count);
    }
    return { mo, litert: lrt, fallback: session.fallbackOps, steps: session.kernels };
  } finally {
    session.dispose();
    model.delete();
  }
}

/**
 * The quantized IR as mo's engine runs it today: int8 weights dequantized once at load (the same
 * float32 values DequantizeLinear computes on every run), activations still rounded to int8 by
 * the QuantizeLinear/DequantizeLinear pairs, so the results are exactly the QDQ graph's.
 */
export function engineGraph(qgraph) {
  return foldConstantNodes(qgraph, { foldQuant: true }).graph;
}

/** Correct predictions of `pred` against `labels`. */
export function countCorrect(pred, labels) {
  let c = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
  return c;
}

/**
 * Batch-1 latency of several engines on the same input, timed in interleaved rounds so that all
 * get the same chances on a shared machine; returns the median of each engine's runs in ms.
 */
export async function latency(engines, { rounds = 5, runs = 20 } = {}) {
  const times = engines.map(() => []);
  for (const e of engines) await e.run(); // warm-up: plans, compilation
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < engines.length; k++) {
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await engines[k].run();
        times[k].push(performance.now() - t0);
      }
    }
  }
  return times.map((t) => {
    const s = [...t].sort((a, b) => a - b);
    return s[s.length >> 1];
  });
}

/** Engines for `latency`: mo's session and LiteRT.js on the float and int8 forms of one model. */
export async function latencyEngines({ graph, qgraph, float, int8, input, int8Label = 'mo engine, int8 QDQ' }) {
  const name = graph.inputs[0].name;
  const nhwc = { data: toNhwc(input), shape: input.rank === 4 ? [input.shape[0], input.shape[2], input.shape[3], input.shape[1]] : input.shape };
  const moFloat = await createSession(graph);
  const moInt8 = await createSession(engineGraph(qgraph));
  const lrtFloat = await compileTflite(float);
  const lrtInt8 = await compileTflite(int8);
  await moFloat.run({ [name]: input });
  await moInt8.run({ [name]: input });
  const engines = [
    { label: 'mo engine, float32', run: () => moFloat.run({ [name]: input }) },
    { label: 'LiteRT.js, float32', run: () => lrtFloat.run([nhwc]) },
    { label: int8Label, run: () => moInt8.run({ [name]: input }) },
    { label: 'LiteRT.js, int8', run: () => lrtInt8.run([nhwc]) },
  ];
  const onWasm = (s) => s.kernels.filter((k) => k.kernel !== 'reference').length;
  return {
    engines,
    ran: { float: { steps: moFloat.kernels.length, wasm: onWasm(moFloat), fallback: moFloat.fallbackOps }, int8: { steps: moInt8.kernels.length, wasm: onWasm(moInt8), fallback: moInt8.fallbackOps } },
    dispose() {
      moFloat.dispose();
      moInt8.dispose();
      lrtFloat.delete();
      lrtInt8.delete();
    },
  };
}
