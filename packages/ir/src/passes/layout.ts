/**
 * convertLayout: switches layout-sensitive nodes (Conv, ConvTranspose, pooling, ...) between NCHW
 * and NHWC. Each converted node gets a Transpose before its activation input (channels moved from
 * axis 1 to the end, any rank) and one after its output (moved back), so the graph computes the
 * same values; cancelTransposes then removes the pairs that meet. Optionally the graph's 4-D
 * inputs and outputs switch layout too (the interface changes: feed NHWC tensors).
 */
import type { Shape } from '../core/shape.js';
import type { Graph, NodeInit } from '../graph/graph.js';
import type { AttrValue, Node, ValueInfo } from '../graph/types.js';
import { findSchema, hasTag } from '../ops/schema.js';
import { cancelTransposesIn } from './cancel-transposes.js';
import { attrsOf, channelsFirstPerm, channelsLastPerm, freshNamer, invertPerm, tryInferTypes } from './helpers.js';
import { definePass, type Pass } from './pass.js';

export type Layout = 'NCHW' | 'NHWC';

export interface ConvertLayoutOptions {
  /** Target layout of layout-sensitive nodes. */
  to: Layout;
  /** 'keep' (default): graph inputs keep their layout; `to`: 4-D graph inputs take the target layout. */
  inputs?: 'keep' | Layout;
  /** 'keep' (default): graph outputs keep their layout; `to`: 4-D graph outputs take the target layout. */
  outputs?: 'keep' | Layout;
  /** Run cancelTransposes afterwards (default true). */
  cancel?: boolean;
}

/** Rank of graph inputs/outputs whose layout `inputs` / `outputs` switch. */
const IMAGE_RANK = 4;

/** Perm taking a tensor of rank r from layout `from` to layout `to`. */
function layoutPerm(to: Layout, rank: number): number[] {
  return to === 'NHWC' ? channelsLastPerm(rank) : channelsFirstPerm(rank);
}

const permuteShape = (s: Shape, perm: readonly number[]): Shape => perm.map((p) => s[p]);

/** Switches one node to layout `to`, with Transposes around it; `inbound` reuses one Transpose per source. */
function convertNode(g: Graph, node: Node, to: Layout, rank: number, inbound: Map<string, string>, fresh: (b: string) => string): Graph {
  const toPerm = layoutPerm(to, rank);
  const back = invertPerm(toPerm);
  const suffix = to.toLowerCase();
  const [x, ...rest] = node.inputs;
  const [y, ...otherOuts] = node.outputs;
  const added: NodeInit[] = [];
  let xT = inbound.get(x);
  if (!xT) {
    xT = fresh(`${x}_${suffix}`);
    inbound.set(x, xT);
    added.push({ name: fresh(`${node.name}_to_${suffix}`), op: 'Transpose', inputs: [x], outputs: [xT], attrs: { perm: toPerm } });
  }
  const yT = fresh(`${y}_${suffix}`);
  // The layout attribute is dropped when the target is the schema default, as a builder would write it.
  const attrs: Record<string, AttrValue> = { ...node.attrs, layout: to };
  if (findSchema(node.op)?.attrs?.layout?.default === to) delete attrs.layout;
  return g.replaceNode(node.name, [
    ...added,
    { ...node, inputs: [xT, ...rest], outputs: [yT, ...otherOuts], attrs },
    { name: fresh(`${node.name}_from_${suffix}`), op: 'Transpose', inputs: [yT], outputs: [y], attrs: { perm: back } },
  ]);
}

/** Graph inputs of rank 4 take layout `to`; a Transpose after each restores the old layout for its readers. */
function convertInputs(g: Graph, to: Layout, fresh: (b: string) => string): Graph {
  let out = g;
  const added: NodeInit[] = [];
  const inputs: ValueInfo[] = [];
  for (const info of g.inputs) {
    const { name, type } = info;
    if (type.shape.length !== IMAGE_RANK || g.initializers.has(name) || g.isGraphOutput(name) || !g.isUsed(name)) {
      inputs.push(info);
      continue;
    }
    const toPerm = layoutPerm(to, IMAGE_RANK);
    const old = fresh(`${name}_${to === 'NHWC' ? 'nchw' : 'nhwc'}`);
    out = out.rewireUses(name, old);
    added.push({ name: fresh(`${name}_from_${to.toLowerCase()}`), op: 'Transpose', inputs: [name], outputs: [old], attrs: { perm: invertPerm(toPerm) } });
    inputs.push({ ...info, type: { ...type, shape: permuteShape(type.shape, toPerm) } });
  }
  return added.length ? out.with({ inputs, nodes: [...added, ...out.nodes] }) : g;
}

/** Graph outputs of rank 4 take layout `to`; a Transpose before each converts the computed value. */
function convertOutputs(g: Graph, to: Layout, fresh: (b: string) => string): Graph {
  let nodes: NodeInit[] = [...g.nodes];
  const valueTypes = new Map(g.valueTypes);
  const added: NodeInit[] = [];
  const outputs: ValueInfo[] = [];
  for (const info of g.outputs) {
    const { name, type } = info;
    if (type.shape.length !== IMAGE_RANK || !g.producerOf(name) || g.isGraphInput(name)) {
      outputs.push(info);
      continue;
    }
    const toPerm = layoutPerm(to, IMAGE_RANK);
    const old = fresh(`${name}_${to === 'NHWC' ? 'nchw' : 'nhwc'}`);
    const rename = (xs: readonly string[]) => xs.map((v) => (v === name ? old : v));
    nodes = nodes.map((n) => ({ ...n, inputs: rename(n.inputs), outputs: rename(n.outputs) }));
    const annotated = valueTypes.get(name);
    if (annotated) {
      valueTypes.delete(name);
      valueTypes.set(old, annotated);
    }
    added.push({ name: fresh(`${name}_to_${to.toLowerCase()}`), op: 'Transpose', inputs: [old], outputs: [name], attrs: { perm: toPerm } });
    outputs.push({ ...info, type: { ...type, shape: permuteShape(type.shape, toPerm) } });
  }
  return added.length ? g.with({ outputs, nodes: [...nodes, ...added], valueTypes }) : g;
}

/** Converts `graph` (see `ConvertLayoutOptions`); returns it unchanged when nothing needs converting. */
export function convertGraphLayout(graph: Graph, opts: ConvertLayoutOptions): Graph {
  const from: Layout = opts.to === 'NHWC' ? 'NCHW' : 'NHWC';
  const types = tryInferTypes(graph)?.types;
  let g = graph;
  const fresh = freshNamer(() => g);
  const inbound = new Map<string, string>();
  for (const node of graph.nodes) {
    if (!hasTag(node.op, 'layout-sensitive')) continue;
    const layout = attrsOf(node)?.layout;
    const rank = types?.get(node.inputs[0])?.shape.length;
    // Extra outputs (MaxPool indices) would change meaning with the layout: leave such nodes alone.
    if (layout !== from || rank === undefined || rank < 3 || node.outputs.slice(1).some((o) => o)) continue;
    g = convertNode(g, node, opts.to, rank, inbound, fresh);
  }
  if (opts.inputs === opts.to) g = convertInputs(g, opts.to, fresh);
  if (opts.outputs === opts.to) g = convertOutputs(g, opts.to, fresh);
  if (g === graph) return graph;
  return opts.cancel === false ? g : cancelTransposesIn(g).graph;
}

/** The layout conversion pass. */
export function convertLayout(opts: ConvertLayoutOptions): Pass {
  return definePass({
    name: 'convert-layout',
    description: `switches layout-sensitive nodes to ${opts.to} and cancels the Transposes that meet`,
    run: (graph) => convertGraphLayout(graph, opts),
  });
}
