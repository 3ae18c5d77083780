/**
 * Gradients of elementwise ops: activations, unary math, and the broadcasting binary ops (the
 * gradient of a broadcast input is summed over the dimensions it was broadcast along).
 */
import { Tensor, tensor } from '@mo/ir';
import {
  clipDerivative,
  hardSigmoidDerivative,
  hardSwishDerivative,
  leakyReluDerivative,
  reluDerivative,
  sigmoidDerivative,
  tanhDerivative,
  type ActivationDerivative,
} from '../autodiff/activation.js';
import { floats, forEachBroadcast, mapFloat, trainDType, zipFloat } from '../autodiff/array.js';
import { callOp, fromF64 } from '../autodiff/ops.js';
import { defineGradient, type GradContext, type GradientRule } from '../autodiff/registry.js';

/** dx = dy * f'(x) for a unary op, with f' from x and y. */
function unary(op: string, derivative: (ctx: GradContext) => ActivationDerivative, doc: string): GradientRule {
  return defineGradient({
    op,
    doc,
    grad(ctx) {
      const d = derivative(ctx);
      const x = floats(ctx.inputs[0]!);
      const y = floats(ctx.outputs[0]);
      return [zipFloat(ctx.gradOutputs[0]!, ctx.inputs[0]!, (g, _x, i) => g * d(x[i], y[i]))];
    },
  });
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

const relu = unary('Relu', () => reluDerivative, '1 where x > 0.');
const leakyRelu = unary('LeakyRelu', (ctx) => leakyReluDerivative(ctx.attrs.alpha as number), '1 where x >= 0, alpha elsewhere.');
const sigmoid = unary('Sigmoid', () => sigmoidDerivative, 'y (1 - y).');
const tanh = unary('Tanh', () => tanhDerivative, '1 - y^2.');
const hardSwish = unary('HardSwish', () => hardSwishDerivative, '0 below -3, 1 above 3, x/3 + 1/2 between.');
const hardSigmoid = unary('HardSigmoid', (ctx) => hardSigmoidDerivative(ctx.attrs.alpha as number, ctx.attrs.beta as number), 'alpha where 0 < alpha x + beta < 1.');
const neg = unary('Neg', () => () => -1, '-1.');
const abs = unary('Abs', () => (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), 'sign(x).');
const sqrt = unary('Sqrt', () => (_x, y) => 0.5 / y, '1 / (2 y).');
const exp = unary('Exp', () => (_x, y) => y, 'y.');
const log = unary('Log', () => (x) => 1 / x, '1 / x.');
const reciprocal = unary('Reciprocal', () => (_x, y) => -y * y, '-y^2.');
const erf = unary('Erf', () => (x) => TWO_OVER_SQRT_PI * Math.exp(-x * x), '2 / sqrt(pi) exp(-x^2).');

const gelu = defineGradient({
  op: 'Gelu',
  doc: "Phi(x) + x phi(x) (approximate 'none'); the derivative of the tanh formula otherwise.",
  grad(ctx) {
    const x = ctx.inputs[0]!;
    const g = ctx.gradOutputs[0]!;
    const xd = floats(x);
    if (ctx.attrs.approximate === 'tanh') {
      return [zipFloat(g, x, (gv, _v, i) => {
        const v = xd[i];
        const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
        return gv * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v));
      })];
    }
    // Phi through the reference Erf, so the derivative uses the very erf of the forward.
    const [e] = callOp('Erf', [mapFloat(x, (v) => v * Math.SQRT1_2)]);
    const ed = floats(e);
    return [zipFloat(g, x, (gv, _v, i) => {
      const v = xd[i];
      return gv * (0.5 * (1 + ed[i]) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
    })];
  },
});

const clip = defineGradient({
  op: 'Clip',
  doc: '1 strictly between min and max (0 everywhere when min > max). The bounds take no gradient.',
  nonDifferentiable: [1, 2],
  grad(ctx) {
    const lo = ctx.inputs[1] ? ctx.inputs[1].get(0) : -Infinity;
    const hi = ctx.inputs[2] ? ctx.inputs[2].get(0) : Infinity;
    const d = clipDerivative(lo, hi);
    return [zipFloat(ctx.gradOutputs[0]!, ctx.inputs[0]!, (g, x) => g * d(x, x))];
  },
});

// ------------------------------------------------------------------ broadcasting binary ops

type Partial2 = (a: number, b: number, y: number) => number;

/**
 * dA = sum over broadcast dims of dy * dC/dA, likewise for B. `da`/`db` give the local partial
 * derivatives from a, b and the output y.
 */
function binary(op: string, doc: string, da: Partial2, db: Partial2): GradientRule {
  return defineGradient({
    op,
    doc,
    grad(ctx) {
      const [a, b] = ctx.inputs as Tensor[];
      const g = ctx.gradOutputs[0]!;
      const y = floats(ctx.outputs[0]);
      const ad = floats(a);
      const bd = b.dtype === 'float32' || b.dtype === 'float64' ? floats(b) : b.toFloat32();
      const gd = floats(g);
      const needA = ctx.needsGrad(0);
      const needB = ctx.needsGrad(1);
      const accA = new Float64Array(needA ? a.size : 0);
      const accB = new Float64Array(needB ? b.size : 0);
      forEachBroadcast(g.shape, [a.shape, b.shape], (o, offs) => {
        const av = ad[offs[0]];
        const bv = bd[offs[1]];
        if (needA) accA[offs[0]] += gd[o] * da(av, bv, y[o]);
        if (needB) accB[offs[1]] += gd[o] * db(av, bv, y[o]);
      });
      const dtype = trainDType(g);
      return [needA ? fromF64(dtype, a.shape, accA) : undefined, needB ? fromF64(dtype, b.shape, accB) : undefined];
    },
  });
}

const add = binary('Add', '1 for both inputs (any fused activation is differentiated by the engine).', () => 1, () => 1);
const sub = binary('Sub', '1 for A, -1 for B.', () => 1, () => -1);
const mul = binary('Mul', 'B for A, A for B.', (_a, b) => b, (a) => a);
const div = binary('Div', '1/B for A, -A/B^2 for B.', (_a, b) => 1 / b, (a, b) => -a / (b * b));
const pow = binary(
  'Pow',
  'Y x^(Y-1) for X; x^Y ln(x) for Y (0 where x <= 0, as PyTorch does at x = 0).',
  (a, b) => (b === 0 ? 0 : b * a ** (b - 1)),
  (a, _b, y) => (a > 0 ? y * Math.log(a) : 0),
);

const where = defineGradient({
  op: 'Where',
  doc: 'dy where the condition holds goes to X, elsewhere to Y (each summed over its broadcast dims).',
  nonDifferentiable: [0],
  grad(ctx) {
    const [c, x, y] = ctx.inputs as Tensor[];
    const g = ctx.gradOutputs[0]!;
    const gd = floats(g);
    const cd = c.data as Uint8Array;
    const accX = new Float64Array(ctx.needsGrad(1) ? x.size : 0);
    const accY = new Float64Array(ctx.needsGrad(2) ? y.size : 0);
    forEachBroadcast(g.shape, [c.shape, x.shape, y.shape], (o, offs) => {
      if (cd[offs[0]]) {
        if (accX.length) accX[offs[1]] += gd[o];
      } else if (accY.length) accY[offs[2]] += gd[o];
    });
    const dtype = trainDType(g);
    return [undefined, accX.length ? fromF64(dtype, x.shape, accX) : undefined, accY.length ? fromF64(dtype, y.shape, accY) : undefined];
  },
});

// ------------------------------------------------------------------ Identity / Dropout

const identity = defineGradient({
  op: 'Identity',
  doc: 'dy.',
  grad: (ctx) => [ctx.gradOutputs[0]],
});

/** Saved by Dropout's training forward: which elements were kept, and their scale. */
interface DropoutSaved {
  readonly mask: Uint8Array;
  readonly scale: number;
}

const dropout = defineGradient({
  op: 'Dropout',
  doc: 'Training: dy * mask / (1 - ratio), with the mask the forward drew; inference: dy. The ratio and training_mode inputs take no gradient.',
  nonDifferentiable: [1, 2],
  forward(ctx) {
    const graphTraining = ctx.inputs[2] ? ctx.inputs[2].get(0) !== 0 : false;
    const training = ctx.training || graphTraining;
    const x = ctx.inputs[0]!;
    if (!training) return { outputs: ctx.run() };
    const ratioT = ctx.inputs[1] ?? tensor(x.dtype, 0.5, []);
    const ratio = ratioT.get(0);
    const attrs = { ...ctx.node.attrs };
    // A trainer passes a fresh seed every step; without one the node's own seed is used.
    if (ctx.seed !== undefined) attrs.seed = ctx.seed % 2 ** 31;
    const node = { ...ctx.node, attrs, inputs: ['x', 'ratio', 'training'], outputs: ['y', 'mask'] };
    const [y, mask] = ctx.run(node, [x, ratioT, tensor('bool', true, [])]);
    const outputs = ctx.node.outputs.length > 1 ? [y, mask] : [y];
    const saved: DropoutSaved = { mask: mask.data as Uint8Array, scale: ratio === 0 ? 1 : 1 / (1 - ratio) };
    return { outputs, saved };
  },
  grad(ctx) {
    const g = ctx.gradOutputs[0]!;
    const saved = ctx.saved as DropoutSaved | undefined;
    if (!saved) return [g];
    return [mapFloat(g, (v, i) => (saved.mask[i] ? v * saved.scale : 0))];
  },
});

/** Gradient rules of this family. */
export const elementwiseGradients: readonly GradientRule[] = [
  relu,
  leakyRelu,
  sigmoid,
  tanh,
  hardSwish,
  hardSigmoid,
  gelu,
  clip,
  neg,
  abs,
  sqrt,
  exp,
  log,
  reciprocal,
  erf,
  add,
  sub,
  mul,
  div,
  pow,
  where,
  identity,
  dropout,
];
