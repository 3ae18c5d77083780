/**
 * Prepares an IR graph for TFLite: binds symbolic dimensions, rewrites QLinearConv /
 * QLinearMatMul into their QDQ form, runs the IR's optimization pipeline
 * (constant folding, BatchNormalization folding, activation fusion), converts convolutions and
 * pools to NHWC (graph inputs and outputs of rank 4 too, unless asked to keep them), and removes
 * the layout Transposes that cancel.
 */
import { ArgumentError, convertGraphLayout, inferTypes, isStaticShape, optimize, type Graph, type Shape, type ValueInfo } from '@mo/ir';
import { cleanUpLayout } from './layout.js';
import { lowerQLinear } from './qlinear.js';

export interface PrepareOptions {
  /** Values of symbolic dimensions (e.g. `{ batch: 1 }`); unbound symbols become 1. */
  readonly dims?: Readonly<Record<string, number>>;
  /**
   * Rank-4 graph inputs and outputs: 'NHWC' (default) converts them from the IR's NCHW to
   * TFLite's NHWC; 'keep' leaves them as the graph has them (graphs already in NHWC, such as
   * those `fromTflite` returns, or models meant to take NCHW tensors).
   */
  readonly ioLayout?: 'NHWC' | 'keep';
  /** Runs the IR optimization pipeline first (default true). */
  readonly optimize?: boolean;
}

function bind(shape: Shape, dims: Readonly<Record<string, number>>): number[] {
  return shape.map((d) => {
    if (typeof d === 'number') return d;
    const v = dims[d] ?? 1;
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`dimension '${d}' bound to ${v}; dims values must be integers >= 1`);
    return v;
  });
}

/**
 * The graph with every symbolic input dimension bound and output types re-inferred.
 *
 * @example
 * ```ts
 * const g = bindDims(mobilenetV2(), { batch: 4 }); // input [4, 3, 224, 224]
 * ```
 */
export function bindDims(g: Graph, dims: Readonly<Record<string, number>> = {}): Graph {
  const symbolic = (v: ValueInfo) => !isStaticShape(v.type.shape);
  if (!g.inputs.some(symbolic) && !g.outputs.some(symbolic) && ![...g.valueTypes.values()].some((t) => !isStaticShape(t.shape))) return g;
  const inputs = g.inputs.map((v) => ({ ...v, type: { ...v.type, shape: bind(v.type.shape, dims) } }));
  const bound = g.with({ inputs, valueTypes: new Map([...g.valueTypes].filter(([, t]) => isStaticShape(t.shape))) });
  const types = inferTypes(bound).types;
  const outputs = g.outputs.map((v) => ({ ...v, type: { ...v.type, shape: types.get(v.name)?.shape ?? bind(v.type.shape, dims) } }));
  return bound.with({ outputs });
}

/**
 * The pipeline toTflite runs before lowering: the NHWC, optimized IR graph the file computes.
 *
 * @example
 * ```ts
 * const nhwc = prepareGraph(mobilenetV2({ batch: 1 }));
 * console.log(nhwc.nodes.filter((n) => n.op === 'Transpose').length); // 0
 * ```
 */
export function prepareGraph(graph: Graph, opts: PrepareOptions = {}): Graph {
  let g = lowerQLinear(bindDims(graph, opts.dims));
  if (opts.optimize !== false) g = optimize(g);
  const io = opts.ioLayout ?? 'NHWC';
  g = convertGraphLayout(g, { to: 'NHWC', inputs: io === 'NHWC' ? 'NHWC' : 'keep', outputs: io === 'NHWC' ? 'NHWC' : 'keep', cancel: false });
  g = cleanUpLayout(g);
  if (opts.optimize !== false) g = optimize(g);
  return g;
}
