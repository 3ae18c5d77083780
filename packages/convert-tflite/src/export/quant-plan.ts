/**
 * Which nodes of a QDQ graph become integer TFLite operators. A float node is lowered as an int8
 * operator when its rule supports int8, every activation input comes from a DequantizeLinear of
 * an int8 value with per-tensor params, its weights come from DequantizeLinear of constants (or
 * are float constants the rule quantizes, such as biases), and each output feeds exactly one
 * per-tensor int8 QuantizeLinear. Those QuantizeLinear / DequantizeLinear pairs then disappear:
 * the operator reads the int8 tensors and writes the QuantizeLinear output directly. Everything
 * else stays float; remaining QuantizeLinear / DequantizeLinear become QUANTIZE / DEQUANTIZE.
 */
import { type Graph, type Node, type QuantParams, type Tensor, type TensorType } from '@mo/ir';

export interface QuantPlan {
  /** Nodes lowered as integer operators. */
  readonly quantNodes: ReadonlySet<string>;
  /** For inputs of quantized nodes: DequantizeLinear output -> its int8 input. */
  readonly quantSource: ReadonlyMap<string, string>;
  /** For outputs of quantized nodes: float output -> the QuantizeLinear output written instead. */
  readonly quantSink: ReadonlyMap<string, string>;
  /** QuantizeLinear / DequantizeLinear nodes that need no operator. */
  readonly absorbed: ReadonlySet<string>;
}

export const EMPTY_PLAN: QuantPlan = { quantNodes: new Set(), quantSource: new Map(), quantSink: new Map(), absorbed: new Set() };

/** A DequantizeLinear of constant integer data with constant params: a quantized weight. */
export interface QuantizedConstant {
  readonly data: Tensor;
  readonly quant: QuantParams;
}

const isQ = (n: Node | undefined): boolean => n?.op === 'QuantizeLinear';
const isDQ = (n: Node | undefined): boolean => n?.op === 'DequantizeLinear';

/** Per-tensor int8 quantization carried by a value's type. */
export function perTensorInt8(t: TensorType | undefined): boolean {
  return t !== undefined && t.dtype === 'int8' && t.quant?.kind === 'per-tensor';
}

/**
 * Plans a graph. `int8Capable(node)` says whether the node's export rule can write an integer
 * operator; `isConstant(value)` whether a value is an initializer.
 */
export function planQuantization(
  g: Graph,
  types: ReadonlyMap<string, TensorType>,
  int8Capable: (node: Node) => boolean,
  isConstant: (value: string) => boolean,
): QuantPlan {
  if (!g.nodes.some((n) => isQ(n) || isDQ(n))) return EMPTY_PLAN;
  const quantNodes = new Set<string>();
  const quantSource = new Map<string, string>();
  const quantSink = new Map<string, string>();
  const absorbed = new Set<string>();

  for (const node of g.topologicalOrder()) {
    if (isQ(node) || isDQ(node) || !int8Capable(node)) continue;
    const sources = new Map<string, string>();
    let ok = true;
    let activations = 0;
    for (const name of node.inputs) {
      if (!name || isConstant(name)) continue;
      const p = g.producerOf(name)!;
      if (!isDQ(p)) {
        ok = false;
        break;
      }
      if (isConstant(p.inputs[0])) continue; // a quantized weight, read by the rule
      if (!perTensorInt8(types.get(p.inputs[0]))) {
        ok = false;
        break;
      }
      sources.set(name, p.inputs[0]);
      activations++;
    }
    if (!ok || activations === 0) continue;
    const sinks = new Map<string, Node>();
    for (const out of node.outputs) {
      if (!out) continue;
      const cs = g.consumersOf(out);
      const q = cs.length === 1 ? cs[0] : undefined;
      if (g.isGraphOutput(out) || !q || !isQ(q) || !perTensorInt8(types.get(q.outputs[0]))) {
        ok = false;
        break;
      }
      sinks.set(out, q);
    }
    if (!ok) continue;
    quantNodes.add(node.name);
    for (const [k, v] of sources) quantSource.set(k, v);
    for (const [out, q] of sinks) {
      quantSink.set(out, q.outputs[0]);
      absorbed.add(q.name);
    }
  }
  // A DequantizeLinear needs no operator when only quantized nodes read it (activations) or when
  // only quantized nodes read it as a weight.
  for (const node of g.nodes) {
    if (!isDQ(node)) continue;
    const out = node.outputs[0];
    if (!g.isGraphOutput(out) && g.consumersOf(out).every((c) => quantNodes.has(c.name))) absorbed.add(node.name);
  }
  return { quantNodes, quantSource, quantSink, absorbed };
}
