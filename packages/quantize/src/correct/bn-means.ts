/**
 * Data-free input statistics (AIMET's data-free bias correction): when a layer's input is
 * act(BatchNorm(y)) in the input graph, each channel is approximately act(N(beta, gamma^2)), so its
 * mean follows from the BatchNormalization parameters alone.
 */
import type { Graph } from '@mo/ir';
import { fusedActivationOf } from '../graph/edit.js';
import { constantOf, weightSlots } from '../graph/roles.js';
import { clippedNormalMean } from '../math.js';
import { inputChannels } from './bias.js';

/** Ops whose output channel means equal their input channel means. */
const MEAN_PRESERVING = new Set(['GlobalAveragePool', 'AveragePool', 'Flatten']);

/**
 * Per node of `g` (the folded graph), the expected input per channel derived from the input
 * graph's BatchNormalization that followed the node's producer. `scales` are cross-layer
 * equalization factors (the value became value / scale).
 */
export function meansFromBatchNorm(original: Graph, g: Graph, scales?: ReadonlyMap<string, Float64Array>): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const n of g.nodes) {
    const slot = weightSlots(g, n).find((s) => s.role === 'weight');
    const channels = slot && inputChannels(slot);
    if (!slot || channels === undefined) continue;
    if (n.op === 'Gemm' && (n.attrs.transA as number | undefined) === 1) continue;
    const x = n.inputs[0];
    // Averaging keeps channel means: walk back through global/average pooling and the flatten
    // after a global pool.
    let src = x;
    for (let prev = g.producerOf(src); prev && MEAN_PRESERVING.has(prev.op); prev = g.producerOf(src)) {
      if (prev.op === 'Flatten' && g.producerOf(prev.inputs[0])?.op !== 'GlobalAveragePool') break;
      src = prev.inputs[0];
    }
    const p = g.producerOf(src);
    const p0 = p && original.node(p.name);
    if (!p || !p0) continue;
    const readers = original.consumersOf(p0.outputs[0]);
    if (readers.length !== 1 || readers[0].op !== 'BatchNormalization') continue;
    const gamma = constantOf(original, readers[0].inputs[1]);
    const beta = constantOf(original, readers[0].inputs[2]);
    if (!gamma || !beta || gamma.size !== channels || beta.size !== channels) continue;
    const { activation, params } = fusedActivationOf(p.attrs);
    let lo = -Infinity;
    let hi = Infinity;
    if (activation === 'Relu') lo = 0;
    else if (activation === 'Clip') [lo, hi] = params.length ? [params[0], params[1]] : [-Infinity, Infinity];
    else if (activation !== 'none') continue;
    const s = scales?.get(src);
    const mean = new Float64Array(channels);
    for (let c = 0; c < channels; c++) mean[c] = clippedNormalMean(beta.get(c), Math.abs(gamma.get(c)), lo, hi) / (s ? s[c] : 1);
    out.set(n.name, mean);
  }
  return out;
}
