/**
 * Threads: a pool of workers sharing the runtime's wasm memory — Node worker_threads, or Web
 * Workers in a cross-origin-isolated browser page. Every worker instantiates the shared-memory
 * build of the kernels module on that memory, then waits on a control block (Atomics) for a job.
 * A job is a list of chunks (independent calls: an export index and its arguments, written into
 * one slot each), usually a few per thread. Every thread, the caller included, claims chunks with
 * a compare-and-swap on one ticket word until none are left, so a worker that the OS has not
 * scheduled yet (a loaded machine) costs nothing: the caller runs its share, and waits only for a
 * chunk a worker has actually started. No postMessage per step: a step of MobileNetV2 takes
 * ~0.05-1 ms, a message round trip about as long. Chunks never allocate, so the heap stays
 * single-threaded (only the main thread allocates). Which thread runs a chunk never changes what
 * it computes: results do not depend on the number of threads.
 *
 * Control block (i32 words): [0] generation (set to start a job), [1] chunks done, [2] workers
 * ready, [3] stop flag, [4] scratch (probe), [5] ticket = (generation & 0x3ff) << 22 | chunks << 11
 * | next chunk. Slot per chunk: i32 [fn index, arg count], then 16 f64 args.
 */
import { ArgumentError, UnsupportedOpError } from '@mo/ir';
import type { Heap } from './heap.js';

const SLOT_BYTES = 256;
const ARGS_OFFSET = 64;
const MAX_ARGS = 16;
/** How long an idle worker polls before sleeping in Atomics.wait: longer than the gap between two parallel steps. */
const DEFAULT_SPIN_MS = 1;
/** Most chunks in one job (the ticket word has 11 bits for the count). */
export const MAX_CHUNKS = 64;
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
  readonly slots: number;
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
    for (;;) {
      const t = Atomics.load(i32, c + 5);
      if (t >>> 22 !== (gen & 0x3ff)) break; // a newer job: see it through the generation word
      const idx = t & 0x7ff;
      if (idx >= ((t >>> 11) & 0x7ff)) break;
      if (Atomics.compareExchange(i32, c + 5, t, t + 1) !== t) continue;
      const s = (d.slots + idx * ${SLOT_BYTES}) >> 2;
      const n = i32[s + 1];
      const a = (d.slots + idx * ${SLOT_BYTES} + ${ARGS_OFFSET}) >> 3;
      args.length = n;
      for (let k = 0; k < n; k++) args[k] = f64[a + k];
      fns[i32[s]](...args);
      Atomics.add(i32, c + 1, 1);
      Atomics.notify(i32, c + 1);
    }
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
    this.slots = heap.calloc(SLOT_BYTES * MAX_CHUNKS);
    this.blocking = canBlock(heap.i32, (this.ctrl >> 2) + 4);
    for (let w = 0; w < size; w++) this.workers.push(spawn({ module, memory, ctrl: this.ctrl, slots: this.slots, spinMs }));
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

  /**
   * Runs every task (at most MAX_CHUNKS), on this thread and the workers, each exactly once;
   * returns when all are done.
   */
  run(tasks: readonly Task[]): void {
    if (this.stopped) throw new ArgumentError('the thread pool is stopped');
    const n = tasks.length;
    if (n > MAX_CHUNKS) throw new ArgumentError(`${n} tasks in one job; at most ${MAX_CHUNKS}`);
    const i32 = this.heap.i32;
    const f64 = this.heap.f64;
    for (let k = 0; k < n; k++) {
      const t = tasks[k];
      const fi = this.table.get(t[0]);
      if (fi === undefined || t[1].length > MAX_ARGS) throw new ArgumentError(`bad task ${t[0]}`);
      const s = (this.slots + k * SLOT_BYTES) >> 2;
      i32[s] = fi;
      i32[s + 1] = t[1].length;
      f64.set(t[1], (this.slots + k * SLOT_BYTES + ARGS_OFFSET) >> 3);
    }
    const c = this.ctrl >> 2;
    const gen = (Atomics.load(i32, c) + 1) | 0;
    Atomics.store(i32, c + 1, 0);
    Atomics.store(i32, c + 5, ((gen & 0x3ff) << 22) | (n << 11));
    Atomics.store(i32, c, gen);
    Atomics.notify(i32, c);
    // claim chunks like any worker; run them on this thread's instance
    for (;;) {
      const t = Atomics.load(i32, c + 5);
      const idx = t & 0x7ff;
      if (idx >= n) break;
      if (Atomics.compareExchange(i32, c + 5, t, t + 1) !== t) continue;
      (this.local[tasks[idx][0]] as (...a: readonly number[]) => void)(...tasks[idx][1]);
      Atomics.add(i32, c + 1, 1);
    }
    // only chunks a worker has started are left: spin, then (where allowed) sleep
    for (let v = Atomics.load(i32, c + 1), k = 0; v !== n; v = Atomics.load(i32, c + 1), k++) {
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
