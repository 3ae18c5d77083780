/**
 * The default optimization pipeline, as one list of named stages, and `optimize` to run it.
 */
import type { Graph } from '../graph/graph.js';
import { eliminateDeadCode } from './dead-code.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { foldConstants } from './fold-constants.js';
import { fuseActivation } from './fuse-activation.js';
import { runPasses, type Pass, type RunPassesOptions } from './pass.js';
import { removeIdentity } from './remove-identity.js';
import { simplifyShapes } from './simplify-shapes.js';

/** Inference-graph clean-up, in order. Each stage can be skipped by name (`disable`). */
export const defaultPipeline: readonly Pass[] = Object.freeze([
  removeIdentity, //    Identity, inference Dropout, no-op Cast/Reshape/Transpose/Expand/Tile
  foldConstants, //     all-constant subexpressions -> initializers
  simplifyShapes, //    Shape->Gather->Concat chains over static shapes -> constants
  foldBatchNorm, //     Conv/Gemm/MatMul + BatchNormalization -> new weights
  fuseActivation, //    Conv/Gemm/MatMul + Relu/Clip/... -> fused activation attribute
  eliminateDeadCode, // whatever no output needs any more
]);

export interface OptimizeOptions extends RunPassesOptions {
  /** Passes to run instead of `defaultPipeline`. */
  passes?: readonly Pass[];
}

/**
 * Runs the default pipeline (or `options.passes`) on `graph`.
 *
 * @example
 * ```ts
 * const g = optimize(graph, { disable: ['fuse-activation'], onLog: (p, m) => console.log(p, m) });
 * ```
 */
export function optimize(graph: Graph, options: OptimizeOptions = {}): Graph {
  const { passes = defaultPipeline, ...run } = options;
  return runPasses(graph, passes, run);
}
