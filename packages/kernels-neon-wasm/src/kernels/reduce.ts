/**
 * ReduceMean / ReduceSum over a contiguous block of axes (in the value's physical layout): the
 * row-sum kernel when the block is innermost, the column-sum (global pooling) kernel otherwise.
 * Reducing the spatial axes of a channels-last NCHW value is then a global average pool.
 */
import type { KernelRegistration, Layout, PlanContext } from '../session/registry.js';
import { channelsLastPerm } from '../session/planner.js';
import { needF32, normalizeAxis, prod, shapeOf } from './util.js';

interface Geometry {
  outer: number;
  red: number;
  inner: number;
}

/** outer x red x inner of reducing `axes` (sorted) of a tensor stored with physical axis order `order`; undefined when not one block. */
function blockOf(shape: readonly number[], axes: readonly number[], order: readonly number[]): Geometry | undefined {
  const phys = order.map((a) => shape[a]);
  const reduced = new Set(axes);
  // positions (in physical order) of reduced axes of size > 1
  const pos = order.map((a, i) => (reduced.has(a) && shape[a] !== 1 ? i : -1)).filter((i) => i >= 0);
  if (!pos.length) return { outer: prod(phys), red: 1, inner: 1 };
  const a = pos[0];
  const b = pos[pos.length - 1] + 1;
  // the block may contain size-1 kept axes, but no kept axis of size > 1
  for (let i = a; i < b; i++) if (!reduced.has(order[i]) && phys[i] !== 1) return undefined;
  // kept axes must stay in logical order once the reduced ones are gone
  const kept = order.filter((ax) => !reduced.has(ax) && shape[ax] !== 1);
  for (let i = 1; i < kept.length; i++) if (kept[i] < kept[i - 1]) return undefined;
  return { outer: prod(phys.slice(0, a)), red: prod(phys.slice(a, b)), inner: prod(phys.slice(b)) };
}

function reduceKernel(op: 'ReduceMean' | 'ReduceSum'): KernelRegistration {
  return {
    name: `wasm/${op}`,
    op,
    priority: 10,
    plan(ctx: PlanContext) {
      const bad = needF32(ctx, 0);
      if (bad) return bad;
      const xs = shapeOf(ctx.inputs[0]);
      const rank = xs.length;
      let axes: number[];
      if (ctx.inputs[1]) {
        const t = ctx.constant(1);
        if (!t) return 'axes are not a constant';
        axes = t.toNumbers().map((a) => normalizeAxis(a, rank));
      } else axes = [];
      if (!axes.length) {
        if (ctx.attrs.noop_with_empty_axes === 1) return 'noop_with_empty_axes';
        axes = xs.map((_, i) => i);
      }
      axes = [...new Set(axes)].sort((p, q) => p - q);
      const plainOrder = xs.map((_, i) => i);
      let layout: Layout = 'plain';
      let g: Geometry | undefined;
      if (ctx.layout(0) === 'cl' && rank >= 3) {
        g = blockOf(xs, axes, channelsLastPerm(rank));
        if (g) layout = 'cl';
      }
      g ??= blockOf(xs, axes, plainOrder);
      if (!g) return 'the reduced axes are not one contiguous block';
      const { outer, red, inner } = g;
      const scale = op === 'ReduceMean' ? 1 / red : 1;
      const rt = ctx.runtime;
      const rows = inner === 1;
      return {
        inputs: [layout, 'ignore'],
        outputs: ['plain'],
        ukernel: rows ? 'f32-gavgpool-simd128-nchw8x' : 'f32-gavgpool-simd128-nhwc4c',
        bind: (b) => {
          const x = b.input(0);
          const y = b.output(0);
          if (rows) {
            const f = rt.fn('f32_rsum_simd128');
            return () => f(outer, red, x, y, scale);
          }
          const f = rt.fn('f32_gavgpool_simd128_nhwc');
          return () => f(outer, red, inner, x, y, scale);
        },
      };
    },
  };
}

export const reduceKernels: KernelRegistration[] = [reduceKernel('ReduceMean'), reduceKernel('ReduceSum')];
