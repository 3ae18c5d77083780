/**
 * @mo/ir: the shared tensor IR of mo, and its executable reference.
 *
 * @example
 * ```ts
 * import { GraphBuilder, run, tensor } from '@mo/ir';
 * const b = new GraphBuilder('tiny');
 * const x = b.input('x', 'float32', [1, 4]);
 * b.output(b.relu(x), 'y');
 * const out = run(b.build(), { x: tensor('float32', [[-1, 2, -3, 4]]) });
 * ```
 */
import './ops/index.js';

export * from './core/errors.js';
export * from './core/dtype.js';
export * from './core/float16.js';
export * from './core/shape.js';
export * from './core/quant.js';
export * from './core/tensor.js';
export * from './core/random.js';
export { Graph, uniqueName, type GraphInit, type NodeInit } from './graph/graph.js';
export type { AttrValue, Attrs, GraphMetadata, Node, TensorType, ValueInfo } from './graph/types.js';
export * from './ops/index.js';
export { inferTypes, typeOfTensor, type InferResult } from './verify/infer.js';
export { verify, findProblems, GraphVerifyError, type Problem } from './verify/verify.js';
export { run, type Feeds, type RunOptions } from './interpreter/interpreter.js';
export { runNode } from './interpreter/run-node.js';
export * from './builder/index.js';
export { structurallyEqual, explainDifference } from './graph/equal.js';
export { summary, formatGraph, graphStats, type GraphStats } from './graph/summary.js';
export * from './passes/index.js';
