// The model run by the browser test, in a module that both the page (through an import map onto the
// packages' dist) and Node (through the workspace packages' dist) import: the same ESM output, the
// same graph, the same input.
import { Tensor } from '@mo/ir';
import { mobilenetV2 } from '@mo/models';
import { createSession } from '@mo/kernels-neon-wasm';

export const RESOLUTION = 160;

/** MobileNetV2 0.5 at 160x160 with seeded weights: small enough to build and run in ~1 s, large enough that its convolutions split between threads. */
export function buildGraph() {
  return mobilenetV2({ seed: 7, widthMultiplier: 0.5, resolution: RESOLUTION });
}

/** A deterministic NCHW image (an LCG, exact in float32). */
export function image() {
  const n = 3 * RESOLUTION * RESOLUTION;
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 4294967296 - 0.5;
  }
  return new Tensor('float32', [1, 3, RESOLUTION, RESOLUTION], data);
}

/** Runs the graph on a session with `threads`; returns the logits as plain numbers (exact copies of the float32 values) and what the session got. */
export async function runCase(threads) {
  const graph = buildGraph();
  const session = await createSession(graph, { threads });
  try {
    const feeds = { [graph.inputs[0].name]: image() };
    const out = await session.run(feeds);
    const again = await session.run(feeds);
    const name = graph.outputs[0].name;
    return {
      threads: session.threads,
      fallbackOps: session.fallbackOps.length,
      logits: Array.from(out[name].toFloat32()),
      repeat: Array.from(again[name].toFloat32()),
    };
  } finally {
    session.dispose();
  }
}
