/**
 * Activations: Relu, LeakyRelu, Elu, Selu, Celu, ThresholdedRelu, Sigmoid, HardSigmoid, HardSwish,
 * Tanh, Softplus, Softsign, Mish, Gelu and Clip. Those that producers can carry fused (see
 * fused-activation.ts) use the very same scalar functions, so fused and unfused graphs agree.
 * Results are computed in float64 (written stably, e.g. expm1 and log1p) and rounded once to T;
 * at +-Inf they give their limits.
 */
import { FLOAT_TYPES, NUMERIC_TYPES, dtypeInfo, type DType } from '../core/dtype.js';
import { erfc, erf } from '../core/math.js';
import { formatShape, isStaticShape, sizeOf } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { clip, hardSigmoid, hardSwish, leakyRelu, relu, sigmoid, tanh } from './fused-activation.js';
import { elementwiseOp, load, mapUnary, unaryOp, type Value } from './elementwise-kernel.js';
import type { InferContext, OpSchema, RunContext } from './schema.js';

const SIGNED_INT_TYPES: readonly DType[] = ['int8', 'int16', 'int32', 'int64'];

/** ln(1 + e^x) without overflow or loss of small values. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** x * Phi(x), Phi the standard normal CDF; for x < 0 through erfc to avoid cancellation in 1 + erf. */
export function geluExact(x: number): number {
  if (x === -Infinity) return -0;
  return x >= 0 ? 0.5 * x * (1 + erf(x * Math.SQRT1_2)) : 0.5 * x * erfc(-x * Math.SQRT1_2);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))), written as x * sigmoid(2u) (same value, no cancellation). */
export function geluTanh(x: number): number {
  if (x === -Infinity) return -0;
  const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  return x * sigmoid(2 * u);
}

/** x * tanh(softplus(x)). */
export function mish(x: number): number {
  if (x === -Infinity) return -0;
  return x * Math.tanh(softplus(x));
}

const alphaAttr = (value: number, doc: string) => ({ alpha: { type: 'float' as const, default: value, doc } });

const reluOp = unaryOp({
  name: 'Relu', since: 14, types: [...FLOAT_TYPES, ...SIGNED_INT_TYPES], tags: ['activation'],
  doc: 'Y = max(0, X); NaN propagates.',
  float: () => relu,
  int: () => (x) => (x > 0n ? x : 0n),
});

const leakyReluOp = unaryOp({
  name: 'LeakyRelu', since: 16, types: FLOAT_TYPES, tags: ['activation'],
  doc: 'Y = X >= 0 ? X : alpha * X.',
  attrs: alphaAttr(0.01, 'slope for X < 0'),
  float: (ctx) => {
    const alpha = ctx.float('alpha');
    return (x) => leakyRelu(x, alpha);
  },
});

const elu = unaryOp({
  name: 'Elu', since: 22, types: FLOAT_TYPES,
  doc: 'Y = X < 0 ? alpha * (e^X - 1) : X.',
  attrs: alphaAttr(1, 'scale of the negative part'),
  float: (ctx) => {
    const alpha = ctx.float('alpha');
    return (x) => (x < 0 ? alpha * Math.expm1(x) : x);
  },
});

const selu = unaryOp({
  name: 'Selu', since: 22, types: FLOAT_TYPES,
  doc: 'Y = gamma * (X > 0 ? X : alpha * (e^X - 1)).',
  attrs: {
    alpha: { type: 'float', default: 1.67326319217681884765625, doc: 'scale of the negative part' },
    gamma: { type: 'float', default: 1.05070102214813232421875, doc: 'overall scale' },
  },
  float: (ctx) => {
    const alpha = ctx.float('alpha');
    const gamma = ctx.float('gamma');
    return (x) => (x > 0 ? gamma * x : gamma * alpha * Math.expm1(x));
  },
});

const celu = unaryOp({
  name: 'Celu', since: 12, types: FLOAT_TYPES,
  doc: 'Y = max(0, X) + min(0, alpha * (e^(X/alpha) - 1)); alpha must not be 0.',
  attrs: alphaAttr(1, 'scale; must not be 0'),
  checkAttrs(ctx) {
    if (ctx.float('alpha') === 0) ctx.failAttr('Celu needs alpha != 0');
  },
  float: (ctx) => {
    const alpha = ctx.float('alpha');
    // For any alpha != 0 the formula reduces to this (the other term is 0 on each side of 0).
    return (x) => (x > 0 ? x : alpha * Math.expm1(x / alpha));
  },
});

const thresholdedRelu = unaryOp({
  name: 'ThresholdedRelu', since: 22, types: FLOAT_TYPES,
  doc: 'Y = X > alpha ? X : 0.',
  attrs: alphaAttr(1, 'threshold'),
  float: (ctx) => {
    const alpha = ctx.float('alpha');
    return (x) => (x > alpha ? x : 0);
  },
});

const sigmoidOp = unaryOp({
  name: 'Sigmoid', since: 13, types: FLOAT_TYPES, tags: ['activation'],
  doc: 'Y = 1 / (1 + e^-X).',
  float: () => sigmoid,
});

const hardSigmoidOp = unaryOp({
  name: 'HardSigmoid', since: 22, types: FLOAT_TYPES, tags: ['activation'],
  doc: 'Y = max(0, min(1, alpha * X + beta)).',
  attrs: {
    alpha: { type: 'float', default: 0.2, doc: 'slope' },
    beta: { type: 'float', default: 0.5, doc: 'offset' },
  },
  float: (ctx) => {
    const alpha = ctx.float('alpha');
    const beta = ctx.float('beta');
    return (x) => hardSigmoid(x, alpha, beta);
  },
});

const hardSwishOp = unaryOp({
  name: 'HardSwish', since: 22, types: FLOAT_TYPES, tags: ['activation'],
  doc: 'Y = X * max(0, min(1, X/6 + 1/2)).',
  float: () => hardSwish,
});

const tanhOp = unaryOp({
  name: 'Tanh', since: 13, types: FLOAT_TYPES, tags: ['activation'],
  doc: 'Y = tanh(X).',
  float: () => tanh,
});

const softplusOp = unaryOp({
  name: 'Softplus', since: 22, types: FLOAT_TYPES,
  doc: 'Y = ln(e^X + 1).',
  float: () => softplus,
});

const softsign = unaryOp({
  name: 'Softsign', since: 22, types: FLOAT_TYPES,
  doc: 'Y = X / (1 + |X|).',
  float: () => (x) => (x === Infinity ? 1 : x === -Infinity ? -1 : x / (1 + Math.abs(x))),
});

const mishOp = unaryOp({
  name: 'Mish', since: 22, types: FLOAT_TYPES,
  doc: 'Y = X * tanh(softplus(X)).',
  float: () => mish,
});

const gelu = unaryOp({
  name: 'Gelu', since: 20, types: FLOAT_TYPES,
  doc: "Y = X * Phi(X) (approximate='none', with erf) or 0.5X(1 + tanh(sqrt(2/pi)(X + 0.044715X^3))) (approximate='tanh').",
  attrs: { approximate: { type: 'string', default: 'none', values: ['none', 'tanh'], doc: 'which formula' } },
  float: (ctx) => (ctx.str('approximate') === 'tanh' ? geluTanh : geluExact),
});

/** The value of Clip's optional bound input i, checked to hold one element. */
function clipBound(ctx: RunContext, i: number): Value | undefined {
  const t = ctx.inputs[i];
  if (!t) return undefined;
  if (t.size !== 1) ctx.fail(`${i === 1 ? 'min' : 'max'} must be a scalar, got shape ${formatShape(t.shape)}`);
  return load(t, 0);
}

function checkClipBounds(ctx: InferContext): void {
  for (const i of [1, 2]) {
    const t = ctx.inputs[i];
    if (t && isStaticShape(t.shape) && sizeOf(t.shape) !== 1) ctx.fail(`${i === 1 ? 'min' : 'max'} must be a scalar, got shape ${formatShape(t.shape)}`);
  }
}

const clipOp = elementwiseOp({
  name: 'Clip',
  tags: ['activation'],
  doc: "Limits X to [min, max]; absent bounds do not clip. When min > max every element becomes max (ONNX). Bounds are scalars (a one-element tensor of any rank is accepted). NaN passes through.",
  since: 13,
  inputs: [
    { name: 'input', type: 'T' },
    { name: 'min', type: 'T', optional: true },
    { name: 'max', type: 'T', optional: true },
  ],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: NUMERIC_TYPES },
  infer(ctx) {
    checkClipBounds(ctx);
    const t = ctx.inputs[0]!;
    return [{ dtype: t.dtype, shape: t.shape }];
  },
  run(ctx) {
    const x = ctx.inputs[0] as Tensor;
    const lo = clipBound(ctx, 1);
    const hi = clipBound(ctx, 2);
    if (dtypeInfo(x.dtype).kind === 'float') {
      const l = (lo as number | undefined) ?? -Infinity;
      const h = (hi as number | undefined) ?? Infinity;
      return [mapUnary(x, x.dtype, (v) => (l > h ? h : clip(v as number, l, h)))];
    }
    const l = lo as bigint | undefined;
    const h = hi as bigint | undefined;
    return [mapUnary(x, x.dtype, (v) => {
      if (l !== undefined && h !== undefined && l > h) return h;
      let r = v as bigint;
      if (l !== undefined && r < l) r = l;
      if (h !== undefined && r > h) r = h;
      return r;
    })];
  },
});

export const activationOps: readonly OpSchema[] = [
  reluOp,
  leakyReluOp,
  elu,
  selu,
  celu,
  thresholdedRelu,
  sigmoidOp,
  hardSigmoidOp,
  hardSwishOp,
  tanhOp,
  softplusOp,
  softsign,
  mishOp,
  gelu,
  clipOp,
];
