/**
 * toTflite: IR graph -> .tflite bytes. Prepares the graph (optimize, NHWC), plans which nodes of a
 * QDQ graph become int8 operators, lowers every node through the op table, and serializes.
 */
import { MoError, findSchema, inferTypes, resolveAttrs, type Graph } from '@mo/ir';
import { builtinName, type BuiltinName } from '../codes.js';
import { olderRuntime, runtimeVersion } from '../builtins.js';
import { NodeUnsupported, UnsupportedNodesError, type UnsupportedNode } from '../errors.js';
import { exportRule } from '../op-table.js';
import { LowerContext } from './context.js';
import type { TflModelBuilder } from './model.js';
import { reshapeOptions } from './options.js';
import { prepareGraph, type PrepareOptions } from './prepare.js';
import { planQuantization } from './quant-plan.js';
import { int8Boundaries } from './int8-io.js';

/**
 * Weight storage presets of `toTflite`.
 *
 * @example
 * ```ts
 * for (const weights of WEIGHT_TYPES) console.log(weights, toTflite(graph, { weights }).length);
 * ```
 */
export const WEIGHT_TYPES = Object.freeze(['float32', 'float16'] as const);
export type WeightType = (typeof WEIGHT_TYPES)[number];

/**
 * Element types of a model's inputs and outputs: 'float32' (integer models quantize and
 * dequantize at the boundaries) or 'int8' (integer models take and return int8 tensors).
 *
 * @example
 * ```ts
 * const bytes = toTflite(qdqGraph, { io: 'int8' }); // no QUANTIZE / DEQUANTIZE operators
 * ```
 */
export const IO_TYPES = Object.freeze(['float32', 'int8'] as const);
export type IoType = (typeof IO_TYPES)[number];

/** Options of `toTflite`. */
export interface ToTfliteOptions extends PrepareOptions {
  /**
   * 'float32' (default) stores float weights as they are; 'float16' stores them as float16 and
   * adds DEQUANTIZE operators (half the size, float32 compute). Quantized (QDQ) weights stay int8.
   */
  readonly weights?: WeightType;
  /**
   * 'float32' (default): inputs and outputs as the graph has them; an integer model starts with
   * QUANTIZE and ends with DEQUANTIZE. 'int8': the per-tensor int8 QuantizeLinear after each input
   * and DequantizeLinear before each output are left out, the file's inputs and outputs are int8
   * tensors carrying those scales and zero points (TFLite's `inference_input_type = int8`).
   */
  readonly io?: IoType;
  /** Model description string (default "mo @mo/convert-tflite"). */
  readonly description?: string;
  /** Signature key of the one signature written (default "serving_default"). */
  readonly signatureKey?: string;
}

/** What `exportTflite` returns besides the bytes. */
export interface TfliteExport {
  readonly bytes: Uint8Array;
  /** The IR graph that was lowered (NHWC, optimized): the exact computation of the file. */
  readonly prepared: Graph;
  /** Builtin operators written, with their versions and counts. */
  readonly operators: ReadonlyMap<string, number>;
  readonly minRuntimeVersion: string;
}

/**
 * Writes `graph` as a TFLite model (float32 or float16 weights; int8 for QDQ graphs).
 *
 * @example
 * ```ts
 * import { toTflite } from '@mo/convert-tflite';
 * import { mobilenetV2 } from '@mo/models';
 * const bytes = toTflite(mobilenetV2({ resolution: 96 }), { dims: { batch: 1 } });
 * ```
 */
export function toTflite(graph: Graph, options: ToTfliteOptions = {}): Uint8Array {
  return exportTflite(graph, options).bytes;
}

/**
 * `toTflite` that also returns the prepared graph and a summary of the operators written.
 *
 * @example
 * ```ts
 * const { bytes, operators, minRuntimeVersion } = exportTflite(graph, { weights: 'float16' });
 * console.log(bytes.length, [...operators], minRuntimeVersion);
 * ```
 */
export function exportTflite(graph: Graph, options: ToTfliteOptions = {}): TfliteExport {
  const weights = options.weights ?? 'float32';
  if (!(WEIGHT_TYPES as readonly string[]).includes(weights)) throw new MoError(`option 'weights' is '${String(weights)}'; expected 'float32' or 'float16'`);
  const io = options.io ?? 'float32';
  if (!(IO_TYPES as readonly string[]).includes(io)) throw new MoError(`option 'io' is '${String(io)}'; expected 'float32' or 'int8'`);
  const prepared = prepareGraph(graph, options);
  const g = io === 'int8' ? int8Boundaries(prepared) : prepared;
  const types = inferTypes(g).types;
  const isConstant = (v: string) => !!v && g.initializers.has(v) && !g.isGraphInput(v);
  const plan = planQuantization(g, types, (n) => exportRule(n.op)?.int8 ?? false, isConstant);
  const cx = new LowerContext(g, types, { fp16Weights: weights === 'float16' }, plan);
  const problems: UnsupportedNode[] = [];

  const inputs: number[] = [];
  for (const i of g.inputs) {
    if (isConstant(i.name)) continue;
    try {
      inputs.push(cx.value(i.name));
    } catch (e) {
      if (!(e instanceof NodeUnsupported)) throw e;
      problems.push({ node: i.name, op: '(graph input)', reason: e.reason });
    }
  }
  for (const node of g.topologicalOrder()) {
    if (plan.absorbed.has(node.name)) continue;
    const rule = exportRule(node.op);
    if (!rule) {
      problems.push({ node: node.name, op: node.op, reason: `no TFLite mapping for ${node.op}` });
      continue;
    }
    const schema = findSchema(node.op);
    cx.node = node;
    try {
      rule.lower(cx, node, schema ? resolveAttrs(schema, node) : node.attrs);
    } catch (e) {
      if (e instanceof NodeUnsupported) problems.push({ node: node.name, op: node.op, reason: e.reason });
      else throw e;
    }
  }
  cx.node = undefined;
  if (problems.length) throw new UnsupportedNodesError(problems);

  const model = cx.model;
  const outputs = g.outputs.map((o) => cx.value(o.name));
  // An output that is also an input (or listed twice) gets its own tensor through a RESHAPE copy.
  const seen = new Set(inputs);
  outputs.forEach((t, k) => {
    if (!seen.has(t)) {
      seen.add(t);
      return;
    }
    const src = model.tensors[t];
    const copy = model.addTensor({ ...src, name: `${g.outputs[k].name}_copy`, data: undefined });
    const shape = cx.int32(`${g.outputs[k].name}_shape`, src.shape);
    model.addOperator({ op: 22, version: 1, inputs: [t, shape], outputs: [copy], options: reshapeOptions(src.shape) });
    outputs[k] = copy;
  });
  model.inputs = inputs;
  model.outputs = outputs;
  pruneTensors(model);

  const counts = new Map<string, number>();
  let minRuntime = '1.5.0';
  for (const op of model.operators) {
    const name = builtinName(op.op);
    const key = `${name} v${op.version}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const rt = runtimeVersion(name as BuiltinName, op.version);
    if (rt && olderRuntime(minRuntime, rt)) minRuntime = rt;
  }
  const bytes = model.serialize({
    description: options.description ?? 'mo @mo/convert-tflite',
    subgraphName: 'main',
    signatureKey: options.signatureKey ?? 'serving_default',
    inputNames: g.inputs.filter((i) => !isConstant(i.name)).map((i) => i.name),
    outputNames: g.outputs.map((o) => o.name),
    minRuntimeVersion: minRuntime,
  });
  return { bytes, prepared: g, operators: counts, minRuntimeVersion: minRuntime };
}

/** Drops tensors no operator or graph input/output refers to, renumbering the rest. */
function pruneTensors(m: TflModelBuilder): void {
  const used = new Set<number>([...m.inputs, ...m.outputs]);
  for (const op of m.operators) for (const t of [...op.inputs, ...op.outputs]) if (t >= 0) used.add(t);
  if (used.size === m.tensors.length) return;
  const remap = new Map<number, number>();
  const kept = m.tensors.filter((_, i) => used.has(i));
  m.tensors.forEach((_, i) => used.has(i) && remap.set(i, remap.size));
  m.tensors.length = 0;
  m.tensors.push(...kept);
  const r = (i: number) => (i < 0 ? i : remap.get(i)!);
  const ops = m.operators.map((op) => ({ ...op, inputs: op.inputs.map(r), outputs: op.outputs.map(r) }));
  m.operators.length = 0;
  m.operators.push(...ops);
  m.inputs = m.inputs.map(r);
  m.outputs = m.outputs.map(r);
}
