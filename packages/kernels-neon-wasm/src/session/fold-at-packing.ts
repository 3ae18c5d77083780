/**
 * The graph a session plans with `fuse`: @mo/ir's `foldBatchNorm` + `fuseActivation`, except that
 * BatchNormalization is folded into Conv weights while they are packed instead of in a copy of
 * every weight. The passes run on a graph whose Conv weights are replaced by stubs of one float64
 * value per output channel (1); what `foldBatchNorm` writes into a stub is exactly its factor
 * f[c] = scale / sqrt(var + eps), in float64. The planning graph then gets the caller's weights
 * back (no copy) and the factors go to the Conv kernel, which packs round(w * f[c]) — the same
 * arithmetic as `foldBatchNorm`, so the packed bits equal those of the folded graph. The folded
 * biases are the passes' own (rounded to float32 like theirs).
 *
 * Why: the folded copies (half of MobileNetV2's weights) would otherwise be resident next to the
 * packed weights while the session plans, and part of them stays with the C allocator afterwards.
 */
import { Tensor, foldBatchNorm, fuseActivation, runPasses, type Graph } from '@mo/ir';

export interface PlanningGraph {
  /** The fused graph, Conv weights as the caller gave them. */
  readonly graph: Graph;
  /** Conv node -> factor per output channel to multiply its weights by when packing. */
  readonly packScales: ReadonlyMap<string, Float64Array>;
}

/** The fused graph as `foldBatchNorm` + `fuseActivation` make it (what `session.graph` shows). */
export function fusedGraph(g: Graph): Graph {
  return runPasses(g, [foldBatchNorm, fuseActivation]).removeDead();
}

/** The fused graph for planning, with BatchNormalization factors deferred to packing. */
export function planningGraph(g: Graph): PlanningGraph {
  const originals = new Map<string, { weight: Tensor; stub: Tensor }>();
  const inits = new Map(g.initializers);
  for (const node of g.nodes) {
    const wName = node.inputs[1];
    if (node.op !== 'Conv' || node.attrs.layout === 'NHWC' || !wName) continue;
    const w = g.initializers.get(wName);
    if (!w || w.dtype !== 'float32' || w.quant || w.shape.length < 3 || g.isGraphInput(wName) || g.isGraphOutput(wName)) continue;
    const users = g.consumersOf(wName);
    if (users.length !== 1 || users[0] !== node || node.inputs.indexOf(wName) !== 1) continue;
    const stub = new Tensor('float64', [w.shape[0], ...w.shape.slice(1).map(() => 1)], new Float64Array(w.shape[0]).fill(1));
    inits.set(wName, stub);
    originals.set(node.name, { weight: w, stub });
  }
  if (!originals.size) return { graph: fusedGraph(g), packScales: new Map() };
  const folded = runPasses(g.with({ initializers: inits }), [foldBatchNorm, fuseActivation]);
  const restored = new Map(folded.initializers);
  const packScales = new Map<string, Float64Array>();
  for (const [name, { weight, stub }] of originals) {
    const node = folded.node(name);
    const wName = node?.inputs[1];
    const t = wName ? folded.initializers.get(wName) : undefined;
    if (!node || !wName || !t) continue;
    restored.set(wName, weight);
    if (t === stub) continue; // no BatchNormalization after this Conv
    packScales.set(name, t.data as Float64Array);
    const bName = node.inputs[2];
    const b = bName ? folded.initializers.get(bName) : undefined;
    if (bName && b?.dtype === 'float64') restored.set(bName, new Tensor('float32', b.shape, Float32Array.from(b.data as Float64Array)));
  }
  return { graph: folded.with({ initializers: restored }).removeDead(), packScales };
}
