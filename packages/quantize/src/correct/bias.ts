/**
 * Bias correction (Nagel et al., 2019, "Data-Free Quantization", section 4.2; AIMET): quantizing
 * W to W' shifts the expected output by (W' - W) E[x]. Subtracting that shift from the bias
 * removes the biased part of the error. E[x] per input channel comes from the calibration set
 * (empirical) or, data-free, from the preceding BatchNormalization's statistics passed through its
 * activation (E[relu(N(beta, gamma^2))]).
 */
import type { Node } from '@mo/ir';
import type { WeightSlot } from '../graph/roles.js';

/** The axis of `node`'s data input whose channels `outputShift` needs means of. */
export function inputChannelAxis(node: Node): number | undefined {
  if (node.op === 'Conv') return node.attrs.layout === 'NHWC' ? -1 : 1;
  if (node.op === 'Gemm') return (node.attrs.transA as number | undefined) === 1 ? 0 : 1;
  return undefined;
}

/** Number of input channels the weight slot reduces over (what the mean vector must hold). */
export function inputChannels(slot: WeightSlot): number | undefined {
  const w = slot.tensor;
  if (slot.node.op === 'Conv') return w.shape[1] * ((slot.node.attrs.group as number | undefined) ?? 1);
  if (slot.node.op === 'Gemm') return (slot.node.attrs.transB as number | undefined) === 1 ? w.shape[1] : w.shape[0];
  return undefined;
}

/**
 * Per output channel, (W' - W) . E[x]: the mean output shift the weight error causes. Undefined
 * for ops it does not cover (MatMul has no bias; ConvTranspose is not handled).
 */
export function outputShift(slot: WeightSlot, dequantized: ArrayLike<number>, mean: ArrayLike<number>): Float64Array | undefined {
  const w = slot.tensor;
  const x = w.toFloat32();
  if (slot.node.op === 'Conv') {
    const [m, cg] = w.shape;
    const taps = w.size / (m * cg);
    const groups = (slot.node.attrs.group as number | undefined) ?? 1;
    if (mean.length !== cg * groups) return undefined;
    const perGroup = m / groups;
    const shift = new Float64Array(m);
    for (let o = 0; o < m; o++) {
      const g = Math.floor(o / perGroup);
      let s = 0;
      for (let c = 0; c < cg; c++) {
        const mu = mean[g * cg + c];
        const base = (o * cg + c) * taps;
        for (let t = 0; t < taps; t++) s += (dequantized[base + t] - x[base + t]) * mu;
      }
      shift[o] = s;
    }
    return shift;
  }
  if (slot.node.op === 'Gemm') {
    const transB = (slot.node.attrs.transB as number | undefined) === 1;
    const [r, c] = w.shape;
    const n = transB ? r : c;
    const k = transB ? c : r;
    if (mean.length !== k) return undefined;
    const alpha = (slot.node.attrs.alpha as number | undefined) ?? 1;
    const shift = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) {
        const idx = transB ? j * k + i : i * n + j;
        s += (dequantized[idx] - x[idx]) * mean[i];
      }
      shift[j] = alpha * s;
    }
    return shift;
  }
  return undefined;
}
