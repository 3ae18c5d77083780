/**
 * Derivatives of the activations that producers (Conv, Gemm, MatMul, Add) carry fused, and that
 * the standalone activation ops share. Each takes the pre-activation value z and the activation's
 * output y (whichever is cheaper to use). At kinks the derivative is the one PyTorch uses
 * (ReLU'(0) = 0, clipping bounds excluded).
 */
import { AttributeError, FUSED_ACTIVATIONS, oneOf } from '@mo/ir';

/** d act(z) / dz as a function of z and y = act(z). */
export type ActivationDerivative = (z: number, y: number) => number;

export const reluDerivative: ActivationDerivative = (z) => (z > 0 ? 1 : 0);

/** Clip: 1 strictly inside (lo, hi), 0 outside and when lo > hi. */
export function clipDerivative(lo: number, hi: number): ActivationDerivative {
  return (z) => (lo <= hi && z > lo && z < hi ? 1 : 0);
}

export function leakyReluDerivative(alpha: number): ActivationDerivative {
  return (z) => (z >= 0 ? 1 : alpha);
}

export const hardSwishDerivative: ActivationDerivative = (z) => (z < -3 ? 0 : z > 3 ? 1 : z / 3 + 0.5);

export function hardSigmoidDerivative(alpha: number, beta: number): ActivationDerivative {
  return (z) => {
    const u = alpha * z + beta;
    return u > 0 && u < 1 ? alpha : 0;
  };
}

export const sigmoidDerivative: ActivationDerivative = (_z, y) => y * (1 - y);

export const tanhDerivative: ActivationDerivative = (_z, y) => 1 - y * y;

const DEFAULTS: Readonly<Record<string, readonly number[]>> = {
  none: [],
  Relu: [],
  Clip: [-Infinity, Infinity],
  LeakyRelu: [0.01],
  HardSwish: [],
  HardSigmoid: [0.2, 0.5],
  Sigmoid: [],
  Tanh: [],
};

/**
 * The derivative of a fused activation (`activation` + `activation_params` attributes).
 *
 * @example
 * ```ts
 * const d = fusedActivationDerivative('Clip', [0, 6]);
 * d(3, 3); // 1
 * ```
 */
export function fusedActivationDerivative(name: string, params: readonly number[]): ActivationDerivative {
  if (!(FUSED_ACTIVATIONS as readonly string[]).includes(name)) {
    throw new AttributeError(`unknown fused activation '${name}'; expected ${oneOf(FUSED_ACTIVATIONS)}`);
  }
  const p = params.length ? params : DEFAULTS[name];
  switch (name) {
    case 'none': return () => 1;
    case 'Relu': return reluDerivative;
    case 'Clip': return clipDerivative(p[0], p[1]);
    case 'LeakyRelu': return leakyReluDerivative(p[0]);
    case 'HardSwish': return hardSwishDerivative;
    case 'HardSigmoid': return hardSigmoidDerivative(p[0], p[1]);
    case 'Sigmoid': return sigmoidDerivative;
    default: return tanhDerivative;
  }
}
