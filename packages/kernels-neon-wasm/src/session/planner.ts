/**
 * The planner: for one set of input shapes, decides for every node which kernel runs it (or the
 * reference fallback), where every value lives, and in which physical layout; then places all
 * temporary buffers in one arena by liveness (buffers whose lifetimes do not overlap share memory)
 * and binds every step to its addresses. Running a plan is a loop over prepared closures.
 */
import { ShapeError, Tensor, inferTypes, isStaticShape, resolveAttrs, getSchema, runNode, sizeOf, type Graph, type Node, type StaticShape, type TensorType } from '@mo/ir';
import type { Runtime } from '../runtime/module.js';
import type { BindContext, InputUse, KernelPlan, KernelRegistry, Layout, PlanContext } from './registry.js';
import { arenaElementBytes, channelsLastData, readTensorData, writeTensorData } from './dtypes.js';

/** A block of the arena: one value, or several that alias it (Reshape), or a workspace. */
interface Buffer {
  readonly id: number;
  readonly bytes: number;
  first: number;
  last: number;
  offset: number;
}

type Loc =
  | { readonly kind: 'arena'; readonly buf: Buffer; readonly layout: Layout }
  | { readonly kind: 'persistent'; readonly ptr: number; readonly layout: Layout }
  | { readonly kind: 'const'; readonly tensor: Tensor }
  | { readonly kind: 'js' };

interface PendingStep {
  readonly label: string;
  readonly node?: Node;
  readonly kernel: string;
  ukernel?: string;
  readonly inputs: readonly (Loc | undefined)[];
  readonly outputs: readonly (Loc | undefined)[];
  readonly workspace?: Buffer;
  readonly bind: (b: BindContext, state: () => RunState) => () => void;
}

/** Values that live in JavaScript during one run (fallback results of other dtypes, unknown shapes). */
export interface RunState {
  readonly js: Map<string, Tensor>;
}

/** One node whose op runs on the reference interpreter, and why. */
export interface FallbackInfo {
  readonly node: string;
  readonly op: string;
  readonly reason: string;
}

/** Which kernel (and microkernel) runs each step. */
export interface StepInfo {
  readonly label: string;
  readonly node?: string;
  readonly op?: string;
  readonly kernel: string;
  readonly ukernel?: string;
}

/** Services the session provides to the planner. */
export interface PlannerServices {
  readonly runtime: Runtime;
  readonly registry: KernelRegistry;
  /** 'reference': every node falls back. */
  readonly backend: 'wasm' | 'reference';
  cached<T>(key: string, make: () => T, release?: (v: T) => void): T;
  /** Per-output-channel factors to fold into a node's weights while packing (see fold-at-packing.ts). */
  packScale?(node: string): Float64Array | undefined;
}

const ARENA_ALIGN = 64;
const SLACK = 64;
const bufferBytes = (bytes: number) => Math.ceil(bytes / ARENA_ALIGN) * ARENA_ALIGN + SLACK;
/** Bytes of a value of static type `t` in wasm memory. */
const valueBytes = (t: TensorType) => sizeOf(t.shape as StaticShape) * (arenaElementBytes(t.dtype) ?? 4);

/** The permutation from a logical channels-first shape to its channels-last storage. */
export function channelsLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

export function physicalShape(shape: readonly number[], layout: Layout): number[] {
  return layout === 'cl' ? channelsLastPerm(shape.length).map((p) => shape[p]) : [...shape];
}

export class Plan {
  constructor(
    readonly steps: readonly (() => void)[],
    readonly info: readonly StepInfo[],

    readonly fallback: readonly FallbackInfo[],
    /** Graph inputs copied into wasm memory before running: name -> offset. */
    readonly feeds: ReadonlyMap<string, number>,
    /** Graph outputs: where to read each. */
    readonly outputs: readonly { readonly name: string; readonly type: TensorType; readonly loc: Loc; readonly ptr: number }[],
    readonly arenaBytes: number,
    readonly state: RunState,
    private readonly allocations: number[],
    private readonly runtime: Runtime,
  ) {}

  /** Frees the arena and every plan-lifetime allocation. */
  release(): void {
    for (const p of this.allocations) this.runtime.heap.release(p);
    this.allocations.length = 0;
  }
}

/** Builds a plan for `graph` with every input's shape known (`shapes`). */
export function buildPlan(graph: Graph, shapes: ReadonlyMap<string, StaticShape>, services: PlannerServices): Plan {
  const rt = services.runtime;
  const heap = rt.heap;
  // ------------------------------------------------------------ types for these shapes
  const concrete = graph.with({
    inputs: graph.inputs.map((i) => (shapes.has(i.name) ? { ...i, type: { ...i.type, shape: [...shapes.get(i.name)!] } } : i)),
  });
  const { types, constants } = inferTypes(concrete);
  const typeOf = (v: string): TensorType => types.get(v)!;
  // float32 values, and int8/uint8/int32 ones (quantized activations); kernels check the dtypes they take
  const arenaCapable = (t: TensorType | undefined) => !!t && arenaElementBytes(t.dtype) !== undefined && isStaticShape(t.shape) && (t.dtype !== 'float32' || !t.quant);

  const buffers: Buffer[] = [];
  const newBuffer = (bytes: number, first: number): Buffer => {
    const b: Buffer = { id: buffers.length, bytes: bufferBytes(bytes), first, last: first, offset: -1 };
    buffers.push(b);
    return b;
  };
  const locs = new Map<string, Loc>();
  const steps: PendingStep[] = [];
  const fallback: FallbackInfo[] = [];
  const feeds = new Map<string, number>();
  const feedBuffers = new Map<string, Buffer>();
  // Converted copies of values: `${name}|${layout}` -> loc
  const converted = new Map<string, Loc>();

  // ------------------------------------------------------------ sources
  for (const input of concrete.inputs) {
    if (!shapes.has(input.name) && graph.initializers.has(input.name)) {
      // an input with a default value, not fed: the default is a constant of this plan
      locs.set(input.name, { kind: 'const', tensor: graph.initializers.get(input.name)! });
      continue;
    }
    const t = input.type;
    if (arenaCapable(t)) {
      const buf = newBuffer(valueBytes(t), -1);
      feedBuffers.set(input.name, buf);
      locs.set(input.name, { kind: 'arena', buf, layout: 'plain' });
    } else locs.set(input.name, { kind: 'js' });
  }
  for (const [name, t] of constants) if (!locs.has(name)) locs.set(name, { kind: 'const', tensor: t });

  const use = (loc: Loc | undefined, at: number) => {
    if (loc?.kind === 'arena') loc.buf.last = Math.max(loc.buf.last, at);
  };

  /** Upload of a constant into session memory (cached across plans). */
  const persistent = (name: string, t: Tensor, layout: Layout): Loc => {
    const ptr = services.cached(`const|${name}|${layout}`, () => {
      // float32 goes straight into wasm memory (no channels-last copy on the JS heap); other
      // arena dtypes (int8/int32 of quantized graphs) keep their type
      if (t.dtype === 'float32' || arenaElementBytes(t.dtype) === undefined) {
        const p = heap.alloc(t.size * 4);
        if (layout === 'cl') transposeToChannelsLast(t, heap.f32, p >> 2);
        else heap.writeF32(p, t.dtype === 'float32' && t.data instanceof Float32Array ? t.data : t.toFloat32());
        return p;
      }
      const data = layout === 'cl' ? new Tensor(t.dtype, t.shape, channelsLastData(t) as never) : t;
      const p = heap.alloc(data.size * arenaElementBytes(data.dtype)!);
      writeTensorData(heap, p, data);
      return p;
    }, (p) => heap.release(p));
    return { kind: 'persistent', ptr, layout };
  };

  /** The location of `name` in `layout`, adding a conversion step when needed. */
  const ensure = (name: string, layout: Layout, at: number): Loc => {
    const loc = locs.get(name)!;
    if (loc.kind === 'const') return persistent(name, loc.tensor, layout);
    if (loc.kind === 'arena' || loc.kind === 'persistent') {
      if (loc.layout === layout) return loc;
      const key = `${name}|${layout}`;
      const done = converted.get(key);
      if (done) return done;
      const t = typeOf(name);
      const shape = t.shape as number[];
      const out: Loc = { kind: 'arena', buf: newBuffer(valueBytes(t), steps.length), layout };
      const n = shape[0];
      const c = shape[1];
      const spatial = sizeOf(shape.slice(2));
      const toCl = layout === 'cl';
      steps.push({
        label: `${name} -> ${toCl ? 'channels last' : 'channels first'}`,
        kernel: 'wasm/layout',
        ukernel: arenaElementBytes(t.dtype) === 1 ? 'x8-transpose-scalar-2d' : 'x32-transpose-simd128-4x4',
        inputs: [loc],
        outputs: [out],
        bind: (b) => bindLayout(rt, arenaElementBytes(t.dtype) === 1 ? 'x8_transpose2d' : 'x32_transpose2d_simd128', toCl, n, c, spatial, b.input(0), b.output(0)),
      });
      use(loc, steps.length - 1);
      converted.set(key, out);
      return out;
    }
    throw new ShapeError(`value '${name}' is not in wasm memory (dtype or shape unknown before running)`, { value: name });
  };

  // ------------------------------------------------------------ nodes
  const order = concrete.topologicalOrder();
  for (const node of order) {
    const outs = node.outputs.filter(Boolean);
    if (outs.length && outs.every((o) => constants.has(o))) continue; // folded at inference
    const inTypes = node.inputs.map((v) => (v ? typeOf(v) : undefined));
    const outTypes = node.outputs.map((o) => (o ? typeOf(o) : undefined));
    let chosen: { kernel: string; plan: KernelPlan } | undefined;
    const reasons: string[] = [];
    const allStatic = [...inTypes, ...outTypes].every((t) => !t || isStaticShape(t.shape));
    if (services.backend === 'reference') reasons.push("backend 'reference'");
    else if (!allStatic) reasons.push('shapes not known before running');
    else {
      const candidates = services.registry.kernelsFor(node.op);
      if (!candidates.length) reasons.push('no fast kernel for this op');
      const attrs = resolveAttrs(getSchema(node.op, { node: node.name }), node) as Record<string, unknown>;
      const scale = services.packScale?.(node.name);
      const scaleUse = { used: false };
      const ctx = planContext(node, attrs, inTypes, outTypes as TensorType[], constants, locs, services, rt, scale, scaleUse);
      for (const k of candidates) {
        // every wasm-resident input and output must be float32 with a static shape
        scaleUse.used = false;
        const r = k.plan(ctx);
        if (typeof r === 'string') {
          reasons.push(`${k.name}: ${r}`);
          continue;
        }
        if (scale && !scaleUse.used) {
          reasons.push(`${k.name}: does not fold the BatchNormalization factors into the weights it packs`);
          continue;
        }
        const bad = r.inputs.findIndex((u, i) => (u === 'plain' || u === 'cl') && (!arenaCapable(inTypes[i]) || locs.get(node.inputs[i])?.kind === 'js'));
        if (bad >= 0) {
          reasons.push(`${k.name}: input ${bad} is not a value with a static shape in wasm memory`);
          continue;
        }
        if (node.outputs.some((o, i) => o && !arenaCapable(outTypes[i]))) {
          reasons.push(`${k.name}: an output has no static shape or a dtype wasm memory does not hold`);
          continue;
        }
        chosen = { kernel: k.name, plan: r };
        break;
      }
    }
    if (chosen) {
      const { plan } = chosen;
      const inLocs = node.inputs.map((v, i) => {
        const u = plan.inputs[i];
        if (!v || u === undefined || u === 'ignore' || u === 'const') return undefined;
        return ensure(v, u, steps.length);
      });
      const stepIndex = steps.length;
      inLocs.forEach((l) => use(l, stepIndex));
      const outLocs: (Loc | undefined)[] = node.outputs.map((o, i) => {
        if (!o) return undefined;
        const layout = plan.outputs[i] ?? 'plain';
        if (plan.alias && i === 0) {
          const src = inLocs[0];
          if (src?.kind === 'arena') return { kind: 'arena', buf: src.buf, layout };
          if (src?.kind === 'persistent') return { kind: 'persistent', ptr: src.ptr, layout };
        }
        return { kind: 'arena', buf: newBuffer(valueBytes(outTypes[i]!), stepIndex), layout };
      });
      node.outputs.forEach((o, i) => o && locs.set(o, outLocs[i]!));
      const ws = plan.workspace ? newBuffer(plan.workspace, stepIndex) : undefined;
      if (!plan.alias) {
        steps.push({ label: node.name, node, kernel: chosen.kernel, ukernel: plan.ukernel, inputs: inLocs, outputs: outLocs, workspace: ws, bind: (b) => plan.bind(b) });
      } else {
        // an alias runs nothing, but keeps the source alive as long as the view
        steps.push({ label: node.name, node, kernel: chosen.kernel, ukernel: 'view', inputs: inLocs, outputs: outLocs, bind: () => NOOP });
      }
    } else {
      fallback.push({ node: node.name, op: node.op, reason: reasons.join('; ') || 'no fast kernel for this op' });
      const scale = services.packScale?.(node.name);
      const inLocs = node.inputs.map((v, i) => {
        if (!v) return undefined;
        const l = locs.get(v)!;
        if (scale && i === 1 && l.kind === 'const') return { kind: 'const', tensor: scaledWeights(l.tensor, scale) } as const;
        return l.kind === 'arena' || l.kind === 'persistent' ? ensure(v, 'plain', steps.length) : l;
      });
      const stepIndex = steps.length;
      inLocs.forEach((l) => use(l, stepIndex));
      const outLocs: (Loc | undefined)[] = node.outputs.map((o, i) => {
        if (!o) return undefined;
        const t = outTypes[i];
        return arenaCapable(t) ? { kind: 'arena', buf: newBuffer(valueBytes(t!), stepIndex), layout: 'plain' } : { kind: 'js' };
      });
      node.outputs.forEach((o, i) => o && locs.set(o, outLocs[i]!));
      steps.push({
        label: node.name,
        node,
        kernel: 'reference',
        inputs: inLocs,
        outputs: outLocs,
        bind: (b, state) => bindFallback(rt, node, inLocs, outLocs, inTypes, b, state),
      });
    }
  }

  // ------------------------------------------------------------ graph outputs (plain layout, kept to the end)
  const outputs = concrete.outputs.map((o) => {
    let loc = locs.get(o.name)!;
    if ((loc.kind === 'arena' || loc.kind === 'persistent') && loc.layout !== 'plain') loc = ensure(o.name, 'plain', steps.length);
    return { name: o.name, type: typeOf(o.name), loc, ptr: 0 };
  });
  // only now: every layout conversion above appended a step, and an output must outlive them all
  const END = steps.length + 1;
  for (const o of outputs) if (o.loc.kind === 'arena') o.loc.buf.last = END;
  for (const b of feedBuffers.values()) b.first = -1;

  // ------------------------------------------------------------ arena placement (greedy by size)
  const placed: Buffer[] = [];
  let arenaBytes = 0;
  for (const b of [...buffers].sort((x, y) => y.bytes - x.bytes || x.id - y.id)) {
    const overlapping = placed.filter((p) => p.first <= b.last && b.first <= p.last).sort((x, y) => x.offset - y.offset);
    let offset = 0;
    for (const p of overlapping) {
      if (offset + b.bytes <= p.offset) break;
      offset = Math.max(offset, p.offset + p.bytes);
    }
    b.offset = offset;
    placed.push(b);
    arenaBytes = Math.max(arenaBytes, offset + b.bytes);
  }
  const allocations: number[] = [];
  const arena = heap.alloc(Math.max(arenaBytes, 1));
  allocations.push(arena);
  const ptrOf = (l: Loc | undefined) => addressOf(arena, l);
  for (const [name, buf] of feedBuffers) feeds.set(name, arena + buf.offset);
  for (const o of outputs) o.ptr = ptrOf(o.loc);

  // ------------------------------------------------------------ bind
  // The step closures outlive this function: they are made by module-level functions
  // (bindContext, bindLayout, bindFallback, the kernels' bind), never by closures declared here,
  // so that they do not keep this function's scope alive (the graph, its constants: the
  // unpacked weights) for as long as the plan lives.
  const state: RunState = { js: new Map() };
  const bound: (() => void)[] = [];
  const info: StepInfo[] = [];
  for (const s of steps) {
    bound.push(s.bind(bindContext(rt, arena, s, allocations), stateOf(state)));
    info.push({ label: s.label, node: s.node?.name, op: s.node?.op, kernel: s.kernel, ukernel: s.ukernel });
  }
  // a closure a kernel kept by mistake must not keep the plan's value map alive either
  locs.clear();
  converted.clear();
  return new Plan(bound, info, fallback, feeds, outputs, arenaBytes, state, allocations, rt);
}

const NOOP = (): void => {};

/** Weights W [M, ...] times factor[m] per output channel, rounded to float32 once (what foldBatchNorm computes). */
function scaledWeights(w: Tensor, factor: Float64Array): Tensor {
  const out = new Float32Array(w.size);
  const inner = w.size / factor.length;
  for (let i = 0; i < w.size; i++) out[i] = w.get(i) * factor[Math.floor(i / inner)];
  return new Tensor('float32', w.shape, out);
}

function planContext(node: Node, attrs: Record<string, unknown>, inputs: readonly (TensorType | undefined)[], outputs: TensorType[], constants: ReadonlyMap<string, Tensor>, locs: ReadonlyMap<string, Loc>, services: PlannerServices, runtime: Runtime, scale: Float64Array | undefined, scaleUse: { used: boolean }): PlanContext {
  return {
    packScale: () => {
      scaleUse.used = true;
      return scale;
    },
    node,
    attrs,
    inputs,
    outputs,
    constant: (i) => (node.inputs[i] ? constants.get(node.inputs[i]) : undefined),
    layout: (i) => {
      const l = node.inputs[i] ? locs.get(node.inputs[i]) : undefined;
      return l && (l.kind === 'arena' || l.kind === 'persistent') ? l.layout : 'plain';
    },
    cached: services.cached,
    runtime,
  };
}

const stateOf = (state: RunState) => () => state;

function addressOf(arena: number, l: Loc | undefined): number {
  if (!l) return 0;
  if (l.kind === 'arena') return arena + l.buf.offset;
  if (l.kind === 'persistent') return l.ptr;
  return 0;
}

function bindContext(rt: Runtime, arena: number, s: PendingStep, allocations: number[]): BindContext {
  const { inputs, outputs, workspace } = s;
  return {
    runtime: rt,
    input: (i) => addressOf(arena, inputs[i]),
    output: (i) => addressOf(arena, outputs[i]),
    workspace: workspace ? arena + workspace.offset : 0,
    alloc: (bytes) => {
      const p = rt.heap.alloc(bytes);
      allocations.push(p);
      return p;
    },
  };
}

/** A layout conversion between channels-first and channels-last storage. */
function bindLayout(rt: Runtime, kernel: string, toCl: boolean, n: number, c: number, spatial: number, src: number, dst: number): () => void {
  const f = rt.fn(kernel);
  return toCl ? () => f(n, c, spatial, src, dst) : () => f(n, spatial, c, src, dst);
}

/** Writes an NCHW-ordered float32 tensor as channels-last data into `out` at element `at`. */
function transposeToChannelsLast(t: Tensor, out: Float32Array, at: number): void {
  const [n, c] = t.shape;
  const s = sizeOf(t.shape.slice(2));
  for (let b = 0; b < n; b++) for (let ci = 0; ci < c; ci++) for (let p = 0; p < s; p++) out[at + (b * s + p) * c + ci] = t.get((b * c + ci) * s + p);
}

function bindFallback(rt: Runtime, node: Node, inLocs: readonly (Loc | undefined)[], outLocs: readonly (Loc | undefined)[], inTypes: readonly (TensorType | undefined)[], b: BindContext, state: () => RunState): () => void {
  const heap = rt.heap;
  const ins = node.inputs.map((name, i) => {
    const l = inLocs[i];
    if (!name || !l) return () => undefined;
    if (l.kind === 'const') return () => l.tensor;
    if (l.kind === 'js') return () => state().js.get(name);
    const ptr = b.input(i);
    const type = inTypes[i]!;
    return () => readTensorData(heap, ptr, type);
  });
  const outs = node.outputs.map((name, i) => {
    const l = outLocs[i];
    if (!name || !l) return () => {};
    if (l.kind === 'arena') {
      const ptr = b.output(i);
      return (t: Tensor) => writeTensorData(heap, ptr, t);
    }
    return (t: Tensor) => state().js.set(name, t);
  });
  return () => {
    const inputs = ins.map((f) => f());
    const results = runNode(node, inputs);
    results.forEach((t, i) => outs[i]?.(t));
  };
}
