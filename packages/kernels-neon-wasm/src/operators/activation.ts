/**
 * Fused activations: none / Relu / Clip become the [min, max] clamp every microkernel applies
 * when it stores; the others run as a unary pass over the output right after (in place).
 */
import { AttributeError, FUSED_ACTIVATIONS, oneOf } from '@mo/ir';
import type { Runtime } from '../runtime/module.js';
import { F32_VUNARY_OPS } from '../microkernels/variants.js';

export interface ActivationPlan {
  /** Clamp applied by the producing microkernel. */
  readonly min: number;
  readonly max: number;
  /** Unary pass after the producer (op code and params), when the activation is not a clamp. */
  readonly post?: { readonly op: number; readonly p0: number; readonly p1: number };
}

const NONE: ActivationPlan = Object.freeze({ min: -Infinity, max: Infinity });

/** Splits a fused activation (attribute values) into a clamp and an optional post pass. */
export function planActivation(name: string | undefined, params: readonly number[] | undefined): ActivationPlan {
  const act = name ?? 'none';
  const p = params ?? [];
  switch (act) {
    case 'none': return NONE;
    case 'Relu': return { min: 0, max: Infinity };
    case 'Clip': return p.length ? { min: p[0], max: p[1] } : NONE;
    case 'LeakyRelu': return { ...NONE, post: { op: F32_VUNARY_OPS.leakyRelu, p0: p.length ? p[0] : 0.01, p1: 0 } };
    case 'HardSwish': return { ...NONE, post: { op: F32_VUNARY_OPS.hardSwish, p0: 0, p1: 0 } };
    case 'HardSigmoid': return { ...NONE, post: { op: F32_VUNARY_OPS.hardSigmoid, p0: p.length ? p[0] : 0.2, p1: p.length ? p[1] : 0.5 } };
    case 'Sigmoid': return { ...NONE, post: { op: F32_VUNARY_OPS.sigmoid, p0: 0, p1: 0 } };
    case 'Tanh': return { ...NONE, post: { op: F32_VUNARY_OPS.tanh, p0: 0, p1: 0 } };
    default:
      throw new AttributeError(`unknown fused activation '${act}'; expected ${oneOf(FUSED_ACTIVATIONS)}`);
  }
}

/** Runs the post pass of `act` in place over `n` floats at `ptr` (no-op for clamps). */
export function applyPost(rt: Runtime, act: ActivationPlan, ptr: number, n: number): void {
  if (act.post) (rt.exports.f32_vunary_simd128 as (...a: number[]) => void)(act.post.op, n, ptr, ptr, act.post.p0, act.post.p1);
}
