/**
 * Movement ops: Reshape and friends are views (no copy), Transpose gathers (or becomes a view when
 * it only changes the physical layout), Concat copies blocks.
 */
import type { KernelRegistration } from '../session/registry.js';
import { channelsLastPerm } from '../session/planner.js';
import { needF32, normalizeAxis, prod, shapeOf } from './util.js';

function viewKernel(op: string, check?: (ctx: Parameters<KernelRegistration['plan']>[0]) => string | undefined): KernelRegistration {
  return {
    name: `wasm/${op}`,
    op,
    priority: 10,
    plan(ctx) {
      const bad = needF32(ctx, 0) ?? check?.(ctx);
      if (bad) return bad;
      return { inputs: ['plain', 'ignore', 'ignore'], outputs: ['plain'], alias: true, bind: () => () => {} };
    },
  };
}

export const viewKernels: KernelRegistration[] = [
  viewKernel('Reshape'),
  viewKernel('Flatten'),
  viewKernel('Squeeze'),
  viewKernel('Unsqueeze'),
  viewKernel('Identity'),
  viewKernel('Dropout', (ctx) => {
    if (ctx.node.outputs[1]) return 'the mask output is not supported';
    const training = ctx.inputs[2] ? ctx.constant(2) : undefined;
    if (ctx.inputs[2] && (!training || training.get(0) !== 0)) return 'training mode (or not known to be off)';
    return undefined;
  }),
];

const samePerm = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

export const transposeKernel: KernelRegistration = {
  name: 'wasm/Transpose',
  op: 'Transpose',
  priority: 10,
  plan(ctx) {
    const bad = needF32(ctx, 0);
    if (bad) return bad;
    const xs = shapeOf(ctx.inputs[0]);
    const rank = xs.length;
    const perm = (ctx.attrs.perm as number[] | undefined) ?? xs.map((_, i) => rank - 1 - i);
    if (rank > 8) return 'rank above 8';
    if (rank >= 3) {
      const cl = channelsLastPerm(rank);
      const inv = cl.map((_, i) => cl.indexOf(i));
      // NCHW value stored channels last, transposed to NHWC: the storage already is the result
      if (ctx.layout(0) === 'cl' && samePerm(perm, cl)) return { inputs: ['cl'], outputs: ['plain'], alias: true, bind: () => () => {} };
      // NHWC value transposed to NCHW: keep the storage, call it channels last
      if (ctx.layout(0) === 'plain' && samePerm(perm, inv)) return { inputs: ['plain'], outputs: ['cl'], alias: true, bind: () => () => {} };
    }
    const out = perm.map((p) => xs[p]);
    const inStrides: number[] = new Array(rank);
    let acc = 1;
    for (let i = rank - 1; i >= 0; i--) {
      inStrides[i] = acc;
      acc *= xs[i];
    }
    const src = perm.map((p) => inStrides[p]);
    const rt = ctx.runtime;
    return {
      inputs: ['plain'],
      outputs: ['plain'],
      ukernel: 'x32-transpose-scalar-nd',
      bind: (b) => {
        if (prod(out) === 0) return () => {};
        const params = b.alloc((2 * rank + rank) * 4);
        rt.heap.i32.set([...out, ...src], params >> 2);
        const f = rt.fn('x32_transpose_nd');
        const x = b.input(0);
        const y = b.output(0);
        return () => f(rank, params, x, y);
      },
    };
  },
};

export const concatKernel: KernelRegistration = {
  name: 'wasm/Concat',
  op: 'Concat',
  priority: 10,
  plan(ctx) {
    const n = ctx.node.inputs.length;
    const bad = needF32(ctx, ...Array.from({ length: n }, (_, i) => i));
    if (bad) return bad;
    const out = shapeOf(ctx.outputs[0]);
    const rank = out.length;
    let axis = normalizeAxis(ctx.attrs.axis as number, rank);
    // channels concat of channels-last values stays channels last (the last physical axis)
    const cl = rank >= 3 && axis === 1 && ctx.node.inputs.every((_, i) => ctx.layout(i) === 'cl' || ctx.constant(i));
    const shapes = ctx.node.inputs.map((_, i) => {
      const s = shapeOf(ctx.inputs[i]);
      return cl ? channelsLastPerm(rank).map((p) => s[p]) : s;
    });
    if (cl) axis = rank - 1;
    const physOut = cl ? channelsLastPerm(rank).map((p) => out[p]) : out;
    const outer = prod(physOut.slice(0, axis));
    const outRow = shapes.reduce((acc, s) => acc + prod(s.slice(axis)), 0);
    const rt = ctx.runtime;
    const layout = cl ? 'cl' : 'plain';
    return {
      inputs: ctx.node.inputs.map(() => layout),
      outputs: [layout],
      ukernel: 'x32-copy-scalar-2d',
      bind: (b) => {
        const f = rt.fn('x32_copy2d');
        const y = b.output(0);
        let col = 0;
        const calls = shapes.map((s, i) => {
          const row = prod(s.slice(axis)) * 4;
          const x = b.input(i);
          const dst = y + col;
          col += row;
          return () => f(outer, row, x, row, dst, outRow * 4);
        });
        return () => {
          for (const c of calls) c();
        };
      },
    };
  },
};
