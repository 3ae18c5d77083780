/**
 * Pooling over NHWC data through indirection buffers (max and average), and global pooling
 * (NHWC: per-channel column sums; NCHW: row sums).
 */
import type { Runtime } from '../runtime/module.js';
import { tapOf, type Window2d } from './geometry.js';

export interface PoolBinding {
  readonly run: () => void;
  readonly ukernel: string;
}

/** MaxPool: padding taps repeat the first valid tap of their window. Returns undefined when a window has no valid tap. */
export function bindMaxPool(rt: Runtime, g: Window2d, channels: number, x: number, y: number, alloc: (bytes: number) => number): PoolBinding | undefined {
  const pixels = g.n * g.oh * g.ow;
  const ks = g.kh * g.kw;
  const ind = alloc(Math.max(1, pixels * ks) * 4);
  const i32 = rt.heap.i32;
  let o = ind >> 2;
  const taps = new Int32Array(ks);
  for (let n = 0; n < g.n; n++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let first = -1;
        for (let t = 0; t < ks; t++) {
          const tp = tapOf(g, oy, ox, Math.floor(t / g.kw), t % g.kw);
          taps[t] = tp.kind === 'in' ? x + ((n * g.ih + tp.iy) * g.iw + tp.ix) * channels * 4 : -1;
          if (taps[t] >= 0 && first < 0) first = taps[t];
        }
        if (first < 0) return undefined;
        for (let t = 0; t < ks; t++) i32[o++] = taps[t] >= 0 ? taps[t] : first;
      }
    }
  }
  const f = rt.fn('f32_maxpool_simd128_4c');
  return { run: () => f(channels, pixels, ks, ind, 0, y, 0), ukernel: 'f32-maxpool-simd128-4c' };
}

/** AveragePool: padding taps read zeros; the divisor counts padding taps with count_include_pad (never taps beyond the padding). */
export function bindAvgPool(rt: Runtime, g: Window2d, channels: number, countIncludePad: boolean, x: number, y: number, alloc: (bytes: number) => number): PoolBinding {
  const pixels = g.n * g.oh * g.ow;
  const ks = g.kh * g.kw;
  const heap = rt.heap;
  const zero = alloc((channels + 16) * 4);
  heap.f32.fill(0, zero >> 2, (zero >> 2) + channels + 16);
  const ind = alloc(Math.max(1, pixels * ks) * 4);
  const mult = alloc(Math.max(1, pixels) * 4);
  const i32 = heap.i32;
  const f32 = heap.f32;
  let o = ind >> 2;
  let pi = 0;
  for (let n = 0; n < g.n; n++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let count = 0;
        for (let t = 0; t < ks; t++) {
          const tp = tapOf(g, oy, ox, Math.floor(t / g.kw), t % g.kw);
          if (tp.kind === 'in') {
            i32[o++] = x + ((n * g.ih + tp.iy) * g.iw + tp.ix) * channels * 4;
            count++;
          } else {
            i32[o++] = zero;
            if (tp.kind === 'pad' && countIncludePad) count++;
          }
        }
        f32[(mult >> 2) + pi++] = count ? 1 / count : NaN;
      }
    }
  }
  const f = rt.fn('f32_avgpool_simd128_4c');
  return { run: () => f(channels, pixels, ks, ind, 0, zero, mult, y, 0, -Infinity, Infinity), ukernel: 'f32-avgpool-simd128-4c' };
}

/** Global average pooling: NHWC (`channelsLast`) sums columns, NCHW sums rows. */
export function bindGlobalAvgPool(rt: Runtime, n: number, channels: number, pixels: number, channelsLast: boolean, x: number, y: number): PoolBinding {
  const scale = 1 / pixels;
  if (channelsLast) {
    const f = rt.fn('f32_gavgpool_simd128_nhwc');
    return { run: () => f(n, pixels, channels, x, y, scale), ukernel: 'f32-gavgpool-simd128-nhwc4c' };
  }
  const f = rt.fn('f32_rsum_simd128');
  return { run: () => f(n * channels, pixels, x, y, scale), ukernel: 'f32-gavgpool-simd128-nchw8x' };
}
