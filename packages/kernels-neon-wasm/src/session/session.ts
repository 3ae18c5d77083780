/**
 * Sessions: a graph prepared for fast execution. Weights are packed once (on first use by a plan,
 * then cached for the session's lifetime); each distinct set of input shapes gets a plan (kernel
 * choice, layouts, arena placement, indirection buffers), re-planned when a dynamic dimension
 * changes. Ops without a fast kernel run on the @mo/ir reference interpreter and are listed in
 * `fallbackOps`.
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, formatShape, isStaticShape, throwIfAborted, type Graph, type StaticShape, type ValueInfo } from '@mo/ir';
import { hardwareConfig } from '../config.js';
import { Runtime, createRuntime, createRuntimeSync } from '../runtime/module.js';
import { defaultRegistry } from '../kernels/index.js';
import { fusedGraph, planningGraph, type PlanningGraph } from './fold-at-packing.js';
import { buildPlan, type FallbackInfo, type Plan, type StepInfo } from './planner.js';
import type { KernelRegistry } from './registry.js';
import { readTensorData, writeTensorData } from './dtypes.js';

export type Backend = 'auto' | 'wasm' | 'reference';

export interface SessionOptions {
  /**
   * Threads for the kernels (default 1). Above 1, worker threads share the wasm memory (Node
   * worker_threads, SharedArrayBuffer); GEMM, convolutions and depthwise convolutions split their
   * rows / pixels between them. Where threads are not available the session runs on one thread
   * (`session.threads` says how many it got).
   */
  threads?: number;
  /**
   * 'wasm' (SIMD128 kernels; throws without SIMD support), 'reference' (every node on the
   * @mo/ir interpreter, for debugging) or 'auto' (default: wasm when the engine has SIMD128,
   * reference otherwise).
   */
  backend?: Backend;
  /** Kernels to use instead of the default registry. */
  registry?: KernelRegistry;
  /** How many plans (distinct input shapes) to keep; older ones are freed. Default 2. */
  maxPlans?: number;
  /**
   * Fold inference BatchNormalization into the preceding Conv/Gemm weights and fuse activations
   * (Relu, Clip, ...) into their producers before planning (@mo/ir `foldBatchNorm` and
   * `fuseActivation`), as onnxruntime and TFLite converters do. Default true on the wasm backend;
   * ignored by the reference backend. Results change by rounding only. BatchNormalization is folded
   * while the Conv weights are packed (to the bits `foldBatchNorm` gives), not in a copy of them.
   */
  fuse?: boolean;
}

export type SessionFeeds = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

export interface SessionRunOptions {
  /** Checked before every step; an aborted signal stops the run with an AbortError. */
  signal?: AbortSignal;
  /**
   * Caller-owned storage for float32 outputs, by output name (each exactly the output's size).
   * The returned tensors wrap these arrays: no new output memory per run (worth it for large
   * outputs run often, e.g. per video frame).
   */
  into?: Readonly<Record<string, Float32Array>>;
}

/** Memory and plan statistics of a session. */
export interface SessionStats {
  /** Bytes of the arena of the current plan (activations and workspaces, after liveness reuse). */
  readonly arenaBytes: number;
  /** Sum of the sizes of the float32 activations of the current plan, as if none shared memory. */
  readonly heapBytes: number;
  /** Number of plans built so far. */
  readonly plansBuilt: number;
}

export class Session {
  private readonly plans = new Map<string, Plan>();
  private readonly cache = new Map<string, { value: unknown; release?: (v: unknown) => void }>();
  private current: Plan | undefined;
  private built = 0;
  private disposed = false;
  /**
   * The planning graph (after fusion) is needed only to build plans, so the session drops it once
   * planned: its weights are packed in wasm memory by then. A new plan (new input shapes) prepares
   * it again from the caller's graph (packed weights are cached by node: nothing is packed twice).
   */
  private planning: PlanningGraph | undefined;
  private readonly inputs: readonly ValueInfo[];
  private readonly defaults: ReadonlySet<string>;
  private readonly graphName: string;

  /** @internal Use `createSession`. */
  constructor(
    private readonly source: Graph,
    private readonly fuse: boolean,
    private readonly runtime: Runtime,
    readonly backend: 'wasm' | 'reference',
    private readonly registry: KernelRegistry,
    readonly threads: number,
    private readonly maxPlans: number,
  ) {
    const g = this.planningGraph().graph;
    this.inputs = g.inputs;
    this.defaults = new Set(g.inputs.filter((i) => g.initializers.has(i.name)).map((i) => i.name));
    this.graphName = g.name;
  }

  private planningGraph(): PlanningGraph {
    this.planning ??= this.fuse ? planningGraph(this.source) : { graph: this.source.removeDead(), packScales: new Map() };
    return this.planning;
  }

  /**
   * The graph the session runs: the caller's graph after fusion (`fuse`: @mo/ir `foldBatchNorm`
   * and `fuseActivation`). Made on each read: the session itself keeps no copy of folded weights
   * (it folds BatchNormalization while packing the Conv weights, to the same bits).
   */
  get graph(): Graph {
    return this.fuse ? fusedGraph(this.source) : this.source.removeDead();
  }

  /** Nodes that run on the reference interpreter in the current plan, with the reason. Empty before the first plan. */
  get fallbackOps(): readonly FallbackInfo[] {
    return this.current?.fallback ?? [];
  }

  /** Which kernel and microkernel runs each step of the current plan. */
  get kernels(): readonly StepInfo[] {
    return this.current?.info ?? [];
  }

  get stats(): SessionStats {
    return { arenaBytes: this.current?.arenaBytes ?? 0, heapBytes: this.runtime.heap.bytesInUse, plansBuilt: this.built };
  }

  private cached = <T>(key: string, make: () => T, release?: (v: T) => void): T => {
    const hit = this.cache.get(key);
    if (hit) return hit.value as T;
    const value = make();
    this.cache.set(key, { value, release: release as ((v: unknown) => void) | undefined });
    return value;
  };

  /**
   * Plans for these input shapes now (otherwise done by the first `run` with them). Returns the
   * steps of the plan.
   */
  prepare(shapes: Readonly<Record<string, StaticShape>>): readonly StepInfo[] {
    return this.planFor(new Map(Object.entries(shapes))).info;
  }

  private planFor(shapes: ReadonlyMap<string, StaticShape>): Plan {
    if (this.disposed) throw new ArgumentError('session is disposed');
    const key = this.inputs.map((i) => `${i.name}:${(shapes.get(i.name) ?? []).join('x')}`).join(';');
    let plan = this.plans.get(key);
    if (plan) {
      // most recently used last
      this.plans.delete(key);
      this.plans.set(key, plan);
    } else {
      const { graph, packScales } = this.planningGraph();
      plan = buildPlan(graph, shapes, {
        packScale: (node) => packScales.get(node),
        runtime: this.runtime,
        registry: this.registry,
        backend: this.backend,
        cached: this.cached,
      });
      this.built++;
      this.plans.set(key, plan);
      this.planning = undefined;
      while (this.plans.size > this.maxPlans) {
        const [oldKey, old] = this.plans.entries().next().value as [string, Plan];
        old.release();
        this.plans.delete(oldKey);
      }
    }
    this.current = plan;
    return plan;
  }

  /** Checks the feeds against the graph inputs; returns the shape of every input. */
  private shapesOf(feeds: ReadonlyMap<string, Tensor>): Map<string, StaticShape> {
    const names = this.inputs.map((i) => i.name);
    for (const k of feeds.keys()) {
      if (!names.includes(k)) throw new ArgumentError(`feed '${k}' is not an input of graph '${this.graphName}'; inputs are ${names.map((n) => `'${n}'`).join(', ')}`, { value: k });
    }
    const shapes = new Map<string, StaticShape>();
    const bound = new Map<string, number>();
    for (const input of this.inputs) {
      const t = feeds.get(input.name);
      if (!t) {
        if (this.defaults.has(input.name)) continue;
        throw new ArgumentError(`missing feed for input '${input.name}' (${input.type.dtype}${formatShape(input.type.shape)})`, { value: input.name });
      }
      if (t.dtype !== input.type.dtype) throw new DTypeError(`feed '${input.name}' has dtype '${t.dtype}', expected '${input.type.dtype}'`, { value: input.name });
      const want = input.type.shape;
      if (t.shape.length !== want.length) throw new ShapeError(`feed '${input.name}' has shape ${formatShape(t.shape)}, expected rank ${want.length} ${formatShape(want)}`, { value: input.name });
      want.forEach((d, k) => {
        const actual = t.shape[k];
        if (typeof d === 'number') {
          if (d !== actual) throw new ShapeError(`feed '${input.name}' has shape ${formatShape(t.shape)}, expected ${formatShape(want)}`, { value: input.name });
        } else {
          const prev = bound.get(d);
          if (prev !== undefined && prev !== actual) throw new ShapeError(`feed '${input.name}' binds dimension '${d}' to ${actual}, but another input bound it to ${prev}`, { value: input.name });
          bound.set(d, actual);
        }
      });
      shapes.set(input.name, t.shape);
    }
    return shapes;
  }

  /**
   * Runs the graph synchronously and returns its outputs by name.
   *
   * @example
   * ```ts
   * const out = session.runSync({ x: tensor('float32', [[1, -2, 3, -4]]) });
   * ```
   */
  runSync(feeds: SessionFeeds, options: SessionRunOptions = {}): Record<string, Tensor> {
    const feedMap = feeds instanceof Map ? (feeds as ReadonlyMap<string, Tensor>) : new Map(Object.entries(feeds as Record<string, Tensor>));
    const plan = this.planFor(this.shapesOf(feedMap));
    const heap = this.runtime.heap;
    const state = plan.state;
    state.js.clear();
    for (const [name, t] of feedMap) {
      const ptr = plan.feeds.get(name);
      if (ptr !== undefined) writeTensorData(heap, ptr, t);
      else state.js.set(name, t);
    }
    const signal = options.signal;
    if (signal) {
      plan.steps.forEach((step, i) => {
        throwIfAborted(signal, { node: plan.info[i].node });
        step();
      });
    } else for (const step of plan.steps) step();
    const result: Record<string, Tensor> = {};
    for (const o of plan.outputs) {
      const loc = o.loc;
      if (loc.kind === 'arena' || loc.kind === 'persistent') {
        const shape = o.type.shape as StaticShape;
        let size = 1;
        for (const d of shape) size *= d;
        const into = options.into?.[o.name];
        if (into && into.length !== size) throw new ArgumentError(`option 'into' for output '${o.name}' has ${into.length} floats; the output has ${size} (${formatShape(shape)})`, { value: o.name });
        if (into && o.type.dtype !== 'float32') throw new ArgumentError(`option 'into' for output '${o.name}': the output is ${o.type.dtype}, not float32`, { value: o.name });
        result[o.name] = readTensorData(heap, o.ptr, o.type, into);
      } else if (loc.kind === 'const') result[o.name] = loc.tensor;
      else {
        const t = state.js.get(o.name) ?? feedMap.get(o.name);
        if (!t) throw new ArgumentError(`output '${o.name}' was not computed`, { value: o.name });
        result[o.name] = t;
      }
    }
    state.js.clear();
    return result;
  }

  /**
   * Benchmarking aid: runs the steps of the current plan on whatever its buffers hold, without
   * copying feeds in or outputs out. Unstable API.
   */
  experimental_runStepsOnly(): void {
    if (!this.current) throw new ArgumentError('no plan yet: run the session (or prepare it) first');
    for (const step of this.current.steps) step();
  }

  /**
   * Runs the graph and returns its outputs by name.
   *
   * @example
   * ```ts
   * const { y } = await session.run({ x: tensor('float32', [[1, -2, 3, -4]]) });
   * ```
   */
  async run(feeds: SessionFeeds, options: SessionRunOptions = {}): Promise<Record<string, Tensor>> {
    return this.runSync(feeds, options);
  }

  /** Frees the session's wasm memory (packed weights, plans). The session cannot run afterwards. */
  dispose(): void {
    for (const p of this.plans.values()) p.release();
    this.plans.clear();
    for (const { value, release } of this.cache.values()) release?.(value);
    this.cache.clear();
    this.current = undefined;
    this.runtime.stopThreads();
    this.disposed = true;
  }
}

function resolveBackend(backend: Backend | undefined): 'wasm' | 'reference' {
  const b = backend ?? 'auto';
  if (b !== 'auto' && b !== 'wasm' && b !== 'reference') throw new ArgumentError(`option 'backend' is '${String(b)}'; expected 'auto', 'wasm' or 'reference'`);
  if (b === 'reference') return 'reference';
  if (b === 'wasm') return 'wasm';
  return hardwareConfig().simd ? 'wasm' : 'reference';
}

function checkOptions(options: SessionOptions): number {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new ArgumentError(`option 'threads' is ${threads}; expected an integer >= 1`);
  return threads;
}

function finish(input: Graph, runtime: Runtime, backend: 'wasm' | 'reference', options: SessionOptions): Session {
  const fuse = backend === 'wasm' && options.fuse !== false;
  const session = new Session(input, fuse, runtime, backend, options.registry ?? defaultRegistry(), runtime.threads, Math.max(1, options.maxPlans ?? 2));
  // plan eagerly when every input shape is static, so fallbackOps is known right away
  if (input.inputs.every((i) => isStaticShape(i.type.shape) || input.initializers.has(i.name))) {
    session.prepare(Object.fromEntries(input.inputs.filter((i) => isStaticShape(i.type.shape)).map((i) => [i.name, i.type.shape as StaticShape])));
  }
  return session;
}

/**
 * Prepares `graph` for fast execution (compiles the wasm module asynchronously the first time).
 *
 * @example
 * ```ts
 * import { GraphBuilder, tensor } from '@mo/ir';
 * import { createSession } from '@mo/kernels-neon-wasm';
 * const b = new GraphBuilder('mlp');
 * const x = b.input('x', 'float32', [1, 4]);
 * b.output(b.gemm(x, tensor('float32', new Float32Array(32).fill(0.5), [4, 8]), undefined, { activation: 'Relu' }), 'y');
 * const session = await createSession(b.build());
 * const { y } = await session.run({ x: tensor('float32', [[1, -2, 3, -4]]) });
 * ```
 */
export async function createSession(graph: Graph, options: SessionOptions = {}): Promise<Session> {
  const threads = checkOptions(options);
  const backend = resolveBackend(options.backend);
  const runtime = backend === 'reference' && !hardwareConfig().simd ? new Runtime(undefined) : await createRuntime(backend === 'wasm' ? threads : 1);
  return finish(graph, runtime, backend, options);
}

/**
 * `createSession` without awaiting (Node and workers; browsers' main threads refuse to compile
 * large modules synchronously).
 *
 * @example
 * ```ts
 * const session = createSessionSync(graph, { threads: 2 });
 * const { y } = session.runSync({ x });
 * session.dispose();
 * ```
 */
export function createSessionSync(graph: Graph, options: SessionOptions = {}): Session {
  const threads = checkOptions(options);
  const backend = resolveBackend(options.backend);
  const runtime = backend === 'reference' && !hardwareConfig().simd ? new Runtime(undefined) : createRuntimeSync(backend === 'wasm' ? threads : 1);
  return finish(graph, runtime, backend, options);
}
