/**
 * cancelTransposes: removes the Transposes that layout conversion (or an exporter) leaves behind.
 * Repeated until nothing changes:
 * - Transpose of a Transpose becomes one Transpose (none when the composition is the identity);
 * - a Transpose feeding an elementwise op moves after it (for several operands, when all
 *   non-constant ones come through Transposes with the same perm; constant operands are
 *   permuted the other way, so a [C,1,1] bias for NCHW becomes [1,1,C] for NHWC);
 * then a Transpose that only moves size-1 dimensions becomes a Reshape.
 */
import type { Tensor } from '../core/tensor.js';
import type { Graph } from '../graph/graph.js';
import type { Node } from '../graph/types.js';
import { findSchema, groupOf } from '../ops/schema.js';
import {
  bypassNode,
  canBypass,
  composePerms,
  constantOf,
  dropUnusedInitializers,
  dropUnusedNodes,
  freshNamer,
  int64Tensor,
  invertPerm,
  isIdentityPerm,
  permOf,
  transposeTensor,
  tryInferTypes,
} from './helpers.js';
import { definePass } from './pass.js';

/** Statistics of one run. */
export interface CancelStats {
  composed: number;
  pushed: number;
  reshaped: number;
}

/** Replaces a Transpose whose composition is the identity by its source (or an Identity node). */
function removeIdentityTranspose(g: Graph, t: Node, source: string): Graph {
  const out = t.outputs[0];
  if (canBypass(g, out, source)) return bypassNode(g, t, out, source);
  // A graph input passed straight to a graph output: an Identity keeps the output name.
  return g.replaceNode(t.name, [{ name: t.name, op: 'Identity', inputs: [source], outputs: [out] }]);
}

/** Transpose∘Transpose and identity Transposes. */
function tryCompose(g: Graph, t: Node, perm: readonly number[], permOfNode: (n: Node) => number[] | undefined): Graph | undefined {
  const x = t.inputs[0];
  if (isIdentityPerm(perm)) return removeIdentityTranspose(g, t, x);
  const inner = g.producerOf(x);
  if (!inner || inner.op !== 'Transpose') return undefined;
  const p1 = permOfNode(inner);
  if (!p1 || p1.length !== perm.length) return undefined;
  const q = composePerms(p1, perm);
  const source = inner.inputs[0];
  const next = isIdentityPerm(q)
    ? removeIdentityTranspose(g, t, source)
    : g.replaceNode(t.name, [{ ...t, inputs: [source], attrs: { ...t.attrs, perm: q } }]);
  return dropUnusedNodes(next, [inner.name]);
}

/** Elementwise ops whose meaning does not depend on axis order (no axis attributes). */
function isLayoutAgnostic(op: string): boolean {
  if (groupOf(op) !== 'elementwise') return false;
  const attrs = findSchema(op)?.attrs ?? {};
  return !('axis' in attrs) && !('axes' in attrs);
}

/** Constants `permuteConstant` can rewrite (per-axis params would need their axis remapped). */
const movableConstant = (c: Tensor) => !c.quant || c.quant.kind === 'per-tensor';

/** A constant operand rewritten for the pre-transpose layout: aligned to rank r, permuted by inv(perm). */
function permuteConstant(c: Tensor, perm: readonly number[]): Tensor {
  const r = perm.length;
  const aligned = c.reshape([...Array<number>(r - c.shape.length).fill(1), ...c.shape]);
  const t = transposeTensor(aligned, invertPerm(perm));
  // Drop leading size-1 dims added above, back to the operand's own rank (broadcasting restores them).
  let shape = [...t.shape];
  while (shape.length > c.shape.length && shape[0] === 1) shape = shape.slice(1);
  return t.reshape(shape);
}

/**
 * True when every reader of Transpose `t` is an elementwise op whose non-constant operands come
 * from `t`, from Transposes with the same perm, or from other readers of `t`: moving the Transpose
 * through all of them (one after another) removes it.
 */
function willBeFreed(g: Graph, t: Node, perm: readonly number[], permOfNode: (n: Node) => number[] | undefined): boolean {
  const out = t.outputs[0];
  if (g.isGraphOutput(out)) return false;
  const readers = new Set(g.consumersOf(out));
  for (const c of readers) {
    if (!isLayoutAgnostic(c.op) || c.outputs.length !== 1) return false;
    for (const name of c.inputs) {
      if (!name) continue;
      const k = constantOf(g, name);
      if (k) {
        if (!movableConstant(k) || k.shape.length > perm.length) return false;
        continue;
      }
      const p = g.producerOf(name);
      if (p && readers.has(p)) continue;
      const q = p && p.op === 'Transpose' ? permOfNode(p) : undefined;
      if (!q || q.length !== perm.length || q.some((v, i) => v !== perm[i])) return false;
    }
  }
  return true;
}

/** Moves Transposes from the operands of an elementwise node to its output. */
function tryPush(g: Graph, n: Node, permOfNode: (n: Node) => number[] | undefined): Graph | undefined {
  if (!isLayoutAgnostic(n.op) || n.outputs.length !== 1 || !n.outputs[0]) return undefined;
  let perm: number[] | undefined;
  const transposes: Node[] = [];
  for (const name of n.inputs) {
    if (!name) continue;
    const c = constantOf(g, name);
    if (c) {
      if (!movableConstant(c)) return undefined;
      continue;
    }
    const t = g.producerOf(name);
    const p = t && t.op === 'Transpose' ? permOfNode(t) : undefined;
    if (!t || !p || (perm && (p.length !== perm.length || p.some((v, i) => v !== perm![i])))) return undefined;
    perm = p;
    transposes.push(t);
  }
  if (!perm) return undefined;
  const r = perm.length;
  if (n.inputs.some((name) => name && constantOf(g, name) && constantOf(g, name)!.shape.length > r)) return undefined;
  // Move when a Transpose disappears now, or will once its other readers (all elementwise, fed
  // by it or by each other) take it too, as in x * sigmoid(x).
  const freed = new Set(transposes.filter((t) => !g.isGraphOutput(t.outputs[0]) && g.consumersOf(t.outputs[0]).every((c) => c === n)));
  if (!freed.size && !transposes.some((t) => willBeFreed(g, t, perm!, permOfNode))) return undefined;

  let next = g;
  const fresh = freshNamer(() => next);
  const inputs = n.inputs.map((name) => {
    if (!name) return name;
    const c = constantOf(g, name);
    if (!c) return g.producerOf(name)!.inputs[0];
    if (c.size === 1 && c.shape.length <= r) return name; // a broadcast scalar is layout-free
    const moved = fresh(`${name}_t`);
    next = next.withInitializer(moved, permuteConstant(c, perm!));
    return moved;
  });
  const y = n.outputs[0];
  const mid = fresh(`${y}_pre`);
  next = next.replaceNode(n.name, [
    { ...n, inputs, outputs: [mid] },
    { name: fresh(`${n.name}_transpose`), op: 'Transpose', inputs: [mid], outputs: [y], attrs: { perm } },
  ]);
  next = dropUnusedNodes(next, [...freed].map((t) => t.name));
  return dropUnusedInitializers(next, n.inputs);
}

/** A Reshape for a Transpose that keeps the order of every dimension except size-1 ones. */
function tryReshape(g: Graph, t: Node, perm: readonly number[], inShape: readonly (number | string)[] | undefined): Graph | undefined {
  if (!inShape || inShape.length !== perm.length) return undefined;
  const moved = perm.filter((d) => inShape[d] !== 1);
  if (moved.some((d, i) => i > 0 && d < moved[i - 1])) return undefined;
  const outShape = perm.map((d) => inShape[d]);
  if (outShape.some((d) => d === 0)) return undefined; // 0 means "copy" in a Reshape shape
  // Symbolic dims: 0 copies the input dim at the same index; at most one -1 for the rest.
  let inferred = 0;
  const target = outShape.map((d, i) => {
    if (typeof d === 'number') return d;
    if (inShape[i] === d) return 0;
    inferred++;
    return -1;
  });
  if (inferred > 1) return undefined;
  const shapeName = g.freshName(`${t.name}_shape`);
  return g
    .withInitializer(shapeName, int64Tensor(target))
    .replaceNode(t.name, [{ name: t.name, op: 'Reshape', inputs: [t.inputs[0], shapeName], outputs: t.outputs }]);
}

/** Runs the rewrites to a fixed point; returns the input graph when nothing applies. */
export function cancelTransposesIn(graph: Graph): { graph: Graph; stats: CancelStats } {
  const stats: CancelStats = { composed: 0, pushed: 0, reshaped: 0 };
  if (!graph.nodes.some((n) => n.op === 'Transpose')) return { graph, stats };
  // Default perms need ranks; look them up once (a Transpose's rank never changes).
  const needsRank = graph.nodes.some((n) => n.op === 'Transpose' && !n.attrs.perm);
  const types0 = needsRank ? tryInferTypes(graph)?.types : undefined;
  const permOfNode = (n: Node) => permOf(n, types0?.get(n.inputs[0])?.shape.length);

  let g = graph;
  // Every rewrite removes a Transpose or moves one strictly down or up the DAG; the cap only
  // guards against an unforeseen cycle of rewrites.
  let budget = 100 + 20 * graph.nodes.length;
  for (let changed = true; changed && budget > 0; budget--) {
    changed = false;
    for (const name of g.nodes.map((n) => n.name)) {
      const n = g.node(name);
      if (!n) continue;
      let next: Graph | undefined;
      if (n.op === 'Transpose') {
        const p = permOfNode(n);
        next = p && tryCompose(g, n, p, permOfNode);
        if (next) stats.composed++;
      } else {
        next = tryPush(g, n, permOfNode);
        if (next) stats.pushed++;
      }
      if (next) {
        g = next;
        changed = true;
      }
    }
  }

  const types = g.nodes.some((n) => n.op === 'Transpose') ? tryInferTypes(g)?.types : undefined;
  if (types) {
    for (const t of g.nodes.filter((n) => n.op === 'Transpose')) {
      const p = permOfNode(t);
      const next = p && tryReshape(g, t, p, types.get(t.inputs[0])?.shape);
      if (next) {
        g = next;
        stats.reshaped++;
      }
    }
  }
  return { graph: g, stats };
}

export const cancelTransposes = definePass({
  name: 'cancel-transposes',
  description: 'composes Transposes, moves them through elementwise ops until they cancel, and turns size-1 moves into Reshape',
  run(graph, ctx) {
    const { graph: g, stats } = cancelTransposesIn(graph);
    if (g !== graph) ctx.log(`composed ${stats.composed}, moved ${stats.pushed} through elementwise ops, ${stats.reshaped} became Reshape`);
    return g;
  },
});
