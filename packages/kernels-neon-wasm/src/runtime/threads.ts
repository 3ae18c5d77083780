/**
 * Threads: a pool of Node worker_threads sharing the runtime's wasm memory. Every worker
 * instantiates the shared-memory build of the kernels module on that memory, then waits on a
 * control block (Atomics) for a task: an export index and its arguments, written into its slot.
 * The calling thread runs the first task itself and waits for the others. Tasks never allocate,
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

/** Names of the exported functions, sorted: the same table in every thread. */
export function exportTable(exports: Record<string, unknown>): string[] {
  return Object.keys(exports).filter((k) => typeof exports[k] === 'function').sort();
}

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, slot, spin } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory } });
const names = Object.keys(inst.exports).filter((k) => typeof inst.exports[k] === 'function').sort();
const fns = names.map((n) => inst.exports[n]);
const i32 = new Int32Array(memory.buffer);
const f64 = new Float64Array(memory.buffer);
const c = ctrl >> 2;
const s = slot >> 2;
const a = (slot + ${ARGS_OFFSET}) >> 3;
let gen = Atomics.load(i32, c);
Atomics.add(i32, c + 2, 1);
Atomics.notify(i32, c + 2);
const args = [];
for (;;) {
  for (let k = 0; k < spin && Atomics.load(i32, c) === gen; k++);
  Atomics.wait(i32, c, gen);
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
`;

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
}

type WorkerCtor = new (src: string, opts: { eval: boolean; workerData: unknown }) => WorkerLike;

/** The worker_threads Worker class when running in Node (without a static import, so bundlers for browsers see none). */
function nodeWorker(): WorkerCtor | undefined {
  const p = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!p?.versions?.node || typeof p.getBuiltinModule !== 'function') return undefined;
  return (p.getBuiltinModule('node:worker_threads') as { Worker: WorkerCtor }).Worker;
}

/** Whether this environment can run a thread pool (Node with worker_threads and shared memory). */
export function threadPoolSupported(): boolean {
  return nodeWorker() !== undefined && typeof SharedArrayBuffer !== 'undefined' && typeof Atomics?.wait === 'function';
}

/** One call: an export name and its numeric arguments. */
export type Task = readonly [symbol: string, args: readonly number[]];

/**
 * Worker threads on a runtime's shared memory (created by `createRuntimeSync(threads)`; sessions
 * with `threads > 1` own one).
 *
 * @example
 * ```ts
 * const rt = createRuntimeSync(2);
 * rt.parallel([['x32_fill', [n / 2, p, 0]], ['x32_fill', [n / 2, p + n * 2, 0]]])();
 * rt.stopThreads();
 * ```
 */
export class ThreadPool {
  private readonly workers: WorkerLike[] = [];
  private readonly table: Map<string, number>;
  private readonly ctrl: number;
  private readonly slots: number;
  private stopped = false;
  private readonly local: Record<string, unknown>;

  /**
   * Starts `workers` threads on `memory` (shared) and waits until every one is ready.
   * `spin`: iterations a worker polls before sleeping in Atomics.wait (lower wake-up latency).
   */
  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    private readonly heap: Heap,
    exports: Record<string, unknown>,
    readonly size: number,
    spin = 20000,
  ) {
    const Worker = nodeWorker();
    if (!Worker) throw new UnsupportedOpError('threads need Node worker_threads in this version');
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new ArgumentError('the thread pool needs a shared memory');
    this.local = exports;
    this.table = new Map(exportTable(exports).map((n, i) => [n, i]));
    this.ctrl = heap.calloc(64);
    this.slots = heap.calloc(SLOT_BYTES * size);
    for (let w = 0; w < size; w++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctrl: this.ctrl, slot: this.slots + w * SLOT_BYTES, spin } });
      worker.unref();
      this.workers.push(worker);
    }
    const i32 = heap.i32;
    const c = this.ctrl >> 2;
    const deadline = Date.now() + 30_000;
    for (let ready = Atomics.load(i32, c + 2); ready < size; ready = Atomics.load(i32, c + 2)) {
      if (Date.now() > deadline) throw new UnsupportedOpError(`only ${ready} of ${size} worker threads started within 30 s`);
      Atomics.wait(i32, c + 2, ready, 100);
    }
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
    for (let v = Atomics.load(i32, c + 1), k = 0; v !== 0; v = Atomics.load(i32, c + 1), k++) {
      if (k > 20000) Atomics.wait(i32, c + 1, v, 50);
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
    for (const w of this.workers) void w.terminate();
    this.heap.release(this.ctrl);
    this.heap.release(this.slots);
  }
}
