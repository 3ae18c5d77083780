/** Conv (1-d and 2-d, any groups, strides, dilations, padding) on the NHWC kernels. */
import { packConv, bindConv, convUkernel } from '../operators/conv.js';
import { window2d } from '../operators/geometry.js';
import type { KernelRegistration } from '../session/registry.js';
import { activationOf, f32Data, needF32, releasePacked, shapeOf } from './util.js';

export const convKernel: KernelRegistration = {
  name: 'wasm/Conv',
  op: 'Conv',
  priority: 10,
  plan(ctx) {
    const bad = needF32(ctx, 0, 1, 2);
    if (bad) return bad;
    const xs = shapeOf(ctx.inputs[0]);
    const rank = xs.length;
    if (rank !== 3 && rank !== 4) return `input X has rank ${rank}; only 1-d and 2-d convolutions (rank 3 or 4) have a kernel`;
    const w = ctx.constant(1);
    if (!w) return 'weights W are not a constant';
    const b = ctx.inputs[2] ? ctx.constant(2) : undefined;
    if (ctx.inputs[2] && !b) return 'bias B is not a constant';
    const nhwc = ctx.attrs.layout === 'NHWC';
    const n = xs[0];
    const c = nhwc ? xs[rank - 1] : xs[1];
    const spatial = nhwc ? xs.slice(1, rank - 1) : xs.slice(2);
    const group = ctx.attrs.group as number;
    const act = activationOf(ctx);
    if (act.min > act.max) return 'Clip with min > max';
    const kernel = w.shape.slice(2) as number[];
    const g = window2d(n, spatial, {
      kernel,
      strides: ctx.attrs.strides as number[] | undefined,
      dilations: ctx.attrs.dilations as number[] | undefined,
      pads: ctx.attrs.pads as number[] | undefined,
      autoPad: ctx.attrs.auto_pad as string,
    });
    const rt = ctx.runtime;
    const scale = ctx.packScale?.(); // BatchNormalization folded while packing
    const packed = ctx.cached(`conv|${ctx.node.name}`, () => packConv(rt, f32Data(w), w.shape, b ? f32Data(b) : undefined, group, c, undefined, scale), releasePacked);
    const layout = nhwc ? 'plain' : 'cl';
    return {
      inputs: [layout, 'const', 'const'],
      outputs: [layout],
      ukernel: convUkernel(packed, g),
      bind: (bc) => bindConv(rt, packed, g, c, bc.input(0), bc.output(0), act, bc.alloc).run,
    };
  },
};
