/**
 * qs8 GEMM operator: int8 weight packing for the qs8-gemm c8 microkernels and their dispatch over
 * an M x N x K problem (int8 A rows, int8 C rows). The input zero point is folded into the bias
 * once: sum_k (a_k - a_zp) w_k = sum_k a_k w_k - a_zp sum_k w_k.
 */
import { UnsupportedOpError, type RequantMode } from '@mo/ir';
import type { Runtime } from '../runtime/module.js';
import type { GemmVariant } from '../microkernels/types.js';
import { QS8_GEMM_VARIANTS } from '../microkernels/generated-variants.js';
import { selectGemmVariant } from '../microkernels/variants.js';
import { PARALLEL_MIN_MACS, splitRange } from './gemm.js';
import { QS8_PARAMS_BYTES, writeRequantBlocks, type QuantClamp } from './qs8-params.js';

/** Columns per panel of the qs8 GEMM microkernels. */
export const QS8_NR = 8;
/** MR of the default qs8 GEMM tile for large problems. */
export const QS8_DEFAULT_MR = 4;

/** Bytes of one packed panel of QS8_NR columns for K. */
export const qs8PanelBytes = (k: number): number => QS8_NR * 4 + Math.ceil(k / 8) * QS8_NR * 16 + (QS8_NR / 4) * QS8_PARAMS_BYTES;

/** A weight matrix for the qs8 GEMM: element (k, n) minus its zero point, in int8. */
export interface Qs8Weights {
  readonly k: number;
  readonly n: number;
  /** w(k, n) - w_zero_point(n); must lie in [-128, 127]. */
  at(k: number, n: number): number;
  /** int32 bias per column (0 when absent). */
  bias(n: number): number;
  /** Real requantization multiplier per column, computed as the reference does for `mode`. */
  readonly multipliers: ArrayLike<number>;
  readonly mode: RequantMode;
}

/** Packed weights in JS memory (uploaded by the caller). */
export function packQs8Gemm(w: Qs8Weights, aZero: number): Uint8Array {
  const { k, n } = w;
  const kb = Math.ceil(k / 8);
  const panels = Math.ceil(n / QS8_NR);
  const bytes = new Uint8Array(panels * qs8PanelBytes(k));
  const view = new DataView(bytes.buffer);
  let o = 0;
  for (let p = 0; p < panels; p++) {
    for (let j = 0; j < QS8_NR; j++) {
      const col = p * QS8_NR + j;
      let b = 0;
      if (col < n) {
        let sum = 0;
        for (let kk = 0; kk < k; kk++) sum += w.at(kk, col);
        b = (w.bias(col) - aZero * sum) | 0;
      }
      view.setInt32(o + j * 4, b, true);
    }
    o += QS8_NR * 4;
    // c2s4: per 8 k, 4 steps x NR/4 groups of 8 bytes; at step s, lane j of a group holds column
    // j's pair of k number (j + s) % 4 (A is rotated by one pair between steps)
    for (let q = 0; q < kb; q++) {
      for (let st = 0; st < 4; st++) {
        for (let g = 0; g < QS8_NR / 4; g++) {
          for (let j = 0; j < 4; j++) {
            const col = p * QS8_NR + g * 4 + j;
            for (let e = 0; e < 2; e++) {
              const kk = q * 8 + ((j + st) % 4) * 2 + e;
              const v = col < n && kk < k ? w.at(kk, col) : 0;
              if (v < -128 || v > 127) throw new UnsupportedOpError(`weight minus zero point ${v} at (${kk}, ${col}) does not fit int8`);
              view.setInt16(o + (j * 2 + e) * 2, v, true);
            }
          }
          o += 16;
        }
      }
    }
    writeRequantBlocks(view, o, w.mode, w.multipliers, p * QS8_NR, QS8_NR / 4);
    o += (QS8_NR / 4) * QS8_PARAMS_BYTES;
  }
  return bytes;
}

/** Uploads packed bytes into a new heap block; returns its offset. */
export function uploadBytes(rt: Runtime, bytes: Uint8Array): number {
  const ptr = rt.heap.alloc(bytes.length);
  rt.heap.u8.set(bytes, ptr);
  return ptr;
}

export interface Qs8GemmProblem {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** A: m rows of k int8, `lda` bytes apart. */
  readonly a: number;
  readonly lda: number;
  /** packQs8Gemm output in wasm memory. */
  readonly w: number;
  /** C: m rows of n int8, `ldc` bytes apart. */
  readonly c: number;
  readonly ldc: number;
  /** Requantization code (requantCode of the packed weights' mode and multipliers). */
  readonly code: number;
  readonly zp: number;
  readonly clamp: QuantClamp;
}

/** The qs8 GEMM variant for m rows. */
export function selectQs8GemmVariant(m: number): GemmVariant {
  return selectGemmVariant(QS8_GEMM_VARIANTS, m, QS8_DEFAULT_MR);
}

/**
 * A bound qs8 GEMM call. With worker threads and enough work, rows (or, for few rows, panels) are
 * split between the threads; every output is computed by the same microkernel whatever the split.
 */
export function bindQs8Gemm(rt: Runtime, p: Qs8GemmProblem, variant: GemmVariant = selectQs8GemmVariant(p.m)): () => void {
  const { m, n, k, a, lda, w, c, ldc, zp } = p;
  if (m === 0 || n === 0) return () => {};
  const mode = p.code;
  const { qmin, qmax } = p.clamp;
  const threads = m * n * k >= PARALLEL_MIN_MACS ? rt.threads : 1;
  if (threads === 1) {
    const f = rt.fn(variant.tiles);
    return () => f(m, n, k, a, lda, w, c, ldc, mode, zp, qmin, qmax);
  }
  const rows = splitRange(m, threads, variant.mr);
  if (rows.length === threads || rows.length >= Math.ceil(n / QS8_NR)) {
    return rt.parallel(rows.map(([r0, r1]) => [variant.tiles, [r1 - r0, n, k, a + r0 * lda, lda, w, c + r0 * ldc, ldc, mode, zp, qmin, qmax]]));
  }
  const cols = splitRange(n, threads, QS8_NR);
  return rt.parallel(cols.map(([c0, c1]) => [variant.tiles, [m, c1 - c0, k, a, lda, w + (c0 / QS8_NR) * qs8PanelBytes(k), c + c0, ldc, mode, zp, qmin, qmax]]));
}
