/** MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool on the NHWC pooling kernels. */
import { bindAvgPool, bindGlobalAvgPool, bindMaxPool } from '../operators/pool.js';
import { window2d, type Window2d } from '../operators/geometry.js';
import type { KernelPlan, KernelRegistration, PlanContext } from '../session/registry.js';
import { needF32, prod, shapeOf } from './util.js';

interface PoolShape {
  n: number;
  c: number;
  spatial: number[];
  layout: 'plain' | 'cl';
}

function poolShape(ctx: PlanContext): PoolShape | string {
  const bad = needF32(ctx, 0);
  if (bad) return bad;
  const xs = shapeOf(ctx.inputs[0]);
  const rank = xs.length;
  if (rank !== 3 && rank !== 4) return `input X has rank ${rank}; only 1-d and 2-d pooling (rank 3 or 4) has a kernel`;
  const nhwc = ctx.attrs.layout === 'NHWC';
  return { n: xs[0], c: nhwc ? xs[rank - 1] : xs[1], spatial: nhwc ? xs.slice(1, rank - 1) : xs.slice(2), layout: nhwc ? 'plain' : 'cl' };
}

function windowOf(ctx: PlanContext, s: PoolShape, kernel: number[]): Window2d {
  return window2d(s.n, s.spatial, {
    kernel,
    strides: ctx.attrs.strides as number[] | undefined,
    dilations: ctx.attrs.dilations as number[] | undefined,
    pads: ctx.attrs.pads as number[] | undefined,
    autoPad: ctx.attrs.auto_pad as string | undefined,
    ceilMode: ctx.attrs.ceil_mode === 1,
  });
}

function maxPoolPlan(ctx: PlanContext, s: PoolShape, g: Window2d): KernelPlan | string {
  // a window entirely in the padding has no valid tap: the reference gives NaN there
  for (const [o, k, st, d, pad, size] of [[g.oh, g.kh, g.sh, g.dh, g.padTop, g.ih], [g.ow, g.kw, g.sw, g.dw, g.padLeft, g.iw]]) {
    for (let i = 0; i < o; i++) {
      let any = false;
      for (let t = 0; t < k && !any; t++) {
        const p = i * st + t * d - pad;
        any = p >= 0 && p < size;
      }
      if (!any) return 'a window lies entirely in the padding';
    }
  }
  return {
    inputs: [s.layout],
    outputs: [s.layout],
    ukernel: 'f32-maxpool-simd128-4c',
    bind: (b) => bindMaxPool(ctx.runtime, g, s.c, b.input(0), b.output(0), b.alloc)!.run,
  };
}

export const maxPoolKernel: KernelRegistration = {
  name: 'wasm/MaxPool',
  op: 'MaxPool',
  priority: 10,
  plan(ctx) {
    const s = poolShape(ctx);
    if (typeof s === 'string') return s;
    if (ctx.node.outputs[1]) return 'the Indices output is not supported';
    return maxPoolPlan(ctx, s, windowOf(ctx, s, ctx.attrs.kernel_shape as number[]));
  },
};

export const globalMaxPoolKernel: KernelRegistration = {
  name: 'wasm/GlobalMaxPool',
  op: 'GlobalMaxPool',
  priority: 10,
  plan(ctx) {
    const s = poolShape(ctx);
    if (typeof s === 'string') return s;
    const g = window2d(s.n, s.spatial, { kernel: s.spatial });
    // [N, C, 1, 1] is stored the same in both layouts
    const p = maxPoolPlan(ctx, s, g);
    return typeof p === 'string' ? p : { ...p, outputs: ['plain'] };
  },
};

export const averagePoolKernel: KernelRegistration = {
  name: 'wasm/AveragePool',
  op: 'AveragePool',
  priority: 10,
  plan(ctx) {
    const s = poolShape(ctx);
    if (typeof s === 'string') return s;
    const g = windowOf(ctx, s, ctx.attrs.kernel_shape as number[]);
    const include = ctx.attrs.count_include_pad === 1;
    return {
      inputs: [s.layout],
      outputs: [s.layout],
      ukernel: 'f32-avgpool-simd128-4c',
      bind: (b) => bindAvgPool(ctx.runtime, g, s.c, include, b.input(0), b.output(0), b.alloc).run,
    };
  },
};

export const globalAveragePoolKernel: KernelRegistration = {
  name: 'wasm/GlobalAveragePool',
  op: 'GlobalAveragePool',
  priority: 10,
  plan(ctx) {
    const bad = needF32(ctx, 0);
    if (bad) return bad;
    const xs = shapeOf(ctx.inputs[0]);
    if (xs.length < 3) return `input X has rank ${xs.length}; expected >= 3`;
    const nhwc = ctx.attrs.layout === 'NHWC';
    const rank = xs.length;
    const n = xs[0];
    const c = nhwc ? xs[rank - 1] : xs[1];
    const pixels = prod(nhwc ? xs.slice(1, rank - 1) : xs.slice(2));
    // NCHW attr: read channels last when the input already is, else row sums; NHWC attr: column sums
    const inLayout = nhwc ? 'plain' : ctx.layout(0);
    const channelsLast = nhwc || inLayout === 'cl';
    return {
      inputs: [inLayout],
      outputs: ['plain'],
      ukernel: channelsLast ? 'f32-gavgpool-simd128-nhwc4c' : 'f32-gavgpool-simd128-nchw8x',
      bind: (b) => bindGlobalAvgPool(ctx.runtime, n, c, pixels, channelsLast, b.input(0), b.output(0)).run,
    };
  },
};
