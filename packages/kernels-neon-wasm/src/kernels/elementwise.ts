/**
 * Elementwise kernels: activations and unary math (f32-vunary), binary arithmetic with numpy
 * broadcasting (f32-vbinary). Both run in whatever layout their input is stored in, so chains of
 * Conv -> Add -> Relu stay channels-last.
 */
import { F32_VUNARY_OPS } from '../microkernels/variants.js';
import { applyPost } from '../operators/activation.js';
import { bindBinary, bindUnary, type BinaryOp } from '../operators/elementwise.js';
import { channelsLastPerm, physicalShape } from '../session/planner.js';
import type { KernelRegistration, Layout, PlanContext } from '../session/registry.js';
import { activationOf, needF32, permKeepsOrder, prod, shapeOf } from './util.js';

type UnaryParams = (ctx: PlanContext) => { op: number; p0: number; p1: number } | string;

const UNARY: Record<string, UnaryParams> = {
  Relu: () => ({ op: F32_VUNARY_OPS.clamp, p0: 0, p1: Infinity }),
  LeakyRelu: (ctx) => ({ op: F32_VUNARY_OPS.leakyRelu, p0: ctx.attrs.alpha as number, p1: 0 }),
  HardSwish: () => ({ op: F32_VUNARY_OPS.hardSwish, p0: 0, p1: 0 }),
  HardSigmoid: (ctx) => ({ op: F32_VUNARY_OPS.hardSigmoid, p0: ctx.attrs.alpha as number, p1: ctx.attrs.beta as number }),
  Sigmoid: () => ({ op: F32_VUNARY_OPS.sigmoid, p0: 0, p1: 0 }),
  Tanh: () => ({ op: F32_VUNARY_OPS.tanh, p0: 0, p1: 0 }),
  Gelu: (ctx) => ({ op: ctx.attrs.approximate === 'tanh' ? F32_VUNARY_OPS.geluTanh : F32_VUNARY_OPS.gelu, p0: 0, p1: 0 }),
  Neg: () => ({ op: F32_VUNARY_OPS.neg, p0: 0, p1: 0 }),
  Abs: () => ({ op: F32_VUNARY_OPS.abs, p0: 0, p1: 0 }),
  Sqrt: () => ({ op: F32_VUNARY_OPS.sqrt, p0: 0, p1: 0 }),
  Exp: () => ({ op: F32_VUNARY_OPS.exp, p0: 0, p1: 0 }),
  Clip: (ctx) => {
    const lo = ctx.inputs[1] ? ctx.constant(1) : undefined;
    const hi = ctx.inputs[2] ? ctx.constant(2) : undefined;
    if ((ctx.inputs[1] && !lo) || (ctx.inputs[2] && !hi)) return 'min/max are not constants';
    const l = lo ? lo.get(0) : -Infinity;
    const h = hi ? hi.get(0) : Infinity;
    if (l > h) return 'min > max';
    return { op: F32_VUNARY_OPS.clamp, p0: l, p1: h };
  },
};

export const unaryKernels: KernelRegistration[] = Object.entries(UNARY).map(([op, params]) => ({
  name: `wasm/${op}`,
  op,
  priority: 10,
  plan(ctx) {
    const bad = needF32(ctx, 0);
    if (bad) return bad;
    const p = params(ctx);
    if (typeof p === 'string') return p;
    const layout = ctx.layout(0);
    const n = prod(shapeOf(ctx.outputs[0]));
    return {
      inputs: [layout, 'ignore', 'ignore'],
      outputs: [layout],
      ukernel: 'f32-vunary-simd128-4x',
      bind: (b) => bindUnary(ctx.runtime, p.op, n, b.input(0), b.output(0), p.p0, p.p1),
    };
  },
}));

const BINARY: Record<string, BinaryOp> = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div', Max: 'max', Min: 'min' };

export const binaryKernels: KernelRegistration[] = Object.entries(BINARY).map(([op, code]) => ({
  name: `wasm/${op}`,
  op,
  priority: 10,
  plan(ctx) {
    if (ctx.node.inputs.length !== 2) return `${op} with ${ctx.node.inputs.length} inputs (only 2 have a kernel)`;
    const bad = needF32(ctx, 0, 1);
    if (bad) return bad;
    const act = op === 'Add' ? activationOf(ctx) : { min: -Infinity, max: Infinity };
    if (act.min > act.max) return 'Clip with min > max';
    const out = shapeOf(ctx.outputs[0]);
    const R = out.length;
    const shapes = [0, 1].map((i) => shapeOf(ctx.inputs[i]));
    // Run channels-last when an operand is stored so and every operand can be read that way.
    let layout: Layout = 'plain';
    const uses: Layout[] = ['plain', 'plain'];
    const phys: number[][] = [...shapes];
    if (R >= 3 && [0, 1].some((i) => ctx.layout(i) === 'cl')) {
      const perm = channelsLastPerm(R);
      const ok = [0, 1].every((i) => {
        const padded = [...new Array<number>(R - shapes[i].length).fill(1), ...shapes[i]];
        if (ctx.layout(i) === 'cl') return shapes[i].length === R;
        return permKeepsOrder(padded, perm) || (ctx.constant(i) !== undefined && shapes[i].length === R);
      });
      if (ok) {
        layout = 'cl';
        [0, 1].forEach((i) => {
          const padded = [...new Array<number>(R - shapes[i].length).fill(1), ...shapes[i]];
          const keeps = ctx.layout(i) !== 'cl' && permKeepsOrder(padded, perm);
          uses[i] = ctx.layout(i) === 'cl' || !keeps ? 'cl' : 'plain';
          phys[i] = physicalShape(padded, 'cl');
        });
      }
    }
    const outPhys = physicalShape(out, layout);
    const n = prod(out);
    return {
      inputs: uses,
      outputs: [layout],
      ukernel: 'f32-vbinary-simd128-nd',
      bind: (b) => {
        const y = b.output(0);
        const run = bindBinary(ctx.runtime, code, phys[0], phys[1], outPhys, b.input(0), b.input(1), y, b.alloc);
        if (act.min === -Infinity && act.max === Infinity && !act.post) return run;
        const clamp = act.min !== -Infinity || act.max !== Infinity ? bindUnary(ctx.runtime, F32_VUNARY_OPS.clamp, n, y, y, act.min, act.max) : () => {};
        return () => {
          run();
          clamp();
          applyPost(ctx.runtime, act, y, n);
        };
      },
    };
  },
}));
