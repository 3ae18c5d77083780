/**
 * The compiled kernels module (compiled once per process, instantiated per runtime) and the
 * Runtime: one instance of it with its own memory and heap.
 */
import { UnsupportedOpError } from '@mo/ir';
import { hardwareConfig } from '../config.js';
import { KERNELS_WASM_BASE64, KERNELS_WASM_THREADS_BASE64 } from '../wasm/kernels-wasm.generated.js';
import { Heap } from './heap.js';
import { MAX_CHUNKS, ThreadPool, threadPoolStartsSync, threadPoolSupported, type Task } from './threads.js';

/** Chunks per thread in a parallel step: threads that start late or run slower take fewer. */
const CHUNKS_PER_THREAD = 4;

/** The exports of the kernels module: functions by name, plus the memory. */
export type KernelExports = Record<string, (...args: number[]) => number | void>;

function decodeBase64(b64: string): Uint8Array {
  if (typeof atob === 'function') {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  const B = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(b64, 'base64'));
  throw new UnsupportedOpError('no base64 decoder (atob or Buffer) in this environment');
}

const modulePromise: Partial<Record<'st' | 'mt', Promise<WebAssembly.Module>>> = {};
const moduleSync: Partial<Record<'st' | 'mt', WebAssembly.Module>> = {};

/** The wasm bytes of the kernels module (`threads`: the shared-memory build). */
export function kernelsWasmBytes(threads = false): Uint8Array {
  return decodeBase64(threads ? KERNELS_WASM_THREADS_BASE64 : KERNELS_WASM_BASE64);
}

function requireSimd(): void {
  if (!hardwareConfig().simd) throw new UnsupportedOpError('this WebAssembly engine has no SIMD128 support; use backend: "reference"');
}

/** Compiles the module asynchronously (works on browsers' main threads, where sync compilation of large modules is refused). */
export async function compileKernels(threads = false): Promise<WebAssembly.Module> {
  const k = threads ? 'mt' : 'st';
  const done = moduleSync[k];
  if (done) return done;
  requireSimd();
  modulePromise[k] ??= WebAssembly.compile(kernelsWasmBytes(threads) as BufferSource).then((m) => (moduleSync[k] = m));
  return modulePromise[k]!;
}

/** Compiles synchronously (Node, workers). */
export function compileKernelsSync(threads = false): WebAssembly.Module {
  const k = threads ? 'mt' : 'st';
  if (!moduleSync[k]) {
    requireSimd();
    moduleSync[k] = new WebAssembly.Module(kernelsWasmBytes(threads) as BufferSource);
  }
  return moduleSync[k]!;
}

/** Pages of the shared memory's maximum (1 GiB; the threads build declares the same). */
const SHARED_MAX_PAGES = 16384;

/**
 * One instance of the kernels module with its memory and heap (low-level: sessions create their
 * own).
 *
 * @example
 * ```ts
 * const rt = createRuntimeSync();
 * const p = rt.heap.alloc(16);
 * rt.heap.writeF32(p, [-1, 2, -3, 4]);
 * rt.fn('f32_vunary_simd128')(F32_VUNARY_OPS.clamp, 4, p, p, 0, Infinity); // Relu in place
 * console.log(rt.heap.readF32(p, 4)); // [0, 2, 0, 4]
 * ```
 */
export class Runtime {
  readonly heap: Heap;
  readonly exports: KernelExports;

  /** Worker threads sharing this runtime's memory (undefined: one thread). */
  pool: ThreadPool | undefined;

  /** `module` undefined: memory only (the reference backend on engines without SIMD128). */
  constructor(
    readonly module: WebAssembly.Module | undefined,
    readonly memory: WebAssembly.Memory = new WebAssembly.Memory({ initial: 16 }),
  ) {
    if (module) {
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      this.exports = instance.exports as unknown as KernelExports;
      this.heap = new Heap(memory, (this.exports.heap_base as () => number)());
    } else {
      this.exports = {};
      this.heap = new Heap(memory, 1024);
    }
  }

  /** Threads that run kernels (1 + workers). */
  get threads(): number {
    return this.pool ? this.pool.threads : 1;
  }

  /**
   * How many chunks to cut a parallel step into (1 without workers): a few per thread, claimed
   * dynamically, so that a thread the OS runs late does not hold the others up.
   */
  get parts(): number {
    return this.pool ? Math.min(MAX_CHUNKS, this.pool.threads * CHUNKS_PER_THREAD) : 1;
  }

  /**
   * A function running independent calls: on the pool when there is one and more than one task,
   * else one after the other here.
   */
  parallel(tasks: readonly Task[]): () => void {
    const pool = this.pool;
    if (pool && tasks.length > 1) return () => pool.run(tasks);
    const calls = tasks.map(([name, args]) => {
      const f = this.fn(name);
      return () => f(...args);
    });
    return calls.length === 1 ? calls[0] : () => { for (const c of calls) c(); };
  }

  /** Stops the worker threads, if any. */
  stopThreads(): void {
    this.pool?.terminate();
    this.pool = undefined;
  }

  /** The exported function `name` (throws UnsupportedOpError naming it when the module lacks it). */
  fn(name: string): (...args: number[]) => void {
    const f = this.exports[name];
    if (typeof f !== 'function') throw new UnsupportedOpError(`the kernels module has no export '${name}'`);
    return f as (...args: number[]) => void;
  }
}

/** Whether `threads` > 1 can be honoured here (SIMD, shared memory, Node worker_threads or Web Workers in a cross-origin-isolated page). */
export function threadsAvailable(): boolean {
  const c = hardwareConfig();
  return c.simd && c.threads && threadPoolSupported();
}

function sharedMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 16, maximum: SHARED_MAX_PAGES, shared: true } as WebAssembly.MemoryDescriptor);
}

/**
 * A runtime on a freshly compiled (or cached) module, synchronously; `threads` > 1 starts worker
 * threads when available and when this thread may block while they start (Node).
 */
export function createRuntimeSync(threads = 1): Runtime {
  if (threads > 1 && threadsAvailable() && threadPoolStartsSync()) {
    const module = compileKernelsSync(true);
    const rt = new Runtime(module, sharedMemory());
    rt.pool = new ThreadPool(module, rt.memory, rt.heap, rt.exports, threads - 1);
    return rt;
  }
  return new Runtime(compileKernelsSync());
}

/** A runtime, compiling the module asynchronously the first time; `threads` > 1 starts Node worker_threads or Web Workers when available. */
export async function createRuntime(threads = 1): Promise<Runtime> {
  if (threads > 1 && threadsAvailable()) {
    const module = await compileKernels(true);
    const rt = new Runtime(module, sharedMemory());
    rt.pool = await ThreadPool.start(module, rt.memory, rt.heap, rt.exports, threads - 1);
    return rt;
  }
  return new Runtime(await compileKernels());
}
