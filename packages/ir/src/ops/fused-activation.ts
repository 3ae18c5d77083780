/**
 * Activations that producers (Conv, ConvTranspose, Gemm, MatMul, Add) can carry fused as the
 * attributes `activation` + `activation_params`. The standalone ops (Relu, Clip, ...) use the
 * same functions, so a fused and an unfused graph compute the same values.
 */
import { AttributeError, oneOf } from '../core/errors.js';
import type { AttrSpec } from './schema.js';

export const FUSED_ACTIVATIONS = ['none', 'Relu', 'Clip', 'LeakyRelu', 'HardSwish', 'HardSigmoid', 'Sigmoid', 'Tanh'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

/** Attribute specs to spread into a producer's schema. */
export const FUSED_ACTIVATION_ATTRS: Readonly<Record<string, AttrSpec>> = Object.freeze({
  activation: { type: 'string', default: 'none', values: FUSED_ACTIVATIONS, doc: 'activation applied to the output (fused)' },
  activation_params: {
    type: 'floats',
    default: [],
    doc: 'Clip: [min, max]; LeakyRelu: [alpha]; HardSigmoid: [alpha, beta]; others: none',
  },
});

export const relu = (x: number): number => (x > 0 ? x : x === 0 || x < 0 ? 0 : x); // keeps NaN
// ONNX Clip with min > max gives max everywhere.
export const clip = (x: number, lo: number, hi: number): number => (lo > hi ? hi : x < lo ? lo : x > hi ? hi : x);
export const leakyRelu = (x: number, alpha: number): number => (x >= 0 ? x : alpha * x);
export const hardSigmoid = (x: number, alpha: number, beta: number): number => Math.max(0, Math.min(1, alpha * x + beta));
export const hardSwish = (x: number): number => x * Math.max(0, Math.min(1, x / 6 + 0.5));
export const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
export const tanh = Math.tanh;

/** Default parameters of each fused activation when `activation_params` is empty. */
const DEFAULT_PARAMS: Record<FusedActivation, readonly number[]> = {
  none: [],
  Relu: [],
  Clip: [-Infinity, Infinity],
  LeakyRelu: [0.01],
  HardSwish: [],
  HardSigmoid: [0.2, 0.5],
  Sigmoid: [],
  Tanh: [],
};

/** The scalar function of a fused activation; throws AttributeError for bad params. */
export function fusedActivationFn(name: string, params: readonly number[]): (x: number) => number {
  if (!(FUSED_ACTIVATIONS as readonly string[]).includes(name)) {
    throw new AttributeError(`unknown fused activation '${name}'; expected ${oneOf(FUSED_ACTIVATIONS)}`);
  }
  const act = name as FusedActivation;
  const p = params.length ? params : DEFAULT_PARAMS[act];
  if (p.length !== DEFAULT_PARAMS[act].length) {
    throw new AttributeError(`activation ${act} takes ${DEFAULT_PARAMS[act].length} activation_params, got ${params.length}`);
  }
  switch (act) {
    case 'none': return (x) => x;
    case 'Relu': return relu;
    case 'Clip': return (x) => clip(x, p[0], p[1]);
    case 'LeakyRelu': return (x) => leakyRelu(x, p[0]);
    case 'HardSwish': return hardSwish;
    case 'HardSigmoid': return (x) => hardSigmoid(x, p[0], p[1]);
    case 'Sigmoid': return sigmoid;
    case 'Tanh': return tanh;
  }
}
