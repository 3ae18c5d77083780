/**
 * Config layer: what the host's WebAssembly engine supports, detected once per process.
 * - `simd`: WebAssembly SIMD128 (every kernel needs it; without it every op falls back).
 * - `relaxedSimd`: relaxed SIMD validates (Node 20 needs `--experimental-wasm-relaxed-simd`); only
 *   reported for now: every kernel keeps the plain SIMD128 path.
 * - `threads`: shared wasm memory and SharedArrayBuffer (and, in browsers, cross-origin isolation).
 */

export interface HardwareConfig {
  readonly simd: boolean;
  readonly relaxedSimd: boolean;
  readonly threads: boolean;
  /** Logical processors the host reports (navigator.hardwareConcurrency or os.availableParallelism). */
  readonly cores: number;
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const V128_CONST_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];

/** (func (result v128) v128.const 0) */
const SIMD_PROBE = new Uint8Array([...MAGIC, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x16, 0x01, 0x14, 0x00, ...V128_CONST_ZERO, 0x0b]);

/** (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))) */
const RELAXED_PROBE = new Uint8Array([
  ...MAGIC, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x3d, 0x01, 0x3b, 0x00, ...V128_CONST_ZERO, ...V128_CONST_ZERO, ...V128_CONST_ZERO, 0xfd, 0x85, 0x02, 0x0b,
]);

/** (memory 1 1 shared) */
const THREADS_PROBE = new Uint8Array([...MAGIC, 0x05, 0x04, 0x01, 0x03, 0x01, 0x01]);

function validates(bytes: Uint8Array): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes as BufferSource);
  } catch {
    return false;
  }
}

function detectThreads(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || !validates(THREADS_PROBE)) return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return false;
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

function detectCores(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  return 1;
}

let cached: HardwareConfig | undefined;

/**
 * The detected configuration (computed on first call, then cached).
 *
 * @example
 * ```ts
 * import { hardwareConfig } from '@mo/kernels-neon-wasm';
 * console.log(hardwareConfig()); // { simd: true, relaxedSimd: false, threads: true, cores: 2 }
 * ```
 */
export function hardwareConfig(): HardwareConfig {
  if (!cached) {
    cached = Object.freeze({
      simd: validates(SIMD_PROBE),
      relaxedSimd: validates(RELAXED_PROBE),
      threads: detectThreads(),
      cores: detectCores(),
    });
  }
  return cached;
}

/** @internal Tests: forget the cached configuration. */
export function resetHardwareConfig(): void {
  cached = undefined;
}
