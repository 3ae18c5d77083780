/**
 * Gradient of Conv (groups/depthwise, strides, pads/auto_pad, dilations, NCHW or NHWC, up to 3
 * spatial dims). For every (batch, output channel, group-local input channel, kernel tap) the
 * rule walks the output positions whose tap lands inside the input (ranges computed once per
 * axis and tap, so the inner loops need no bounds checks), accumulating dW += dY * X and
 * dX += dY * W in float64. (An im2col formulation measured no faster in plain JS.) A fused
 * activation is differentiated by the engine.
 */
import type { Tensor } from '@mo/ir';
import { floats, trainDType } from '../autodiff/array.js';
import { fromF64 } from '../autodiff/ops.js';
import { defineGradient, type GradientRule } from '../autodiff/registry.js';
import { asNchw, fromNchw, validRange, windowOf } from './window.js';

const conv = defineGradient({
  op: 'Conv',
  doc: 'dX (transposed convolution of dY with W), dW (correlation of X with dY) and dB (sum of dY), per group.',
  grad(ctx) {
    const [x0, w, b] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
    const x = asNchw(ctx, x0);
    const g = asNchw(ctx, ctx.gradOutputs[0]!);
    const N = x.shape[0];
    const C = x.shape[1];
    const M = w.shape[0];
    const G = ctx.attrs.group as number;
    const cg = C / G;
    const mg = M / G;
    const win = windowOf(ctx, x.shape.slice(2), g.shape.slice(2), w.shape.slice(2));
    const [D, H, W] = win.inSize;
    const [OD, OH, OW] = win.outSize;
    const [KD, KH, KW] = win.kernel;
    const [sd, sh, sw] = win.strides;
    const [dd, dh, dw] = win.dilations;
    const [pd, ph, pw] = win.padBegin;
    const inSize = D * H * W;
    const outSize = OD * OH * OW;
    const kSize = KD * KH * KW;
    const xd = floats(x);
    const wd = floats(w);
    const gd = floats(g);
    const dtype = trainDType(g);
    const needX = ctx.needsGrad(0);
    const needW = ctx.needsGrad(1);
    const dX = new Float64Array(needX ? x.size : 0);
    const dW = new Float64Array(needW ? w.size : 0);
    // Valid output ranges per axis and kernel tap (independent of batch and channels).
    const rd = Array.from({ length: KD }, (_, k) => validRange(win, 0, k));
    const rh = Array.from({ length: KH }, (_, k) => validRange(win, 1, k));
    const rw = Array.from({ length: KW }, (_, k) => validRange(win, 2, k));
    if (needX || needW) {
      for (let n = 0; n < N; n++) {
        for (let m = 0; m < M; m++) {
          const yBase = (n * M + m) * outSize;
          const g0 = Math.floor(m / mg) * cg;
          for (let c = 0; c < cg; c++) {
            const xBase = (n * C + g0 + c) * inSize;
            const wBase = (m * cg + c) * kSize;
            for (let kd = 0; kd < KD; kd++) {
              const [d0, d1] = rd[kd];
              for (let kh = 0; kh < KH; kh++) {
                const [h0, h1] = rh[kh];
                for (let kw = 0; kw < KW; kw++) {
                  const [w0, w1] = rw[kw];
                  const t = wBase + (kd * KH + kh) * KW + kw;
                  const wv = wd[t];
                  let acc = 0;
                  for (let od = d0; od <= d1; od++) {
                    const id = od * sd - pd + kd * dd;
                    for (let oh = h0; oh <= h1; oh++) {
                      const ih = oh * sh - ph + kh * dh;
                      const yRow = yBase + (od * OH + oh) * OW;
                      const xRow = xBase + (id * H + ih) * W - pw + kw * dw;
                      if (needW) {
                        for (let ow = w0; ow <= w1; ow++) acc += gd[yRow + ow] * xd[xRow + ow * sw];
                      }
                      if (needX) {
                        for (let ow = w0; ow <= w1; ow++) dX[xRow + ow * sw] += gd[yRow + ow] * wv;
                      }
                    }
                  }
                  if (needW) dW[t] += acc;
                }
              }
            }
          }
        }
      }
    }
    let dB: Tensor | undefined;
    if (b && ctx.needsGrad(2)) {
      const acc = new Float64Array(M);
      for (let n = 0; n < N; n++) {
        for (let m = 0; m < M; m++) {
          const base = (n * M + m) * outSize;
          let s = 0;
          for (let o = 0; o < outSize; o++) s += gd[base + o];
          acc[m] += s;
        }
      }
      dB = fromF64(dtype, b.shape, acc);
    }
    return [
      needX ? fromNchw(ctx, fromF64(dtype, x.shape, dX)) : undefined,
      needW ? fromF64(dtype, w.shape, dW) : undefined,
      dB,
    ];
  },
});

/** Gradient rules of this family. */
export const convGradients: readonly GradientRule[] = [conv];
