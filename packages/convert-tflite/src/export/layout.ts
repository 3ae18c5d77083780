/**
 * Layout clean-up after `convertLayout({ to: 'NHWC' })`. The IR's cancelTransposes removes
 * Transposes that meet or pass through elementwise ops; what is left sits next to ops with an
 * axis (Concat, Split, reductions, Softmax, Pad, Slice, Resize), QuantizeLinear /
 * DequantizeLinear, and chains of Reshape / Transpose (ShuffleNet's channel shuffle). This pass:
 * - moves a Transpose from the input of such an op to its output(s), renumbering the op's axes
 *   (so the Transposes meet their inverses after the next convolution and cancel);
 * - rewrites every chain of Reshape / Flatten / Squeeze / Unsqueeze / Transpose into the shortest
 *   equivalent Reshape -> Transpose -> Reshape over the coarsest dims the chain keeps together,
 *   optionally ending with a layout Transpose that can move on;
 * and repeats with cancelTransposes until nothing changes. Graphs keep computing the same values.
 */
import { Tensor, cancelTransposes, findSchema, groupOf, runPasses, inferTypes, normalizeAxis, type Graph, type Node, type NodeInit, type TensorType } from '@mo/ir';
import { composePerms, intsOf, invertPerm, isIdentityPerm, product, samePerm, transposeData } from '../util.js';

type Rewrite = (g: Graph, n: Node, ctx: SinkContext) => Graph | undefined;

interface SinkContext {
  readonly types: ReadonlyMap<string, TensorType>;
  fresh(base: string): string;
}

const MOVEMENT = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose']);

function permOfNode(n: Node, rank: number): number[] {
  const p = n.attrs.perm as readonly number[] | undefined;
  return p ? [...p] : Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

function staticShape(types: ReadonlyMap<string, TensorType>, v: string): number[] | undefined {
  const s = types.get(v)?.shape;
  return s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
}

function constantOf(g: Graph, name: string | undefined): Tensor | undefined {
  if (!name || g.isGraphInput(name)) return undefined;
  return g.initializers.get(name);
}

/** The Transpose producing `value`, with its perm, when there is one. */
function transposeSource(g: Graph, ctx: SinkContext, value: string): { node: Node; perm: number[]; source: string } | undefined {
  const p = g.producerOf(value);
  if (!p || p.op !== 'Transpose') return undefined;
  const rank = ctx.types.get(p.inputs[0])?.shape.length;
  if (rank === undefined) return undefined;
  return { node: p, perm: permOfNode(p, rank), source: p.inputs[0] };
}

/** True when the Transpose's output goes only to `n` (so moving it does not duplicate work). */
function onlyFeeds(g: Graph, t: Node, n: Node): boolean {
  const out = t.outputs[0];
  return !g.isGraphOutput(out) && g.consumersOf(out).every((c) => c === n);
}

/** Replaces node `n` by `n'` (new inputs / attrs, outputs renamed to fresh names) plus Transposes restoring its outputs. */
function rebuild(g: Graph, n: Node, ctx: SinkContext, inputs: readonly string[], attrs: Record<string, unknown>, outPerms: readonly (readonly number[] | undefined)[]): Graph {
  const mids = n.outputs.map((o, k) => (o && outPerms[k] ? ctx.fresh(`${o}_pre`) : o));
  const nodes: NodeInit[] = [{ ...n, inputs: [...inputs], outputs: mids, attrs: attrs as NodeInit['attrs'] }];
  n.outputs.forEach((o, k) => {
    const p = outPerms[k];
    if (o && p) nodes.push({ name: ctx.fresh(`${n.name}_transpose_${k}`), op: 'Transpose', inputs: [mids[k]], outputs: [o], attrs: { perm: [...p] } });
  });
  return g.replaceNode(n.name, nodes);
}

function withInit(g: Graph, name: string, t: Tensor): Graph {
  return g.withInitializer(name, t);
}

function int64(values: readonly number[]): Tensor {
  return new Tensor('int64', [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
}

const sinkConcat: Rewrite = (g, n, ctx) => {
  let perm: number[] | undefined;
  const sources: (ReturnType<typeof transposeSource> | undefined)[] = [];
  for (const v of n.inputs) {
    if (constantOf(g, v)) {
      sources.push(undefined);
      continue;
    }
    const t = transposeSource(g, ctx, v);
    if (!t || !onlyFeeds(g, t.node, n) || (perm && !samePerm(perm, t.perm))) return undefined;
    perm = t.perm;
    sources.push(t);
  }
  if (!perm) return undefined;
  const rank = perm.length;
  const axis = normalizeAxis(n.attrs.axis as number, rank);
  let out = g;
  const inv = invertPerm(perm);
  const inputs = n.inputs.map((v, i) => {
    const s = sources[i];
    if (s) return s.source;
    const c = constantOf(g, v)!;
    if (c.rank !== rank) return v;
    const name = ctx.fresh(`${v}_t`);
    out = withInit(out, name, transposeData(c, inv));
    return name;
  });
  return rebuild(out, n, ctx, inputs, { ...n.attrs, axis: perm[axis] }, [perm]);
};

const sinkSplit: Rewrite = (g, n, ctx) => {
  const t = transposeSource(g, ctx, n.inputs[0]);
  if (!t || !onlyFeeds(g, t.node, n)) return undefined;
  const axis = normalizeAxis((n.attrs.axis as number | undefined) ?? 0, t.perm.length);
  return rebuild(g, n, ctx, [t.source, ...n.inputs.slice(1)], { ...n.attrs, axis: t.perm[axis] }, n.outputs.map(() => t.perm));
};

const sinkSoftmax: Rewrite = (g, n, ctx) => {
  const t = transposeSource(g, ctx, n.inputs[0]);
  if (!t || !onlyFeeds(g, t.node, n)) return undefined;
  const axis = normalizeAxis((n.attrs.axis as number | undefined) ?? -1, t.perm.length);
  return rebuild(g, n, ctx, [t.source], { ...n.attrs, axis: t.perm[axis] }, [t.perm]);
};

const sinkReduce: Rewrite = (g, n, ctx) => {
  const t = transposeSource(g, ctx, n.inputs[0]);
  if (!t || !onlyFeeds(g, t.node, n)) return undefined;
  const rank = t.perm.length;
  const axesT = n.inputs[1] ? constantOf(g, n.inputs[1]) : undefined;
  if (n.inputs[1] && !axesT) return undefined;
  let axes = axesT ? intsOf(axesT).map((a) => normalizeAxis(a, rank)) : [];
  if (!axes.length) {
    if (n.attrs.noop_with_empty_axes) return undefined;
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  const newAxes = axes.map((a) => t.perm[a]);
  const keep = ((n.attrs.keepdims as number | undefined) ?? 1) === 1;
  let outPerm: number[] = t.perm;
  if (!keep) {
    const kept = t.perm.filter((d) => !newAxes.includes(d));
    const sorted = [...kept].sort((a, b) => a - b);
    outPerm = kept.map((d) => sorted.indexOf(d));
  }
  const name = ctx.fresh(`${n.name}_axes`);
  const g2 = withInit(g, name, int64(newAxes));
  return rebuild(g2, n, ctx, [t.source, name], { ...n.attrs }, [isIdentityPerm(outPerm) ? undefined : outPerm]);
};

const sinkPad: Rewrite = (g, n, ctx) => {
  const t = transposeSource(g, ctx, n.inputs[0]);
  if (!t || !onlyFeeds(g, t.node, n) || n.inputs[3]) return undefined;
  const pads = constantOf(g, n.inputs[1]);
  if (!pads) return undefined;
  const rank = t.perm.length;
  const p = intsOf(pads);
  const q = new Array<number>(2 * rank);
  for (let i = 0; i < rank; i++) {
    q[t.perm[i]] = p[i];
    q[t.perm[i] + rank] = p[i + rank];
  }
  const name = ctx.fresh(`${n.name}_pads`);
  return rebuild(withInit(g, name, int64(q)), n, ctx, [t.source, name, ...n.inputs.slice(2)], { ...n.attrs }, [t.perm]);
};

const sinkSlice: Rewrite = (g, n, ctx) => {
  const t = transposeSource(g, ctx, n.inputs[0]);
  if (!t || !onlyFeeds(g, t.node, n)) return undefined;
  const rank = t.perm.length;
  const starts = constantOf(g, n.inputs[1]);
  if (!starts) return undefined;
  const axesT = n.inputs[3] ? constantOf(g, n.inputs[3]) : undefined;
  if (n.inputs[3] && !axesT) return undefined;
  const axes = axesT ? intsOf(axesT).map((a) => normalizeAxis(a, rank)) : starts.toNumbers().map((_, i) => i);
  const name = ctx.fresh(`${n.name}_axes`);
  const inputs = [t.source, n.inputs[1], n.inputs[2], name, n.inputs[4] ?? ''];
  while (inputs.length && !inputs[inputs.length - 1]) inputs.pop();
  return rebuild(withInit(g, name, int64(axes.map((a) => t.perm[a]))), n, ctx, inputs, { ...n.attrs }, [t.perm]);
};

const sinkResize: Rewrite = (g, n, ctx) => {
  const t = transposeSource(g, ctx, n.inputs[0]);
  if (!t || !onlyFeeds(g, t.node, n) || n.attrs.axes) return undefined;
  const rank = t.perm.length;
  const inv = invertPerm(t.perm);
  let out = g;
  const permuted = (v: string | undefined, twice: boolean): string | undefined => {
    if (!v) return v;
    const c = constantOf(g, v);
    if (!c) return undefined;
    const vals = c.toNumbers();
    const pick = (arr: number[]) => inv.map((i) => arr[i]);
    const res = twice ? [...pick(vals.slice(0, rank)), ...pick(vals.slice(rank))] : pick(vals);
    const name = ctx.fresh(`${v}_t`);
    out = withInit(out, name, c.dtype === 'int64' ? int64(res) : new Tensor(c.dtype as 'float32', c.shape, Float32Array.from(res)));
    return name;
  };
  const roi = n.inputs[1] ? permuted(n.inputs[1], true) : '';
  const scales = n.inputs[2] ? permuted(n.inputs[2], false) : '';
  const sizes = n.inputs[3] ? permuted(n.inputs[3], false) : '';
  if (roi === undefined || scales === undefined || sizes === undefined) return undefined;
  const inputs = [t.source, roi, scales, sizes];
  while (inputs.length && !inputs[inputs.length - 1]) inputs.pop();
  return rebuild(out, n, ctx, inputs, { ...n.attrs }, [t.perm]);
};

/** Flatten(Transpose(x)) read only by Gemm / MatMul with constant weights: permute the weight rows instead. */
const sinkFlattenIntoWeights: Rewrite = (g, n, ctx) => {
  if (n.op !== 'Flatten' && n.op !== 'Reshape') return undefined;
  const t = transposeSource(g, ctx, n.inputs[0]);
  if (!t || !onlyFeeds(g, t.node, n)) return undefined;
  const inShape = staticShape(ctx.types, t.source);
  const outShape = staticShape(ctx.types, n.outputs[0]);
  if (!inShape || !outShape || outShape.length !== 2 || t.perm[0] !== 0 || outShape[0] !== inShape[0]) return undefined;
  const readers = g.consumersOf(n.outputs[0]);
  if (g.isGraphOutput(n.outputs[0]) || readers.length !== 1) return undefined;
  const r = readers[0];
  const isGemm = r.op === 'Gemm' && r.inputs[0] === n.outputs[0] && !r.attrs.transA;
  const isMatMul = r.op === 'MatMul' && r.inputs[0] === n.outputs[0];
  if (!isGemm && !isMatMul) return undefined;
  const w = constantOf(g, r.inputs[1]);
  if (!w || w.rank !== 2) return undefined;
  // Row k of the flattened transposed input is element k of T(x)[n]; after the change it is element k' of x[n].
  const rest = t.perm.slice(1).map((d) => d - 1);
  const srcDims = inShape.slice(1);
  const tDims = rest.map((d) => srcDims[d]);
  const K = product(srcDims);
  // index in T(x)-flattened -> index in x-flattened
  const map = new Int32Array(K);
  const tStrides = tDims.map((_, i) => product(tDims.slice(i + 1)));
  const sStrides = srcDims.map((_, i) => product(srcDims.slice(i + 1)));
  for (let k = 0; k < K; k++) {
    let rem = k;
    let s = 0;
    for (let i = 0; i < tDims.length; i++) {
      const c = Math.floor(rem / tStrides[i]);
      rem -= c * tStrides[i];
      s += c * sStrides[rest[i]];
    }
    map[k] = s;
  }
  const transB = isGemm && !!r.attrs.transB;
  const [r0, r1] = w.shape;
  const src = w.toFloat32();
  const dst = new Float32Array(src.length);
  if (transB) for (let o = 0; o < r0; o++) for (let k = 0; k < r1; k++) dst[o * r1 + map[k]] = src[o * r1 + k];
  else for (let k = 0; k < r0; k++) for (let o = 0; o < r1; o++) dst[map[k] * r1 + o] = src[k * r1 + o];
  if (w.dtype !== 'float32') return undefined;
  const wName = ctx.fresh(`${r.inputs[1]}_permuted`);
  let out = withInit(g, wName, new Tensor('float32', w.shape, dst));
  out = out.replaceNode(n.name, [{ ...n, inputs: [t.source, ...n.inputs.slice(1)] }]);
  out = out.replaceNode(r.name, [{ ...r, inputs: [r.inputs[0], wName, ...r.inputs.slice(2)] }]);
  if (n.op === 'Reshape') {
    const sName = ctx.fresh(`${n.name}_shape`);
    out = withInit(out, sName, int64(outShape)).replaceNode(n.name, [{ ...out.node(n.name)!, inputs: [t.source, sName] }]);
  }
  return out;
};

/** Elementwise ops without axis attributes: their meaning does not depend on the axis order. */
function layoutAgnostic(op: string): boolean {
  if (groupOf(op) !== 'elementwise') return false;
  const attrs = findSchema(op)?.attrs ?? {};
  return !('axis' in attrs) && !('axes' in attrs);
}

/**
 * Moves Transposes from the operands of an elementwise op to its output when every computed
 * operand comes through a Transpose of the same perm, and each of those Transposes only feeds
 * ops this pass moves them through (so no Transpose is duplicated for good). Constant operands
 * are permuted the other way (a [C,1,1] NCHW bias becomes [1,1,C]).
 */
const sinkElementwise: Rewrite = (g, n, ctx) => {
  if (!layoutAgnostic(n.op) || n.outputs.filter(Boolean).length !== 1) return undefined;
  let perm: number[] | undefined;
  const sources = new Map<string, string>();
  for (const v of n.inputs) {
    if (!v || constantOf(g, v)) continue;
    const t = transposeSource(g, ctx, v);
    if (!t || (perm && !samePerm(perm, t.perm))) return undefined;
    const out = t.node.outputs[0];
    if (g.isGraphOutput(out) || !g.consumersOf(out).every((c) => layoutAgnostic(c.op) || c.op in SINKS)) return undefined;
    perm = t.perm;
    sources.set(v, t.source);
  }
  if (!perm) return undefined;
  const r = perm.length;
  const inv = invertPerm(perm);
  let out = g;
  const inputs: string[] = [];
  for (const v of n.inputs) {
    if (!v) {
      inputs.push(v);
      continue;
    }
    const src = sources.get(v);
    if (src) {
      inputs.push(src);
      continue;
    }
    const c = constantOf(g, v)!;
    if (c.rank > r) return undefined;
    if (c.size === 1 || c.rank === 0) {
      inputs.push(v);
      continue;
    }
    const aligned = c.reshape([...new Array<number>(r - c.rank).fill(1), ...c.shape]);
    const moved = transposeData(aligned, inv);
    const name = ctx.fresh(`${v}_t`);
    out = withInit(out, name, new Tensor(moved.dtype, moved.shape, moved.data, c.quant?.kind === 'per-tensor' ? c.quant : undefined));
    inputs.push(name);
  }
  return rebuild(out, n, ctx, inputs, { ...n.attrs }, [perm]);
};

/** Transpose of a Transpose: one Transpose, or none when they cancel. */
function composeTransposes(g: Graph, ctx: SinkContext): Graph | undefined {
  let out = g;
  let changed = false;
  for (const n of g.nodes) {
    const t = out.node(n.name);
    if (!t || t.op !== 'Transpose') continue;
    const rank = ctx.types.get(t.inputs[0])?.shape.length;
    if (rank === undefined) continue;
    const p = permOfNode(t, rank);
    const inner = transposeSource(out, ctx, t.inputs[0]);
    if (isIdentityPerm(p)) {
      out = out.rewireUses(t.outputs[0], t.inputs[0]);
      changed = true;
      continue;
    }
    if (!inner) continue;
    const q = composePerms(inner.perm, p);
    if (isIdentityPerm(q)) out = out.rewireUses(t.outputs[0], inner.source);
    else out = out.replaceNode(t.name, [{ ...t, inputs: [inner.source], attrs: { ...t.attrs, perm: q } }]);
    changed = true;
  }
  return changed ? out.removeDead() : undefined;
}

// ------------------------------------------------------------------ QDQ pairs

/** True when two (scale, zero point) constant pairs hold the same values. */
function sameParams(g: Graph, a: Node, b: Node): boolean {
  const eq = (x: string | undefined, y: string | undefined) => {
    if (!x || !y) return !x && !y;
    const p = constantOf(g, x);
    const q = constantOf(g, y);
    if (!p || !q || p.size !== q.size || p.dtype !== q.dtype) return false;
    const u = p.toNumbers();
    const v = q.toNumbers();
    return u.every((e, i) => e === v[i]);
  };
  return eq(a.inputs[1], b.inputs[1]) && eq(a.inputs[2], b.inputs[2]) && (a.attrs.axis ?? 1) === (b.attrs.axis ?? 1);
}

/** A per-tensor QuantizeLinear whose only reader is a DequantizeLinear with the same params: a fake-quant pair. */
function pairAfter(g: Graph, q: Node | undefined): Node | undefined {
  if (!q || q.op !== 'QuantizeLinear' || g.isGraphOutput(q.outputs[0])) return undefined;
  const s = constantOf(g, q.inputs[1]);
  if (!s || s.size !== 1) return undefined;
  const cs = g.consumersOf(q.outputs[0]);
  const dq = cs.length === 1 ? cs[0] : undefined;
  return dq && dq.op === 'DequantizeLinear' && sameParams(g, q, dq) ? dq : undefined;
}

const isLayoutPerm = (p: readonly number[]) => samePerm(p, [0, 3, 1, 2]) || samePerm(p, [0, 2, 3, 1]);

/**
 * QuantizeLinear rewrites (a QuantizeLinear -> DequantizeLinear pair acts elementwise):
 * - a layout Transpose in front of a pair moves behind it, on its way to the Transpose it cancels;
 * - a pair right after a pair with the same params adds nothing and goes away.
 */
const sinkQuantize: Rewrite = (g, q, ctx) => {
  const s = constantOf(g, q.inputs[1]);
  if (!s || s.size !== 1) return undefined;
  const dq = pairAfter(g, q);
  const p = g.producerOf(q.inputs[0]);
  if (dq && p?.op === 'DequantizeLinear' && onlyFeeds(g, p, q) && sameParams(g, p, q)) {
    return g.rewireUses(dq.outputs[0], q.inputs[0]).removeDead();
  }
  const t = transposeSource(g, ctx, q.inputs[0]);
  if (!t || !onlyFeeds(g, t.node, q) || !isLayoutPerm(t.perm)) return undefined;
  // Behind the pair when there is one (pairs stay together), else behind the QuantizeLinear.
  const last = dq ?? q;
  const mid = ctx.fresh(`${last.outputs[0]}_pre`);
  const moved = g.replaceNode(q.name, [{ ...q, inputs: [t.source, ...q.inputs.slice(1)] }]);
  return moved.replaceNode(last.name, [
    { ...moved.node(last.name)!, outputs: [mid] },
    { name: ctx.fresh(`${last.name}_transpose`), op: 'Transpose', inputs: [mid], outputs: [last.outputs[0]], attrs: { perm: [...t.perm] } },
  ]);
};

/** A layout Transpose in front of a per-tensor DequantizeLinear (of a computed value) moves behind it. */
const sinkDequantize: Rewrite = (g, dq, ctx) => {
  const s = constantOf(g, dq.inputs[1]);
  if (!s || s.size !== 1) return undefined;
  const t = transposeSource(g, ctx, dq.inputs[0]);
  if (!t || !onlyFeeds(g, t.node, dq) || !isLayoutPerm(t.perm)) return undefined;
  return rebuild(g, dq, ctx, [t.source, ...dq.inputs.slice(1)], { ...dq.attrs }, [t.perm]);
};

/**
 * A movement op behind a pair that follows another movement op moves in front of the pair, so
 * the two movement ops meet (and merge into one chain). Layout Transposes stay: they move the
 * other way, towards the Transposes they cancel.
 */
const hoistMovement: Rewrite = (g, m2, ctx) => {
  if (!MOVEMENT.has(m2.op)) return undefined;
  if (m2.op === 'Transpose') {
    const rank = ctx.types.get(m2.inputs[0])?.shape.length;
    if (rank === undefined || isLayoutPerm(permOfNode(m2, rank))) return undefined;
  }
  const dq = g.producerOf(m2.inputs[0]);
  if (!dq || dq.op !== 'DequantizeLinear' || !onlyFeeds(g, dq, m2)) return undefined;
  const q = g.producerOf(dq.inputs[0]);
  if (!q || pairAfter(g, q) !== dq) return undefined;
  const m1 = g.producerOf(q.inputs[0]);
  if (!m1 || !MOVEMENT.has(m1.op) || !onlyFeeds(g, m1, q)) return undefined;
  if (m1.op === 'Transpose') {
    const rank = ctx.types.get(m1.inputs[0])?.shape.length;
    if (rank === undefined || isLayoutPerm(permOfNode(m1, rank))) return undefined;
  }
  const mid = ctx.fresh(`${m2.outputs[0]}_moved`);
  const qOut = ctx.fresh(`${q.outputs[0]}_moved`);
  return g
    .removeNodes([q.name, dq.name])
    .replaceNode(m2.name, [
      { ...m2, inputs: [q.inputs[0], ...m2.inputs.slice(1)], outputs: [mid] },
      { ...q, name: ctx.fresh(q.name), inputs: [mid, ...q.inputs.slice(1)], outputs: [qOut] },
      { ...dq, name: ctx.fresh(dq.name), inputs: [qOut, ...dq.inputs.slice(1)], outputs: [m2.outputs[0]] },
    ]);
};

/**
 * Final step: DequantizeLinear -> chain of movement ops -> QuantizeLinear with the same params is
 * the chain on the integer values (movement does not change values), so the ops run on int8.
 */
function foldMovementChains(graph: Graph): Graph {
  let g = graph;
  for (const start of graph.nodes) {
    const dq = g.node(start.name);
    if (!dq || dq.op !== 'DequantizeLinear' || constantOf(g, dq.inputs[0])) continue;
    const chain: Node[] = [];
    let cur = dq;
    for (;;) {
      const out = cur.outputs[0];
      const cs = g.consumersOf(out);
      if (g.isGraphOutput(out) || cs.length !== 1) break;
      const next = cs[0];
      if (MOVEMENT.has(next.op) && next.inputs[0] === out) {
        chain.push(next);
        cur = next;
        continue;
      }
      if (next.op === 'QuantizeLinear' && chain.length && sameParams(g, dq, next)) {
        const first = chain[0];
        g = g.replaceNode(first.name, [{ ...first, inputs: [dq.inputs[0], ...first.inputs.slice(1)] }]);
        g = g.rewireUses(next.outputs[0], cur.outputs[0]).removeDead();
      }
      break;
    }
  }
  return g;
}

const SINKS: Readonly<Record<string, Rewrite>> = {
  QuantizeLinear: sinkQuantize,
  DequantizeLinear: sinkDequantize,
  Concat: sinkConcat,
  Split: sinkSplit,
  Softmax: sinkSoftmax,
  ReduceMean: sinkReduce,
  ReduceSum: sinkReduce,
  ReduceMax: sinkReduce,
  Pad: sinkPad,
  Slice: sinkSlice,
  Resize: sinkResize,
  Flatten: (g, n, ctx) => hoistMovement(g, n, ctx) ?? sinkFlattenIntoWeights(g, n, ctx),
  Reshape: (g, n, ctx) => hoistMovement(g, n, ctx) ?? sinkFlattenIntoWeights(g, n, ctx),
  Squeeze: hoistMovement,
  Unsqueeze: hoistMovement,
  Transpose: hoistMovement,
};

/** Ops whose input Transposes this pass (or cancelTransposes) can move: where a chain may end in one. */
const canAbsorb = (op: string): boolean => op in SINKS || op === 'Transpose';

// ------------------------------------------------------------------ movement chains

interface Chain {
  readonly nodes: Node[];
  readonly input: string;
  readonly output: string;
}

/** Maximal chains of movement ops linked through single-consumer values. */
function findChains(g: Graph): Chain[] {
  const chains: Chain[] = [];
  const inChain = new Set<Node>();
  const single = (v: string): Node | undefined => {
    if (g.isGraphOutput(v)) return undefined;
    const cs = g.consumersOf(v);
    return cs.length === 1 && MOVEMENT.has(cs[0].op) && cs[0].inputs[0] === v ? cs[0] : undefined;
  };
  for (const n of g.topologicalOrder()) {
    if (!MOVEMENT.has(n.op) || inChain.has(n)) continue;
    const p = g.producerOf(n.inputs[0]);
    if (p && MOVEMENT.has(p.op) && single(p.outputs[0]) === n) continue; // not the start
    const nodes = [n];
    let cur = n;
    for (let next = single(cur.outputs[0]); next; next = single(cur.outputs[0])) {
      nodes.push(next);
      cur = next;
    }
    nodes.forEach((x) => inChain.add(x));
    chains.push({ nodes, input: n.inputs[0], output: cur.outputs[0] });
  }
  return chains;
}

interface Step {
  readonly op: 'Reshape' | 'Transpose';
  readonly value: readonly number[];
}

/**
 * The canonical form of a chain from `inShape` through `steps`: Reshape -> Transpose -> Reshape
 * over the coarsest groups of dims, or undefined when a reshape splits dims in a way that does
 * not factor.
 */
function canonical(inShape: readonly number[], steps: readonly Step[]): Step[] | undefined {
  // Atoms: factors of the input dims (size > 1), ordered as in memory. Each current dim is a list of atom ids.
  let order: number[] = []; // atom ids in input memory order
  const size = new Map<number, number>();
  let nextId = 0;
  let dims: number[][] = inShape.map((d) => {
    if (d === 1) return [];
    const id = nextId++;
    size.set(id, d);
    order.push(id);
    return [id];
  });
  const splitAtom = (id: number, outer: number): [number, number] => {
    const a = nextId++;
    const b = nextId++;
    size.set(a, outer);
    size.set(b, size.get(id)! / outer);
    const replace = (xs: number[]) => xs.flatMap((x) => (x === id ? [a, b] : [x]));
    order = replace(order);
    dims = dims.map(replace);
    return [a, b];
  };
  for (const s of steps) {
    if (s.op === 'Transpose') {
      dims = s.value.map((p) => dims[p]);
      continue;
    }
    const flat = dims.flat();
    const out: number[][] = [];
    let k = 0;
    for (const target of s.value) {
      const group: number[] = [];
      let prod = 1;
      while (prod < target) {
        if (k >= flat.length) return undefined;
        const id = flat[k];
        const sz = size.get(id)!;
        if (prod * sz <= target && target % (prod * sz) === 0) {
          group.push(id);
          prod *= sz;
          k++;
        } else {
          const need = target / prod;
          if (!Number.isInteger(need) || sz % need !== 0) return undefined;
          const [a, b] = splitAtom(id, need);
          flat.splice(k, 1, a, b);
          group.push(a);
          prod *= need;
          k++;
        }
      }
      if (prod !== target) return undefined;
      out.push(group);
    }
    if (k !== flat.length) return undefined;
    dims = out;
  }
  const outShape = dims.map((d) => product(d.map((id) => size.get(id)!)));
  const final = dims.flat();
  // Merge atoms adjacent both in memory order and in the final order.
  const pos = new Map(order.map((id, i) => [id, i]));
  const groups: number[][] = [];
  for (const id of final) {
    const last = groups[groups.length - 1];
    if (last && pos.get(id) === pos.get(last[last.length - 1])! + 1) last.push(id);
    else groups.push([id]);
  }
  const inGroups = [...groups].sort((a, b) => pos.get(a[0])! - pos.get(b[0])!);
  const perm = groups.map((gr) => inGroups.indexOf(gr));
  const groupShape = inGroups.map((gr) => product(gr.map((id) => size.get(id)!)));
  const result: Step[] = [];
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (isIdentityPerm(perm)) {
    if (!same(inShape, outShape)) result.push({ op: 'Reshape', value: outShape });
    return result;
  }
  if (!same(inShape, groupShape)) result.push({ op: 'Reshape', value: groupShape });
  result.push({ op: 'Transpose', value: perm });
  const permuted = perm.map((p) => groupShape[p]);
  if (!same(permuted, outShape)) result.push({ op: 'Reshape', value: outShape });
  return result;
}

function stepsOf(chain: Chain, types: ReadonlyMap<string, TensorType>): Step[] | undefined {
  const steps: Step[] = [];
  for (const n of chain.nodes) {
    if (n.op === 'Transpose') {
      const rank = types.get(n.inputs[0])?.shape.length;
      if (rank === undefined) return undefined;
      steps.push({ op: 'Transpose', value: permOfNode(n, rank) });
    } else {
      const s = staticShape(types, n.outputs[0]);
      if (!s) return undefined;
      steps.push({ op: 'Reshape', value: s });
    }
  }
  return steps;
}

const transposes = (steps: readonly Step[]) => steps.filter((s) => s.op === 'Transpose').length;

/** Rewrites one chain when a shorter form exists; returns undefined when it is already minimal. */
function simplifyChain(g: Graph, chain: Chain, types: ReadonlyMap<string, TensorType>, fresh: (b: string) => string): Graph | undefined {
  const inShape = staticShape(types, chain.input);
  const steps = stepsOf(chain, types);
  if (!inShape || !steps) return undefined;
  const a = canonical(inShape, steps);
  if (!a) return undefined;
  let best = a;
  // Variant ending in a channels-first layout Transpose that later ops can move further.
  const outShape = steps[steps.length - 1].op === 'Reshape' ? steps[steps.length - 1].value : undefined;
  const outRank = staticShape(types, chain.output)?.length;
  if (outRank === 4 && outShape !== undefined) {
    const b = canonical(inShape, [...steps, { op: 'Transpose', value: [0, 2, 3, 1] }]);
    const readers = g.consumersOf(chain.output);
    const movable = !g.isGraphOutput(chain.output) && readers.length > 0 && readers.every((r) => canAbsorb(r.op));
    if (b && movable && transposes(b) <= transposes(a)) best = [...b, { op: 'Transpose', value: [0, 3, 1, 2] }];
  }
  const oldT = transposes(steps);
  const newT = transposes(best) - (best !== a ? 1 : 0);
  if (!(newT < oldT || (newT === oldT && best === a && best.length < steps.length))) return undefined;
  if (best.length === 0) {
    // The chain is the identity: readers of its output read its input.
    return g.rewireUses(chain.output, chain.input).removeDead();
  }
  const nodes: NodeInit[] = [];
  let cur = chain.input;
  let g2 = g;
  best.forEach((s, i) => {
    const out = i === best.length - 1 ? chain.output : fresh(`${chain.output}_m${i}`);
    const name = fresh(`${chain.nodes[0].name}_${s.op.toLowerCase()}${i}`);
    if (s.op === 'Transpose') nodes.push({ name, op: 'Transpose', inputs: [cur], outputs: [out], attrs: { perm: [...s.value] } });
    else {
      const shapeName = fresh(`${name}_shape`);
      g2 = g2.withInitializer(shapeName, int64(s.value));
      nodes.push({ name, op: 'Reshape', inputs: [cur, shapeName], outputs: [out] });
    }
    cur = out;
  });
  // Put the new chain where the old one ended (after everything the old chain needed).
  const last = chain.nodes[chain.nodes.length - 1];
  g2 = g2.replaceNode(last.name, nodes).removeNodes(chain.nodes.slice(0, -1).map((n) => n.name));
  return g2.removeDead();
}

// ------------------------------------------------------------------ driver

/**
 * Runs the clean-up to a fixed point (bounded), then the IR's cancelTransposes once (it also turns
 * Transposes that only move size-1 dims into Reshapes, which must not happen before the moves:
 * a Reshape cannot pass a QuantizeLinear the way a Transpose can).
 */
export function cleanUpLayout(graph: Graph): Graph {
  let g = graph;
  for (let round = 0; round < 100; round++) {
    let changed = false;
    const taken = new Set<string>();
    const fresh = (base: string) => {
      let name = g.freshName(base);
      for (let k = 1; taken.has(name); k++) name = g.freshName(`${base}_${k}`);
      taken.add(name);
      return name;
    };
    const ctx: SinkContext = { types: inferTypes(g).types, fresh };
    for (const name of g.topologicalOrder().map((n) => n.name)) {
      const n = g.node(name);
      if (!n) continue;
      const sink = SINKS[n.op] ?? (layoutAgnostic(n.op) ? sinkElementwise : undefined);
      const next = sink?.(g, n, ctx);
      if (next) {
        g = next;
        changed = true;
      }
    }
    if (changed) g = g.removeDead();
    const composed = composeTransposes(g, { types: inferTypes(g).types, fresh });
    if (composed) {
      g = composed;
      changed = true;
    }
    if (changed) continue; // moves first; chains once nothing moves
    const types2 = inferTypes(g).types;
    for (const chain of findChains(g)) {
      if (chain.nodes.length < 2) continue;
      if (!chain.nodes.every((n) => g.node(n.name))) continue;
      const next = simplifyChain(g, chain, types2, fresh);
      if (next) {
        g = next;
        changed = true;
        break; // chains overlap after a rewrite: find them again
      }
    }
    if (!changed) break;
  }
  return foldMovementChains(runPasses(g, [cancelTransposes]));
}
