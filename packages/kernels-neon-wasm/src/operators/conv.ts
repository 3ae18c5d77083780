/**
 * 2-d convolution over NHWC data (1-d as height 1):
 * - depthwise (group == C == M): f32-dwconv microkernels over an indirection buffer (one pointer
 *   per output pixel and tap), specialised for 3x3 and 5x5 windows, any stride/dilation/padding;
 * - 1x1, stride 1, no padding, one group: f32-gemm directly on the input rows;
 * - everything else (any window, groups): f32-igemm over an indirection buffer (MR output pixels x
 *   taps pointers), padding taps reading a zero buffer.
 * Weights are packed once per session (`packConv`), indirection buffers once per plan (`bindConv`).
 */
import type { Runtime } from '../runtime/module.js';
import type { DwconvVariant, GemmVariant } from '../microkernels/types.js';
import { F32_GEMM_VARIANTS, F32_IGEMM_VARIANTS, selectDwconvVariant, selectGemmVariant } from '../microkernels/variants.js';
import type { ActivationPlan } from './activation.js';
import { applyPost } from './activation.js';
import { NR, PARALLEL_MIN_MACS, bindGemm, packedGemmBytes, splitRange } from './gemm.js';
import { tapPixel, type Window2d } from './geometry.js';

export interface PackedConv {
  readonly kind: 'igemm' | 'dwconv';
  /** Output channels M, input channels per group Cg, output channels per group Mg. */
  readonly m: number;
  readonly cg: number;
  readonly mg: number;
  readonly group: number;
  readonly kh: number;
  readonly kw: number;
  /** Packed weights per group (igemm) or one block (dwconv). */
  readonly weights: readonly number[];
  readonly dw?: DwconvVariant;
  /** Release the packed weights. */
  release(): void;
}

/**
 * Packs Conv weights W [M, C/group, kh, kw] (1-d: [M, C/group, kw]) and bias [M]; `scale` (one
 * factor per output channel, float64) multiplies W while packing, rounded to float32 once: a
 * BatchNormalization folded without a copy of the weights.
 */
export function packConv(rt: Runtime, w: Float32Array, wShape: readonly number[], bias: ArrayLike<number> | undefined, group: number, channels: number, forceDw?: DwconvVariant, scale?: ArrayLike<number>): PackedConv {
  const heap = rt.heap;
  const m = wShape[0];
  const cg = wShape[1];
  const kh = wShape.length === 4 ? wShape[2] : 1;
  const kw = wShape[wShape.length - 1];
  const ks = kh * kw;
  const mg = m / group;
  const release = (ptrs: number[]) => () => ptrs.forEach((p) => heap.release(p));
  if (group === channels && m === channels && cg === 1) {
    const dw = forceDw ?? selectDwconvVariant(ks, channels);
    const ch = dw.channels;
    const blocks = Math.ceil(m / ch);
    // packed straight into wasm memory (no JavaScript staging copy left to the allocator)
    const ptr = heap.calloc(blocks * (ks + 1) * ch * 4);
    const packed = heap.f32;
    const at = ptr >> 2;
    for (let b = 0; b < blocks; b++) {
      const base = at + b * (ks + 1) * ch;
      for (let j = 0; j < ch; j++) {
        const c = b * ch + j;
        if (c >= m) continue;
        packed[base + j] = bias ? bias[c] : 0;
        const f = scale ? scale[c] : 1;
        for (let t = 0; t < ks; t++) packed[base + (t + 1) * ch + j] = scale ? w[c * ks + t] * f : w[c * ks + t];
      }
    }
    return { kind: 'dwconv', m, cg, mg, group, kh, kw, weights: [ptr], dw, release: release([ptr]) };
  }
  const k = ks * cg;
  const ptrs: number[] = [];
  const panels = Math.ceil(mg / NR);
  for (let g = 0; g < group; g++) {
    const ptr = heap.alloc(packedGemmBytes(k, mg));
    const packed = heap.f32;
    let o = ptr >> 2;
    for (let p = 0; p < panels; p++) {
      for (let j = 0; j < NR; j++) {
        const n = p * NR + j;
        packed[o++] = n < mg && bias ? bias[g * mg + n] : 0;
      }
      // K order: tap-major, then channel: k = t * cg + c (what the indirection buffer feeds)
      for (let t = 0; t < ks; t++) {
        for (let c = 0; c < cg; c++) {
          for (let j = 0; j < NR; j++) {
            const n = p * NR + j;
            const v = n < mg ? w[((g * mg + n) * cg + c) * ks + t] : 0;
            packed[o++] = scale && n < mg ? v * scale[g * mg + n] : v;
          }
        }
      }
    }
    ptrs.push(ptr);
  }
  return { kind: 'igemm', m, cg, mg, group, kh, kw, weights: ptrs, release: release(ptrs) };
}

/** Whether the convolution is a plain GEMM on the input rows (1x1, stride 1, no padding, one group). */
export function isPointwise(pc: PackedConv, g: Window2d): boolean {
  return pc.kind === 'igemm' && pc.kh * pc.kw === 1 && pc.group === 1 && g.sh === 1 && g.sw === 1 && g.padTop === 0 && g.padLeft === 0 && g.oh === g.ih && g.ow === g.iw;
}

/** The microkernel `bindConv` will run. */
export function convUkernel(pc: PackedConv, g: Window2d): string {
  const pixels = g.n * g.oh * g.ow;
  if (pc.kind === 'dwconv') return pc.dw!.name;
  return selectGemmVariant(isPointwise(pc, g) ? F32_GEMM_VARIANTS : F32_IGEMM_VARIANTS, pixels).name;
}

export interface ConvBinding {
  readonly run: () => void;
  /** Which microkernel runs. */
  readonly ukernel: string;
}

/**
 * Binds a packed convolution to an input (NHWC, `channels` floats per pixel) and output (NHWC, M
 * per pixel) in wasm memory. `alloc` provides plan-lifetime memory (indirection, zero buffer).
 */
export function bindConv(rt: Runtime, pc: PackedConv, g: Window2d, channels: number, x: number, y: number, act: ActivationPlan, alloc: (bytes: number) => number, force?: GemmVariant): ConvBinding {
  const heap = rt.heap;
  const pixels = g.n * g.oh * g.ow;
  const ks = g.kh * g.kw;
  const total = pixels * pc.m;
  const post = () => applyPost(rt, act, y, total);
  if (pixels === 0) return { run: () => {}, ukernel: 'none' };

  if (pc.kind === 'dwconv') {
    const dw = pc.dw!;
    const zero = alloc((channels + 16) * 4);
    heap.f32.fill(0, zero >> 2, (zero >> 2) + channels + 16);
    const ind = alloc(pixels * ks * 4);
    const i32 = heap.i32;
    let o = ind >> 2;
    for (let n = 0; n < g.n; n++) {
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          for (let ky = 0; ky < g.kh; ky++) {
            for (let kx = 0; kx < g.kw; kx++) {
              const t = tapPixel(g, oy, ox, ky, kx);
              i32[o++] = t >= 0 ? x + (n * g.ih * g.iw + t) * channels * 4 : zero;
            }
          }
        }
      }
    }
    const w = pc.weights[0];
    const parts = pixels * channels * ks >= PARALLEL_MIN_MACS / 4 ? rt.parts : 1;
    const run = rt.parallel(splitRange(pixels, parts, 1).map(([p0, p1]) => {
      const i0 = ind + p0 * ks * 4;
      const y0 = y + p0 * channels * 4;
      const args = dw.taps ? [channels, p1 - p0, i0, w, y0, ks * 4, 0, act.min, act.max] : [channels, p1 - p0, ks, i0, w, y0, ks * 4, 0, act.min, act.max];
      return [dw.symbol, args] as const;
    }));
    return { run: act.post ? () => (run(), post()) : run, ukernel: dw.name };
  }

  // 1x1, stride 1, no padding, one group: the input rows are the A matrix.
  if (isPointwise(pc, g) && (!force || force.name.startsWith('f32-gemm-'))) {
    const v: GemmVariant = force ?? selectGemmVariant(F32_GEMM_VARIANTS, pixels);
    const run = bindGemm(rt, { m: pixels, n: pc.m, k: channels, a: x, lda: channels, w: pc.weights[0], c: y, ldc: pc.m, min: act.min, max: act.max }, v);
    return { run: act.post ? () => (run(), post()) : run, ukernel: v.name };
  }

  const v: GemmVariant = force ?? selectGemmVariant(F32_IGEMM_VARIANTS, pixels);
  const mr = v.mr;
  const blocks = Math.ceil(pixels / mr);
  const zero = alloc((channels + 16) * 4);
  heap.f32.fill(0, zero >> 2, (zero >> 2) + channels + 16);
  const ind = alloc(blocks * ks * mr * 4);
  // pointer of every (block row, tap), written straight into the plan's buffer (no JavaScript
  // staging array); rows past the last pixel repeat it
  const i32 = heap.i32;
  let o = ind >> 2;
  const perImage = g.oh * g.ow;
  for (let b = 0; b < blocks; b++) {
    for (let t = 0; t < ks; t++) {
      const ky = Math.floor(t / g.kw);
      const kx = t - ky * g.kw;
      for (let i = 0; i < mr; i++) {
        const p = Math.min(b * mr + i, pixels - 1);
        const n = Math.floor(p / perImage);
        const oy = Math.floor((p - n * perImage) / g.ow);
        const ox = p - n * perImage - oy * g.ow;
        const t = tapPixel(g, oy, ox, ky, kx);
        i32[o++] = t >= 0 ? x + (n * g.ih * g.iw + t) * channels * 4 : zero;
      }
    }
  }
  const kc = pc.cg * 4;
  const ranges = splitRange(pixels, pixels * pc.m * pc.cg * ks >= PARALLEL_MIN_MACS ? rt.parts : 1, mr);
  const calls = pc.weights.map((w, gi) =>
    rt.parallel(ranges.map(([p0, p1]) => [v.tiles, [p1 - p0, pc.mg, kc, ks, ind + (p0 / mr) * ks * mr * 4, w, y + p0 * pc.m * 4 + gi * pc.mg * 4, pc.m * 4, gi * pc.cg * 4, zero, act.min, act.max]] as const)),
  );
  const run = calls.length === 1 ? calls[0] : () => { for (const c of calls) c(); };
  return { run: act.post ? () => (run(), post()) : run, ukernel: v.name };
}
