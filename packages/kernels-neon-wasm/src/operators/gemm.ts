/**
 * GEMM operator: weight packing (panels of NR = 8 columns, bias first) and the dispatch of the
 * f32-gemm microkernels over an M x N x K problem.
 */
import type { Runtime } from '../runtime/module.js';
import type { GemmVariant } from '../microkernels/types.js';
import { F32_GEMM_VARIANTS, selectGemmVariant } from '../microkernels/variants.js';

export const NR = 8;

/** Bytes of packed weights for a K x N matrix. */
export function packedGemmBytes(k: number, n: number): number {
  return Math.ceil(n / NR) * (NR + k * NR) * 4;
}

/**
 * @example
 * ```ts
 * const rt = createRuntimeSync();
 * const w = packGemmWeights(rt, b, K, N, N, 1); // B row-major [K, N]
 * bindGemm(rt, { m: M, n: N, k: K, a, lda: K, w, c, ldc: N, min: -Infinity, max: Infinity })();
 * ```
 *
 * Packs B (element (k, n) at `b[k * ldk + n * ldn]`) and an optional bias into a new heap block:
 * panels of 8 columns, each [8 bias][K x 8], columns past N zero (the layout of
 * `x32_packw_gemm_8`). Written straight into wasm memory: no staging copy of B in the heap or in
 * JavaScript, so packing leaves nothing resident beyond the packed block. `scale` multiplies B
 * (Gemm's alpha). Returns the block's offset.
 */
export function packGemmWeights(rt: Runtime, b: Float32Array, k: number, n: number, ldk: number, ldn: number, bias?: ArrayLike<number>, scale = 1): number {
  const heap = rt.heap;
  const out = heap.alloc(packedGemmBytes(k, n));
  const f32 = heap.f32;
  let o = out >> 2;
  for (let n0 = 0; n0 < n; n0 += NR) {
    const cols = Math.min(NR, n - n0);
    for (let j = 0; j < NR; j++) f32[o + j] = bias && j < cols ? bias[n0 + j] : 0;
    o += NR;
    for (let kk = 0; kk < k; kk++) {
      const row = kk * ldk + n0 * ldn;
      for (let j = 0; j < NR; j++) f32[o + j] = j < cols ? (scale === 1 ? b[row + j * ldn] : b[row + j * ldn] * scale) : 0;
      o += NR;
    }
  }
  return out;
}

/** Packs at run time (B already in wasm memory) into `out` (packedGemmBytes(k, n) bytes). */
export function packGemmWeightsInto(rt: Runtime, bPtr: number, k: number, n: number, ldk: number, ldn: number, biasPtr: number, out: number): void {
  rt.fn('x32_packw_gemm_8')(k, n, bPtr, ldk, ldn, biasPtr, out);
}

export interface GemmProblem {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** A: m rows of k floats, `lda` floats apart. */
  readonly a: number;
  readonly lda: number;
  /** Packed weights (packGemmWeights). */
  readonly w: number;
  /** C: m rows of n floats, `ldc` floats apart. */
  readonly c: number;
  readonly ldc: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Runs C = clamp(A * W + bias) with `variant` (default: selectGemmVariant for m).
 *
 * @example
 * ```ts
 * gemm(rt, { m: 4, n: 8, k: 16, a, lda: 16, w, c, ldc: 8, min: 0, max: Infinity }); // fused Relu
 * ```
 */
export function gemm(rt: Runtime, p: GemmProblem, variant: GemmVariant = selectGemmVariant(F32_GEMM_VARIANTS, p.m)): void {
  if (p.m === 0 || p.n === 0) return;
  rt.fn(variant.tiles)(p.m, p.n, p.k, p.a, p.lda * 4, p.w, p.c, p.ldc * 4, p.min, p.max);
}

/** Multiply-accumulates below which a problem runs on one thread (waking workers costs more). */
export const PARALLEL_MIN_MACS = 1 << 20;

/** Splits [0, total) into at most `parts` ranges whose starts are multiples of `unit`. */
export function splitRange(total: number, parts: number, unit: number): [number, number][] {
  const units = Math.ceil(total / unit);
  const n = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const b = Math.floor((units * i) / n) * unit;
    const e = Math.min(total, Math.floor((units * (i + 1)) / n) * unit);
    if (e > b) out.push([b, e]);
  }
  return out;
}

/**
 * A bound GEMM call: the exported function and its arguments resolved once. With worker threads
 * and enough work, rows (or, for few rows, 8-column panels) are split between the threads; every
 * output element is still computed by the same microkernel, so results do not depend on the
 * number of threads.
 */
export function bindGemm(rt: Runtime, p: GemmProblem, variant: GemmVariant = selectGemmVariant(F32_GEMM_VARIANTS, p.m)): () => void {
  const { m, n, k, a, lda, w, c, ldc, min, max } = p;
  if (m === 0 || n === 0) return () => {};
  const parts = m * n * k >= PARALLEL_MIN_MACS ? rt.parts : 1;
  if (parts === 1) {
    const f = rt.fn(variant.tiles);
    return () => f(m, n, k, a, lda * 4, w, c, ldc * 4, min, max);
  }
  const rows = splitRange(m, parts, variant.mr);
  if (rows.length >= rt.threads * 2 || rows.length >= Math.ceil(n / NR)) {
    return rt.parallel(rows.map(([r0, r1]) => [variant.tiles, [r1 - r0, n, k, a + r0 * lda * 4, lda * 4, w, c + r0 * ldc * 4, ldc * 4, min, max]]));
  }
  const panelBytes = (NR + k * NR) * 4;
  const cols = splitRange(n, parts, NR);
  return rt.parallel(cols.map(([c0, c1]) => [variant.tiles, [m, c1 - c0, k, a, lda * 4, w + (c0 / NR) * panelBytes, c + c0 * 4, ldc * 4, min, max]]));
}
