/**
 * Threads: a pool of workers sharing the runtime's wasm memory — Node worker_threads, or Web
 * Workers in a cross-origin-isolated browser page. Every worker instantiates the shared-memory
 * build of the kernels module on that memory, then waits on a control block (Atomics) for a task:
 * an export index and its arguments, written into its slot. The calling thread runs the first task
 * itself and spins on the control block until the others are done (no postMessage per step: a
 * step of MobileNetV2 takes ~0.1-2 ms, a message round trip about as long). Tasks never allocate,
 * so the heap stays single-threaded (only the main thread allocates).
 *
 * Control block (i32 words): [0] generation (bumped to start a job), [1] tasks still running,
 * [2] workers ready, [3] stop flag. Slot per worker: i32 [fn index, arg count], then 16 f64 args.
 */
import { ArgumentError, UnsupportedOpError } from '@mo/ir';
import type { Heap } from './heap.js';

const SLOT_BYTES = 256;
const ARGS_OFFSET = 64;
const MAX_ARGS = 16;
/** How long an idle worker polls before sleeping in Atomics.wait: longer than the gap between two parallel steps. */
const DEFAULT_SPIN_MS = 2;
const START_TIMEOUT_MS = 30_000;

/** Names of the exported functions, sorted: the same table in every thread. */
export function exportTable(exports: Record<string, unknown>): string[] {
  return Object.keys(exports).filter((k) => typeof exports[k] === 'function').sort();
}

/** What a worker gets: the compiled module, the shared memory and where its control words are. */
interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly ctrl: number;
  readonly slot: number;
  readonly spinMs: number;
}

/** The body of every worker (Node and browsers), as source: it runs in a fresh realm. */
const WORKER_MAIN = `function workerMain(d) {
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const names = Object.keys(inst.exports).filter((k) => typeof inst.exports[k] === 'function').sort();
  const fns = names.map((n) => inst.exports[n]);
  const i32 = new Int32Array(d.memory.buffer);
  const f64 = new Float64Array(d.memory.buffer);
  const c = d.ctrl >> 2;
  const s = d.slot >> 2;
  const a = (d.slot + ${ARGS_OFFSET}) >> 3;
  let gen = Atomics.load(i32, c);
  Atomics.add(i32, c + 2, 1);
  Atomics.notify(i32, c + 2);
  const args = [];
  for (;;) {
    if (Atomics.load(i32, c) === gen) {
      const t0 = performance.now();
      for (let k = 1; Atomics.load(i32, c) === gen; k++) {
        if ((k & 1023) === 0 && performance.now() - t0 > d.spinMs) Atomics.wait(i32, c, gen);
      }
    }
    gen = Atomics.load(i32, c);
    if (Atomics.load(i32, c + 3) === 1) break;
    const fi = i32[s];
    if (fi >= 0) {
      const n = i32[s + 1];
      args.length = n;
      for (let k = 0; k < n; k++) args[k] = f64[a + k];
      fns[fi](...args);
    }
    if (Atomics.sub(i32, c + 1, 1) === 1) Atomics.notify(i32, c + 1);
  }
}`;

interface WorkerHandle {
  terminate(): void;
  /** Rejects on a worker error (browsers: the script failed to load or instantiate). */
  readonly failed: Promise<never>;
}

type NodeWorkerCtor = new (src: string, opts: { eval: boolean; workerData: unknown }) => {
  unref(): void;
  terminate(): Promise<number>;
  on(ev: 'error', f: (e: Error) => void): void;
};

/** The worker_threads Worker class when running in Node (without a static import, so bundlers for browsers see none). */
function nodeWorker(): NodeWorkerCtor | undefined {
  const p = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!p?.versions?.node || typeof p.getBuiltinModule !== 'function') return undefined;
  return (p.getBuiltinModule('node:worker_threads') as { Worker: NodeWorkerCtor }).Worker;
}

interface WebWorkerLike {
  postMessage(m: unknown): void;
  terminate(): void;
  addEventListener(ev: 'error', f: (e: { message?: string }) => void): void;
}
type WebWorkerCtor = new (url: string, opts?: { name?: string }) => WebWorkerLike;

/** The Web Worker class in a cross-origin-isolated browser context (shared wasm memory can be posted). */
function webWorker(): WebWorkerCtor | undefined {
  const g = globalThis as { Worker?: WebWorkerCtor; crossOriginIsolated?: boolean; Blob?: unknown; URL?: { createObjectURL?: unknown } };
  if (nodeWorker() || typeof g.Worker !== 'function' || g.crossOriginIsolated !== true) return undefined;
  if (typeof g.Blob !== 'function' || typeof g.URL?.createObjectURL !== 'function') return undefined;
  return g.Worker;
}

let webWorkerUrl: string | undefined;

function spawn(init: WorkerInit): WorkerHandle {
  const NodeWorker = nodeWorker();
  if (NodeWorker) {
    const w = new NodeWorker(`(${WORKER_MAIN})(require('node:worker_threads').workerData);`, { eval: true, workerData: init });
    w.unref();
    const failed = new Promise<never>((_, reject) => w.on('error', reject));
    failed.catch(() => {});
    return { terminate: () => void w.terminate(), failed };
  }
  const WebWorker = webWorker();
  if (!WebWorker) throw new UnsupportedOpError('threads need Node worker_threads, or Web Workers in a cross-origin-isolated page');
  webWorkerUrl ??= URL.createObjectURL(new Blob([`self.onmessage = (e) => { self.onmessage = null; (${WORKER_MAIN})(e.data); };`], { type: 'text/javascript' }));
  const w = new WebWorker(webWorkerUrl, { name: 'mo-kernels' });
  const failed = new Promise<never>((_, reject) => w.addEventListener('error', (e) => reject(new UnsupportedOpError(`a kernels worker failed: ${e.message ?? 'unknown error'}`))));
  failed.catch(() => {});
  w.postMessage(init);
  return { terminate: () => w.terminate(), failed };
}

/** Whether this thread may block in Atomics.wait (Node threads and workers: yes; a browser's main thread: no). */
function canBlock(i32: Int32Array, index: number): boolean {
  try {
    Atomics.wait(i32, index, Atomics.load(i32, index) + 1, 0); // returns 'not-equal' at once where waiting is allowed
    return true;
  } catch {
    return false;
  }
}

/** Whether this environment can run a thread pool (Node worker_threads, or Web Workers with cross-origin isolation; shared memory). */
export function threadPoolSupported(): boolean {
  return (nodeWorker() !== undefined || webWorker() !== undefined) && typeof SharedArrayBuffer !== 'undefined' && typeof Atomics === 'object';
}

/** Whether a pool can be started synchronously here (the thread may block while the workers start: Node). */
export function threadPoolStartsSync(): boolean {
  return nodeWorker() !== undefined;
}

/** One call: an export name and its numeric arguments. */
export type Task = readonly [symbol: string, args: readonly number[]];

/**
 * Worker threads on a runtime's shared memory (created by `createRuntime(threads)` /
 * `createRuntimeSync(threads)`; sessions with `threads > 1` own one).
 *
 * @example
 * ```ts
 * const rt = await createRuntime(2);
 * rt.parallel([['x32_fill', [n / 2, p, 0]], ['x32_fill', [n / 2, p + n * 2, 0]]])();
 * rt.stopThreads();
 * ```
 */
export class ThreadPool {
  private readonly workers: WorkerHandle[] = [];
  private readonly table: Map<string, number>;
  private readonly ctrl: number;
  private readonly slots: number;
  private stopped = false;
  private readonly local: Record<string, unknown>;
  private readonly blocking: boolean;

  /**
   * Starts `size` workers on `memory` (shared) and, unless `wait` is false, blocks until every one
   * is ready (Node; browsers' main threads cannot block: use `ThreadPool.start`).
   * `spinMs`: how long an idle worker polls before sleeping in Atomics.wait (lower wake-up latency).
   */
  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    private readonly heap: Heap,
    exports: Record<string, unknown>,
    readonly size: number,
    spinMs = DEFAULT_SPIN_MS,
    wait = true,
  ) {
    if (!threadPoolSupported()) throw new UnsupportedOpError('threads need Node worker_threads, or Web Workers in a cross-origin-isolated page');
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new ArgumentError('the thread pool needs a shared memory');
    this.local = exports;
    this.table = new Map(exportTable(exports).map((n, i) => [n, i]));
    this.ctrl = heap.calloc(64);
    this.slots = heap.calloc(SLOT_BYTES * size);
    this.blocking = canBlock(heap.i32, (this.ctrl >> 2) + 4);
    for (let w = 0; w < size; w++) this.workers.push(spawn({ module, memory, ctrl: this.ctrl, slot: this.slots + w * SLOT_BYTES, spinMs }));
    if (!wait) return;
    if (!this.blocking) throw new UnsupportedOpError('this thread cannot block while workers start; use createSession (async)');
    const i32 = heap.i32;
    const c = this.ctrl >> 2;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (let ready = Atomics.load(i32, c + 2); ready < size; ready = Atomics.load(i32, c + 2)) {
      if (Date.now() > deadline) {
        this.terminate();
        throw new UnsupportedOpError(`only ${ready} of ${size} worker threads started within ${START_TIMEOUT_MS / 1000} s`);
      }
      Atomics.wait(i32, c + 2, ready, 100);
    }
  }

  /** Starts a pool without blocking (browsers' main threads): resolves once every worker is ready. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, heap: Heap, exports: Record<string, unknown>, size: number, spinMs = DEFAULT_SPIN_MS): Promise<ThreadPool> {
    const pool = new ThreadPool(module, memory, heap, exports, size, spinMs, false);
    const c = pool.ctrl >> 2;
    const deadline = Date.now() + START_TIMEOUT_MS;
    const failed = Promise.race(pool.workers.map((w) => w.failed));
    try {
      while (Atomics.load(heap.i32, c + 2) < size) {
        if (Date.now() > deadline) throw new UnsupportedOpError(`only ${Atomics.load(heap.i32, c + 2)} of ${size} worker threads started within ${START_TIMEOUT_MS / 1000} s`);
        await Promise.race([new Promise((r) => setTimeout(r, 2)), failed]);
      }
    } catch (e) {
      pool.terminate();
      throw e;
    }
    return pool;
  }

  /** Threads in total (workers plus the caller). */
  get threads(): number {
    return this.size + 1;
  }

  /** Runs tasks[0] here and tasks[1..] on the workers (at most size + 1 tasks); returns when all are done. */
  run(tasks: readonly Task[]): void {
    if (this.stopped) throw new ArgumentError('the thread pool is stopped');
    if (tasks.length > this.size + 1) throw new ArgumentError(`${tasks.length} tasks for ${this.size + 1} threads`);
    const i32 = this.heap.i32;
    const f64 = this.heap.f64;
    for (let w = 0; w < this.size; w++) {
      const t = tasks[w + 1];
      const s = (this.slots + w * SLOT_BYTES) >> 2;
      if (!t) {
        i32[s] = -1;
        continue;
      }
      const fi = this.table.get(t[0]);
      if (fi === undefined || t[1].length > MAX_ARGS) throw new ArgumentError(`bad task ${t[0]}`);
      i32[s] = fi;
      i32[s + 1] = t[1].length;
      f64.set(t[1], (this.slots + w * SLOT_BYTES + ARGS_OFFSET) >> 3);
    }
    const c = this.ctrl >> 2;
    Atomics.store(i32, c + 1, this.size);
    Atomics.add(i32, c, 1);
    Atomics.notify(i32, c);
    if (tasks[0]) (this.local[tasks[0][0]] as (...a: readonly number[]) => void)(...tasks[0][1]);
    // the workers' share ends about when ours does: spin, then (where allowed) sleep
    for (let v = Atomics.load(i32, c + 1), k = 0; v !== 0; v = Atomics.load(i32, c + 1), k++) {
      if (this.blocking && k > 20000) Atomics.wait(i32, c + 1, v, 50);
    }
  }

  /** Stops the workers and frees the control block. */
  terminate(): void {
    if (this.stopped) return;
    this.stopped = true;
    const i32 = this.heap.i32;
    const c = this.ctrl >> 2;
    Atomics.store(i32, c + 3, 1);
    Atomics.add(i32, c, 1);
    Atomics.notify(i32, c);
    for (const w of this.workers) w.terminate();
    this.heap.release(this.ctrl);
    this.heap.release(this.slots);
  }
}
