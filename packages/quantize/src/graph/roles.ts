/**
 * Where the weights are: which input of which op is a weight or a bias, along which axis its
 * output channels run (per-channel scales) and along which axis its inputs are reduced (per-block
 * scales). Ops are matched by group (conv, matmul, index) as the op table declares them.
 */
import { groupOf, type Graph, type Node, type Tensor } from '@mo/ir';

/** A constant float input of a node that quantization treats as a weight or a bias. */
export interface WeightSlot {
  readonly node: Node;
  /** Input position on the node. */
  readonly input: number;
  /** Initializer name. */
  readonly name: string;
  readonly tensor: Tensor;
  readonly role: 'weight' | 'bias';
  /** Axis of output channels (per-channel scales), undefined when there is none (1-D weights). */
  readonly channelAxis: number | undefined;
  /**
   * Per-block quantization works on this view of the weight (same elements, row-major): blocks run
   * along `axis`, the reduction axis. Conv weights [M, C/g, k...] are viewed as [M, C/g * k...].
   */
  readonly blockView: { readonly shape: readonly number[]; readonly axis: number } | undefined;
}

/** The value of `name` when it is a constant initializer (not a graph input with a default). */
export function constantOf(g: Graph, name: string | undefined): Tensor | undefined {
  if (!name || g.isGraphInput(name)) return undefined;
  return g.initializers.get(name);
}

const isFloatWeight = (t: Tensor | undefined): t is Tensor => t !== undefined && t.dtype === 'float32' && !t.quant;

function slot(node: Node, input: number, t: Tensor, role: WeightSlot['role'], channelAxis: number | undefined, blockView: WeightSlot['blockView']): WeightSlot {
  return { node, input, name: node.inputs[input], tensor: t, role, channelAxis, blockView };
}

/** The weight and bias slots of `node` (empty for ops without constant weights). */
export function weightSlots(g: Graph, node: Node): WeightSlot[] {
  const group = groupOf(node.op);
  const out: WeightSlot[] = [];
  const w = constantOf(g, node.inputs[1]);
  const bias = (channels: number) => {
    const b = constantOf(g, node.inputs[2]);
    if (isFloatWeight(b) && b.shape.length === 1 && b.size === channels) out.push(slot(node, 2, b, 'bias', 0, undefined));
  };
  if (group === 'conv' && isFloatWeight(w) && w.shape.length >= 3) {
    const [d0, d1] = w.shape;
    const rest = w.size / d0;
    if (node.op === 'ConvTranspose') {
      // W is [C_in, M/g, k...]: output channels on axis 1, inputs reduced along axis 0.
      out.push(slot(node, 1, w, 'weight', 1, { shape: [d0, w.size / d0], axis: 0 }));
      const groups = (node.attrs.group as number | undefined) ?? 1;
      bias(d1 * groups);
    } else {
      out.push(slot(node, 1, w, 'weight', 0, { shape: [d0, rest], axis: 1 }));
      bias(d0);
    }
  } else if (group === 'matmul' && isFloatWeight(w)) {
    if (node.op === 'Gemm' && w.shape.length === 2) {
      const transB = (node.attrs.transB as number | undefined) === 1;
      // B is [N, K] with transB, else [K, N].
      out.push(slot(node, 1, w, 'weight', transB ? 0 : 1, { shape: w.shape, axis: transB ? 1 : 0 }));
      bias(transB ? w.shape[0] : w.shape[1]);
    } else if (node.op === 'MatMul') {
      const r = w.shape.length;
      out.push(slot(node, 1, w, 'weight', r >= 2 ? r - 1 : undefined, r >= 2 ? { shape: w.shape, axis: r - 2 } : { shape: w.shape, axis: 0 }));
    }
  } else if (group === 'index' && node.op === 'Gather') {
    const table = constantOf(g, node.inputs[0]);
    if (isFloatWeight(table) && table.shape.length === 2 && ((node.attrs.axis as number | undefined) ?? 0) === 0) {
      // Embedding rows are looked up whole: scales per row, blocks along the row.
      out.push(slot(node, 0, table, 'weight', 0, { shape: table.shape, axis: 1 }));
    }
  }
  return out;
}

/** Output channels of a weight slot (1 when it has no channel axis). */
export function channelsOf(s: WeightSlot): number {
  return s.channelAxis === undefined ? 1 : s.tensor.shape[s.channelAxis];
}
