/**
 * qs8 2-d convolution over NHWC int8 data (1-d as height 1), the integer twin of conv.ts:
 * - depthwise (group == C == M): qs8-dwconv microkernels over an indirection buffer;
 * - 1x1, stride 1, no padding, one group: qs8-gemm directly on the input rows;
 * - everything else: im2col into the step's workspace (taps x channels per pixel, padding read
 *   from a buffer filled with the input zero point), then qs8-gemm per group.
 * The input zero point is folded into the int32 bias at packing; padding taps hold the zero point,
 * so they contribute nothing, as in the reference.
 */
import { UnsupportedOpError, type RequantMode } from '@mo/ir';
import type { Runtime } from '../runtime/module.js';
import type { DwconvVariant } from '../microkernels/types.js';
import { QS8_DWCONV_VARIANTS } from '../microkernels/generated-variants.js';
import { PARALLEL_MIN_MACS, splitRange } from './gemm.js';
import { tapOf, type Window2d } from './geometry.js';
import { QS8_PARAMS_BYTES, requantCode, writeRequantBlocks, type QuantClamp } from './qs8-params.js';
import { bindQs8Gemm, packQs8Gemm, selectQs8GemmVariant, uploadBytes } from './qs8-gemm.js';

/** What packQs8Conv needs of a QLinearConv. */
export interface Qs8ConvWeights {
  /** W [M, C/group, kh, kw] (1-d: [M, C/group, kw]) as numbers, and its shape. */
  readonly w: ArrayLike<number>;
  readonly shape: readonly number[];
  /** Weight zero point per output channel. */
  readonly wZero: ArrayLike<number>;
  readonly bias?: ArrayLike<number>;
  readonly multipliers: ArrayLike<number>;
  readonly mode: RequantMode;
  readonly group: number;
  /** Input channels C and zero point. */
  readonly channels: number;
  readonly xZero: number;
}

export interface PackedQs8Conv {
  readonly kind: 'gemm' | 'dwconv';
  readonly m: number;
  readonly cg: number;
  readonly mg: number;
  readonly group: number;
  readonly kh: number;
  readonly kw: number;
  readonly xZero: number;
  /** Requantization code of the microkernels (requantCode). */
  readonly code: number;
  /** Packed weights per group (gemm) or one block (dwconv). */
  readonly weights: readonly number[];
  readonly dw?: DwconvVariant;
  release(): void;
}

/** The qs8 depthwise variant for `taps`. */
export function selectQs8DwconvVariant(taps: number): DwconvVariant {
  return QS8_DWCONV_VARIANTS.find((k) => k.taps === taps) ?? QS8_DWCONV_VARIANTS.find((k) => k.taps === 0)!;
}

/** Packs a QLinearConv's weights (throws UnsupportedOpError when a weight minus its zero point leaves int8). */
export function packQs8Conv(rt: Runtime, p: Qs8ConvWeights, forceDw?: DwconvVariant): PackedQs8Conv {
  const { w, shape, group, channels, xZero, mode } = p;
  const m = shape[0];
  const cg = shape[1];
  const kh = shape.length === 4 ? shape[2] : 1;
  const kw = shape[shape.length - 1];
  const ks = kh * kw;
  const mg = m / group;
  const wAt = (oc: number, c: number, t: number) => w[(oc * cg + c) * ks + t] - p.wZero[oc];
  const biasAt = (oc: number) => (p.bias ? p.bias[oc] : 0);
  if (group === channels && m === channels && cg === 1) {
    const dw = forceDw ?? selectQs8DwconvVariant(ks);
    const blocks = Math.ceil(m / 8);
    const blockBytes = 32 + ks * 16 + 2 * QS8_PARAMS_BYTES;
    const bytes = new Uint8Array(blocks * blockBytes);
    const view = new DataView(bytes.buffer);
    for (let b = 0; b < blocks; b++) {
      const o = b * blockBytes;
      for (let j = 0; j < 8; j++) {
        const c = b * 8 + j;
        if (c >= m) continue;
        let sum = 0;
        for (let t = 0; t < ks; t++) {
          const v = wAt(c, 0, t);
          sum += v;
          // taps in pairs (t even, t + 1) interleaved per channel: [c0 t, c0 t+1, c1 t, ...] for
          // channels 0-3, then 4-7; an odd last tap alone
          const paired = t < ks - (ks & 1);
          const at = paired ? 32 + (t >> 1) * 32 + (j >> 2) * 16 + ((j & 3) * 2 + (t & 1)) * 2 : 32 + t * 16 + j * 2;
          view.setInt16(o + at, v, true);
        }
        view.setInt32(o + j * 4, (biasAt(c) - xZero * sum) | 0, true);
      }
      writeRequantBlocks(view, o + 32 + ks * 16, mode, p.multipliers, b * 8, 2);
    }
    const ptr = uploadBytes(rt, bytes);
    return { kind: 'dwconv', m, cg, mg, group, kh, kw, xZero, code: requantCode(mode, p.multipliers), weights: [ptr], dw, release: () => rt.heap.release(ptr) };
  }
  const ptrs: number[] = [];
  for (let g = 0; g < group; g++) {
    const mult = Array.from({ length: mg }, (_, n) => p.multipliers[g * mg + n]);
    // K order: tap-major, then channel (what im2col writes): k = t * cg + c
    const bytes = packQs8Gemm({ k: ks * cg, n: mg, at: (k, n) => wAt(g * mg + n, k % cg, Math.floor(k / cg)), bias: (n) => biasAt(g * mg + n), multipliers: mult, mode }, xZero);
    ptrs.push(uploadBytes(rt, bytes));
  }
  return { kind: 'gemm', m, cg, mg, group, kh, kw, xZero, code: requantCode(mode, p.multipliers), weights: ptrs, release: () => ptrs.forEach((q) => rt.heap.release(q)) };
}

/** Whether the convolution is a plain GEMM on the input rows (1x1, stride 1, no padding, one group). */
export function isQs8Pointwise(pc: PackedQs8Conv, g: Window2d): boolean {
  return pc.kind === 'gemm' && pc.kh * pc.kw === 1 && pc.group === 1 && g.sh === 1 && g.sw === 1 && g.padTop === 0 && g.padLeft === 0 && g.oh === g.ih && g.ow === g.iw;
}

/** Workspace bytes of a binding (the im2col matrix). */
export function qs8ConvWorkspace(pc: PackedQs8Conv, g: Window2d): number {
  if (pc.kind === 'dwconv' || isQs8Pointwise(pc, g)) return 0;
  return g.n * g.oh * g.ow * pc.kh * pc.kw * pc.cg + 16;
}

/** The microkernel bindQs8Conv runs. */
export function qs8ConvUkernel(pc: PackedQs8Conv, g: Window2d): string {
  if (pc.kind === 'dwconv') return pc.dw!.name;
  const v = selectQs8GemmVariant(g.n * g.oh * g.ow).name;
  return isQs8Pointwise(pc, g) ? v : `x8-im2col-scalar-8b + ${v}`;
}

/**
 * Binds a packed convolution to an NHWC int8 input (`channels` per pixel) and output (M per pixel).
 * `workspace` holds qs8ConvWorkspace bytes; `alloc` gives plan-lifetime memory.
 */
export function bindQs8Conv(rt: Runtime, pc: PackedQs8Conv, g: Window2d, channels: number, x: number, y: number, yZero: number, clamp: QuantClamp, workspace: number, alloc: (bytes: number) => number): () => void {
  const heap = rt.heap;
  const pixels = g.n * g.oh * g.ow;
  const ks = g.kh * g.kw;
  if (pixels === 0) return () => {};
  const pixel = (n: number, iy: number, ix: number) => x + ((n * g.ih + iy) * g.iw + ix) * channels;
  const zeroBuffer = () => {
    const zero = alloc(channels + 16);
    heap.u8.fill(pc.xZero & 0xff, zero, zero + channels + 16);
    return zero;
  };
  const indirection = (zero: number) => {
    const ind = alloc(pixels * ks * 4);
    const i32 = heap.i32;
    let o = ind >> 2;
    for (let n = 0; n < g.n; n++) {
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          for (let ky = 0; ky < g.kh; ky++) {
            for (let kx = 0; kx < g.kw; kx++) {
              const t = tapOf(g, oy, ox, ky, kx);
              if (t.kind === 'outside') throw new UnsupportedOpError('convolution taps beyond the padding');
              i32[o++] = t.kind === 'in' ? pixel(n, t.iy, t.ix) : zero;
            }
          }
        }
      }
    }
    return ind;
  };
  const mode = pc.code;

  if (pc.kind === 'dwconv') {
    const dw = pc.dw!;
    const ind = indirection(zeroBuffer());
    const w = pc.weights[0];
    const threads = pixels * channels * ks >= PARALLEL_MIN_MACS / 4 ? rt.threads : 1;
    return rt.parallel(splitRange(pixels, threads, 1).map(([p0, p1]) => {
      const i0 = ind + p0 * ks * 4;
      const y0 = y + p0 * channels;
      const args = dw.taps ? [channels, p1 - p0, i0, w, y0, ks * 4, 0, mode, yZero, clamp.qmin, clamp.qmax] : [channels, p1 - p0, ks, i0, w, y0, ks * 4, 0, mode, yZero, clamp.qmin, clamp.qmax];
      return [dw.symbol, args] as const;
    }));
  }

  if (isQs8Pointwise(pc, g)) {
    return bindQs8Gemm(rt, { m: pixels, n: pc.m, k: channels, a: x, lda: channels, w: pc.weights[0], c: y, ldc: pc.m, code: pc.code, zp: yZero, clamp });
  }

  const zero = zeroBuffer();
  const ind = indirection(zero);
  const k = ks * pc.cg;
  const im2col = rt.fn('x8_im2col');
  const gemms = pc.weights.map((w, gi) => {
    const run = bindQs8Gemm(rt, { m: pixels, n: pc.mg, k, a: workspace, lda: k, w, c: y + gi * pc.mg, ldc: pc.m, code: pc.code, zp: yZero, clamp });
    return () => {
      im2col(pixels, ks, pc.cg, ind, gi * pc.cg, zero, workspace);
      run();
    };
  });
  return gemms.length === 1 ? gemms[0] : () => { for (const f of gemms) f(); };
}
