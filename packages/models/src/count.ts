/**
 * Parameter counts split the way papers and PyTorch count them.
 */
import type { Graph } from '@mo/ir';

/** Initializer elements of a graph, by kind. */
export interface ParameterCounts {
  /** Every initializer element: what `graphStats(graph).parameters` reports. */
  readonly total: number;
  /**
   * Weights, biases and BatchNormalization scale/shift: what PyTorch's
   * `sum(p.numel() for p in model.parameters())` and torchvision's model docs report.
   */
  readonly learnable: number;
  /** BatchNormalization running means and variances (PyTorch buffers). */
  readonly batchNormStatistics: number;
  /** Everything else: scalars (ReLU6 bounds) and integer shape tensors. */
  readonly constants: number;
}

/**
 * Counts a graph's initializer elements by kind.
 *
 * @example
 * ```ts
 * countParameters(mobilenetV2()).learnable; // 3504872, torchvision's figure
 * ```
 */
export function countParameters(graph: Graph): ParameterCounts {
  const stats = new Set<string>();
  for (const n of graph.nodes) if (n.op === 'BatchNormalization') for (const i of n.inputs.slice(3, 5)) if (i) stats.add(i);
  let total = 0;
  let learnable = 0;
  let batchNormStatistics = 0;
  for (const [name, t] of graph.initializers) {
    total += t.size;
    if (stats.has(name)) batchNormStatistics += t.size;
    else if ((t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16') && t.rank > 0) learnable += t.size;
  }
  return { total, learnable, batchNormStatistics, constants: total - learnable - batchNormStatistics };
}
